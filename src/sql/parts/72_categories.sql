-- 72_categories.sql: classification drives protection (issue 18).
--
--  * Category bindings: privacy.bind_category(category, mask) binds a
--    protection to a personal-data category; every column classified with
--    that category (privacy.classify, or an accepted discover() finding) is
--    masked with it for every role that is not exempt. The mask is an
--    expression over `value` (the column), validated per column by the one
--    validator of privacy.mask_column, and resolved with search_path =
--    pg_catalog, pg_temp. A column's own mask (mask_column) wins. Exemptions:
--    grant_unmasked() as for masks, or per category
--    (privacy.grant_unmasked_category).
--  * Default deny: a column added (ALTER TABLE ... ADD COLUMN) to a table
--    that is governed (any policy or classification on it or an ancestor)
--    is recorded in privacy._new_column and returned as NULL (text:
--    privacy.redact) to non-exempt roles until it is classified or marked
--    not personal (privacy.mark_not_personal). Columns present when a table
--    became governed are not affected, so an update from 0.1.0 hides
--    nothing. Opt-out per table: privacy.set_default_deny(tbl, false).
--  * Lineage: generated columns computed from a protected column, and the
--    columns of a CREATE TABLE AS / SELECT INTO / CREATE MATERIALIZED VIEW
--    derived from protected columns, are masked (NULL, or their category's
--    protection) for the roles the source masks; the utility hook records
--    CTAS/matview lineage in privacy._derived_column and classifies the new
--    columns with their sources' categories.
--
-- Everything here is resolved into the column policy cache
-- (src/pg/catalog/categories.cpp): the planner, the authorship rule and the
-- write-back guard see one list of masked columns per relation.
--
-- Expression text: privacy._category_binding.mask holds the binding's text
-- as declared (it must resolve with search_path = pg_catalog, pg_temp); it
-- is read by the cache (categories.cpp, LoadCategoryCatalog) and expanded
-- per column by privacy._category_mask() / ExpandCategoryMask().

CREATE TABLE privacy._category_binding (
	category    text PRIMARY KEY CHECK (category IN ('email', 'phone', 'person_name', 'postal_address', 'national_id',
	                'payment_card', 'iban', 'ip_address', 'date_of_birth', 'health', 'credentials', 'free_text', 'other')),
	mask        text NOT NULL,
	declared_by name NOT NULL,
	declared_at timestamptz NOT NULL
);
COMMENT ON TABLE privacy._category_binding IS
'protections bound to personal-data categories: mask is an expression over value (the classified column)';

CREATE TABLE privacy._category_unmasked (
	role       regrole NOT NULL,
	category   text NOT NULL,
	granted_by name NOT NULL,
	granted_at timestamptz NOT NULL,
	PRIMARY KEY (role, category)
);
COMMENT ON TABLE privacy._category_unmasked IS
'exemptions from the protection bound to a category (privacy.grant_unmasked_category)';

CREATE TABLE privacy._not_personal (
	relid       regclass NOT NULL,
	column_name name NOT NULL,
	marked_by   name NOT NULL,
	marked_at   timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._not_personal IS
'columns declared not to hold personal data (privacy.mark_not_personal): never denied by default';

CREATE TABLE privacy._new_column (
	relid       regclass NOT NULL,
	column_name name NOT NULL,
	added_by    name NOT NULL,
	added_at    timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._new_column IS
'columns added to a governed table: denied to non-exempt roles until classified or marked not personal';

CREATE TABLE privacy._default_deny_off (
	relid  regclass PRIMARY KEY,
	set_by name NOT NULL,
	set_at timestamptz NOT NULL
);
COMMENT ON TABLE privacy._default_deny_off IS
'tables (and their families) whose new columns are not denied by default (privacy.set_default_deny(tbl, false))';

CREATE TABLE privacy._derived_column (
	relid         regclass NOT NULL,
	column_name   name NOT NULL,
	source_relid  regclass NOT NULL,
	source_column name NOT NULL,
	recorded_at   timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name, source_relid, source_column)
);
COMMENT ON TABLE privacy._derived_column IS
'lineage recorded at CREATE TABLE AS / SELECT INTO / CREATE MATERIALIZED VIEW: a column and the protected source columns it was computed from';

SELECT pg_catalog.pg_extension_config_dump('privacy._category_binding', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._category_unmasked', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._not_personal', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._new_column', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._default_deny_off', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._derived_column', '');
REVOKE ALL ON privacy._category_binding, privacy._category_unmasked, privacy._not_personal, privacy._new_column,
	privacy._default_deny_off, privacy._derived_column FROM PUBLIC;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._category_binding
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._category_unmasked
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._not_personal
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._default_deny_off
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();

-- privacy._category_mask(tbl, col, mask, check_declarer): the mask of a
-- category binding applied to one column: `value` replaced by the column,
-- validated by the validator of mask_column (no subquery, volatile or
-- untrusted function, ...). With tbl NULL it only checks the binding's
-- shape (one expression whose only column is value). check_declarer: the
-- session's role, when it is not a policy administrator (a table owner
-- classifying its own table), must be allowed to execute what the mask
-- calls. Returns the expanded canonical text.
CREATE FUNCTION privacy._category_mask(tbl regclass, col name, mask text, check_declarer boolean)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__category_mask'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._category_mask(regclass, name, text, boolean) IS
'validates the protection bound to a category as the mask of one column and returns its canonical text';

-- privacy._category_governed(tbl): whether pg_privacy masks a column of the
-- table because of a category binding, a denied new column or lineage.
CREATE FUNCTION privacy._category_governed(tbl regclass)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM privacy._classification c
	               JOIN privacy._category_binding b ON b.category OPERATOR(pg_catalog.=) c.category
	               WHERE c.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
	    OR EXISTS (SELECT 1 FROM privacy._new_column n
	               WHERE n.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
	    OR EXISTS (SELECT 1 FROM privacy._derived_column d WHERE d.relid OPERATOR(pg_catalog.=) tbl)
	    OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
	               WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attgenerated OPERATOR(pg_catalog.<>) ''
	                 AND NOT a.attisdropped
	                 AND (EXISTS (SELECT 1 FROM privacy._column_policy p
	                              WHERE p.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
	                      OR EXISTS (SELECT 1 FROM privacy._classification c
	                                 WHERE c.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))))
$$;
COMMENT ON FUNCTION privacy._category_governed(regclass) IS
'whether a category binding, a denied new column or lineage masks a column of the table';

-- A table is governed while a masking policy, a row policy, a category
-- protection, a denied new column or lineage applies to it (own or an
-- ancestor's). The functions of the earlier parts that call it are
-- PL/pgSQL: they need it only when they run.
CREATE FUNCTION privacy._is_governed(tbl regclass)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM privacy._column_policy p
	               WHERE p.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
	    OR EXISTS (SELECT 1 FROM privacy._row_policy r
	               WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
	    OR privacy._category_governed(tbl)
$$;
COMMENT ON FUNCTION privacy._is_governed(regclass) IS
'whether a masking policy, a row policy, a category protection, a denied new column or lineage applies to the table (own or inherited)';
REVOKE ALL ON FUNCTION privacy._is_governed(regclass) FROM PUBLIC;

-- privacy._govern_categories(tbl): after a category, default-deny or
-- lineage change, turns row security and the write-back guard on for the
-- family (or off again when nothing governs it any more) and invalidates
-- cached plans. Materialized views get neither (they have no row security).
CREATE FUNCTION privacy._govern_categories(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl
	           AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::"char"[])) THEN
		IF privacy._is_governed(tbl) THEN
			PERFORM privacy._govern_family(tbl);
		ELSE
			PERFORM privacy._release_row_security(tbl);
		END IF;
	END IF;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy._govern_categories(regclass) IS
'turns row security and the write-back guard on (or off) after a category, default-deny or lineage change';

-- privacy._apply_category(tbl, col): after classify(): checks that the
-- protection bound to the column's category fits the column (as its
-- declarer) and governs the table.
CREATE FUNCTION privacy._apply_category(tbl regclass, col name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bound text;
BEGIN
	DELETE FROM privacy._not_personal n
	WHERE n.relid OPERATOR(pg_catalog.=) tbl AND n.column_name OPERATOR(pg_catalog.=) col;
	SELECT b.mask INTO bound FROM privacy._category_binding b JOIN privacy._classification c
	  ON c.category OPERATOR(pg_catalog.=) b.category
	WHERE c.relid OPERATOR(pg_catalog.=) tbl AND c.column_name OPERATOR(pg_catalog.=) col;
	IF bound IS NOT NULL THEN
		PERFORM privacy._check_family_root(tbl, 'apply a category protection to');
		PERFORM privacy._category_mask(tbl, col, bound, true);
	END IF;
	PERFORM privacy._govern_categories(tbl);
END
$$;
COMMENT ON FUNCTION privacy._apply_category(regclass, name) IS
'validates the protection bound to a classified column''s category for that column and governs its table';

CREATE FUNCTION privacy.bind_category(category text, mask text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	PERFORM privacy._check_policy_admin('bind protections to categories');
	IF category IS NULL OR mask IS NULL THEN
		RAISE EXCEPTION 'category and mask must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF category OPERATOR(pg_catalog.<>) ALL (ARRAY['email', 'phone', 'person_name', 'postal_address', 'national_id',
	     'payment_card', 'iban', 'ip_address', 'date_of_birth', 'health', 'credentials', 'free_text', 'other']) THEN
		RAISE EXCEPTION 'unknown personal-data category "%"', category USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use one of email, phone, person_name, postal_address, national_id, payment_card, iban, ip_address, date_of_birth, health, credentials, free_text, other.';
	END IF;
	PERFORM privacy._category_mask(NULL, NULL, mask, false);
	-- before any column is classified with the category, check what can be
	-- checked on a text column (pg_description.description): untrusted,
	-- volatile or set-returning functions, subqueries, a protection that
	-- returns the column unchanged; type errors wait for a real column
	BEGIN
		PERFORM privacy._category_mask('pg_catalog.pg_description'::pg_catalog.regclass, 'description', mask, false);
	EXCEPTION WHEN undefined_function OR datatype_mismatch OR cannot_coerce OR undefined_column THEN
		NULL;
	END;
	-- every column already classified with the category must take it
	FOR c IN SELECT x.relid, x.column_name FROM privacy._classification x
	         WHERE x.category OPERATOR(pg_catalog.=) bind_category.category
	         ORDER BY x.relid::text, x.column_name LOOP
		PERFORM privacy._check_family_root(c.relid, 'apply a category protection to');
		PERFORM privacy._category_mask(c.relid, c.column_name, mask, false);
	END LOOP;
	INSERT INTO privacy._category_binding AS b (category, mask, declared_by, declared_at)
	VALUES (bind_category.category, bind_category.mask, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _category_binding_pkey DO UPDATE
		SET mask = excluded.mask, declared_by = excluded.declared_by, declared_at = excluded.declared_at;
	FOR c IN SELECT DISTINCT x.relid FROM privacy._classification x
	         WHERE x.category OPERATOR(pg_catalog.=) bind_category.category LOOP
		PERFORM privacy._govern_categories(c.relid);
	END LOOP;
	PERFORM privacy._invalidate_policies(NULL);
END
$$;
COMMENT ON FUNCTION privacy.bind_category(text, text) IS
'binds a protection (an expression over value, e.g. privacy.mask_email(value)) to a personal-data category: every column classified with it is masked with it';

CREATE FUNCTION privacy.unbind_category(category text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	PERFORM privacy._check_policy_admin('bind protections to categories');
	DELETE FROM privacy._category_binding b WHERE b.category OPERATOR(pg_catalog.=) unbind_category.category;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'category "%" has no protection bound', category USING ERRCODE = 'undefined_object';
	END IF;
	FOR c IN SELECT DISTINCT x.relid FROM privacy._classification x
	         WHERE x.category OPERATOR(pg_catalog.=) unbind_category.category LOOP
		PERFORM privacy._govern_categories(c.relid);
	END LOOP;
	PERFORM privacy._invalidate_policies(NULL);
END
$$;
COMMENT ON FUNCTION privacy.unbind_category(text) IS 'removes the protection bound to a category';

CREATE FUNCTION privacy.grant_unmasked_category(role regrole, category text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant exemptions from masking'),
		privacy._check_exemption_grantee(role, 'grant exemptions from masking');
	IF role IS NULL OR category IS NULL THEN
		RAISE EXCEPTION 'role and category must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF category OPERATOR(pg_catalog.<>) ALL (ARRAY['email', 'phone', 'person_name', 'postal_address', 'national_id',
	     'payment_card', 'iban', 'ip_address', 'date_of_birth', 'health', 'credentials', 'free_text', 'other']) THEN
		RAISE EXCEPTION 'unknown personal-data category "%"', category USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO privacy._category_unmasked (role, category, granted_by, granted_at)
	VALUES (grant_unmasked_category.role, grant_unmasked_category.category, privacy._outer_user(), now())
	ON CONFLICT DO NOTHING;
	PERFORM privacy._invalidate_policies(NULL);
END
$$;
COMMENT ON FUNCTION privacy.grant_unmasked_category(regrole, text) IS
'exempts a role (and its members) from the protection bound to a category, on every column classified with it';

CREATE FUNCTION privacy.revoke_unmasked_category(role regrole, category text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('revoke exemptions from masking');
	DELETE FROM privacy._category_unmasked u
	WHERE u.role OPERATOR(pg_catalog.=) revoke_unmasked_category.role
	  AND u.category OPERATOR(pg_catalog.=) revoke_unmasked_category.category;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role % has no exemption from category "%"', role, category USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._invalidate_policies(NULL);
END
$$;
COMMENT ON FUNCTION privacy.revoke_unmasked_category(regrole, text) IS
'removes an exemption granted with privacy.grant_unmasked_category()';

CREATE FUNCTION privacy.mark_not_personal(tbl regclass, col name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('classify columns', tbl);
	IF tbl IS NULL OR col IS NULL THEN
		RAISE EXCEPTION 'table and column must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- never a system catalog or pg_privacy's own tables: a category's
	-- protection would put its guard trigger on them
	IF tbl::oid OPERATOR(pg_catalog.<) 16384
	   OR (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	      OPERATOR(pg_catalog.=) ANY (ARRAY['privacy'::regnamespace, 'pg_catalog'::regnamespace,
	                                        'information_schema'::regnamespace]) THEN
		RAISE EXCEPTION 'cannot classify columns of %', tbl USING ERRCODE = 'wrong_object_type',
			DETAIL = 'System catalogs and pg_privacy''s own tables hold no data pg_privacy protects.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
	               WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
	                 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	IF EXISTS (SELECT 1 FROM privacy._classification c
	           WHERE c.relid OPERATOR(pg_catalog.=) tbl AND c.column_name OPERATOR(pg_catalog.=) col) THEN
		RAISE EXCEPTION 'column "%" of table % is classified as personal data', col, tbl
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Remove the classification with privacy.unclassify() first.';
	END IF;
	INSERT INTO privacy._not_personal (relid, column_name, marked_by, marked_at)
	VALUES (tbl, col, privacy._outer_user(), now())
	ON CONFLICT DO NOTHING;
	PERFORM privacy._govern_categories(tbl);
END
$$;
COMMENT ON FUNCTION privacy.mark_not_personal(regclass, name) IS
'declares that a column holds no personal data: a new column of a governed table is no longer denied by default';

CREATE FUNCTION privacy.unmark_not_personal(tbl regclass, col name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('classify columns', tbl);
	DELETE FROM privacy._not_personal n
	WHERE n.relid OPERATOR(pg_catalog.=) tbl AND n.column_name OPERATOR(pg_catalog.=) col;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of table % is not marked as not personal', col, tbl USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._govern_categories(tbl);
END
$$;
COMMENT ON FUNCTION privacy.unmark_not_personal(regclass, name) IS 'removes a mark set with privacy.mark_not_personal()';

CREATE FUNCTION privacy.set_default_deny(tbl regclass, enabled boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('set default deny', tbl);
	IF tbl IS NULL OR enabled IS NULL THEN
		RAISE EXCEPTION 'table and enabled must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM privacy._check_family_root(tbl, 'set default deny on');
	IF enabled THEN
		DELETE FROM privacy._default_deny_off d WHERE d.relid OPERATOR(pg_catalog.=) tbl;
	ELSE
		INSERT INTO privacy._default_deny_off (relid, set_by, set_at) VALUES (tbl, privacy._outer_user(), now())
		ON CONFLICT DO NOTHING;
	END IF;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.set_default_deny(regclass, boolean) IS
'turns default deny of new columns off (or on again) for a table family (on by default)';

-- privacy._default_deny_applies(tbl): whether a column added to the table
-- is denied by default: a policy or a classification applies to it (own or
-- an ancestor's).
CREATE FUNCTION privacy._default_deny_applies(tbl regclass)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT privacy._is_governed(tbl)
	    OR EXISTS (SELECT 1 FROM privacy._classification c
	               WHERE c.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
	    OR EXISTS (SELECT 1 FROM privacy._retention_policy r
	               WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
$$;
COMMENT ON FUNCTION privacy._default_deny_applies(regclass) IS
'whether a policy or a classification governs the table (then its new columns are denied by default)';

-- privacy._note_new_columns(tbl, first_attnum): called by the utility hook
-- (as the bootstrap superuser) after ALTER TABLE added columns (attnum >=
-- first_attnum) to a table (or ALTER TYPE ... ADD ATTRIBUTE to a typed
-- table): records them when the table or a member of its family is
-- governed.
CREATE FUNCTION privacy._note_new_columns(tbl regclass, first_attnum integer)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- a member of the family governed is enough: the columns reach it
	IF NOT EXISTS (SELECT 1 FROM privacy._family(tbl) AS f WHERE privacy._default_deny_applies(f)) THEN
		RETURN;
	END IF;
	INSERT INTO privacy._new_column (relid, column_name, added_by, added_at)
	SELECT tbl, a.attname, privacy._outer_user(), now()
	FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attnum OPERATOR(pg_catalog.>=) first_attnum
	  AND NOT a.attisdropped
	ON CONFLICT DO NOTHING;
	IF FOUND THEN
		PERFORM privacy._govern_categories(tbl);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._note_new_columns(regclass, integer) IS
'records the columns an ALTER TABLE added to a governed table (denied by default)';

-- privacy._protected_source(tbl, col): the category of a source column
-- (classification on it or an ancestor), 'masked' when only a mask, a
-- denied-new-column record or lineage protects it, NULL when nothing does.
CREATE FUNCTION privacy._protected_source(tbl regclass, col name)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	-- the column, and for a generated column the columns its expression reads
	WITH cols AS (
		SELECT col AS c
		UNION
		SELECT a2.attname FROM pg_catalog.pg_attribute g
		JOIN pg_catalog.pg_attrdef ad ON ad.adrelid OPERATOR(pg_catalog.=) g.attrelid AND ad.adnum OPERATOR(pg_catalog.=) g.attnum
		JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_attrdef'::pg_catalog.regclass
		 AND d.objid OPERATOR(pg_catalog.=) ad.oid AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
		 AND d.refobjid OPERATOR(pg_catalog.=) g.attrelid AND d.refobjsubid OPERATOR(pg_catalog.>) 0
		JOIN pg_catalog.pg_attribute a2 ON a2.attrelid OPERATOR(pg_catalog.=) g.attrelid AND a2.attnum OPERATOR(pg_catalog.=) d.refobjsubid
		WHERE g.attrelid OPERATOR(pg_catalog.=) tbl AND g.attname OPERATOR(pg_catalog.=) col
		  AND g.attgenerated OPERATOR(pg_catalog.<>) ''
	)
	SELECT coalesce(
		(SELECT c.category FROM privacy._classification c
		 WHERE c.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		   AND c.column_name OPERATOR(pg_catalog.=) ANY (SELECT cols.c FROM cols)
		 ORDER BY c.column_name OPERATOR(pg_catalog.<>) col, c.category LIMIT 1),
		CASE WHEN EXISTS (SELECT 1 FROM privacy._column_policy p
		                  WHERE p.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		                    AND p.column_name OPERATOR(pg_catalog.=) ANY (SELECT cols.c FROM cols))
		       OR EXISTS (SELECT 1 FROM privacy._new_column n
		                  WHERE n.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		                    AND n.column_name OPERATOR(pg_catalog.=) ANY (SELECT cols.c FROM cols))
		       OR EXISTS (SELECT 1 FROM privacy._derived_column d
		                  WHERE d.relid OPERATOR(pg_catalog.=) tbl AND d.column_name OPERATOR(pg_catalog.=) col)
		     THEN 'masked' END)
$$;
COMMENT ON FUNCTION privacy._protected_source(regclass, name) IS
'the category of a protected source column (''masked'' when unclassified), NULL when unprotected';

-- privacy._record_lineage(tbl, cols, source_relids, source_attnums): called
-- by the utility hook (as the bootstrap superuser) after CREATE TABLE AS,
-- SELECT INTO or CREATE MATERIALIZED VIEW: cols[i] of the new relation was
-- computed from (source_relids[i], source_attnums[i]) (one pair per
-- element; a column appears once per source). Protected sources are
-- recorded; the new column is classified with the first source category
-- (by category name), or 'other' when its sources are masked but not
-- classified.
CREATE FUNCTION privacy._record_lineage(tbl regclass, cols name[], source_relids oid[], source_attnums integer[])
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	any_recorded boolean := false;
	c record;
BEGIN
	FOR c IN
		SELECT s.col, s.src, s.srccol, privacy._protected_source(s.src, s.srccol) AS category
		FROM (SELECT DISTINCT x.col, x.src::regclass AS src, a.attname AS srccol
		      FROM ROWS FROM (pg_catalog.unnest(cols), pg_catalog.unnest(source_relids), pg_catalog.unnest(source_attnums)) AS x(col, src, attnum)
		      JOIN pg_catalog.pg_attribute a
		        ON a.attrelid OPERATOR(pg_catalog.=) x.src AND a.attnum OPERATOR(pg_catalog.=) x.attnum
		       AND NOT a.attisdropped) s
		ORDER BY 1, 4, 2, 3
	LOOP
		CONTINUE WHEN c.category IS NULL;
		INSERT INTO privacy._derived_column (relid, column_name, source_relid, source_column, recorded_at)
		VALUES (tbl, c.col, c.src, c.srccol, now()) ON CONFLICT DO NOTHING;
		INSERT INTO privacy._classification (relid, column_name, category, classified_by, classified_at)
		VALUES (tbl, c.col, CASE WHEN c.category OPERATOR(pg_catalog.=) 'masked' THEN 'other' ELSE c.category END,
		        privacy._outer_user(), now())
		ON CONFLICT ON CONSTRAINT _classification_pkey DO NOTHING;
		-- a materialized view has no row security to hide its statistics
		-- (pg_stats shows most common values to every reader): none are
		-- collected for its protected columns
		IF EXISTS (SELECT 1 FROM pg_catalog.pg_class k WHERE k.oid OPERATOR(pg_catalog.=) tbl
		           AND k.relkind OPERATOR(pg_catalog.=) 'm') THEN
			EXECUTE pg_catalog.format('ALTER MATERIALIZED VIEW %s ALTER COLUMN %I SET STATISTICS 0', tbl, c.col);
		END IF;
		any_recorded := true;
	END LOOP;
	IF any_recorded THEN
		PERFORM privacy._govern_categories(tbl);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._record_lineage(regclass, name[], oid[], integer[]) IS
'records the protected sources of the columns of a relation created by CREATE TABLE AS or CREATE MATERIALIZED VIEW and classifies them';

CREATE VIEW privacy.category_bindings AS
SELECT b.category,
	b.mask,
	ARRAY(SELECT u.role::text FROM privacy._category_unmasked u
	      WHERE u.category OPERATOR(pg_catalog.=) b.category ORDER BY 1) AS exempt_roles,
	(SELECT pg_catalog.count(*) FROM privacy._classification c
	 WHERE c.category OPERATOR(pg_catalog.=) b.category)::integer AS classified_columns,
	b.declared_by,
	b.declared_at
FROM privacy._category_binding b;
COMMENT ON VIEW privacy.category_bindings IS
'the protection bound to each category, the roles exempt from it (besides grant_unmasked exemptions) and how many columns it covers';

-- privacy._access_source(tbl, col): what decides how a column is masked,
-- in the planner's order: 'mask' (its own or an inherited mask_column),
-- 'category' (the protection bound to its category), 'lineage' (derived
-- from a protected column), 'default deny' (a new column neither
-- classified nor marked not personal), 'default deny (off)' (the same on
-- a table that opted out: raw), NULL (nothing).
CREATE FUNCTION privacy._access_source(tbl regclass, col name)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN EXISTS (SELECT 1 FROM privacy._column_policy p
		             WHERE p.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		               AND p.column_name OPERATOR(pg_catalog.=) col) THEN 'mask'
		WHEN EXISTS (SELECT 1 FROM privacy._classification c
		             JOIN privacy._category_binding b ON b.category OPERATOR(pg_catalog.=) c.category
		             WHERE c.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		               AND c.column_name OPERATOR(pg_catalog.=) col) THEN 'category'
		WHEN EXISTS (SELECT 1 FROM privacy._derived_column d
		             WHERE d.relid OPERATOR(pg_catalog.=) tbl AND d.column_name OPERATOR(pg_catalog.=) col) THEN 'lineage'
		WHEN EXISTS (SELECT 1 FROM privacy._new_column n
		             WHERE n.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		               AND n.column_name OPERATOR(pg_catalog.=) col)
		 AND NOT EXISTS (SELECT 1 FROM privacy._classification c
		                 WHERE c.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		                   AND c.column_name OPERATOR(pg_catalog.=) col)
		 AND NOT EXISTS (SELECT 1 FROM privacy._not_personal n
		                 WHERE n.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		                   AND n.column_name OPERATOR(pg_catalog.=) col)
		THEN CASE WHEN EXISTS (SELECT 1 FROM privacy._default_deny_off o
		                       WHERE o.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
		          THEN 'default deny (off)' ELSE 'default deny' END
	END
$$;
COMMENT ON FUNCTION privacy._access_source(regclass, name) IS
'what masks a column: mask, category, lineage, default deny, default deny (off) or NULL';

REVOKE ALL ON privacy.category_bindings FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._category_mask(regclass, name, text, boolean), privacy._category_governed(regclass),
	privacy._govern_categories(regclass), privacy._apply_category(regclass, name),
	privacy._default_deny_applies(regclass),
	privacy._note_new_columns(regclass, integer), privacy._protected_source(regclass, name),
	privacy._record_lineage(regclass, name[], oid[], integer[]), privacy._access_source(regclass, name) FROM PUBLIC;

-- The compliance views ---------------------------------------------------
-- (defined here, after the category catalog they read)

-- privacy._protections(tbl, col): how a column is protected: masked (own or
-- inherited masking policy, a category protection, lineage or default
-- deny), tokenized (privacy.card_token or a declared token format),
-- row-gated (a row policy on the table or an ancestor), retention (a
-- retention policy on the table or an ancestor).
CREATE FUNCTION privacy._protections(tbl regclass, col name)
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT ARRAY(SELECT x FROM (VALUES
		(1, 'masked', privacy._access_source(tbl, col) OPERATOR(pg_catalog.=) ANY (ARRAY['mask', 'category', 'lineage', 'default deny'])),
		(2, 'tokenized', EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
		                         WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
		                           AND a.atttypid OPERATOR(pg_catalog.=) 'privacy.card_token'::pg_catalog.regtype)
		                 OR EXISTS (SELECT 1 FROM privacy._classification c
		                            WHERE c.relid OPERATOR(pg_catalog.=) tbl AND c.column_name OPERATOR(pg_catalog.=) col
		                              AND c.token_format IS NOT NULL)),
		(3, 'row-gated', EXISTS (SELECT 1 FROM privacy._row_policy r
		                         WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))),
		(4, 'retention', EXISTS (SELECT 1 FROM privacy._retention_policy r
		                         WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))))
	) AS v(i, x, present) WHERE present ORDER BY i)
$$;
COMMENT ON FUNCTION privacy._protections(regclass, name) IS
'the protections of a column: masked, tokenized, row-gated, retention (empty: none)';

-- privacy._effective_mask(tbl, col): the mask text that applies to a
-- column: its own (or inherited) mask, else the protection bound to its
-- category (an expression over value).
CREATE FUNCTION privacy._effective_mask(tbl regclass, col name)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(
		(SELECT CASE WHEN m.mask_function IS NULL THEN m.mask ELSE privacy._stored_expression(m.mask_function) END
		 FROM privacy._column_policy m
		 WHERE m.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		   AND m.column_name OPERATOR(pg_catalog.=) col LIMIT 1),
		(SELECT b.mask FROM privacy._classification c
		 JOIN privacy._category_binding b ON b.category OPERATOR(pg_catalog.=) c.category
		 WHERE c.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		   AND c.column_name OPERATOR(pg_catalog.=) col LIMIT 1))
$$;
COMMENT ON FUNCTION privacy._effective_mask(regclass, name) IS
'the mask of a column (own or inherited) or the protection bound to its category';
REVOKE ALL ON FUNCTION privacy._effective_mask(regclass, name) FROM PUBLIC;

CREATE VIEW privacy.inventory AS
SELECT c.relid AS table_name,
	c.column_name,
	c.category,
	CASE WHEN pg_catalog.cardinality(pr.p) OPERATOR(pg_catalog.=) 0 THEN 'none'
	     ELSE pg_catalog.array_to_string(pr.p, ', ') END COLLATE pg_catalog."default" AS protection,
	pr.p COLLATE pg_catalog."default" AS protections,
	privacy._effective_mask(c.relid, c.column_name) COLLATE pg_catalog."default" AS mask,
	coalesce(c.token_format, CASE WHEN 'tokenized' OPERATOR(pg_catalog.=) ANY (pr.p) THEN 'card' END) AS token_format,
	ARRAY(SELECT r.name FROM privacy._row_policy r
	      WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid)) ORDER BY r.name) AS row_policies,
	(SELECT r.keep FROM privacy._retention_policy r
	 WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid)) LIMIT 1) AS retention,
	c.classified_by,
	c.classified_at
FROM privacy._classification c
CROSS JOIN LATERAL (SELECT privacy._protections(c.relid, c.column_name) AS p) pr;
COMMENT ON VIEW privacy.inventory IS
'every classified personal-data column with its protection: masked, tokenized, row-gated, retention or none';

CREATE VIEW privacy.coverage_gaps AS
SELECT c.relid AS table_name, c.column_name, c.category, 'classified'::text AS source, NULL::numeric AS confidence,
	NULL::text AS evidence
FROM privacy._classification c
WHERE pg_catalog.cardinality(privacy._protections(c.relid, c.column_name)) OPERATOR(pg_catalog.=) 0
UNION ALL
SELECT d.relid, d.column_name, d.category, 'discovered', d.confidence, d.evidence
FROM privacy._discovery d
WHERE NOT EXISTS (SELECT 1 FROM privacy._classification c
                  WHERE c.relid OPERATOR(pg_catalog.=) d.relid AND c.column_name OPERATOR(pg_catalog.=) d.column_name)
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
              WHERE a.attrelid OPERATOR(pg_catalog.=) d.relid AND a.attname OPERATOR(pg_catalog.=) d.column_name
                AND NOT a.attisdropped)
  AND pg_catalog.cardinality(privacy._protections(d.relid, d.column_name)) OPERATOR(pg_catalog.=) 0
UNION ALL
-- a masked partition key (issue 15): the partition a row lives in (its
-- tableoid, whose bounds pg_class shows to every role) reveals the range,
-- list value or hash bucket of the raw value to a masked role
SELECT p.relid, p.column_name, coalesce(cl.category, 'other'), 'masked partition key', NULL,
	'the partition of a row (tableoid) reveals the key''s range: partitioned by it: ' OPERATOR(pg_catalog.||) k.tables
FROM privacy._column_policy p
LEFT JOIN privacy._classification cl
  ON cl.relid OPERATOR(pg_catalog.=) p.relid AND cl.column_name OPERATOR(pg_catalog.=) p.column_name
CROSS JOIN LATERAL (
	SELECT pg_catalog.string_agg(pt.partrelid::pg_catalog.regclass::text, ', ' ORDER BY pt.partrelid::pg_catalog.regclass::text) AS tables
	FROM pg_catalog.pg_partitioned_table pt
	WHERE pt.partrelid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT f::oid FROM privacy._family(p.relid) AS f))
	  AND (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
	               WHERE a.attrelid OPERATOR(pg_catalog.=) pt.partrelid
	                 AND a.attnum OPERATOR(pg_catalog.=) ANY (pt.partattrs::pg_catalog.int2[])
	                 AND a.attname OPERATOR(pg_catalog.=) p.column_name)
	       OR (pt.partexprs IS NOT NULL
	           AND pg_catalog.strpos(pg_catalog.pg_get_partkeydef(pt.partrelid), pg_catalog.quote_ident(p.column_name))
	               OPERATOR(pg_catalog.>) 0))) k
WHERE k.tables IS NOT NULL
UNION ALL
-- issue 18: columns added to a governed table that nobody has classified
-- or marked not personal (denied by default, or raw where the table opted
-- out of default deny)
SELECT n.relid, n.column_name, 'unclassified', s.source COLLATE pg_catalog."default", NULL,
	(CASE WHEN s.source OPERATOR(pg_catalog.=) 'default deny' THEN 'added to a governed table; denied until classified or marked not personal'
	      ELSE 'added to a governed table that opted out of default deny: readable by every role with SELECT' END) COLLATE pg_catalog."default"
FROM privacy._new_column n
CROSS JOIN LATERAL (SELECT privacy._access_source(n.relid, n.column_name) AS source) s
WHERE s.source OPERATOR(pg_catalog.=) ANY (ARRAY['default deny', 'default deny (off)'])
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
              WHERE a.attrelid OPERATOR(pg_catalog.=) n.relid AND a.attname OPERATOR(pg_catalog.=) n.column_name
                AND NOT a.attisdropped);
COMMENT ON VIEW privacy.coverage_gaps IS
'personal data (classified, or found by the last privacy.discover() and not classified) with no protection at all, masked partition keys (a row''s partition reveals their range), and new columns of governed tables that are neither classified nor marked not personal';

-- privacy.effective_access: for every non-system role and every classified
-- column or new column of a governed table (category NULL), what a query by
-- that role returns: 'no access' (no SELECT privilege on the column, by
-- membership included), 'tokenized' (privacy.card_token or a declared token
-- format: everyone reads tokens; can_detokenize says whether the role may
-- turn them back), 'raw' (superuser, unmasked column, or an exemption held
-- through has_privs_of_role) or 'masked'. rows_filtered: a row policy
-- applies to the role (consent requirements apply while a purpose is
-- declared; attribute filters to their roles, or all); exempt roles
-- (superusers, table-wide masking exemptions) are never filtered.
-- protected_by: what masks the column (mask, category, lineage, default
-- deny, default deny (off)). codebook_exposure: the role sees the column masked (or
-- tokenized) by a deterministic function of the value (pseudonym, fake_*,
-- partial and the partial masks, tokens) and may INSERT or UPDATE it, so
-- it can write chosen values and match their masked forms against other
-- rows (doc/security-model.md). A category protection does not mask a role
-- with an exemption from the category; a lineage mask does not mask a role
-- with an exemption covering every source column.
CREATE VIEW privacy.effective_access AS
SELECT r.rolname AS role_name,
	c.relid AS table_name,
	c.column_name,
	c.category,
	acc.access,
	CASE WHEN tok.tokenized THEN r.rolsuper OR EXISTS (
		SELECT 1 FROM privacy._detokenize_grant g
		WHERE g.format OPERATOR(pg_catalog.=) tok.format AND pg_catalog.pg_has_role(r.oid, g.role, 'USAGE')) END AS can_detokenize,
	pg_catalog.has_column_privilege(r.oid, c.relid, c.column_name, 'SELECT') AND NOT r.rolsuper AND NOT ex.table_exempt
	  AND pg_catalog.cardinality(rp.names) OPERATOR(pg_catalog.>) 0 AS rows_filtered,
	CASE WHEN r.rolsuper OR ex.table_exempt THEN '{}'::text[] ELSE rp.names END AS row_policies,
	(SELECT rt.keep FROM privacy._retention_policy rt
	 WHERE rt.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid)) LIMIT 1) AS retention,
	src.source COLLATE pg_catalog."default" AS protected_by,
	coalesce((acc.access OPERATOR(pg_catalog.=) 'tokenized'
	          OR (acc.access OPERATOR(pg_catalog.=) 'masked'
	              AND privacy._effective_mask(c.relid, c.column_name)
	                  OPERATOR(pg_catalog.~) 'privacy\.(pseudonym|fake_[a-z_]+|partial|mask_email|mask_phone|mask_card|mask_iban|mask_ip)\('))
	         AND (pg_catalog.has_column_privilege(r.oid, c.relid, c.column_name, 'INSERT')
	              OR pg_catalog.has_column_privilege(r.oid, c.relid, c.column_name, 'UPDATE')), false) AS codebook_exposure
FROM (SELECT x.relid, x.column_name, x.category, x.token_format FROM privacy._classification x
      UNION ALL
      SELECT n.relid, n.column_name, NULL, NULL FROM privacy._new_column n
      WHERE NOT EXISTS (SELECT 1 FROM privacy._classification x
                        WHERE x.relid OPERATOR(pg_catalog.=) n.relid AND x.column_name OPERATOR(pg_catalog.=) n.column_name)
        AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) n.relid AND a.attname OPERATOR(pg_catalog.=) n.column_name
                      AND NOT a.attisdropped)) c
CROSS JOIN pg_catalog.pg_roles r
CROSS JOIN LATERAL (
	SELECT coalesce(c.token_format, 'card') AS format,
		c.token_format IS NOT NULL OR EXISTS (
			SELECT 1 FROM pg_catalog.pg_attribute a
			WHERE a.attrelid OPERATOR(pg_catalog.=) c.relid AND a.attname OPERATOR(pg_catalog.=) c.column_name
			  AND a.atttypid OPERATOR(pg_catalog.=) 'privacy.card_token'::pg_catalog.regtype) AS tokenized) tok
CROSS JOIN LATERAL (SELECT privacy._access_source(c.relid, c.column_name) AS source) src
CROSS JOIN LATERAL (
	SELECT EXISTS (SELECT 1 FROM privacy._unmasked u
	               WHERE pg_catalog.pg_has_role(r.oid, u.role, 'USAGE')
	                 AND (u.relid IS NULL OR u.relid OPERATOR(pg_catalog.=) c.relid)
	                 AND (u.column_name IS NULL OR u.column_name OPERATOR(pg_catalog.=) c.column_name)) AS column_exempt,
	       EXISTS (SELECT 1 FROM privacy._unmasked u
	               WHERE pg_catalog.pg_has_role(r.oid, u.role, 'USAGE')
	                 AND (u.relid IS NULL OR u.relid OPERATOR(pg_catalog.=) c.relid)
	                 AND u.column_name IS NULL) AS table_exempt,
	       EXISTS (SELECT 1 FROM privacy._category_unmasked u
	               WHERE pg_catalog.pg_has_role(r.oid, u.role, 'USAGE')
	                 AND u.category OPERATOR(pg_catalog.=) c.category) AS category_exempt,
	       NOT EXISTS (SELECT 1 FROM privacy._derived_column d
	                   WHERE d.relid OPERATOR(pg_catalog.=) c.relid AND d.column_name OPERATOR(pg_catalog.=) c.column_name
	                     AND NOT EXISTS (SELECT 1 FROM privacy._unmasked u
	                                     WHERE pg_catalog.pg_has_role(r.oid, u.role, 'USAGE')
	                                       AND (u.relid IS NULL OR u.relid OPERATOR(pg_catalog.=) d.source_relid)
	                                       AND (u.column_name IS NULL OR u.column_name OPERATOR(pg_catalog.=) d.source_column))) AS sources_exempt) ex
CROSS JOIN LATERAL (
	SELECT ARRAY(SELECT rp.name FROM privacy._row_policy rp
	             WHERE rp.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid))
	               AND (rp.roles IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.unnest(rp.roles) AS x
	                                               WHERE pg_catalog.pg_has_role(r.oid, x, 'USAGE')))
	             ORDER BY rp.name) AS names) rp
CROSS JOIN LATERAL (
	SELECT CASE WHEN NOT pg_catalog.has_column_privilege(r.oid, c.relid, c.column_name, 'SELECT') THEN 'no access'
	            WHEN tok.tokenized THEN 'tokenized'
	            WHEN r.rolsuper THEN 'raw'
	            WHEN src.source IS NULL OR src.source OPERATOR(pg_catalog.=) 'default deny (off)' OR ex.column_exempt THEN 'raw'
	            WHEN src.source OPERATOR(pg_catalog.=) 'category' AND ex.category_exempt THEN 'raw'
	            WHEN src.source OPERATOR(pg_catalog.=) 'lineage' AND ex.sources_exempt THEN 'raw'
	            ELSE 'masked' END AS access) acc
WHERE r.rolname !~~ 'pg\_%';
COMMENT ON VIEW privacy.effective_access IS
'for every non-system role and classified or newly added column: raw, masked, tokenized or no access, what protects it, codebook exposure, whether rows are filtered, and retention';
-- privacy.policies: the policy catalog in one place, for audit export:
-- masks, exemptions, row policies, token formats, detokenize grants,
-- retention, holds, classifications, subject registrations, category
-- protections and exemptions, not-personal marks and default-deny opt-outs.
CREATE VIEW privacy.policies AS
SELECT 'mask'::text AS kind, p.relid AS table_name, p.column_name, NULL::text AS name,
	CASE WHEN p.mask_function IS NULL THEN p.mask ELSE privacy._stored_expression(p.mask_function) END AS definition,
	NULL::text[] AS roles, true AS active, p.declared_by, p.declared_at
FROM privacy._column_policy p
UNION ALL
SELECT 'masking exemption', u.relid, u.column_name, NULL, 'sees raw values', ARRAY[u.role::text], true,
	u.granted_by, u.granted_at
FROM privacy._unmasked u
UNION ALL
SELECT CASE r.kind WHEN 'consent' THEN 'consent requirement' ELSE 'row filter' END, r.relid, r.subject_column, r.name,
	CASE r.kind WHEN 'consent' THEN pg_catalog.format('consent for purpose %s on column %I', r.purpose, r.subject_column)
	            ELSE CASE WHEN r.condition_function IS NULL THEN r.condition
	                      ELSE privacy._stored_expression(r.condition_function) END END,
	(SELECT pg_catalog.array_agg(x::text ORDER BY x::text) FROM pg_catalog.unnest(r.roles) AS x), true,
	r.created_by, r.created_at
FROM privacy._row_policy r
UNION ALL
SELECT 'token format', NULL, NULL, f.name,
	pg_catalog.format('%s tokens over %s (key %s)', f.kind, f.alphabet, f.key_name), NULL, true, NULL, f.created_at
FROM privacy._token_format f
UNION ALL
SELECT 'detokenize grant', NULL, NULL, g.format, 'may detokenize', ARRAY[g.role::text], true, g.granted_by, g.granted_at
FROM privacy._detokenize_grant g
UNION ALL
SELECT 'retention', r.relid, r.time_column, NULL,
	pg_catalog.format('%s rows %s after %s', r.action, r.time_column, r.keep), NULL, true, r.declared_by, r.declared_at
FROM privacy._retention_policy r
UNION ALL
SELECT 'legal hold', h.relid, NULL, h.id::text,
	CASE WHEN h.condition_function IS NULL THEN h.condition ELSE privacy._stored_expression(h.condition_function) END
	OPERATOR(pg_catalog.||) ' (' OPERATOR(pg_catalog.||) h.reason OPERATOR(pg_catalog.||) ')',
	NULL, h.released_at IS NULL, h.placed_by, h.placed_at
FROM privacy._legal_hold h
UNION ALL
SELECT 'classification', c.relid, c.column_name, c.category,
	CASE WHEN c.token_format IS NULL THEN c.category
	     ELSE c.category OPERATOR(pg_catalog.||) ', tokens of format ' OPERATOR(pg_catalog.||) c.token_format END,
	NULL, true, c.classified_by, c.classified_at
FROM privacy._classification c
UNION ALL
SELECT 'subject registration', s.relid, s.subject_column, NULL,
	CASE WHEN s.via IS NULL THEN 'identifies the subject'
	     ELSE pg_catalog.format('references %s(%I)', s.via, s.via_column) END,
	NULL, true, s.declared_by, s.declared_at
FROM privacy._subject_table s
UNION ALL
SELECT 'category protection', NULL, NULL, b.category, b.mask, NULL, true, b.declared_by, b.declared_at
FROM privacy._category_binding b
UNION ALL
SELECT 'category exemption', NULL, NULL, u.category, 'sees raw values of the category', ARRAY[u.role::text], true,
	u.granted_by, u.granted_at
FROM privacy._category_unmasked u
UNION ALL
SELECT 'not personal', n.relid, n.column_name, NULL, 'declared not personal (never denied by default)', NULL, true,
	n.marked_by, n.marked_at
FROM privacy._not_personal n
UNION ALL
SELECT 'default deny off', o.relid, NULL, NULL, 'new columns are not denied by default', NULL, true, o.set_by, o.set_at
FROM privacy._default_deny_off o;
COMMENT ON VIEW privacy.policies IS
'every policy of every kind (masks, exemptions, row policies, token formats, detokenize grants, retention, holds, classifications, subject registrations, category protections and exemptions, not-personal marks, default-deny opt-outs) for audit export';
REVOKE ALL ON privacy.inventory, privacy.coverage_gaps, privacy.policies, privacy.effective_access
FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._protections(regclass, name) FROM PUBLIC;

-- the administrative API is executable by PUBLIC and checks its caller
-- itself (60_separation_of_duties.sql): administrators; table owners for
-- the table-scoped calls when privacy.owners_may_declare is on
GRANT EXECUTE ON FUNCTION privacy.bind_category(text, text), privacy.unbind_category(text),
	privacy.grant_unmasked_category(regrole, text), privacy.revoke_unmasked_category(regrole, text),
	privacy.mark_not_personal(regclass, name), privacy.unmark_not_personal(regclass, name),
	privacy.set_default_deny(regclass, boolean) TO PUBLIC;
