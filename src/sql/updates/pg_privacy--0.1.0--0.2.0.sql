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
