-- 50_row_policies.sql: consent, purpose and attribute filters applied through
-- PostgreSQL's row security (issue: row policies).
--
-- The catalog below is the one truth the compliance views read. The filters
-- are attached by pg_privacy's restrictive row-security hook, which builds
-- them from this catalog (src/pg/catalog/row_policies.cpp); tables with row
-- policies get row security forced on, so their owners are filtered too
-- unless exempt.

CREATE TABLE privacy._purpose (
	name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
	description text NOT NULL,
	created_by  name NOT NULL,
	created_at  timestamptz NOT NULL
);
COMMENT ON TABLE privacy._purpose IS 'processing purposes a session can declare with SET privacy.purpose';

CREATE TABLE privacy._purpose_role (
	role    regrole NOT NULL,
	purpose text NOT NULL REFERENCES privacy._purpose ON DELETE CASCADE,
	PRIMARY KEY (role, purpose)
);
COMMENT ON TABLE privacy._purpose_role IS 'roles (and their members) allowed to declare a purpose';

-- a configuration sequence, not an identity: pg_dump keeps its position
-- (see privacy._legal_hold)
CREATE SEQUENCE privacy._consent_id_seq;
CREATE TABLE privacy._consent (
	id         bigint NOT NULL DEFAULT pg_catalog.nextval('privacy._consent_id_seq') PRIMARY KEY,
	subject    text NOT NULL,
	purpose    text NOT NULL REFERENCES privacy._purpose,
	granted_at timestamptz NOT NULL,
	expires_at timestamptz,
	revoked_at timestamptz,
	granted_by name NOT NULL,
	revoked_by name,
	CHECK (expires_at IS NULL OR expires_at > granted_at)
);
-- the one index on standing consents: a gated point lookup descends it by
-- (purpose, subject), a scan's per-query set reads one purpose's range, and
-- grants and revocations find what they supersede. Collation "C": keys are
-- compared bytewise (equality is the same under every deterministic
-- collation), so neither a descent nor an import's inserts pay for
-- locale-aware comparisons. Queries reach it with COLLATE "C".
CREATE INDEX _consent_standing ON privacy._consent (purpose COLLATE "C", subject COLLATE "C") WHERE revoked_at IS NULL;
COMMENT ON TABLE privacy._consent IS
'consent history: one row per grant; revocation stamps revoked_at; rows are never deleted';

CREATE TABLE privacy._row_policy (
	relid              regclass NOT NULL,
	name               text NOT NULL,
	kind               text NOT NULL CHECK (kind IN ('consent', 'filter', 'retention')),
	subject_column     name,
	purpose            text REFERENCES privacy._purpose,
	condition          text,
	declared_condition text,
	roles              regrole[],
	created_by         name NOT NULL,
	created_at         timestamptz NOT NULL,
	condition_function regprocedure,
	PRIMARY KEY (relid, name),
	CHECK ((kind = 'consent') = (subject_column IS NOT NULL AND purpose IS NOT NULL)),
	CHECK ((kind = 'filter') = (condition IS NOT NULL))
);
COMMENT ON TABLE privacy._row_policy IS
'row policies: consent requirements (subject column + purpose), attribute filters (condition_function: the analyzed condition in privacy_expr; condition: its canonical text when declared) and hiding of rows past their retention window';

SELECT pg_catalog.pg_extension_config_dump('privacy._purpose', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._purpose_role', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._consent', '');
ALTER SEQUENCE privacy._consent_id_seq OWNED BY privacy._consent.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._consent_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._row_policy', '');
CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._row_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('condition_function', 'relid');
REVOKE ALL ON privacy._purpose, privacy._purpose_role, privacy._consent, privacy._row_policy FROM PUBLIC;

-- privacy._lineage(tbl): the table and all its partition/inheritance
-- ancestors.
CREATE FUNCTION privacy._lineage(tbl regclass)
RETURNS SETOF oid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE a(relid) AS (
		SELECT tbl::oid
		UNION
		SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN a ON i.inhrelid OPERATOR(pg_catalog.=) a.relid
	)
	SELECT relid FROM a
$$;
COMMENT ON FUNCTION privacy._lineage(regclass) IS 'a table and all its partition and inheritance ancestors';
REVOKE ALL ON FUNCTION privacy._lineage(regclass) FROM PUBLIC;

-- privacy._force_family: row policies bind owners too (FORCE ROW LEVEL
-- SECURITY), unless the owner had forced it already.
CREATE FUNCTION privacy._force_family(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	member regclass;
	was_forced boolean;
BEGIN
	PERFORM privacy._govern_family(tbl);
	FOR member IN SELECT f FROM privacy._family(tbl) AS f LOOP
		SELECT c.relforcerowsecurity INTO was_forced FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) member;
		IF NOT was_forced THEN
			EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', member);
			UPDATE privacy._governed_table SET force_rls_by_privacy = true WHERE relid OPERATOR(pg_catalog.=) member;
		END IF;
	END LOOP;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy._force_family(regclass) IS
'forces row security on a table family that has row policies, so owners are filtered too';

-- privacy._unforce_family: undoes _force_family where no row policy remains.
CREATE FUNCTION privacy._unforce_family(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	member regclass;
BEGIN
	FOR member IN SELECT f FROM privacy._family(tbl) AS f LOOP
		CONTINUE WHEN EXISTS (SELECT 1 FROM privacy._row_policy r
		                      WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(member)));
		IF EXISTS (SELECT 1 FROM privacy._governed_table g
		           WHERE g.relid OPERATOR(pg_catalog.=) member AND g.force_rls_by_privacy) THEN
			EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', member);
			UPDATE privacy._governed_table SET force_rls_by_privacy = false WHERE relid OPERATOR(pg_catalog.=) member;
		END IF;
	END LOOP;
	PERFORM privacy._release_row_security(tbl);
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy._unforce_family(regclass) IS
'stops forcing row security where pg_privacy forced it and no row policy remains';

-- Purposes ---------------------------------------------------------------

CREATE FUNCTION privacy.create_purpose(name text, description text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('create purposes');
	IF create_purpose.name IS NULL OR create_purpose.description IS NULL THEN
		RAISE EXCEPTION 'purpose name and description must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF create_purpose.name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
		RAISE EXCEPTION 'invalid purpose name'
			USING ERRCODE = 'invalid_parameter_value',
			      DETAIL = 'A purpose name is a lower-case letter followed by up to 62 lower-case letters, digits or underscores.';
	END IF;
	IF EXISTS (SELECT 1 FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) create_purpose.name) THEN
		RAISE EXCEPTION 'purpose "%" already exists', create_purpose.name USING ERRCODE = 'duplicate_object';
	END IF;
	INSERT INTO privacy._purpose VALUES (create_purpose.name, create_purpose.description, privacy._outer_user(), now());
	PERFORM privacy._invalidate_policies('privacy._purpose_role'::regclass);
END
$$;
COMMENT ON FUNCTION privacy.create_purpose(text, text) IS 'declares a processing purpose';

CREATE FUNCTION privacy.allow_purpose(role regrole, purpose text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('allow purposes'), privacy._check_exemption_grantee(allow_purpose.role, 'allow purposes');
	IF allow_purpose.role IS NULL OR allow_purpose.purpose IS NULL THEN
		RAISE EXCEPTION 'role and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) allow_purpose.purpose) THEN
		RAISE EXCEPTION 'purpose "%" does not exist', allow_purpose.purpose USING ERRCODE = 'undefined_object', HINT = 'Create it first with privacy.create_purpose(name, description).';
	END IF;
	INSERT INTO privacy._purpose_role VALUES (allow_purpose.role, allow_purpose.purpose) ON CONFLICT DO NOTHING;
	PERFORM privacy._invalidate_policies('privacy._purpose_role'::regclass);
END
$$;
COMMENT ON FUNCTION privacy.allow_purpose(regrole, text) IS
'lets a role (and its members) declare a purpose with SET privacy.purpose';

CREATE FUNCTION privacy.disallow_purpose(role regrole, purpose text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('disallow purposes');
	DELETE FROM privacy._purpose_role r
	WHERE r.role OPERATOR(pg_catalog.=) disallow_purpose.role AND r.purpose OPERATOR(pg_catalog.=) disallow_purpose.purpose;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role % is not allowed purpose "%"', disallow_purpose.role, disallow_purpose.purpose
			USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._invalidate_policies('privacy._purpose_role'::regclass);
END
$$;
COMMENT ON FUNCTION privacy.disallow_purpose(regrole, text) IS 'withdraws privacy.allow_purpose()';

-- Consent -----------------------------------------------------------------

CREATE FUNCTION privacy.grant_consent(subject text, purpose text, expires_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	new_id bigint;
BEGIN
	PERFORM privacy._check_policy_admin('record consent');
	IF grant_consent.subject IS NULL OR grant_consent.purpose IS NULL THEN
		RAISE EXCEPTION 'subject and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) grant_consent.purpose) THEN
		RAISE EXCEPTION 'purpose "%" does not exist', grant_consent.purpose USING ERRCODE = 'undefined_object', HINT = 'Create it first with privacy.create_purpose(name, description).';
	END IF;
	IF grant_consent.expires_at IS NOT NULL AND grant_consent.expires_at OPERATOR(pg_catalog.<=) now() THEN
		RAISE EXCEPTION 'consent must expire in the future' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- a new grant supersedes a standing one (which stays in the history)
	UPDATE privacy._consent c SET revoked_at = now(), revoked_by = privacy._outer_user()
	WHERE c.purpose COLLATE "C" OPERATOR(pg_catalog.=) grant_consent.purpose
	  AND c.subject COLLATE "C" OPERATOR(pg_catalog.=) grant_consent.subject AND c.revoked_at IS NULL;
	INSERT INTO privacy._consent (subject, purpose, granted_at, expires_at, granted_by)
	VALUES (grant_consent.subject, grant_consent.purpose, now(), grant_consent.expires_at, privacy._outer_user())
	RETURNING id INTO new_id;
	RETURN new_id;
END
$$;
COMMENT ON FUNCTION privacy.grant_consent(text, text, timestamptz) IS
'records a subject''s consent for a purpose (optionally until expires_at); returns the consent id';

CREATE FUNCTION privacy.revoke_consent(subject text, purpose text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('record consent');
	IF revoke_consent.subject IS NULL OR revoke_consent.purpose IS NULL THEN
		RAISE EXCEPTION 'subject and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	UPDATE privacy._consent c SET revoked_at = now(), revoked_by = privacy._outer_user()
	WHERE c.purpose COLLATE "C" OPERATOR(pg_catalog.=) revoke_consent.purpose
	  AND c.subject COLLATE "C" OPERATOR(pg_catalog.=) revoke_consent.subject AND c.revoked_at IS NULL;
	RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacy.revoke_consent(text, text) IS
'revokes a subject''s standing consent for a purpose; true if there was one; effective from the next statement';

-- Bulk consent: one statement per call for any number of subjects, the
-- same history as one call per subject (a grant supersedes the standing
-- consent, revocation stamps it), and one audit row per call with the count
-- (never the subjects).
-- privacy._grant_consents(subjects, purpose, expires_at, who): the write
-- side of grant_consent(text[]), in C (src/pg/fmgr/consent_import.cpp):
-- sorts and deduplicates the subjects bytewise, finds the standing consents
-- they supersede in one sorted pass over _consent_standing and revokes
-- those by TID (10,000 per UPDATE), then inserts the new rows as COPY does (heap multi-insert,
-- index entries in key order, the column defaults, constraints, statement
-- and AFTER row triggers) with session_replication_role = replica, so that
-- the foreign key's per-row check is skipped (the purpose is checked and
-- locked FOR KEY SHARE once) while the Citus sync triggers (ENABLE ALWAYS)
-- fire. It trusts who: only grant_consent(text[]) calls it.
CREATE FUNCTION privacy._grant_consents(subjects text[], purpose text, expires_at timestamptz, who name)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__grant_consents'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._grant_consents(text[], text, timestamptz, name) IS
'bulk consent helper: records the consent of many subjects (deduplicated) for a purpose, superseding standing ones; called only by privacy.grant_consent(text[], ...)';
REVOKE ALL ON FUNCTION privacy._grant_consents(text[], text, timestamptz, name) FROM PUBLIC;

CREATE FUNCTION privacy.grant_consent(subjects text[], purpose text, expires_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	who name := privacy._outer_user();
	granted bigint;
	-- (rows are written by privacy._grant_consents)
BEGIN
	PERFORM privacy._check_policy_admin('record consent');
	IF grant_consent.subjects IS NULL OR grant_consent.purpose IS NULL THEN
		RAISE EXCEPTION 'subjects and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.array_position(grant_consent.subjects, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'subjects must not contain null' USING ERRCODE = 'null_value_not_allowed',
			HINT = 'Remove the null elements; nothing was recorded.';
	END IF;
	-- What the foreign key to privacy._purpose checks for every row, done
	-- once: the purpose exists, and its row is locked against deletion (FOR
	-- KEY SHARE, as the key check locks it) until this transaction ends.
	PERFORM FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) grant_consent.purpose FOR KEY SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'purpose "%" does not exist', grant_consent.purpose USING ERRCODE = 'undefined_object', HINT = 'Create it first with privacy.create_purpose(name, description).';
	END IF;
	IF grant_consent.expires_at IS NOT NULL AND grant_consent.expires_at OPERATOR(pg_catalog.<=) now() THEN
		RAISE EXCEPTION 'consent must expire in the future' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- supersede the standing consents of these subjects, then record one
	-- new grant per distinct subject (privacy._grant_consents)
	granted := privacy._grant_consents(grant_consent.subjects, grant_consent.purpose, grant_consent.expires_at, who);
	IF granted OPERATOR(pg_catalog.>) 0 THEN
		INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, value_count, new_definition)
		VALUES (now(), who, session_user, 'grant consent', 'purpose ' OPERATOR(pg_catalog.||) grant_consent.purpose,
		        granted, pg_catalog.jsonb_build_object('subjects', granted, 'expires_at', grant_consent.expires_at)::text);
	END IF;
	RETURN granted;
END
$$;
COMMENT ON FUNCTION privacy.grant_consent(text[], text, timestamptz) IS
'records the consent of many subjects for a purpose in one statement (optionally until expires_at); returns how many; one audit row per call';

CREATE FUNCTION privacy.revoke_consent(subjects text[], purpose text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	who name := privacy._outer_user();
	revoked bigint;
BEGIN
	PERFORM privacy._check_policy_admin('record consent');
	IF revoke_consent.subjects IS NULL OR revoke_consent.purpose IS NULL THEN
		RAISE EXCEPTION 'subjects and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.array_position(revoke_consent.subjects, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'subjects must not contain null' USING ERRCODE = 'null_value_not_allowed',
			HINT = 'Remove the null elements; nothing was revoked.';
	END IF;
	UPDATE privacy._consent c SET revoked_at = now(), revoked_by = who
	FROM (SELECT DISTINCT s.subject COLLATE "C" AS subject
	      FROM pg_catalog.unnest(revoke_consent.subjects) AS s(subject)) AS n
	WHERE c.purpose COLLATE "C" OPERATOR(pg_catalog.=) revoke_consent.purpose AND c.revoked_at IS NULL
	  AND c.subject COLLATE "C" OPERATOR(pg_catalog.=) n.subject;
	GET DIAGNOSTICS revoked = ROW_COUNT;
	IF revoked OPERATOR(pg_catalog.>) 0 THEN
		INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, value_count)
		VALUES (now(), who, session_user, 'revoke consent', 'purpose ' OPERATOR(pg_catalog.||) revoke_consent.purpose,
		        revoked);
	END IF;
	RETURN revoked;
END
$$;
COMMENT ON FUNCTION privacy.revoke_consent(text[], text) IS
'revokes the standing consents of many subjects for a purpose in one statement; returns how many; one audit row per call';

CREATE VIEW privacy.consents AS
SELECT c.subject, c.purpose, c.granted_at, c.expires_at, c.revoked_at, c.granted_by, c.revoked_by,
	(c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at OPERATOR(pg_catalog.>) now())) AS standing
FROM privacy._consent c;
COMMENT ON VIEW privacy.consents IS 'consent history; standing = granted, not revoked, not expired';

-- Row policies -----------------------------------------------------------

CREATE FUNCTION privacy.require_consent(tbl regclass, subject_column name, purpose text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('declare row policies', tbl);
	PERFORM privacy._check_row_policy_target(tbl);
	IF subject_column IS NULL OR purpose IS NULL THEN
		RAISE EXCEPTION 'subject column and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
	               WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) subject_column
	                 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', subject_column, tbl USING ERRCODE = 'undefined_column';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) require_consent.purpose) THEN
		RAISE EXCEPTION 'purpose "%" does not exist', require_consent.purpose USING ERRCODE = 'undefined_object', HINT = 'Create it first with privacy.create_purpose(name, description).';
	END IF;
	INSERT INTO privacy._row_policy (relid, name, kind, subject_column, purpose, created_by, created_at)
	VALUES (tbl, 'consent:' || require_consent.purpose, 'consent', subject_column, require_consent.purpose,
	        privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _row_policy_pkey DO UPDATE SET subject_column = excluded.subject_column;
	PERFORM privacy._force_family(tbl);
END
$$;
COMMENT ON FUNCTION privacy.require_consent(regclass, name, text) IS
'while a session declares this purpose, only rows whose subject has standing consent for it are visible';

CREATE FUNCTION privacy._check_row_policy_target(tbl regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__check_row_policy_target'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._check_row_policy_target(regclass) IS
'raises unless the relation can carry row policies (a table outside the system and pg_privacy schemas), and requires preloading';

CREATE FUNCTION privacy._canonical_row_filter(tbl regclass, condition text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__canonical_row_filter'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._canonical_row_filter(regclass, text) IS
'validates a row filter condition and returns its canonical, schema-qualified text';

CREATE FUNCTION privacy.add_row_filter(tbl regclass, name text, condition text, roles regrole[] DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_add_row_filter'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.add_row_filter(regclass, text, text, regrole[]) IS
'adds a restrictive filter: rows for which condition is not true are invisible (to the listed roles, or to every non-exempt role)';

CREATE FUNCTION privacy._store_row_filter(tbl regclass, name text, canonical text, declared text, roles regrole[])
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	fn regprocedure;
BEGIN
	PERFORM privacy._check_policy_admin('declare row policies', tbl);
	-- called directly, the text must already be a valid canonical filter
	IF privacy._canonical_row_filter(tbl, canonical) IS DISTINCT FROM canonical THEN
		RAISE EXCEPTION 'row filter is not in canonical form' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Declare filters with privacy.add_row_filter().';
	END IF;
	-- the stored form replaces the previous one
	PERFORM privacy._drop_stored_expression(r.condition_function) FROM privacy._row_policy r
	WHERE r.relid OPERATOR(pg_catalog.=) tbl AND r.name OPERATOR(pg_catalog.=) _store_row_filter.name;
	fn := privacy._create_stored_expression(tbl, NULL, canonical, 'row filter',
	                                        format('row filter %s of %s', _store_row_filter.name, tbl));
	INSERT INTO privacy._row_policy (relid, name, kind, condition, declared_condition, roles, created_by, created_at,
	                                 condition_function)
	VALUES (tbl, _store_row_filter.name, 'filter', canonical, declared, _store_row_filter.roles, privacy._outer_user(), now(), fn)
	ON CONFLICT ON CONSTRAINT _row_policy_pkey DO UPDATE
		SET kind = 'filter', condition = excluded.condition, declared_condition = excluded.declared_condition,
		    roles = excluded.roles, subject_column = NULL, purpose = NULL,
		    condition_function = excluded.condition_function;
	PERFORM privacy._force_family(tbl);
END
$$;
COMMENT ON FUNCTION privacy._store_row_filter(regclass, text, text, text, regrole[]) IS
'stores a validated row filter and forces row security on the table family';

CREATE FUNCTION privacy.drop_row_policy(tbl regclass, name text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ DECLARE fn regprocedure;
BEGIN
	PERFORM privacy._check_policy_admin('drop row policies', tbl);
	DELETE FROM privacy._row_policy r
	WHERE r.relid OPERATOR(pg_catalog.=) tbl AND r.name OPERATOR(pg_catalog.=) drop_row_policy.name RETURNING r.condition_function INTO fn;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % has no row policy "%"', tbl, drop_row_policy.name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._drop_stored_expression(fn);
	PERFORM privacy._unforce_family(tbl);
END
$$;
COMMENT ON FUNCTION privacy.drop_row_policy(regclass, text) IS
'removes a row policy (consent requirements are named consent:<purpose>)';

CREATE FUNCTION privacy.hide_expired(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('declare row policies', tbl);
	PERFORM privacy._check_row_policy_target(tbl);
	IF NOT EXISTS (SELECT 1 FROM privacy._retention_policy r WHERE r.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'table % has no retention policy', tbl USING ERRCODE = 'undefined_object',
			HINT = 'Declare one with privacy.set_retention() first.';
	END IF;
	INSERT INTO privacy._row_policy (relid, name, kind, created_by, created_at)
	VALUES (tbl, 'retention', 'retention', privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _row_policy_pkey DO NOTHING;
	PERFORM privacy._force_family(tbl);
END
$$;
COMMENT ON FUNCTION privacy.hide_expired(regclass) IS
'hides rows past the table''s retention window at once, before the purge removes them (row policy "retention")';

CREATE VIEW privacy.row_policies AS
SELECT r.relid AS table_name, r.name, r.kind, r.subject_column, r.purpose,
	CASE WHEN r.condition_function IS NULL THEN r.condition ELSE privacy._stored_expression(r.condition_function) END AS condition,
	r.declared_condition,
	r.roles, r.created_by, r.created_at
FROM privacy._row_policy r;
COMMENT ON VIEW privacy.row_policies IS 'every consent requirement and row filter';

-- Helpers called from the row-security quals the hook builds. They run as
-- the querying role, read the catalog directly (C, no privilege needed), and
-- reveal nothing the caller could not learn through the table itself.

-- privacy._consent_allows(tbl, purpose, subject): the consent requirement
-- of tbl for purpose lets this row through: the role is exempt, or another
-- usable purpose is declared, or this purpose is declared (and usable) and
-- the subject's consent for it stands. The per-statement part is decided
-- once per statement; consent is read from privacy._consent with the
-- statement's snapshot: an index probe (_consent_standing) for each of the
-- first rows, then, for scans, a set of the purpose's standing consents
-- built once per execution (bounded by work_mem * hash_mem_multiplier;
-- beyond that it keeps probing). Nothing outlives the statement.
CREATE FUNCTION privacy._consent_allows(tbl regclass, purpose text, subject text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__consent_allows'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._consent_allows(regclass, text, text) IS
'row-policy helper: whether a consent requirement lets a row through for the current role and declared purpose';
GRANT EXECUTE ON FUNCTION privacy._consent_allows(regclass, text, text) TO PUBLIC;

-- privacy._row_exempt(tbl): the current role is exempt from the table's row
-- policies (superuser, or a masking exemption covering the whole table).
CREATE FUNCTION privacy._row_exempt(tbl regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__row_exempt'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._row_exempt(regclass) IS
'row-policy helper: whether the current role is exempt from the table''s row policies';
GRANT EXECUTE ON FUNCTION privacy._row_exempt(regclass) TO PUBLIC;

REVOKE ALL ON privacy.consents, privacy.row_policies FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._force_family(regclass), privacy._unforce_family(regclass),
	privacy.create_purpose(text, text), privacy.allow_purpose(regrole, text), privacy.disallow_purpose(regrole, text),
	privacy.grant_consent(text, text, timestamptz), privacy.revoke_consent(text, text),
	privacy.grant_consent(text[], text, timestamptz), privacy.revoke_consent(text[], text),
	privacy.require_consent(regclass, name, text), privacy._check_row_policy_target(regclass),
	privacy._canonical_row_filter(regclass, text), privacy.add_row_filter(regclass, text, text, regrole[]),
	privacy._store_row_filter(regclass, text, text, text, regrole[]), privacy.drop_row_policy(regclass, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy.hide_expired(regclass) TO PUBLIC;
