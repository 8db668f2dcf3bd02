-- pg_privacy--0.1.0--0.2.0.sql: ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'.
-- Every change this release makes to SQL objects, in the order the parts
-- (src/sql/parts) would create them; an updated database must equal a fresh
-- 0.2.0 install (test/upgrade checks it).
\echo Use "ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'" to load this file. \quit

-- issue 17: rows that are user history are kept by pg_dump
SELECT pg_catalog.pg_extension_config_dump('privacy._purge_log', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._discovery', '');

-- issue 17: ids of the history tables come from configuration sequences,
-- whose position pg_dump keeps (an identity sequence restarted at 1 after a
-- restore, and the next hold, consent or purge collided with restored rows)
ALTER TABLE privacy._legal_hold ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE privacy._legal_hold_id_seq;
SELECT pg_catalog.setval('privacy._legal_hold_id_seq', max(id)) FROM privacy._legal_hold HAVING max(id) IS NOT NULL;
ALTER TABLE privacy._legal_hold ALTER COLUMN id SET DEFAULT pg_catalog.nextval('privacy._legal_hold_id_seq');
ALTER SEQUENCE privacy._legal_hold_id_seq OWNED BY privacy._legal_hold.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._legal_hold_id_seq', '');

ALTER TABLE privacy._purge_log ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE privacy._purge_log_id_seq;
SELECT pg_catalog.setval('privacy._purge_log_id_seq', max(id)) FROM privacy._purge_log HAVING max(id) IS NOT NULL;
ALTER TABLE privacy._purge_log ALTER COLUMN id SET DEFAULT pg_catalog.nextval('privacy._purge_log_id_seq');
ALTER SEQUENCE privacy._purge_log_id_seq OWNED BY privacy._purge_log.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._purge_log_id_seq', '');

ALTER TABLE privacy._consent ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE privacy._consent_id_seq;
SELECT pg_catalog.setval('privacy._consent_id_seq', max(id)) FROM privacy._consent HAVING max(id) IS NOT NULL;
ALTER TABLE privacy._consent ALTER COLUMN id SET DEFAULT pg_catalog.nextval('privacy._consent_id_seq');
ALTER SEQUENCE privacy._consent_id_seq OWNED BY privacy._consent.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._consent_id_seq', '');

-- issue 21: card_token comparisons resolve whatever the search_path (the
-- operator classes and indexes keep referring to the same operators)
ALTER OPERATOR privacy.= (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.<> (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.< (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.<= (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.> (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;
ALTER OPERATOR privacy.>= (privacy.card_token, privacy.card_token) SET SCHEMA pg_catalog;

-- issue 13: keyed masks are not executable by PUBLIC (they would be an
-- oracle: pseudonym('guess') compared with a masked column); policies call
-- them through policy-only entry points. noise(smallint) and
-- shift_date(timestamp) saturate at their own type's limits.
CREATE FUNCTION privacy.noise(value smallint, ratio double precision)
RETURNS smallint
AS 'MODULE_PATHNAME', 'pg_privacy_noise_int2'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(smallint, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret (deterministic), clamped to smallint';
REVOKE ALL ON FUNCTION privacy.noise(smallint, double precision) FROM PUBLIC;

CREATE FUNCTION privacy.shift_date(value timestamp, max_days integer)
RETURNS timestamp
AS 'MODULE_PATHNAME', 'pg_privacy_shift_date_timestamp'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.shift_date(timestamp, integer) IS
'moves the timestamp by up to max_days days (to the microsecond, never 0), derived from it and the masking secret, clamped to the timestamp range; infinity unchanged';
REVOKE ALL ON FUNCTION privacy.shift_date(timestamp, integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION
	privacy.noise(integer, double precision),
	privacy.noise(bigint, double precision),
	privacy.noise(numeric, double precision),
	privacy.noise(double precision, double precision),
	privacy.shift_date(date, integer),
	privacy.shift_date(timestamptz, integer),
	privacy.pseudonym(text, text),
	privacy.fake_first_name(text, text),
	privacy.fake_last_name(text, text),
	privacy.fake_full_name(text, text),
	privacy.fake_email(text, text),
	privacy.fake_phone(text, text),
	privacy.fake_city(text, text),
	privacy.fake_street_address(text, text),
	privacy.fake_company(text, text),
	privacy.fake_iban(text, text),
	privacy.fake_card(text)
FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Policy-only entry points of the keyed masks. The planner calls these in
-- place of the public keyed masks when it puts a mask into a masked role's
-- statement, with a mark that no parsed call carries; called any other way
-- they fail with 42501. EXECUTE stays with PUBLIC because the executor
-- checks it, as the querying role, for every function in the plan.
-- ---------------------------------------------------------------------------

CREATE FUNCTION privacy._mask_noise(value smallint, ratio double precision)
RETURNS smallint
AS 'MODULE_PATHNAME', 'pg_privacy__mask_noise_int2'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_noise(smallint, double precision) IS 'policy-only entry point of privacy.noise(smallint, double precision)';
GRANT EXECUTE ON FUNCTION privacy._mask_noise(smallint, double precision) TO PUBLIC;

CREATE FUNCTION privacy._mask_noise(value integer, ratio double precision)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy__mask_noise_int4'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_noise(integer, double precision) IS 'policy-only entry point of privacy.noise(integer, double precision)';
GRANT EXECUTE ON FUNCTION privacy._mask_noise(integer, double precision) TO PUBLIC;

CREATE FUNCTION privacy._mask_noise(value bigint, ratio double precision)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__mask_noise_int8'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_noise(bigint, double precision) IS 'policy-only entry point of privacy.noise(bigint, double precision)';
GRANT EXECUTE ON FUNCTION privacy._mask_noise(bigint, double precision) TO PUBLIC;

CREATE FUNCTION privacy._mask_noise(value numeric, ratio double precision)
RETURNS numeric
AS 'MODULE_PATHNAME', 'pg_privacy__mask_noise_numeric'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_noise(numeric, double precision) IS 'policy-only entry point of privacy.noise(numeric, double precision)';
GRANT EXECUTE ON FUNCTION privacy._mask_noise(numeric, double precision) TO PUBLIC;

CREATE FUNCTION privacy._mask_noise(value double precision, ratio double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'pg_privacy__mask_noise_float8'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_noise(double precision, double precision) IS 'policy-only entry point of privacy.noise(double precision, double precision)';
GRANT EXECUTE ON FUNCTION privacy._mask_noise(double precision, double precision) TO PUBLIC;

CREATE FUNCTION privacy._mask_shift_date(value date, max_days integer)
RETURNS date
AS 'MODULE_PATHNAME', 'pg_privacy__mask_shift_date_date'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_shift_date(date, integer) IS 'policy-only entry point of privacy.shift_date(date, integer)';
GRANT EXECUTE ON FUNCTION privacy._mask_shift_date(date, integer) TO PUBLIC;

CREATE FUNCTION privacy._mask_shift_date(value timestamp, max_days integer)
RETURNS timestamp
AS 'MODULE_PATHNAME', 'pg_privacy__mask_shift_date_timestamp'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_shift_date(timestamp, integer) IS 'policy-only entry point of privacy.shift_date(timestamp, integer)';
GRANT EXECUTE ON FUNCTION privacy._mask_shift_date(timestamp, integer) TO PUBLIC;

CREATE FUNCTION privacy._mask_shift_date(value timestamptz, max_days integer)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'pg_privacy__mask_shift_date_timestamptz'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_shift_date(timestamptz, integer) IS 'policy-only entry point of privacy.shift_date(timestamptz, integer)';
GRANT EXECUTE ON FUNCTION privacy._mask_shift_date(timestamptz, integer) TO PUBLIC;

CREATE FUNCTION privacy._mask_pseudonym(value text, domain text DEFAULT '')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_pseudonym'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_pseudonym(text, text) IS 'policy-only entry point of privacy.pseudonym(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_pseudonym(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_first_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_first_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_first_name(text, text) IS 'policy-only entry point of privacy.fake_first_name(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_first_name(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_last_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_last_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_last_name(text, text) IS 'policy-only entry point of privacy.fake_last_name(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_last_name(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_full_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_full_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_full_name(text, text) IS 'policy-only entry point of privacy.fake_full_name(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_full_name(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_email(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_email'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_email(text, text) IS 'policy-only entry point of privacy.fake_email(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_email(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_phone(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_phone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_phone(text, text) IS 'policy-only entry point of privacy.fake_phone(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_phone(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_city(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_city'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_city(text, text) IS 'policy-only entry point of privacy.fake_city(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_city(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_street_address(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_street_address'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_street_address(text, text) IS 'policy-only entry point of privacy.fake_street_address(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_street_address(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_company(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_company'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_company(text, text) IS 'policy-only entry point of privacy.fake_company(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_company(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_iban(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_iban'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_iban(text, text) IS 'policy-only entry point of privacy.fake_iban(text, text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_iban(text, text) TO PUBLIC;

CREATE FUNCTION privacy._mask_fake_card(seed text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__mask_fake_card'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._mask_fake_card(text) IS 'policy-only entry point of privacy.fake_card(text)';
GRANT EXECUTE ON FUNCTION privacy._mask_fake_card(text) TO PUBLIC;

-- issue 13: the write-back guard, installed on every table governed before
-- this release as well.
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

CREATE OR REPLACE FUNCTION privacy._govern_family(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
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

CREATE OR REPLACE FUNCTION privacy._release_row_security(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
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

-- 60_separation_of_duties makes both SECURITY DEFINER; CREATE OR REPLACE reset that
ALTER FUNCTION privacy._govern_family(regclass) SECURITY DEFINER;
ALTER FUNCTION privacy._release_row_security(regclass) SECURITY DEFINER;
REVOKE ALL ON FUNCTION privacy._writeback_guard(), privacy._guard_writes(regclass) FROM PUBLIC;
SELECT privacy._guard_writes(g.relid) FROM privacy._governed_table g ORDER BY g.relid::oid;


-- issue 14: durable disclosure audit, no self-service exemptions, complete subject exports

CREATE FUNCTION privacy._check_exemption_grantee(role regrole, action text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__check_exemption_grantee'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._check_exemption_grantee(regrole, text) IS
'raises 42501 when a non-superuser session would exempt itself: its role (or session user) is a member of the grantee or can make itself one';
REVOKE ALL ON FUNCTION privacy._check_exemption_grantee(regrole, text) FROM PUBLIC;


CREATE OR REPLACE FUNCTION privacy.grant_unmasked(role regrole, tbl regclass DEFAULT NULL, col name DEFAULT NULL)
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


-- privacy.audit_wait(timeout): detokenizations and subject exports are
-- recorded outside the disclosing transaction, through a queue in shared
-- memory that the audit writer drains into privacy.audit_log; this waits
-- (polling, at most timeout) until no record of this database is still
-- queued. Reveals nothing but whether the queue is drained.
CREATE FUNCTION privacy.audit_wait(timeout interval DEFAULT '30 seconds')
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy_audit_wait'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION privacy.audit_wait(interval) IS
'waits (at most timeout) until the disclosure records of this database are written to privacy.audit_log; true when they are';
GRANT EXECUTE ON FUNCTION privacy.audit_wait(interval) TO PUBLIC;


CREATE OR REPLACE FUNCTION privacy.grant_detokenize(role regrole, format text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant detokenize'), privacy._check_exemption_grantee(role, 'grant detokenize');
	IF role IS NULL OR format IS NULL THEN
		RAISE EXCEPTION 'role and format must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM privacy._token_format f WHERE f.name = grant_detokenize.format) THEN
		RAISE EXCEPTION 'token format "%" does not exist', format USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._detokenize_grant AS g (role, format, granted_by, granted_at)
	VALUES (grant_detokenize.role, grant_detokenize.format, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _detokenize_grant_pkey DO NOTHING;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy.grant_detokenize(regrole, text) IS 'allows a role (and its members) to detokenize a format';


CREATE OR REPLACE FUNCTION privacy.allow_purpose(role regrole, purpose text)
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
		RAISE EXCEPTION 'purpose "%" does not exist', allow_purpose.purpose USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._purpose_role VALUES (allow_purpose.role, allow_purpose.purpose) ON CONFLICT DO NOTHING;
	PERFORM privacy._invalidate_policies('privacy._purpose_role'::regclass);
END
$$;
COMMENT ON FUNCTION privacy.allow_purpose(regrole, text) IS
'lets a role (and its members) declare a purpose with SET privacy.purpose';


-- privacy._export_rows(tbl, ids, subject, token_columns, token_formats): one
-- table's part of export_subject. Reads the rows ids as the caller (its
-- privileges and masking apply) with pg_privacy's own row policies (consent,
-- filters) lifted for that one statement, so that the export sees every row
-- of the subject; token columns are detokenized (each detokenization audited
-- as usual). Records the disclosure durably (action 'export subject',
-- object 'subject <pseudonym> in <table>', value_count = rows) before
-- returning, even if the caller's transaction later aborts. Administrators
-- only.
CREATE FUNCTION privacy._export_rows(tbl regclass, ids tid[], subject text, token_columns text[], token_formats text[])
RETURNS jsonb
AS 'MODULE_PATHNAME', 'pg_privacy__export_rows'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._export_rows(regclass, tid[], text, text[], text[]) IS
'rows of one registered table for export_subject, read as the caller without pg_privacy''s row policies; audited durably (administrators only)';

-- privacy.export_subject(subject): everything the registered tables hold
-- about a subject, as {"schema.table": [rows...]}: one key per registered
-- table searched, [] when the subject has no row there. Rows are located by
-- a definer helper (administrators only, every row whatever row policies
-- say), then read as the caller through privacy._export_rows: masking
-- applies to the caller, pg_privacy's row policies do not; token columns are
-- detokenized only when the caller may detokenize their format; a table the
-- caller cannot read is reported as {"error": "permission denied"}. If
-- other row-security policies (the owner's own) still hide some of the
-- subject's rows from the caller, the export is refused (42501): never a
-- silently partial result. Each table read is recorded in privacy.audit_log
-- durably, even if the transaction aborts.
CREATE OR REPLACE FUNCTION privacy.export_subject(subject text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	result jsonb := '{}';
	rows jsonb;
	cols text[];
	fmts text[];
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
	IF subject IS NULL THEN
		RAISE EXCEPTION 'subject must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	FOR t IN SELECT p.relid, p.ids, p.token_columns FROM privacy._subject_export_plan(subject) p LOOP
		SELECT coalesce(pg_catalog.array_agg(k.key ORDER BY k.key), '{}'), coalesce(pg_catalog.array_agg(k.value ORDER BY k.key), '{}')
		INTO cols, fmts
		FROM pg_catalog.jsonb_each_text(t.token_columns) k WHERE privacy._may_detokenize(k.value);
		BEGIN
			rows := privacy._export_rows(t.relid, t.ids, subject, cols, fmts);
		EXCEPTION WHEN insufficient_privilege THEN
			rows := '{"error": "permission denied"}';
		END;
		IF pg_catalog.jsonb_typeof(rows) OPERATOR(pg_catalog.=) 'array'
		   AND pg_catalog.jsonb_array_length(rows) OPERATOR(pg_catalog.<) pg_catalog.cardinality(t.ids) THEN
			RAISE EXCEPTION 'export of the subject refused: % of its rows in % are hidden from you',
				pg_catalog.cardinality(t.ids) OPERATOR(pg_catalog.-) pg_catalog.jsonb_array_length(rows), t.relid
				USING ERRCODE = 'insufficient_privilege',
				      DETAIL = 'Row-security policies that pg_privacy does not manage filter the table for your role; the export would be incomplete.',
				      HINT = 'Run the export as a role those policies do not filter (the table owner without FORCE ROW LEVEL SECURITY, or a BYPASSRLS role that is a privacy administrator).';
		END IF;
		result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::text, rows);
	END LOOP;
	RETURN result;
END
$$;
COMMENT ON FUNCTION privacy.export_subject(text) IS
'everything registered tables hold about a subject, one key per table searched; every row whatever row policies say, masked for the caller, detokenized only where allowed; audited durably';


GRANT EXECUTE ON FUNCTION privacy._export_rows(regclass, tid[], text, text[], text[]) TO PUBLIC;

COMMENT ON TABLE privacy.audit_log IS
'append-only audit: detokenizations (format, value_count) and subject exports (object, value_count), recorded even when their transaction aborts, and policy changes (object, old and new definition); never a protected value';


-- issue 15: table families and legal holds. Holds apply to the whole
-- family of the table they name and protect records (hold triggers);
-- policies are declared on family roots only; DDL that would take held rows
-- out of a family is refused by the hooks (C); coverage_gaps lists masked
-- partition keys (tableoid reveals their range).
CREATE FUNCTION privacy._check_family_root(tbl regclass, what text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__check_family_root'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._check_family_root(regclass, text) IS
'raises 42809 when a policy is declared on a partition or inheritance child instead of the family root';

CREATE OR REPLACE FUNCTION privacy._store_column_policy(tbl regclass, col name, canonical text, declared text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	matview regclass;
BEGIN
	PERFORM privacy._check_policy_admin('declare masking policies', tbl);
	PERFORM privacy._check_family_root(tbl, 'mask columns of');
	INSERT INTO privacy._column_policy AS p (relid, column_name, mask, declared_mask, declared_by, declared_at)
	VALUES (tbl, col, canonical, declared, privacy._outer_user(), now())
	ON CONFLICT (relid, column_name) DO UPDATE
		SET mask = excluded.mask, declared_mask = excluded.declared_mask,
		    declared_by = excluded.declared_by, declared_at = excluded.declared_at;

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

CREATE FUNCTION privacy._hold_roots(tbl regclass)
RETURNS SETOF oid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE a(relid) AS (
		SELECT tbl::oid
		UNION
		SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN a ON i.inhrelid OPERATOR(pg_catalog.=) a.relid
	)
	SELECT a.relid FROM a
	WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) a.relid)
$$;
COMMENT ON FUNCTION privacy._hold_roots(regclass) IS
'the top-most partition/inheritance ancestors of a table (the table itself when it has no parent)';

CREATE FUNCTION privacy._holds_applying(tbl regclass)
RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT h.id FROM privacy._legal_hold h
	WHERE h.released_at IS NULL
	  AND EXISTS (SELECT 1 FROM privacy._hold_roots(h.relid) a
	              WHERE a OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._hold_roots(tbl))))
	ORDER BY h.id
$$;
COMMENT ON FUNCTION privacy._holds_applying(regclass) IS
'ids of the active legal holds protecting rows of a table (placed on any member of its family)';

CREATE OR REPLACE FUNCTION privacy._hold_predicate(tbl regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN count(*) OPERATOR(pg_catalog.=) 0 THEN 'true'
		ELSE '((' OPERATOR(pg_catalog.||) string_agg('(' OPERATOR(pg_catalog.||) h.condition OPERATOR(pg_catalog.||) ')', ' OR ' ORDER BY h.id)
			OPERATOR(pg_catalog.||) ') IS NOT TRUE)' END
	FROM privacy._legal_hold h
	WHERE h.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._holds_applying(tbl)))
$$;
COMMENT ON FUNCTION privacy._hold_predicate(regclass) IS
'condition that excludes rows under an active legal hold of the table (canonical hold conditions only)';

CREATE OR REPLACE FUNCTION privacy.place_hold(tbl regclass, condition text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	canonical text;
	hold_id bigint;
	root oid;
BEGIN
	PERFORM privacy._check_policy_admin('place legal holds', tbl);
	IF tbl IS NULL OR condition IS NULL OR reason IS NULL THEN
		RAISE EXCEPTION 'table, condition and reason of a legal hold must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.btrim(reason) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'a legal hold needs a reason' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) NOT IN ('r', 'p')
	   OR (SELECT c.relpersistence FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) OPERATOR(pg_catalog.=) 't' THEN
		RAISE EXCEPTION 'cannot place a legal hold on %', tbl USING ERRCODE = 'wrong_object_type';
	END IF;
	canonical := privacy._analyze_hold_condition(tbl, condition);
	-- the hold applies to the whole family (issue 15): its condition must
	-- compile on the family's roots, hence on every member
	FOR root IN SELECT r FROM privacy._hold_roots(tbl) AS r WHERE r OPERATOR(pg_catalog.<>) tbl::oid ORDER BY 1 LOOP
		BEGIN
			PERFORM privacy._analyze_hold_condition(root::regclass, canonical);
		EXCEPTION WHEN undefined_column THEN
			RAISE EXCEPTION 'hold condition uses a column that % does not have', root::regclass
				USING ERRCODE = 'undefined_column',
				      DETAIL = pg_catalog.format('A hold on %s applies to its whole family, whose root is %s.', tbl, root::regclass),
				      HINT = 'Use only columns of the root table in the condition.';
		END;
	END LOOP;
	-- waits for running purge batches of the family's tables and keeps new
	-- ones out until this transaction ends: a batch reads the holds after
	-- this lock
	PERFORM pg_catalog.pg_advisory_xact_lock(privacy._retention_lock_key(1, tbl));
	FOR root IN SELECT p.relid::oid FROM privacy._retention_policy p
	            WHERE p.relid OPERATOR(pg_catalog.<>) tbl
	              AND EXISTS (SELECT 1 FROM privacy._hold_roots(p.relid) a
	                          WHERE a OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._hold_roots(tbl))))
	            ORDER BY 1 LOOP
		PERFORM pg_catalog.pg_advisory_xact_lock(privacy._retention_lock_key(1, root::regclass));
	END LOOP;
	INSERT INTO privacy._legal_hold (relid, condition, declared_condition, reason, placed_by, placed_at)
	VALUES (tbl, canonical, condition, reason, privacy._outer_user(), now())
	RETURNING id INTO hold_id;
	-- held rows cannot be updated out of the hold nor deleted (triggers on
	-- every member of the family)
	PERFORM privacy._sync_hold_triggers(tbl);
	RETURN hold_id;
END
$$;
COMMENT ON FUNCTION privacy.place_hold(regclass, text, text) IS
'places a legal hold: rows of the table matching condition are never purged until the hold is released; returns its id';

CREATE OR REPLACE FUNCTION privacy.release_hold(id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tbl regclass;
BEGIN
	PERFORM privacy._check_policy_admin('release legal holds');
	IF release_hold.id IS NULL THEN
		RAISE EXCEPTION 'hold id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	UPDATE privacy._legal_hold h SET released_by = privacy._outer_user(), released_at = now()
	WHERE h.id OPERATOR(pg_catalog.=) release_hold.id AND h.released_at IS NULL
	RETURNING h.relid INTO tbl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no active legal hold with id %', release_hold.id USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._sync_hold_triggers(tbl);
END
$$;
COMMENT ON FUNCTION privacy.release_hold(bigint) IS 'releases an active legal hold';

CREATE FUNCTION privacy._hold_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
		RAISE EXCEPTION 'cannot delete a row of %.% under legal hold %',
			pg_catalog.quote_ident(TG_TABLE_SCHEMA), pg_catalog.quote_ident(TG_TABLE_NAME), TG_ARGV[0]
			USING ERRCODE = 'object_in_use',
			      HINT = 'Rows under a legal hold cannot be deleted, nor moved to another partition, until the hold is released.';
	END IF;
	RAISE EXCEPTION 'cannot update a row of %.% out of legal hold %',
		pg_catalog.quote_ident(TG_TABLE_SCHEMA), pg_catalog.quote_ident(TG_TABLE_NAME), TG_ARGV[0]
		USING ERRCODE = 'object_in_use',
		      HINT = 'A held row must keep matching its hold condition until the hold is released.';
END
$$;
COMMENT ON FUNCTION privacy._hold_guard() IS
'trigger: refuses deleting a row under a legal hold or updating it out of the hold (WHEN clauses select the rows)';

CREATE FUNCTION privacy._hold_trigger_quals(member regclass, condition text, OUT on_update text, OUT on_delete text)
AS 'MODULE_PATHNAME', 'pg_privacy__hold_trigger_quals'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._hold_trigger_quals(regclass, text) IS
'WHEN clauses of the hold triggers of a table: the canonical hold condition on OLD (and not on NEW)';

CREATE FUNCTION privacy._hold_maintenance(active boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__hold_maintenance'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._hold_maintenance(boolean) IS
'lets privacy._sync_hold_triggers() drop hold triggers in this transaction (the hooks refuse it otherwise)';

CREATE FUNCTION privacy._sync_hold_triggers(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	member regclass;
	wanted bigint[];
	t record;
	h record;
	quals record;
	kind text;
BEGIN
	PERFORM privacy._hold_maintenance(true);
	FOR member IN
		SELECT DISTINCT m.f FROM (
			SELECT privacy._family(r::regclass) AS f FROM privacy._hold_roots(tbl) AS r
			UNION SELECT privacy._family(tbl)) m
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.f::oid
		WHERE c.relkind OPERATOR(pg_catalog.=) 'r' ORDER BY 1
	LOOP
		wanted := ARRAY(SELECT privacy._holds_applying(member));
		FOR t IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
		         WHERE tg.tgrelid OPERATOR(pg_catalog.=) member
		           AND tg.tgfoid OPERATOR(pg_catalog.=) 'privacy._hold_guard()'::pg_catalog.regprocedure
		           AND NOT coalesce(pg_catalog.substring(tg.tgname, '^privacy_hold_([0-9]+)_')::bigint
		                            OPERATOR(pg_catalog.=) ANY (wanted), false)
		         ORDER BY 1 LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, member);
		END LOOP;
		FOR h IN SELECT l.id, l.condition FROM privacy._legal_hold l
		         WHERE l.id OPERATOR(pg_catalog.=) ANY (wanted) ORDER BY l.id LOOP
			quals := NULL;
			FOREACH kind IN ARRAY ARRAY['update', 'delete'] LOOP
				-- only pg_privacy can make triggers on privacy._hold_guard();
				-- a trigger of the owner with the same name makes this fail
				CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
				                      WHERE tg.tgrelid OPERATOR(pg_catalog.=) member
				                        AND tg.tgname OPERATOR(pg_catalog.=) format('privacy_hold_%s_%s', h.id, kind)
				                        AND tg.tgfoid OPERATOR(pg_catalog.=) 'privacy._hold_guard()'::pg_catalog.regprocedure);
				IF quals IS NULL THEN
					BEGIN
						quals := privacy._hold_trigger_quals(member, h.condition);
					EXCEPTION WHEN undefined_column THEN
						-- a hold of 0.1.0 on a column its family's root lacks:
						-- purges of this table fail (nothing is deleted) until
						-- it is released
						RAISE WARNING 'legal hold % cannot be enforced on %: its condition uses a column the table does not have', h.id, member;
						EXIT;
					END;
				END IF;
				EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION privacy._hold_guard(%L)',
					format('privacy_hold_%s_%s', h.id, kind), upper(kind), member,
					CASE kind WHEN 'update' THEN quals.on_update ELSE quals.on_delete END, h.id);
			END LOOP;
		END LOOP;
	END LOOP;
	PERFORM privacy._hold_maintenance(false);
END
$$;
COMMENT ON FUNCTION privacy._sync_hold_triggers(regclass) IS
'creates and drops the hold triggers of a table''s families so that they match the active legal holds';

CREATE FUNCTION privacy._check_new_parent(child regclass, parent regclass)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	governed regclass;
	h record;
	root oid;
BEGIN
	SELECT f INTO governed FROM privacy._family(child) AS f WHERE privacy._is_governed(f) ORDER BY f::oid LIMIT 1;
	IF governed IS NOT NULL THEN
		RAISE EXCEPTION 'cannot make % a partition or child of %: policies govern %', child, parent, governed
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'Scans of the new parent would read its rows under the parent''s policies only.',
			      HINT = 'Declare the policies on the root of the new family; drop those of the table first (in the same transaction).';
	END IF;
	FOR h IN SELECT l.id FROM privacy._legal_hold l
	         WHERE l.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._holds_applying(child))) ORDER BY l.id LOOP
		FOR root IN SELECT r FROM privacy._hold_roots(parent) AS r ORDER BY 1 LOOP
			BEGIN
				PERFORM privacy._analyze_hold_condition(root::regclass,
					(SELECT l.condition FROM privacy._legal_hold l WHERE l.id OPERATOR(pg_catalog.=) h.id));
			EXCEPTION WHEN undefined_column THEN
				RAISE EXCEPTION 'cannot make % a partition or child of %: legal hold % uses a column that % does not have',
					child, parent, h.id, root::regclass
					USING ERRCODE = 'object_in_use',
					      HINT = 'A hold applies to the whole family; release it first.';
			END;
		END LOOP;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._check_new_parent(regclass, regclass) IS
'raises unless a table may join the family of parent (no policies govern it; its holds compile on the new roots)';

CREATE OR REPLACE FUNCTION privacy._recover_partition(tbl regclass, part oid, part_name text, bound text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	held boolean := false;
	hold text;
	extra text;
BEGIN
	IF part IS NULL OR NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_class c
		WHERE c.oid OPERATOR(pg_catalog.=) part AND NOT c.relispartition AND c.relkind OPERATOR(pg_catalog.=) 'r'
		  AND c.oid::regclass::text OPERATOR(pg_catalog.=) part_name) THEN
		RETURN;
	END IF;
	-- the detached table left the family: the holds of both apply to it
	hold := privacy._hold_predicate(tbl);
	extra := privacy._hold_predicate(part::regclass);
	IF extra OPERATOR(pg_catalog.<>) 'true' THEN
		hold := CASE WHEN hold OPERATOR(pg_catalog.=) 'true' THEN extra
			ELSE '(' OPERATOR(pg_catalog.||) hold OPERATOR(pg_catalog.||) ' AND ' OPERATOR(pg_catalog.||) extra OPERATOR(pg_catalog.||) ')' END;
	END IF;
	IF hold OPERATOR(pg_catalog.<>) 'true' THEN
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', part::regclass, hold) INTO held;
	END IF;
	IF held THEN
		EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', tbl, part::regclass, bound);
	ELSE
		EXECUTE format('DROP TABLE %s', part::regclass);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._recover_partition(regclass, oid, text, text) IS
'finishes the partition drop of an interrupted run (re-attaches the partition if it holds rows under a legal hold)';

CREATE OR REPLACE FUNCTION privacy._purge_step(run_id bigint, in_transaction boolean, OUT status text, OUT batch_rows bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
	p privacy._retention_policy;
	target oid;
	hold text;
	extra text;
	act record;
	pred text;
	rng text;
	stmt_fast text;
	stmt_skip text;
	lo_bound timestamptz;
	hi_bound timestamptz;
	is_part boolean;
	detach_pending boolean;
	held boolean;
	n bigint := 0;
	lock_wait integer;
	batch integer;
	nblocks bigint;
	per_page real;
	lo_tid tid;
	hi_tid tid;
	lo_ts timestamptz;
	hi_ts timestamptz;
	max_ts timestamptz;
	est real;
	old_timeout text;
BEGIN
	batch_rows := 0;
	SELECT * INTO r FROM privacy._purge_log l WHERE l.id OPERATOR(pg_catalog.=) run_id FOR UPDATE;
	IF NOT FOUND OR r.status OPERATOR(pg_catalog.<>) 'running' THEN
		status := 'done';
		RETURN;
	END IF;
	SELECT * INTO p FROM privacy._retention_policy x WHERE x.relid OPERATOR(pg_catalog.=) r.relid;
	IF NOT FOUND OR r.target_idx OPERATOR(pg_catalog.>) pg_catalog.cardinality(r.targets) THEN
		PERFORM privacy._purge_finish(run_id, 'done');
		status := 'done';
		RETURN;
	END IF;
	-- holds are read after this lock; place_hold() waits for the batch
	IF NOT pg_catalog.pg_try_advisory_xact_lock_shared(privacy._retention_lock_key(1, p.relid)) THEN
		status := 'busy';
		RETURN;
	END IF;
	hold := privacy._hold_predicate(p.relid);
	act := privacy._action_sql(p.relid);
	batch := coalesce(p.batch_size, pg_catalog.current_setting('privacy.purge_batch_size')::integer);
	target := r.targets[r.target_idx];
	status := 'more';
	-- holds placed on any member of the family apply (issue 15); a
	-- partition this run detached is no longer a member: both sets apply
	IF target OPERATOR(pg_catalog.<>) p.relid::oid THEN
		extra := privacy._hold_predicate(target::regclass);
		IF extra OPERATOR(pg_catalog.<>) 'true' THEN
			hold := CASE WHEN hold OPERATOR(pg_catalog.=) 'true' THEN extra
				ELSE '(' OPERATOR(pg_catalog.||) hold OPERATOR(pg_catalog.||) ' AND ' OPERATOR(pg_catalog.||) extra OPERATOR(pg_catalog.||) ')' END;
		END IF;
	END IF;

	SELECT c.relispartition, coalesce(i.inhdetachpending, false) INTO is_part, detach_pending
	FROM pg_catalog.pg_class c
	LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid OPERATOR(pg_catalog.=) c.oid
		AND i.inhparent OPERATOR(pg_catalog.=) p.relid
	WHERE c.oid OPERATOR(pg_catalog.=) target;
	IF NOT FOUND THEN
		-- dropped meanwhile
		UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos = NULL, pos_end = NULL,
			pos_ts = NULL, slice = NULL WHERE l.id OPERATOR(pg_catalog.=) run_id;
		RETURN;
	END IF;

	-- a partition this run detached: drop it now (same transaction as the
	-- hold check), or re-attach it if a hold arrived meanwhile
	IF r.pending_partition OPERATOR(pg_catalog.=) target AND NOT is_part THEN
		held := false;
		IF hold OPERATOR(pg_catalog.<>) 'true' THEN
			EXECUTE format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', target::regclass, hold) INTO held;
		END IF;
		IF held THEN
			EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', p.relid, target::regclass, r.pending_bound);
			UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL, pos = 0
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		ELSE
			EXECUTE format('DROP TABLE %s', target::regclass);
			UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
				partitions_dropped = l.partitions_dropped OPERATOR(pg_catalog.+) 1,
				target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos = NULL, pos_end = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		END IF;
		RETURN;
	END IF;

	-- first visit of a partition of a partition_drop table
	IF r.method OPERATOR(pg_catalog.=) 'partition_drop' AND r.pos IS NULL AND is_part
	   AND (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) target)
	       OPERATOR(pg_catalog.=) p.relid THEN
		IF detach_pending THEN
			-- an interrupted DETACH ... CONCURRENTLY of an earlier run
			IF in_transaction THEN
				EXECUTE format('ALTER TABLE %s DETACH PARTITION %s FINALIZE', p.relid, target::regclass);
				UPDATE privacy._purge_log l SET pending_partition = target, pending_name = target::regclass::text,
					pending_bound = (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c
					                 WHERE c.oid OPERATOR(pg_catalog.=) target)
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
			ELSE
				UPDATE privacy._purge_log l SET pending_partition = target, pending_name = target::regclass::text,
					pending_bound = (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c
					                 WHERE c.oid OPERATOR(pg_catalog.=) target)
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
				status := 'finalize';
			END IF;
			RETURN;
		END IF;
		lo_bound := privacy._partition_bound(target::regclass, 'from');
		hi_bound := privacy._partition_bound(target::regclass, 'to');
		IF lo_bound IS NOT NULL AND lo_bound OPERATOR(pg_catalog.>=) r.cutoff THEN
			-- nothing in it can be expired
			UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
			RETURN;
		END IF;
		held := false;
		IF hold OPERATOR(pg_catalog.<>) 'true' THEN
			EXECUTE format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', target::regclass, hold) INTO held;
		END IF;
		IF hi_bound IS NOT NULL AND hi_bound OPERATOR(pg_catalog.<=) r.cutoff AND NOT held
		   AND act.pending OPERATOR(pg_catalog.=) 'true' THEN
			UPDATE privacy._purge_log l SET pending_partition = target, pending_name = target::regclass::text,
				pending_bound = (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c
				                 WHERE c.oid OPERATOR(pg_catalog.=) target)
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
			IF in_transaction THEN
				-- plain DETACH: DETACH ... CONCURRENTLY cannot run in a transaction block
				old_timeout := pg_catalog.current_setting('lock_timeout');
				PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
				EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', p.relid, target::regclass);
				PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
				EXECUTE format('DROP TABLE %s', target::regclass);
				UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
					partitions_dropped = l.partitions_dropped OPERATOR(pg_catalog.+) 1,
					target_idx = l.target_idx OPERATOR(pg_catalog.+) 1
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
			ELSE
				status := 'detach';
			END IF;
			RETURN;
		END IF;
		-- partly expired (or holding held rows): sweep its rows
	END IF;

	pred := format('%I < $1 AND %s AND %s', p.time_column, hold, act.pending);

	IF r.method OPERATOR(pg_catalog.=) 'time_slice' THEN
		IF r.pos_ts IS NULL THEN
			EXECUTE format('SELECT min(%1$I)::timestamptz, max(%1$I)::timestamptz FROM ONLY %2$s', p.time_column, target::regclass)
				INTO lo_ts, max_ts;
			SELECT c.reltuples INTO est FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
			IF lo_ts IS NULL OR lo_ts OPERATOR(pg_catalog.>=) r.cutoff THEN
				UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos_ts = NULL, slice = NULL
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
				RETURN;
			END IF;
			r.pos_ts := lo_ts;
			r.slice := greatest((max_ts OPERATOR(pg_catalog.-) lo_ts) OPERATOR(pg_catalog.*) (batch::float8 OPERATOR(pg_catalog./) greatest(est, 1)::float8),
				'1 second'::interval);
		END IF;
		lo_ts := r.pos_ts;
		hi_ts := least(r.pos_ts OPERATOR(pg_catalog.+) r.slice, r.cutoff);
		rng := format('%1$I >= $2 AND %1$I < $3', p.time_column);
	ELSE
		IF r.pos_end IS NULL THEN
			nblocks := pg_catalog.pg_relation_size(target::regclass) OPERATOR(pg_catalog./) pg_catalog.current_setting('block_size')::bigint;
			SELECT CASE WHEN c.relpages OPERATOR(pg_catalog.>) 0 AND c.reltuples OPERATOR(pg_catalog.>) 0
			            THEN c.reltuples OPERATOR(pg_catalog./) c.relpages ELSE 100 END
			INTO per_page FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
			r.pos := 0;
			r.pos_end := nblocks;
			r.step_blocks := greatest(1, (batch OPERATOR(pg_catalog./) greatest(per_page, 1))::integer);
		END IF;
		IF r.pos OPERATOR(pg_catalog.>=) r.pos_end THEN
			UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos = NULL, pos_end = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
			RETURN;
		END IF;
		lo_tid := format('(%s,0)', r.pos)::tid;
		hi_tid := format('(%s,0)', least(r.pos OPERATOR(pg_catalog.+) r.step_blocks, 4294967295))::tid;
		rng := 'ctid >= $2 AND ctid < $3';
	END IF;

	IF act.set_list IS NULL THEN
		stmt_fast := format('DELETE FROM ONLY %s WHERE %s AND %s', target::regclass, rng, pred);
		stmt_skip := format('DELETE FROM ONLY %1$s WHERE ctid = ANY (ARRAY(SELECT ctid FROM ONLY %1$s WHERE %2$s AND %3$s FOR UPDATE SKIP LOCKED)) AND %3$s',
			target::regclass, rng, pred);
	ELSE
		stmt_fast := format('UPDATE ONLY %s SET %s WHERE %s AND %s', target::regclass, act.set_list, rng, pred);
		stmt_skip := format('UPDATE ONLY %1$s SET %4$s WHERE ctid = ANY (ARRAY(SELECT ctid FROM ONLY %1$s WHERE %2$s AND %3$s FOR UPDATE SKIP LOCKED)) AND %3$s',
			target::regclass, rng, pred, act.set_list);
	END IF;

	-- Rows locked by others are skipped, not waited for: the plain statement
	-- may wait privacy.purge_lock_wait for a row lock, then the batch is
	-- redone with FOR UPDATE SKIP LOCKED (0: always SKIP LOCKED).
	SELECT s.setting::integer INTO lock_wait FROM pg_catalog.pg_settings s WHERE s.name OPERATOR(pg_catalog.=) 'privacy.purge_lock_wait';
	lock_wait := coalesce(lock_wait, 20);
	IF lock_wait OPERATOR(pg_catalog.>) 0 THEN
		old_timeout := pg_catalog.current_setting('lock_timeout');
		BEGIN
			PERFORM pg_catalog.set_config('lock_timeout', lock_wait::text, true);
			IF rng OPERATOR(pg_catalog.=) 'ctid >= $2 AND ctid < $3' THEN
				EXECUTE stmt_fast USING r.cutoff, lo_tid, hi_tid;
			ELSE
				EXECUTE stmt_fast USING r.cutoff, lo_ts, hi_ts;
			END IF;
			GET DIAGNOSTICS n = ROW_COUNT;
			PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
		EXCEPTION WHEN lock_not_available THEN
			lock_wait := 0;
		END;
	END IF;
	IF lock_wait OPERATOR(pg_catalog.=) 0 THEN
		IF rng OPERATOR(pg_catalog.=) 'ctid >= $2 AND ctid < $3' THEN
			EXECUTE stmt_skip USING r.cutoff, lo_tid, hi_tid;
		ELSE
			EXECUTE stmt_skip USING r.cutoff, lo_ts, hi_ts;
		END IF;
		GET DIAGNOSTICS n = ROW_COUNT;
	END IF;
	batch_rows := n;

	IF r.method OPERATOR(pg_catalog.=) 'time_slice' THEN
		-- adapt the slice to the batch size
		IF n OPERATOR(pg_catalog.<) (batch OPERATOR(pg_catalog./) 2) AND r.slice OPERATOR(pg_catalog.<) '1 year'::interval THEN
			r.slice := r.slice OPERATOR(pg_catalog.*) 2;
		ELSIF n OPERATOR(pg_catalog.>) ((batch OPERATOR(pg_catalog.*) 3) OPERATOR(pg_catalog./) 2) THEN
			r.slice := greatest(r.slice OPERATOR(pg_catalog./) 2, '1 second'::interval);
		END IF;
		IF hi_ts OPERATOR(pg_catalog.>=) r.cutoff THEN
			UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
				target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos_ts = NULL, slice = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		ELSE
			UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
				pos_ts = hi_ts, slice = r.slice
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		END IF;
	ELSE
		UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
			pos = r.pos OPERATOR(pg_catalog.+) r.step_blocks, pos_end = r.pos_end, step_blocks = r.step_blocks
		WHERE l.id OPERATOR(pg_catalog.=) run_id;
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._purge_step(bigint, boolean) IS
'one purge batch of a run in the caller''s transaction; returns the next action and the rows purged';

CREATE OR REPLACE VIEW privacy.retention_policies AS
SELECT p.relid AS table_name,
	p.time_column,
	p.keep,
	p.action,
	p.columns,
	p.batch_size,
	p.max_rows_per_second,
	(SELECT count(*) FROM privacy._holds_applying(p.relid)) AS active_holds,
	p.declared_by,
	p.declared_at
FROM privacy._retention_policy p;

CREATE OR REPLACE VIEW privacy.coverage_gaps AS
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
WHERE k.tables IS NOT NULL;

COMMENT ON VIEW privacy.coverage_gaps IS
'personal data (classified, or found by the last privacy.discover() and not classified) with no protection at all, and masked partition keys (a row''s partition reveals their range)';

CREATE OR REPLACE FUNCTION privacy.erase_subject(subject text, mode text DEFAULT 'delete')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	h record;
	pred text;
	keep text;
	set_list text;
	affected bigint;
	held bigint;
	holds jsonb;
	tables jsonb := '[]';
	purpose text;
	revoked integer := 0;
	report jsonb;
BEGIN
	PERFORM privacy._check_policy_admin('erase data subjects');
	IF subject IS NULL OR mode IS NULL THEN
		RAISE EXCEPTION 'subject and mode must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF mode OPERATOR(pg_catalog.<>) ALL (ARRAY['delete', 'anonymize']) THEN
		RAISE EXCEPTION 'unknown erasure mode "%"', mode USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use delete or anonymize.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._subject_table) THEN
		RAISE EXCEPTION 'no subject table is registered' USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Register tables with privacy.register_subject().';
	END IF;
	FOR t IN SELECT s.relid, s.depth, s.predicate FROM privacy._subject_tables() s
	         ORDER BY s.depth DESC, s.relid::text LOOP
		pred := t.predicate;
		-- held rows: active holds of the table, and (when deleting) rows still
		-- referenced by held rows of registered children
		holds := '[]';
		held := 0;
		-- (holds placed on any member of the table's family, issue 15)
		FOR h IN SELECT lh.id, lh.reason, lh.condition FROM privacy._legal_hold lh
		         WHERE lh.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._holds_applying(t.relid)))
		         ORDER BY lh.id LOOP
			EXECUTE pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND (%s)', t.relid, pred, h.condition)
				INTO affected USING subject;
			IF affected OPERATOR(pg_catalog.>) 0 THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('hold_id', h.id, 'reason', h.reason, 'rows', affected);
			END IF;
		END LOOP;
		SELECT pg_catalog.concat_ws(' AND ', NULLIF(privacy._hold_predicate(t.relid), 'true'),
			pg_catalog.string_agg(pg_catalog.format('NOT EXISTS (SELECT 1 FROM %s c WHERE c.%I OPERATOR(pg_catalog.=) %s.%I)',
			                                        c.relid, c.subject_column, t.relid, c.via_column), ' AND '))
		INTO keep
		FROM privacy._subject_table c
		WHERE c.via OPERATOR(pg_catalog.=) t.relid AND mode OPERATOR(pg_catalog.=) 'delete';
		IF keep OPERATOR(pg_catalog.<>) '' THEN
			EXECUTE pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND NOT (%s)', t.relid, pred, keep)
				INTO held USING subject;
			IF held OPERATOR(pg_catalog.>) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
			                                 FROM pg_catalog.jsonb_array_elements(holds) x) THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('reason', 'referenced by held rows of a child table',
					'rows', held OPERATOR(pg_catalog.-) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
					                                     FROM pg_catalog.jsonb_array_elements(holds) x));
			END IF;
			pred := '(' OPERATOR(pg_catalog.||) pred OPERATOR(pg_catalog.||) ') AND ' OPERATOR(pg_catalog.||) keep;
		END IF;
		IF mode OPERATOR(pg_catalog.=) 'delete' THEN
			EXECUTE pg_catalog.format('DELETE FROM %s WHERE %s', t.relid, pred) USING subject;
			GET DIAGNOSTICS affected = ROW_COUNT;
			tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'deleted', affected,
				'held_back', held, 'holds', holds);
		ELSE
			SELECT pg_catalog.string_agg(pg_catalog.format('%I = (%s)', m.column_name, m.mask), ', ' ORDER BY m.column_name)
			INTO set_list FROM privacy._column_policy m
			WHERE m.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(t.relid));
			IF set_list IS NULL THEN
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', 0,
					'held_back', held, 'holds', holds, 'note', 'no masking policy: rows kept unchanged');
			ELSE
				-- the masks are canonical for this search_path and read raw
				-- values: this function runs as the extension owner, whom
				-- masking exempts (as privacy.anonymize_table suspends it)
				EXECUTE pg_catalog.format('UPDATE %s SET %s WHERE %s', t.relid, set_list, pred) USING subject;
				GET DIAGNOSTICS affected = ROW_COUNT;
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', affected,
					'held_back', held, 'holds', holds);
			END IF;
		END IF;
	END LOOP;

	FOR purpose IN SELECT DISTINCT c.purpose FROM privacy._consent c
	               WHERE c.subject OPERATOR(pg_catalog.=) erase_subject.subject AND c.revoked_at IS NULL ORDER BY 1 LOOP
		IF privacy.revoke_consent(erase_subject.subject, purpose) THEN
			revoked := revoked OPERATOR(pg_catalog.+) 1;
		END IF;
	END LOOP;

	report := pg_catalog.jsonb_build_object('mode', mode, 'tables', tables, 'consents_revoked', revoked);
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, new_definition)
	VALUES (now(), privacy._outer_user(), session_user, 'erase subject',
	        'subject ' OPERATOR(pg_catalog.||) privacy.pseudonym(subject, 'erasure'), report::text);
	RETURN report;
END
$$;
COMMENT ON FUNCTION privacy.erase_subject(text, text) IS
'deletes or anonymizes a subject''s rows in every registered table (children first), keeping rows under legal holds; revokes consents; audited under a pseudonym';

REVOKE ALL ON FUNCTION privacy._check_family_root(regclass, text), privacy._hold_roots(regclass),
	privacy._holds_applying(regclass), privacy._hold_guard(), privacy._hold_trigger_quals(regclass, text),
	privacy._hold_maintenance(boolean), privacy._sync_hold_triggers(regclass),
	privacy._check_new_parent(regclass, regclass) FROM PUBLIC;

-- the active holds of 0.1.0 get their triggers
SELECT privacy._sync_hold_triggers(h.relid) FROM privacy._legal_hold h
WHERE h.released_at IS NULL AND h.id OPERATOR(pg_catalog.=) (
	SELECT min(x.id) FROM privacy._legal_hold x WHERE x.relid OPERATOR(pg_catalog.=) h.relid AND x.released_at IS NULL);

-- policies 0.1.0 accepted on partitions or inheritance children are not
-- applied through their parents: say so (they are kept; move them to the root)
DO $$
DECLARE
	member regclass;
BEGIN
	FOR member IN
		SELECT DISTINCT p.relid FROM (SELECT c.relid FROM privacy._column_policy c
		                              UNION SELECT r.relid FROM privacy._row_policy r) p
		WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) p.relid)
		ORDER BY 1
	LOOP
		RAISE WARNING 'policies declared on % (a partition or inheritance child) are not applied to queries through its parent', member
			USING HINT = 'Declare them on the root table of its family, then drop them from the member.';
	END LOOP;
END
$$;

-- issue 19: consent gating at customer scale. The qual reads privacy._consent
-- with the statement's snapshot (index probes, then a per-execution set for
-- scans) instead of a per-backend copy of the registry, so the trigger that
-- made every backend rebuild that copy goes; set-based grant/revoke.
DROP TRIGGER consent_changed ON privacy._consent;
DROP FUNCTION privacy._consent_changed();

-- Bulk consent: one statement per call for any number of subjects, the
-- same history as one call per subject (a grant supersedes the standing
-- consent, revocation stamps it), and one audit row per call with the count
-- (never the subjects).
CREATE FUNCTION privacy.grant_consent(subjects text[], purpose text, expires_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	who name := privacy._outer_user();
	granted bigint;
BEGIN
	PERFORM privacy._check_policy_admin('record consent');
	IF grant_consent.subjects IS NULL OR grant_consent.purpose IS NULL THEN
		RAISE EXCEPTION 'subjects and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.array_position(grant_consent.subjects, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'subjects must not contain null' USING ERRCODE = 'null_value_not_allowed',
			HINT = 'Remove the null elements; nothing was recorded.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) grant_consent.purpose) THEN
		RAISE EXCEPTION 'purpose "%" does not exist', grant_consent.purpose USING ERRCODE = 'undefined_object';
	END IF;
	IF grant_consent.expires_at IS NOT NULL AND grant_consent.expires_at OPERATOR(pg_catalog.<=) now() THEN
		RAISE EXCEPTION 'consent must expire in the future' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- new grants supersede standing ones (which stay in the history)
	UPDATE privacy._consent c SET revoked_at = now(), revoked_by = who
	WHERE c.purpose OPERATOR(pg_catalog.=) grant_consent.purpose AND c.revoked_at IS NULL
	  AND c.subject OPERATOR(pg_catalog.=) ANY (grant_consent.subjects);
	INSERT INTO privacy._consent (subject, purpose, granted_at, expires_at, granted_by)
	SELECT DISTINCT s.subject, grant_consent.purpose, now(), grant_consent.expires_at, who
	FROM pg_catalog.unnest(grant_consent.subjects) AS s(subject);
	GET DIAGNOSTICS granted = ROW_COUNT;
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
	WHERE c.purpose OPERATOR(pg_catalog.=) revoke_consent.purpose AND c.revoked_at IS NULL
	  AND c.subject OPERATOR(pg_catalog.=) ANY (revoke_consent.subjects);
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

REVOKE ALL ON FUNCTION privacy.grant_consent(text[], text, timestamptz), privacy.revoke_consent(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy.grant_consent(text[], text, timestamptz), privacy.revoke_consent(text[], text) TO PUBLIC;
