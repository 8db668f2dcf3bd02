-- 30_column_policies.sql: dynamic column masking (issue: column policies).
--
-- Catalog tables store regclass, column names and regrole so that they
-- survive pg_dump/pg_restore; they are extension configuration tables, so
-- their rows are dumped. Nobody but the extension owner can read or write
-- them directly; the planner reads them with heap scans.

-- Stored expressions (issue 17 part 4): every mask, row filter and hold
-- condition is the body of a generated SQL-standard function in schema
-- privacy_expr, "<label>"(<column> <type>, ...) RETURN <expression over
-- them>, taking the columns it reads (never the table's row type, which
-- would block ALTER TABLE rewrites). PostgreSQL keeps that body analyzed
-- (pg_proc.prosqlbody, a pg_node_tree) with its dependencies in pg_depend,
-- pg_privacy adds one on each column it takes: dropping a function,
-- operator, type or column it uses is refused (2BP01) or cascades to the
-- wrapper, renames follow. The wrappers also depend AUTO on their table and
-- on the extension (src/pg/catalog/stored_expressions.hpp, doc/masking.md).
CREATE SCHEMA privacy_expr;
COMMENT ON SCHEMA privacy_expr IS
'pg_privacy: the stored (analyzed) form of masks, row filters and hold conditions, one function each';
REVOKE ALL ON SCHEMA privacy_expr FROM PUBLIC;

CREATE TABLE privacy._column_policy (
	relid         regclass NOT NULL,
	column_name   name NOT NULL,
	mask          text NOT NULL,
	declared_mask text NOT NULL,
	declared_by   name NOT NULL,
	declared_at   timestamptz NOT NULL,
	mask_function regprocedure,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._column_policy IS
'masking policies: mask_function holds the analyzed mask (privacy_expr), mask its canonical text when declared, declared_mask what was given';

CREATE TABLE privacy._unmasked (
	role        regrole NOT NULL,
	relid       regclass,
	column_name name,
	granted_by  name NOT NULL,
	granted_at  timestamptz NOT NULL,
	CHECK (column_name IS NULL OR relid IS NOT NULL),
	UNIQUE NULLS NOT DISTINCT (role, relid, column_name)
);
COMMENT ON TABLE privacy._unmasked IS
'exemptions from masking: all tables (relid NULL), one table (column_name NULL) or one column';

CREATE TABLE privacy._governed_table (
	relid                  regclass PRIMARY KEY,
	rls_enabled_by_privacy boolean NOT NULL,
	force_rls_by_privacy   boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE privacy._governed_table IS
'tables under masking or row policies; *_by_privacy: pg_privacy turned row security on (or forced it) and undoes it with the last policy';

SELECT pg_catalog.pg_extension_config_dump('privacy._column_policy', '');

-- pg_restore recreates the wrappers as plain functions: the row trigger
-- records their dependencies on their tables and the extension again.
CREATE FUNCTION privacy._link_stored_expressions()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__link_stored_expressions'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._link_stored_expressions() IS
'row trigger of the policy tables (arguments: the columns holding the stored expression, its table and a mask''s column): records the dependencies of their stored expressions on their tables, columns and the extension (lost by pg_restore)';
CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._column_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('mask_function', 'relid', 'column_name');

CREATE FUNCTION privacy._create_stored_expression(tbl regclass, col name, canonical text, what text, label text)
RETURNS regprocedure
AS 'MODULE_PATHNAME', 'pg_privacy__create_stored_expression'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._create_stored_expression(regclass, name, text, text, text) IS
'creates the stored (analyzed, dependency-tracked) form of a validated canonical policy expression';

CREATE FUNCTION privacy._stored_expression(fn regprocedure, required boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__stored_expression'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._stored_expression(regprocedure, boolean) IS
'a stored policy expression as canonical text, as it reads now; NULL (required: an error) when it was dropped with an object it used';

-- privacy._current_expression(fn, canonical): the text a policy expression
-- reads as now: its stored form (renames followed; an error, failing
-- closed, when it was dropped with something it used), or the canonical
-- text of a row that has no stored form (a 0.1.0 row, a Citus worker's copy).
CREATE FUNCTION privacy._current_expression(fn regprocedure, canonical text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN fn IS NULL THEN canonical ELSE privacy._stored_expression(fn, true) END
$$;
COMMENT ON FUNCTION privacy._current_expression(regprocedure, text) IS
'the current text of a policy expression: its stored form (an error if that was dropped), or its canonical text without one';

-- privacy._drop_stored_expression(fn): drops a wrapper that still exists.
CREATE FUNCTION privacy._drop_stored_expression(fn regprocedure)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF fn IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
	                              WHERE p.oid OPERATOR(pg_catalog.=) fn
	                                AND p.pronamespace OPERATOR(pg_catalog.=) 'privacy_expr'::pg_catalog.regnamespace) THEN
		EXECUTE format('DROP FUNCTION %s', fn);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._drop_stored_expression(regprocedure) IS
'drops the stored form of a policy expression (if it was not dropped already)';
SELECT pg_catalog.pg_extension_config_dump('privacy._unmasked', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._governed_table', '');
REVOKE ALL ON privacy._column_policy, privacy._unmasked, privacy._governed_table FROM PUBLIC;

-- Internal C helpers.
CREATE FUNCTION privacy._check_policy_admin(action text, tbl regclass DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__check_policy_admin'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._check_policy_admin(text, regclass) IS
'raises 42501 unless the current user may perform the action (on tbl, for table-scoped actions)';

CREATE FUNCTION privacy._outer_user()
RETURNS name
AS 'MODULE_PATHNAME', 'pg_privacy__outer_user'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._outer_user() IS
'the role the session runs as (SET ROLE), also inside SECURITY DEFINER functions';

CREATE FUNCTION privacy._check_exemption_grantee(role regrole, action text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__check_exemption_grantee'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._check_exemption_grantee(regrole, text) IS
'raises 42501 when a non-superuser session would exempt itself: its role (or session user) is a member of the grantee or can make itself one';
REVOKE ALL ON FUNCTION privacy._check_exemption_grantee(regrole, text) FROM PUBLIC;

CREATE FUNCTION privacy._invalidate_policies(tbl regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__invalidate_policies'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._invalidate_policies(regclass) IS
'invalidates cached plans and policies of a table and its partitions/children (NULL: all relations)';

-- privacy._family(tbl): the table and all its partitions/inheritance children.
CREATE FUNCTION privacy._family(tbl regclass)
RETURNS SETOF regclass
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE d(relid) AS (
		SELECT tbl::oid
		UNION
		SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN d ON i.inhparent OPERATOR(pg_catalog.=) d.relid
	)
	SELECT relid::pg_catalog.regclass FROM d
$$;
COMMENT ON FUNCTION privacy._family(regclass) IS 'a table and all its partitions and inheritance children';

-- privacy._writeback_guard: the BEFORE UPDATE row trigger on every governed
-- table, partition and child (src/pg/fmgr/writeback_guard.cpp): a role that
-- sees a column masked cannot store the masked value over the real one,
-- whatever statement, function, trigger or rule produced it. Its name sorts
-- after ordinary trigger names, so it fires last and sees the final NEW.
CREATE FUNCTION privacy._writeback_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__writeback_guard'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._writeback_guard() IS
'refuses (42501) an update that would store the masked value of a column, as the updating role sees it, over the real value';

-- privacy._guard_writes(tbl): installs the write-back guard on one table
-- (ordinary tables only: partitioned tables store nothing, their leaf
-- partitions get their own guard, and row triggers fire on the leaves).
CREATE FUNCTION privacy._guard_writes(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
	           WHERE c.oid OPERATOR(pg_catalog.=) tbl AND c.relkind OPERATOR(pg_catalog.=) 'r')
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
	                   WHERE t.tgrelid OPERATOR(pg_catalog.=) tbl
	                     AND t.tgname OPERATOR(pg_catalog.=) '~pg_privacy_writeback_guard') THEN
		EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION privacy._writeback_guard()',
		               '~pg_privacy_writeback_guard', tbl);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._guard_writes(regclass) IS
'installs the write-back guard trigger on a governed table (if it is missing)';
-- privacy._check_family_root(tbl, what): policies are declared on the root
-- of a table family (issue 15). The planner masks and filters a scan of a
-- parent with the parent's policies (and its ancestors'), so a policy
-- declared on a partition or inheritance child would be bypassed by every
-- query through the parent: it is refused instead, with a hint naming the
-- root, where it covers every member.
CREATE FUNCTION privacy._check_family_root(tbl regclass, what text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__check_family_root'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._check_family_root(regclass, text) IS
'raises 42809 when a policy is declared on a partition or inheritance child instead of the family root';

-- privacy._govern_family: turns on row security for every member of a
-- governed table's family that does not have it yet (recording whether
-- pg_privacy turned it on), and installs the write-back guard on each. Row security hides the masked columns'
-- statistics and the raw values PostgreSQL prints in constraint-violation
-- details from RLS-subject roles. Also called by the utility hook when a
-- partition or child is created under, or attached to, a governed table.
-- Like the other catalog-sync helpers (_release_row_security,
-- _force_family, _unforce_family) it is SECURITY DEFINER: it runs inside the
-- SECURITY DEFINER writers, only moves row security towards what the catalog
-- says, and PUBLIC may not call it.
CREATE FUNCTION privacy._govern_family(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	member regclass;
	had_rls boolean;
BEGIN
	FOR member IN SELECT f FROM privacy._family(tbl) AS f LOOP
		PERFORM privacy._guard_writes(member);
		CONTINUE WHEN EXISTS (SELECT 1 FROM privacy._governed_table g WHERE g.relid OPERATOR(pg_catalog.=) member);
		SELECT c.relrowsecurity INTO had_rls FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) member;
		IF NOT had_rls THEN
			EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', member);
		END IF;
		INSERT INTO privacy._governed_table (relid, rls_enabled_by_privacy) VALUES (member, NOT had_rls);
	END LOOP;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy._govern_family(regclass) IS
'turns on row security for the members of a governed table family that lack it';

-- privacy._store_column_policy: catalog side of mask_column(); called by the
-- C function (directly through fmgr) after it has validated and
-- canonicalized the mask. Not executable by PUBLIC: it stores what it is
-- given.
CREATE FUNCTION privacy._store_column_policy(tbl regclass, col name, canonical text, declared text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	matview regclass;
	fn regprocedure;
BEGIN
	PERFORM privacy._check_policy_admin('declare masking policies', tbl);
	PERFORM privacy._check_family_root(tbl, 'mask columns of');
	-- whoever calls it, the text must be a valid canonical mask
	IF privacy._analyze_mask(tbl, col, canonical, false) IS DISTINCT FROM canonical THEN
		RAISE EXCEPTION 'mask is not in canonical form' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Declare masks with privacy.mask_column().';
	END IF;
	-- the stored form replaces the previous one
	PERFORM privacy._drop_stored_expression(p.mask_function) FROM privacy._column_policy p
	WHERE p.relid OPERATOR(pg_catalog.=) tbl AND p.column_name OPERATOR(pg_catalog.=) col;
	fn := privacy._create_stored_expression(tbl, col, canonical, 'mask expression', format('mask of %s.%s', tbl, col));
	INSERT INTO privacy._column_policy AS p (relid, column_name, mask, declared_mask, declared_by, declared_at, mask_function)
	VALUES (tbl, col, canonical, declared, privacy._outer_user(), now(), fn)
	ON CONFLICT (relid, column_name) DO UPDATE
		SET mask = excluded.mask, declared_mask = excluded.declared_mask,
		    declared_by = excluded.declared_by, declared_at = excluded.declared_at,
		    mask_function = excluded.mask_function;

	PERFORM privacy._govern_family(tbl);

	-- A materialized view keeps what its query returned when refreshed.
	FOR matview IN
		SELECT DISTINCT r.ev_class::regclass
		FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_rewrite r ON r.oid OPERATOR(pg_catalog.=) d.objid
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.ev_class
		WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
		  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
		  AND d.refobjid OPERATOR(pg_catalog.=) ANY (SELECT f::oid FROM privacy._family(tbl) AS f)
		  AND c.relkind OPERATOR(pg_catalog.=) 'm'
	LOOP
		RAISE WARNING 'materialized view % stores values of %.% computed before this mask', matview, tbl, col
			USING HINT = 'Refresh it as a masked role, mask its columns too, or restrict who can read it.';
	END LOOP;

	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy._store_column_policy(regclass, name, text, text) IS
'stores a validated masking policy and turns on row security for the table family';

CREATE FUNCTION privacy.mask_column(tbl regclass, col name, mask text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_mask_column'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.mask_column(regclass, name, text) IS
'declares a masking policy: every role that is not exempt sees mask instead of the column, in every clause';

-- privacy._release_row_security: turns row security off again on members of
-- the family that no policy governs any more, where pg_privacy turned it on.
CREATE FUNCTION privacy._release_row_security(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	member regclass;
	by_privacy boolean;
BEGIN
	FOR member IN SELECT f FROM privacy._family(tbl) AS f LOOP
		CONTINUE WHEN privacy._is_governed(member);
		DELETE FROM privacy._governed_table g WHERE g.relid OPERATOR(pg_catalog.=) member
			RETURNING g.rls_enabled_by_privacy INTO by_privacy;
		IF by_privacy THEN
			EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', member);
		END IF;
		IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
		           WHERE t.tgrelid OPERATOR(pg_catalog.=) member
		             AND t.tgname OPERATOR(pg_catalog.=) '~pg_privacy_writeback_guard') THEN
			EXECUTE format('DROP TRIGGER %I ON %s', '~pg_privacy_writeback_guard', member);
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._release_row_security(regclass) IS
'turns row security off where pg_privacy turned it on and no masking policy remains';

CREATE FUNCTION privacy.unmask_column(tbl regclass, col name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ DECLARE fn regprocedure;
BEGIN
	PERFORM privacy._check_policy_admin('remove masking policies', tbl);
	IF tbl IS NULL OR col IS NULL THEN
		RAISE EXCEPTION 'table and column must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._column_policy p
	WHERE p.relid OPERATOR(pg_catalog.=) tbl AND p.column_name OPERATOR(pg_catalog.=) col RETURNING p.mask_function INTO fn;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of table % has no masking policy', col, tbl USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._drop_stored_expression(fn);
	PERFORM privacy._release_row_security(tbl);
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.unmask_column(regclass, name) IS 'removes the masking policy of a column';

CREATE FUNCTION privacy.grant_unmasked(role regrole, tbl regclass DEFAULT NULL, col name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant exemptions from masking'), privacy._check_exemption_grantee(role, 'grant exemptions from masking');
	IF role IS NULL THEN
		RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF col IS NOT NULL AND tbl IS NULL THEN
		RAISE EXCEPTION 'a column exemption needs its table' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF col IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_attribute a
		WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
		  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	INSERT INTO privacy._unmasked (role, relid, column_name, granted_by, granted_at)
	VALUES (grant_unmasked.role, grant_unmasked.tbl, grant_unmasked.col, privacy._outer_user(), now())
	ON CONFLICT DO NOTHING;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.grant_unmasked(regrole, regclass, name) IS
'exempts a role (and its members) from masking: everywhere, on one table, or on one column';

CREATE FUNCTION privacy.revoke_unmasked(role regrole, tbl regclass DEFAULT NULL, col name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('revoke exemptions from masking');
	IF role IS NULL THEN
		RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._unmasked u
	WHERE u.role OPERATOR(pg_catalog.=) revoke_unmasked.role
	  AND u.relid IS NOT DISTINCT FROM revoke_unmasked.tbl AND u.column_name IS NOT DISTINCT FROM revoke_unmasked.col;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role % has no such exemption from masking', role USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.revoke_unmasked(regrole, regclass, name) IS
'removes an exemption granted with privacy.grant_unmasked() (same arguments)';

-- privacy._analyze_mask(tbl, col, mask, table_work): the one validator of
-- declared expressions (mask_column uses it too), applied again to a stored
-- mask by its catalog writer and (table_work) before pg_privacy's own table
-- work splices it into a statement run as the table's owner: on a
-- superuser's table only superusers' functions are trusted there.
CREATE FUNCTION privacy._analyze_mask(tbl regclass, col name, mask text, table_work boolean)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__analyze_mask'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._analyze_mask(regclass, name, text, boolean) IS
'validates a mask of a column (the rules of privacy.mask_column, trust check included) and returns its canonical text';

CREATE FUNCTION privacy.anonymize_table(tbl regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy_anonymize_table'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.anonymize_table(regclass) IS
'static masking: rewrites every masked column of the table with its mask in one UPDATE, run as the table''s owner; returns the row count';

CREATE FUNCTION privacy.anonymize_database(OUT table_name regclass, OUT rows_anonymized bigint)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('anonymize tables');
	-- top-most governed tables only: an UPDATE of a parent covers its children
	FOR table_name IN
		SELECT DISTINCT p.relid FROM privacy._column_policy p
		WHERE NOT EXISTS (
			SELECT 1 FROM privacy._column_policy q
			WHERE q.relid OPERATOR(pg_catalog.<>) p.relid
			  AND p.relid OPERATOR(pg_catalog.=) ANY (SELECT f FROM privacy._family(q.relid) AS f))
		ORDER BY 1
	LOOP
		rows_anonymized := privacy.anonymize_table(table_name);
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.anonymize_database() IS
'static masking of every governed table in one transaction; returns the row count per table';

CREATE VIEW privacy.column_policies AS
SELECT p.relid AS table_name,
	p.column_name,
	CASE WHEN p.mask_function IS NULL THEN p.mask ELSE privacy._stored_expression(p.mask_function) END AS mask,
	p.declared_mask,
	p.declared_by,
	p.declared_at,
	ARRAY(SELECT u.role::text FROM privacy._unmasked u
	      WHERE (u.relid IS NULL OR u.relid OPERATOR(pg_catalog.=) p.relid)
	        AND (u.column_name IS NULL OR u.column_name OPERATOR(pg_catalog.=) p.column_name)
	      ORDER BY 1) AS exempt_roles
FROM privacy._column_policy p;
COMMENT ON VIEW privacy.column_policies IS
'every masking policy with its mask and the roles exempt from it (superusers are always exempt)';

CREATE VIEW privacy.masked_owners AS
SELECT p.relid AS table_name,
	p.column_name,
	r.rolname AS role_name,
	CASE WHEN r.oid OPERATOR(pg_catalog.=) c.relowner THEN 'owns the table' ELSE 'member of the owning role' END AS reason
FROM privacy._column_policy p
JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.relid
JOIN pg_catalog.pg_roles r ON pg_catalog.pg_has_role(r.oid, c.relowner, 'MEMBER')
WHERE NOT r.rolsuper
  AND NOT EXISTS (
	SELECT 1 FROM privacy._unmasked u
	WHERE pg_catalog.pg_has_role(r.oid, u.role, 'USAGE')
	  AND (u.relid IS NULL OR u.relid OPERATOR(pg_catalog.=) p.relid)
	  AND (u.column_name IS NULL OR u.column_name OPERATOR(pg_catalog.=) p.column_name));
COMMENT ON VIEW privacy.masked_owners IS
'masked roles that own (or are members of the owner of) a masked table: they can change the table, so masking does not bind them';

REVOKE ALL ON privacy.column_policies, privacy.masked_owners FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._check_policy_admin(text, regclass), privacy._invalidate_policies(regclass),
	privacy._family(regclass), privacy._check_family_root(regclass, text),
	privacy._store_column_policy(regclass, name, text, text), privacy._release_row_security(regclass),
	privacy._govern_family(regclass), privacy._writeback_guard(), privacy._guard_writes(regclass),
	privacy.mask_column(regclass, name, text), privacy.unmask_column(regclass, name),
	privacy.grant_unmasked(regrole, regclass, name), privacy.revoke_unmasked(regrole, regclass, name),
	privacy.anonymize_table(regclass), privacy.anonymize_database(), privacy._analyze_mask(regclass, name, text, boolean),
	privacy._link_stored_expressions(), privacy._create_stored_expression(regclass, name, text, text, text),
	privacy._drop_stored_expression(regprocedure) FROM PUBLIC;
