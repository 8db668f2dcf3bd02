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
		RAISE EXCEPTION 'purpose "%" does not exist', allow_purpose.purpose USING ERRCODE = 'undefined_object', HINT = 'Create it first with privacy.create_purpose(name, description).';
	END IF;
	INSERT INTO privacy._purpose_role VALUES (allow_purpose.role, allow_purpose.purpose) ON CONFLICT DO NOTHING;
	PERFORM privacy._invalidate_policies('privacy._purpose_role'::regclass);
END
$$;
COMMENT ON FUNCTION privacy.allow_purpose(regrole, text) IS
'lets a role (and its members) declare a purpose with SET privacy.purpose';

-- privacy._export_rows(tbl, ids, subject, token_columns, token_formats): one
-- table's part of export_subject. Reads the subject's rows as the table's
-- owner (restricted: the owner's code runs with the owner's rights, never
-- the caller's), every row whatever row policies say, masked for the caller;
-- {"error": "permission denied"} when the caller may not read the table,
-- refused (42501) when the owner's own row-security policies apply to the
-- caller; token columns are then detokenized as the caller (each
-- detokenization audited as usual). Records the disclosure durably (action 'export subject',
-- object 'subject <pseudonym> in <table>', value_count = rows) before
-- returning, even if the caller's transaction later aborts. Administrators
-- only.
CREATE FUNCTION privacy._export_rows(tbl regclass, ids tid[], subject text, token_columns text[], token_formats text[])
RETURNS jsonb
AS 'MODULE_PATHNAME', 'pg_privacy__export_rows'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._export_rows(regclass, tid[], text, text[], text[]) IS
'rows of one registered table for export_subject, read as the table owner and masked for the caller, every row; audited durably (administrators only)';

-- privacy.export_subject(subject): everything the registered tables hold
-- about a subject, as {"schema.table": [rows...]}: one key per registered
-- table searched, [] when the subject has no row there. Rows are located by
-- a definer helper (administrators only, every row whatever row policies
-- say), then read through privacy._export_rows as the table's owner:
-- masking applies to the caller, pg_privacy's row policies do not; token
-- columns are detokenized only when the caller may detokenize their format;
-- a table the caller cannot read is reported as {"error": "permission
-- denied"}. If other row-security policies (the owner's own) apply to the
-- caller, the export is refused (42501): never a silently partial result. Each table read is recorded in privacy.audit_log
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
		-- {"error": "permission denied"} for a table the caller cannot read
		-- {"error": "not a table"} for a registered table turned into a view
		IF t.ids IS NULL THEN
			result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::text,
				pg_catalog.jsonb_build_object('error', 'not a table'));
			CONTINUE;
		END IF;
		rows := privacy._export_rows(t.relid, t.ids, subject, cols, fmts);
		-- more rows than located: never hand over rows that are not the subject's
		IF pg_catalog.jsonb_typeof(rows) OPERATOR(pg_catalog.=) 'array'
		   AND pg_catalog.jsonb_array_length(rows) OPERATOR(pg_catalog.>) pg_catalog.cardinality(t.ids) THEN
			RAISE EXCEPTION 'export of the subject refused: % read more rows than were located',
				t.relid
				USING ERRCODE = '40001',
				      DETAIL = 'The table changed while the subject was exported.',
				      HINT = 'Run the export again.';
		END IF;
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
		ELSE '((' OPERATOR(pg_catalog.||) string_agg('(' OPERATOR(pg_catalog.||) privacy._analyze_hold_condition(tbl, privacy._current_expression(h.condition_function, h.condition))
			OPERATOR(pg_catalog.||) ')', ' OR ' ORDER BY h.id)
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
	-- purges and erasures evaluate the hold as the table's owner: a
	-- superuser's table runs only what superusers declared (issue 14)
	IF (SELECT r.rolsuper FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
	    WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	   AND NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false) THEN
		RAISE EXCEPTION 'permission denied to place legal holds on %', tbl USING ERRCODE = 'insufficient_privilege',
			DETAIL = 'The table is owned by a superuser, and pg_privacy evaluates legal holds as the table''s owner.',
			HINT = 'Make a role that is not a superuser own the table, or have a superuser place the hold.';
	END IF;
	-- the hold applies to the whole family, and a member's truncation, drop
	-- or detach evaluates it as that member's owner: a family with a
	-- superuser's member is a superuser's table (red-team 5 F3)
	IF NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false) THEN
		SELECT m.f INTO root FROM (
			SELECT privacy._family(r::regclass) AS f FROM privacy._hold_roots(tbl) AS r
			UNION SELECT privacy._family(tbl)) m
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.f::oid
		JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
		WHERE r.rolsuper ORDER BY m.f::oid LIMIT 1;
		IF root IS NOT NULL THEN
			RAISE EXCEPTION 'permission denied to place legal holds on %', tbl USING ERRCODE = 'insufficient_privilege',
				DETAIL = pg_catalog.format('Its family has a member owned by a superuser, %s, and pg_privacy evaluates legal holds as each member''s owner.', root::regclass),
				HINT = 'Make a role that is not a superuser own every table of the family, or have a superuser place the hold.';
		END IF;
		root := NULL;
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
	-- this lock (a lock no other role can take)
	PERFORM privacy._retention_lock(tbl, 1, false, false, true);
	FOR root IN SELECT p.relid::oid FROM privacy._retention_policy p
	            WHERE p.relid OPERATOR(pg_catalog.<>) tbl
	              AND EXISTS (SELECT 1 FROM privacy._hold_roots(p.relid) a
	                          WHERE a OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._hold_roots(tbl))))
	            ORDER BY 1 LOOP
		PERFORM privacy._retention_lock(root::regclass, 1, false, false, true);
	END LOOP;
	INSERT INTO privacy._legal_hold (relid, condition, declared_condition, reason, placed_by, placed_at)
	VALUES (tbl, canonical, condition, reason, privacy._outer_user(), now())
	RETURNING id INTO hold_id;
	-- the stored form: what the condition uses cannot be dropped, renames follow
	UPDATE privacy._legal_hold h
	SET condition_function = privacy._create_stored_expression(tbl, NULL, canonical, 'hold condition',
	                                                           format('hold %s of %s', hold_id, tbl))
	WHERE h.id OPERATOR(pg_catalog.=) hold_id;
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
	fn regprocedure;
BEGIN
	PERFORM privacy._check_policy_admin('release legal holds');
	IF release_hold.id IS NULL THEN
		RAISE EXCEPTION 'hold id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	UPDATE privacy._legal_hold h SET released_by = privacy._outer_user(), released_at = now()
	WHERE h.id OPERATOR(pg_catalog.=) release_hold.id AND h.released_at IS NULL
	RETURNING h.relid, h.condition_function INTO tbl, fn;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no active legal hold with id %', release_hold.id USING ERRCODE = 'undefined_object';
	END IF;
	-- a released hold keeps its canonical text as history, not a stored form
	UPDATE privacy._legal_hold h SET condition_function = NULL WHERE h.id OPERATOR(pg_catalog.=) release_hold.id;
	PERFORM privacy._drop_stored_expression(fn);
	PERFORM privacy._sync_hold_triggers(tbl);
END
$$;
COMMENT ON FUNCTION privacy.release_hold(bigint) IS 'releases an active legal hold';

CREATE FUNCTION privacy._hold_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__hold_guard'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._hold_guard() IS
'trigger: refuses deleting a row under a legal hold or updating it out of the hold (the hold''s condition evaluated as the table''s owner)';

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
	citus boolean;
	t record;
	h record;
	condition text;
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
		citus := privacy._citus_table(member);
		FOR t IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
		         WHERE tg.tgrelid OPERATOR(pg_catalog.=) member
		           AND tg.tgfoid OPERATOR(pg_catalog.=) 'privacy._hold_guard()'::pg_catalog.regprocedure
		           AND (NOT coalesce(pg_catalog.substring(tg.tgname, '^privacy_hold_([0-9]+)_')::bigint
		                             OPERATOR(pg_catalog.=) ANY (wanted), false)
		                OR tg.tgqual IS NOT NULL OR tg.tgnargs OPERATOR(pg_catalog.<>) CASE WHEN citus THEN 2 ELSE 1 END)
		         ORDER BY 1 LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, member);
		END LOOP;
		FOR h IN SELECT l.id, l.condition_function, l.condition, l.placed_by
		         FROM privacy._legal_hold l
		         WHERE l.id OPERATOR(pg_catalog.=) ANY (wanted) ORDER BY l.id LOOP
			-- validated again on this member: one that no longer validates
			-- refuses the statement (its message names functions and types,
			-- never the condition's values); a hold of 0.1.0 on a column
			-- the member lacks gets its triggers, which keep every row of
			-- the member (fail closed)
			BEGIN
				condition := privacy._analyze_hold_condition(member,
					privacy._current_expression(h.condition_function, h.condition));
			EXCEPTION WHEN undefined_column THEN
				condition := NULL;
				RAISE WARNING 'legal hold % cannot be evaluated on %: its condition uses a column the table does not have', h.id, member
					USING DETAIL = 'pg_privacy keeps every row of the table that the hold applies to (fail closed) until the hold is released.',
					      HINT = 'Release the hold with privacy.release_hold() and place it again.';
			END;
			FOREACH kind IN ARRAY ARRAY['update', 'delete'] LOOP
				-- only pg_privacy can make triggers on privacy._hold_guard();
				-- a trigger of the owner with the same name makes this fail
				CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
				                      WHERE tg.tgrelid OPERATOR(pg_catalog.=) member
				                        AND tg.tgname OPERATOR(pg_catalog.=) format('privacy_hold_%s_%s', h.id, kind)
				                        AND tg.tgfoid OPERATOR(pg_catalog.=) 'privacy._hold_guard()'::pg_catalog.regprocedure);
				IF citus THEN
					-- a shard's trigger runs on a worker, which has no
					-- privacy._legal_hold: it carries the canonical condition
					-- and the hold's author (whether a superuser placed it)
					EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION privacy._hold_guard(%L, %L, %L)',
						format('privacy_hold_%s_%s', h.id, kind), upper(kind), member, h.id, coalesce(condition, 'true'), h.placed_by);
				ELSE
					EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION privacy._hold_guard(%L)',
						format('privacy_hold_%s_%s', h.id, kind), upper(kind), member, h.id);
				END IF;
			END LOOP;
		END LOOP;
	END LOOP;
	PERFORM privacy._hold_maintenance(false);
END
$$;
COMMENT ON FUNCTION privacy._sync_hold_triggers(regclass) IS
'creates and drops the hold triggers of a table''s families so that they match the active legal holds (conditions validated again, older WHEN-clause triggers replaced)';
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
					(SELECT privacy._current_expression(l.condition_function, l.condition)
					 FROM privacy._legal_hold l WHERE l.id OPERATOR(pg_catalog.=) h.id));
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
		held := privacy._value_as_owner(part::regclass,
			format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', part::regclass, hold))::boolean;
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
	detached boolean;
	n bigint := 0;
	lock_wait integer;
	batch integer;
	batch_ms integer;
	began timestamptz;
	took float8;
	nblocks bigint;
	per_page real;
	lo_tid tid;
	hi_tid tid;
	lo_ts timestamptz;
	hi_ts timestamptz;
	max_ts timestamptz;
	est real;
	old_timeout text;
	bounds timestamptz[];
	citus boolean;
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
	IF NOT privacy._retention_lock(p.relid, 1, true, false, false) THEN
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
			held := privacy._value_as_owner(target::regclass,
				format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', target::regclass, hold))::boolean;
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
			held := privacy._value_as_owner(target::regclass,
				format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', target::regclass, hold))::boolean;
		END IF;
		IF hi_bound IS NOT NULL AND hi_bound OPERATOR(pg_catalog.<=) r.cutoff AND NOT held
		   AND act.pending OPERATOR(pg_catalog.=) 'true' THEN
			UPDATE privacy._purge_log l SET pending_partition = target, pending_name = target::regclass::text,
				pending_bound = (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c
				                 WHERE c.oid OPERATOR(pg_catalog.=) target)
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
			IF NOT in_transaction THEN
				status := 'detach';
				RETURN;
			END IF;
			-- plain DETACH: DETACH ... CONCURRENTLY cannot run in a transaction
			-- block. It locks the parent in ACCESS EXCLUSIVE mode, and every
			-- query of the table queues behind a waiting request: each attempt
			-- waits at most privacy.purge_partition_lock_timeout, then pauses
			-- (growing) before the next; after 5 the partition's rows are
			-- deleted instead (purge_now was asked to purge now)
			old_timeout := pg_catalog.current_setting('lock_timeout');
			detached := false;
			FOR attempt IN 1..5 LOOP
				PERFORM pg_catalog.set_config('lock_timeout',
					coalesce(pg_catalog.current_setting('privacy.purge_partition_lock_timeout', true), '50ms'), true);
				BEGIN
					EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', p.relid, target::regclass);
					detached := true;
				EXCEPTION WHEN lock_not_available THEN
					detached := false;
				END;
				PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
				EXIT WHEN detached OR attempt OPERATOR(pg_catalog.=) 5;
				PERFORM pg_catalog.pg_sleep(0.1::float8 OPERATOR(pg_catalog.*) (2::float8 OPERATOR(pg_catalog.^) (attempt OPERATOR(pg_catalog.-) 1)::float8));
			END LOOP;
			IF detached THEN
				EXECUTE format('DROP TABLE %s', target::regclass);
				UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
					partitions_dropped = l.partitions_dropped OPERATOR(pg_catalog.+) 1,
					target_idx = l.target_idx OPERATOR(pg_catalog.+) 1
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
				RETURN;
			END IF;
			UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		END IF;
		-- partly expired (or holding held rows): sweep its rows
	END IF;

	pred := format('%I < $1 AND %s AND %s', p.time_column, hold, act.pending);
	citus := privacy._citus_table(target::regclass);
	IF citus AND r.method OPERATOR(pg_catalog.<>) 'time_slice' THEN
		RAISE EXCEPTION 'the % method cannot purge Citus table %', r.method, target::regclass
			USING ERRCODE = 'feature_not_supported',
			      HINT = 'Start a new run: Citus tables are purged by time slices.';
	END IF;

	IF r.method OPERATOR(pg_catalog.=) 'time_slice' THEN
		IF r.pos_ts IS NULL THEN
			bounds := privacy._value_as_owner(target::regclass,
				format('SELECT ARRAY[min(%1$I)::timestamptz, max(%1$I)::timestamptz] FROM ONLY %2$s', p.time_column, target::regclass))::timestamptz[];
			lo_ts := bounds[1];
			max_ts := bounds[2];
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
	SELECT max(s.setting) FILTER (WHERE s.name OPERATOR(pg_catalog.=) 'privacy.purge_lock_wait')::integer,
		max(s.setting) FILTER (WHERE s.name OPERATOR(pg_catalog.=) 'privacy.purge_batch_time')::integer
	INTO lock_wait, batch_ms
	FROM pg_catalog.pg_settings s WHERE s.name OPERATOR(pg_catalog.=) ANY ('{privacy.purge_lock_wait,privacy.purge_batch_time}'::text[]);
	lock_wait := coalesce(lock_wait, 20);
	-- a worker's batches are also bounded in time (privacy.purge_batch_time):
	-- the next batch's range shrinks or grows with the time this one took
	batch_ms := CASE WHEN in_transaction THEN 0 ELSE coalesce(batch_ms, 0) END;
	began := pg_catalog.clock_timestamp();
	IF citus THEN
		-- Citus refuses SKIP LOCKED subqueries on its tables: wait at most
		-- the lock wait (at least 1ms: 0 would wait forever) on every shard.
		-- A session setting never reaches the workers; SET LOCAL does with
		-- citus.propagate_set_commands = 'local' (doc/scale-out.md).
		PERFORM pg_catalog.set_config('citus.propagate_set_commands', 'local', true);
		old_timeout := pg_catalog.current_setting('lock_timeout');
		EXECUTE format('SET LOCAL lock_timeout = %L', greatest(lock_wait, 1)::text);
		BEGIN
			EXECUTE stmt_fast USING r.cutoff, lo_ts, hi_ts;
			GET DIAGNOSTICS n = ROW_COUNT;
		EXCEPTION WHEN lock_not_available THEN
			EXECUTE format('SET LOCAL lock_timeout = %L', old_timeout);
			RAISE EXCEPTION 'rows of Citus table % stayed locked longer than privacy.purge_lock_wait', target::regclass
				USING ERRCODE = 'lock_not_available',
				      HINT = 'The run is retried later; rows of Citus tables cannot be skipped when locked.';
		END;
		EXECUTE format('SET LOCAL lock_timeout = %L', old_timeout);
		lock_wait := -1;
	END IF;
	IF lock_wait OPERATOR(pg_catalog.>) 0 THEN
		old_timeout := pg_catalog.current_setting('lock_timeout');
		BEGIN
			PERFORM pg_catalog.set_config('lock_timeout', lock_wait::text, true);
			IF rng OPERATOR(pg_catalog.=) 'ctid >= $2 AND ctid < $3' THEN
				n := privacy._exec_as_owner(target::regclass, stmt_fast, r.cutoff, lo_tid, hi_tid);
			ELSE
				n := privacy._exec_as_owner(target::regclass, stmt_fast, r.cutoff, lo_ts, hi_ts);
			END IF;
			PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
		EXCEPTION WHEN lock_not_available THEN
			lock_wait := 0;
		END;
	END IF;
	IF lock_wait OPERATOR(pg_catalog.=) 0 THEN
		IF rng OPERATOR(pg_catalog.=) 'ctid >= $2 AND ctid < $3' THEN
			n := privacy._exec_as_owner(target::regclass, stmt_skip, r.cutoff, lo_tid, hi_tid);
		ELSE
			n := privacy._exec_as_owner(target::regclass, stmt_skip, r.cutoff, lo_ts, hi_ts);
		END IF;
	END IF;
	batch_rows := n;
	took := extract(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) began) OPERATOR(pg_catalog.*) 1000;

	IF r.method OPERATOR(pg_catalog.=) 'time_slice' THEN
		-- adapt the slice to the batch size (and to the batch time)
		IF batch_ms OPERATOR(pg_catalog.>) 0 AND took OPERATOR(pg_catalog.>) batch_ms THEN
			r.slice := greatest(r.slice OPERATOR(pg_catalog./) 2, '1 second'::interval);
		ELSIF n OPERATOR(pg_catalog.<) (batch OPERATOR(pg_catalog./) 2) AND r.slice OPERATOR(pg_catalog.<) '1 year'::interval
		   AND (batch_ms OPERATOR(pg_catalog.=) 0 OR took OPERATOR(pg_catalog.<) (batch_ms OPERATOR(pg_catalog./) 2)) THEN
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
		r.pos := r.pos OPERATOR(pg_catalog.+) r.step_blocks;
		IF batch_ms OPERATOR(pg_catalog.>) 0 THEN
			-- the next range: scaled to the batch time (at most halved or
			-- doubled at a time), never above the batch size's
			SELECT CASE WHEN c.relpages OPERATOR(pg_catalog.>) 0 AND c.reltuples OPERATOR(pg_catalog.>) 0
			            THEN c.reltuples OPERATOR(pg_catalog./) c.relpages ELSE 100 END
			INTO per_page FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
			r.step_blocks := least(greatest(1, (batch OPERATOR(pg_catalog./) greatest(per_page, 1))::integer),
				greatest(1, (r.step_blocks::float8 OPERATOR(pg_catalog.*)
					least(2, greatest(0.5, batch_ms::float8 OPERATOR(pg_catalog./) greatest(took, 0.1))))::integer));
		END IF;
		UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
			pos = r.pos, pos_end = r.pos_end, step_blocks = r.step_blocks
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
CREATE OR REPLACE FUNCTION privacy.erase_subject(subject text, mode text DEFAULT 'delete')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	h record;
	vc record;
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
	links jsonb := '{}';
	refs jsonb := '{}';
BEGIN
	PERFORM privacy._check_policy_admin('erase data subjects');
	PERFORM privacy._check_subject_tables();
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

	-- parents first: the subject's rows of each table, and the values of its
	-- columns that registered children reference
	FOR t IN SELECT s.relid, s.depth, privacy._erasure_condition(s.relid) AS pred
	         FROM privacy._subject_tables() s ORDER BY s.depth, s.relid::text LOOP
		FOR vc IN SELECT DISTINCT x.via_column FROM privacy._subject_table x
		         WHERE x.via OPERATOR(pg_catalog.=) t.relid ORDER BY 1 LOOP
			links := links OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
				t.relid::oid::text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) vc.via_column,
				coalesce(privacy._value_as_owner(t.relid, pg_catalog.format(
					'SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT %I::text)) FROM %s WHERE %s',
					vc.via_column, t.relid, t.pred), subject, links, refs)::jsonb, '[]'::jsonb));
		END LOOP;
	END LOOP;

	FOR t IN SELECT s.relid, s.depth, privacy._erasure_condition(s.relid) AS pred
	         FROM privacy._subject_tables() s ORDER BY s.depth DESC, s.relid::text LOOP
		pred := t.pred;
		-- held rows: active holds of the table, and (when deleting) rows still
		-- referenced by kept rows of registered children
		holds := '[]';
		held := 0;
		-- (holds placed on any member of the table's family, issue 15)
		FOR h IN SELECT lh.id, lh.reason, privacy._current_expression(lh.condition_function, lh.condition) AS condition
		         FROM privacy._legal_hold lh
		         WHERE lh.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._holds_applying(t.relid)))
		         ORDER BY lh.id LOOP
			affected := privacy._value_as_owner(t.relid, pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND (%s)',
				t.relid, pred, privacy._analyze_hold_condition(t.relid, h.condition)), subject, links, refs)::bigint;
			IF affected OPERATOR(pg_catalog.>) 0 THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('hold_id', h.id, 'reason', h.reason, 'rows', affected);
			END IF;
		END LOOP;
		SELECT pg_catalog.concat_ws(' AND ', NULLIF(privacy._hold_predicate(t.relid), 'true'),
			pg_catalog.string_agg(pg_catalog.format('NOT (%I OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text($3 OPERATOR(pg_catalog.->) %L))::%s[]))',
			                                        ch.via_column, ch.relid::oid::text,
			                                        (SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
			                                         WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attname OPERATOR(pg_catalog.=) ch.via_column)),
			                      ' AND ' ORDER BY ch.relid::text))
		INTO keep
		FROM privacy._subject_table ch
		WHERE ch.via OPERATOR(pg_catalog.=) t.relid AND mode OPERATOR(pg_catalog.=) 'delete';
		IF keep OPERATOR(pg_catalog.<>) '' THEN
			held := privacy._value_as_owner(t.relid, pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND NOT (%s)', t.relid, pred, keep),
				subject, links, refs)::bigint;
			IF held OPERATOR(pg_catalog.>) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
			                                 FROM pg_catalog.jsonb_array_elements(holds) x) THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('reason', 'referenced by held rows of a child table',
					'rows', held OPERATOR(pg_catalog.-) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
					                                     FROM pg_catalog.jsonb_array_elements(holds) x));
			END IF;
			pred := '(' OPERATOR(pg_catalog.||) pred OPERATOR(pg_catalog.||) ') AND ' OPERATOR(pg_catalog.||) keep;
		END IF;
		IF mode OPERATOR(pg_catalog.=) 'delete' THEN
			affected := privacy._exec_as_owner(t.relid, pg_catalog.format('DELETE FROM %s WHERE %s', t.relid, pred),
				subject, links, refs);
			tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'deleted', affected,
				'held_back', held, 'holds', holds);
		ELSE
			SELECT pg_catalog.string_agg(pg_catalog.format('%I = (%s)', m.column_name, privacy._analyze_mask(t.relid, m.column_name, privacy._current_expression(m.mask_function, m.mask), true)),
			                             ', ' ORDER BY m.column_name)
			INTO set_list FROM privacy._column_policy m
			WHERE m.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(t.relid));
			IF set_list IS NULL THEN
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', 0,
					'held_back', held, 'holds', holds, 'note', 'no masking policy: rows kept unchanged');
			ELSE
				-- the masks are canonical for the pinned search_path and read
				-- raw values: the UPDATE is planned unmasked, and runs (with
				-- everything it fires) as the table's owner
				affected := privacy._exec_as_owner(t.relid, pg_catalog.format('UPDATE %s SET %s WHERE %s', t.relid, set_list, pred),
					subject, links, refs);
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', affected,
					'held_back', held, 'holds', holds);
			END IF;
		END IF;
		-- the values of this table's subject rows that are still there keep
		-- the parent rows they reference
		IF mode OPERATOR(pg_catalog.=) 'delete' AND t.depth OPERATOR(pg_catalog.>) 0 THEN
			refs := refs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::oid::text,
				coalesce(privacy._value_as_owner(t.relid, pg_catalog.format(
					'SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT %I::text)) FROM %s WHERE %s',
					(SELECT x.subject_column FROM privacy._subject_table x WHERE x.relid OPERATOR(pg_catalog.=) t.relid),
					t.relid, t.pred), subject, links, refs)::jsonb, '[]'::jsonb));
		END IF;
	END LOOP;

	-- registered tables that are no longer tables (a view now) are not
	-- touched, and reported
	FOR t IN SELECT s.relid FROM privacy._subject_table s
	         WHERE s.relid OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT x.relid FROM privacy._subject_tables() x))
	         ORDER BY s.relid::text LOOP
		tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'error', 'not a table');
	END LOOP;

	-- the subject's standing consents: one descent of the standing index
	-- (purpose, subject) per declared purpose (every consent's purpose is
	-- one: the foreign key), instead of reading the whole registry (issue 19)
	FOR purpose IN SELECT p.name FROM privacy._purpose p
	               WHERE EXISTS (SELECT FROM privacy._consent c
	                             WHERE c.purpose COLLATE "C" OPERATOR(pg_catalog.=) p.name
	                               AND c.subject COLLATE "C" OPERATOR(pg_catalog.=) erase_subject.subject
	                               AND c.revoked_at IS NULL)
	               ORDER BY 1 LOOP
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

-- issue 18: discovery precision. A qualifier after the keyword
-- (email_template_id) or a type or sampled values that contradict the
-- category (integers for an email, model names for a phone) demote a
-- name-only match below a finding; capitalised word pairs alone are not
-- personal names, values that start with a known first name are.
CREATE FUNCTION privacy._known_name(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__known_name'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._known_name(text) IS
'discovery validator: whether a value starts with a known first name, or is one known first or last name';
REVOKE ALL ON FUNCTION privacy._known_name(text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION privacy.discover(schema name DEFAULT NULL, sample_rows integer DEFAULT 200,
	OUT table_name regclass, OUT column_name name, OUT category text, OUT confidence numeric, OUT evidence text,
	OUT classified_as text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	col record;
	nc record;
	sample_sql text;
	n bigint; c_email bigint; c_card bigint; c_iban bigint; c_iban_shape bigint; c_phone bigint; c_ip bigint;
	c_dob bigint; c_nid bigint; c_person bigint; c_address bigint; c_prose bigint; c_digits bigint; c_numeric bigint;
	c_known bigint;
	name_conf numeric;
	name_note text;
	qualifier text;
	hits bigint;
	best_cat text;
	best_conf numeric;
	best_ev text;
	cand record;
BEGIN
	PERFORM privacy._check_policy_admin('discover personal data');
	IF sample_rows IS NULL OR sample_rows OPERATOR(pg_catalog.<) 1 OR sample_rows OPERATOR(pg_catalog.>) 100000 THEN
		RAISE EXCEPTION 'sample_rows must be between 1 and 100000' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF schema IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) schema) THEN
		RAISE EXCEPTION 'schema "%" does not exist', schema USING ERRCODE = 'invalid_schema_name';
	END IF;
	-- forget findings about tables that are gone
	DELETE FROM privacy._discovery d
	WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) d.relid::oid);
	FOR t IN
		SELECT c.oid::regclass AS relid, c.reltuples
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND (discover.schema IS NULL OR n.nspname OPERATOR(pg_catalog.=) discover.schema)
		  AND n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog', 'information_schema', 'privacy', 'pg_toast'])
		  AND n.nspname !~~ 'pg\_temp\_%' AND n.nspname !~~ 'pg\_toast\_temp\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
		                  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
		                    AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')
		ORDER BY n.nspname, c.relname
	LOOP
		DELETE FROM privacy._discovery d WHERE d.relid OPERATOR(pg_catalog.=) t.relid;
		-- a bounded sample: the first sample_rows rows of a small table, or a
		-- repeatable block sample of a large one
		sample_sql := pg_catalog.format('%s%s LIMIT %s', t.relid,
			CASE WHEN t.reltuples OPERATOR(pg_catalog.>) (10 OPERATOR(pg_catalog.*) sample_rows)
			     THEN pg_catalog.format(' TABLESAMPLE SYSTEM (%s) REPEATABLE (0)',
			              LEAST(100, pg_catalog.ceil(400.0 OPERATOR(pg_catalog.*) sample_rows OPERATOR(pg_catalog./) t.reltuples)))
			     ELSE '' END,
			sample_rows);
		FOR col IN
			SELECT a.attname, a.atttypid, pg_catalog.format_type(a.atttypid, NULL) AS typname
			FROM pg_catalog.pg_attribute a
			WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
			ORDER BY a.attnum
		LOOP
			SELECT * INTO nc FROM privacy._name_category(col.attname);
			n := 0; c_email := 0; c_card := 0; c_iban := 0; c_iban_shape := 0; c_phone := 0; c_ip := 0;
			c_dob := 0; c_nid := 0; c_person := 0; c_address := 0; c_prose := 0; c_digits := 0; c_numeric := 0;
			c_known := 0;
			IF col.atttypid OPERATOR(pg_catalog.=) ANY (ARRAY['text', 'character varying', 'character', 'inet', 'cidr',
			       'date', 'timestamp without time zone', 'timestamp with time zone', 'privacy.card_token']::regtype[]::oid[])
			   OR pg_catalog.format_type(col.atttypid, NULL) OPERATOR(pg_catalog.=) 'citext' THEN
				EXECUTE pg_catalog.format($q$
					SELECT count(v) AS n,
						count(*) FILTER (WHERE v ~ '^[^@[:space:]]+@[^@[:space:]]+\.[A-Za-z]{2,}$') AS email,
						count(*) FILTER (WHERE privacy._luhn_ok(pg_catalog.translate(v, ' -', ''))) AS card,
						count(*) FILTER (WHERE privacy._iban_ok(v)) AS iban,
						count(*) FILTER (WHERE pg_catalog.upper(pg_catalog.replace(v, ' ', '')) ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$') AS iban_shape,
						count(*) FILTER (WHERE v ~ '^\+?[0-9][0-9 ().-]{5,18}[0-9]$'
						                 AND pg_catalog.length(pg_catalog.regexp_replace(v, '[^0-9]', '', 'g')) BETWEEN 7 AND 15
						                 AND NOT privacy._luhn_ok(pg_catalog.translate(v, ' -', ''))) AS phone,
						count(*) FILTER (WHERE v ~ '^([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?$'
						                 OR (v ~ '^[0-9A-Fa-f:]+(/[0-9]{1,3})?$' AND v ~ ':.*:')) AS ip,
						count(*) FILTER (WHERE %2$s AND v::date BETWEEN '1900-01-01' AND (now() OPERATOR(pg_catalog.-) '16 years'::interval)::date) AS dob,
						count(*) FILTER (WHERE v ~ '^[0-9]{3}-[0-9]{2}-[0-9]{4}$' OR v ~ '^[12][0-9]{12}([0-9]{2})?$'
						                 OR v ~ '^[A-CEGHJ-PR-TW-Z]{2}[0-9]{6}[A-D]$' OR v ~ '^[0-9]{8}[A-Z]$'
						                 OR v ~ '^[XYZ][0-9]{7}[A-Z]$') AS national_id,
						count(*) FILTER (WHERE v ~ '^[[:upper:]][[:alpha:]''-]+( [[:upper:]][[:alpha:]''-]+)+$') AS person,
						count(*) FILTER (WHERE v ~ '^[0-9]+[A-Za-z]?,? [[:alpha:]]' OR v ~ '[[:alpha:]],? [0-9]+[A-Za-z]?$') AS address,
						count(*) FILTER (WHERE pg_catalog.length(v) OPERATOR(pg_catalog.>=) 30
						                 AND pg_catalog.array_length(pg_catalog.regexp_split_to_array(v, '\s+'), 1) OPERATOR(pg_catalog.>=) 5) AS prose,
						count(*) FILTER (WHERE pg_catalog.translate(v, ' -', '') ~ '^[0-9]{12,19}$') AS digits,
						count(*) FILTER (WHERE v ~ '^[+-]?[0-9]+([.,][0-9]+)?$') AS numeric,
						count(*) FILTER (WHERE privacy._known_name(v)) AS known_name
					FROM (SELECT %1$I::text AS v FROM %3$s) s WHERE v IS NOT NULL$q$,
					col.attname,
					CASE WHEN col.atttypid OPERATOR(pg_catalog.=) ANY (ARRAY['date', 'timestamp without time zone',
					          'timestamp with time zone']::regtype[]::oid[]) THEN 'true' ELSE 'false' END,
					sample_sql)
				INTO n, c_email, c_card, c_iban, c_iban_shape, c_phone, c_ip, c_dob, c_nid, c_person, c_address, c_prose,
					c_digits, c_numeric, c_known;
			END IF;

			-- How much the name alone says (0.6). It says less when the word
			-- after the keyword makes the column a property of the thing
			-- rather than the thing (email_template_id, phone_model: 0.3),
			-- and little when the column's type or its sampled values
			-- contradict the category (integers for an email, model names
			-- for a phone: 0.15). Either way values that validate still
			-- raise the confidence; alone such a name is below the 0.5 of a
			-- finding.
			name_conf := CASE WHEN nc.category IS NULL THEN 0 ELSE 0.6 END;
			name_note := NULL;
			IF nc.category IS NOT NULL THEN
				qualifier := (pg_catalog.regexp_match(pg_catalog.lower(col.attname::text),
					'(?:^|_)' OPERATOR(pg_catalog.||) nc.keyword OPERATOR(pg_catalog.||) '_([[:alnum:]]+)'))[1];
				IF qualifier OPERATOR(pg_catalog.=) ANY (ARRAY['id', 'ids', 'type', 'types', 'model', 'models', 'template',
				       'templates', 'count', 'counts', 'status', 'flag', 'enabled', 'verified', 'format', 'kind',
				       'provider', 'optin', 'opt', 'sent', 'bounced', 'version', 'length', 'len', 'policy', 'config',
				       'setting', 'settings', 'category', 'level', 'source', 'channel', 'code', 'tipo', 'modelo',
				       'modele', 'typ', 'modell', 'anzahl', 'nombre']) THEN
					name_conf := 0.3;
					name_note := pg_catalog.format('"%s" after it makes it a property, not the value itself', qualifier);
				END IF;
				hits := CASE nc.category
					WHEN 'email' THEN c_email WHEN 'ip_address' THEN c_ip WHEN 'iban' THEN c_iban_shape
					WHEN 'payment_card' THEN c_digits WHEN 'phone' THEN c_phone END;
				IF col.typname IN ('boolean')
				   OR (col.typname IN ('smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision')
				       AND nc.category OPERATOR(pg_catalog.<>) ALL (ARRAY['payment_card', 'phone', 'national_id', 'date_of_birth'])) THEN
					name_conf := 0.15;
					name_note := pg_catalog.format('but its type %s cannot hold it', col.typname);
				ELSIF n OPERATOR(pg_catalog.>=) 5 AND hits IS NOT NULL
				      AND hits::numeric OPERATOR(pg_catalog./) n OPERATOR(pg_catalog.<) 0.1 THEN
					name_conf := 0.15;
					name_note := pg_catalog.format('but %s/%s sampled values fit the category', hits, n);
				ELSIF n OPERATOR(pg_catalog.>=) 5 AND nc.category IN ('person_name', 'postal_address', 'email', 'free_text')
				      AND c_numeric::numeric OPERATOR(pg_catalog./) n OPERATOR(pg_catalog.>=) 0.9 THEN
					name_conf := 0.15;
					name_note := pg_catalog.format('but %s/%s sampled values are numbers', c_numeric, n);
				END IF;
			END IF;

			best_cat := NULL; best_conf := 0; best_ev := NULL;
			FOR cand IN
				WITH v(category, hits, weight, what) AS (VALUES
					('email', c_email, 0.9, 'are email addresses'),
					('payment_card', c_card, 0.9, 'are Luhn-valid card numbers'),
					('iban', c_iban, 0.9, 'are IBANs with a valid mod-97 checksum'),
					('iban', c_iban_shape, 0.5, 'have the shape of an IBAN'),
					('phone', c_phone, 0.5, 'have the shape of a phone number'),
					('ip_address', c_ip, 0.9, 'are IP addresses'),
					('date_of_birth', c_dob, 0.5, 'are plausible dates of birth'),
					('national_id', c_nid, 0.5, 'have the shape of a national id'),
					-- capitalised word pairs are as often products or places as people:
					-- alone they never make a finding (0.4), with the name they confirm it
					('person_name', c_person, 0.4, 'look like personal names'),
					('person_name', c_known, 0.9, 'start with or are known names'),
					('postal_address', c_address, 0.5, 'look like street addresses'),
					('free_text', c_prose, 0.5, 'are free text of five words or more')),
				scored(category, value_conf, value_ev) AS (
					SELECT v.category, v.weight OPERATOR(pg_catalog.*) v.hits OPERATOR(pg_catalog./) n,
						pg_catalog.format('%s/%s sampled values %s', v.hits, n, v.what)
					FROM v WHERE n OPERATOR(pg_catalog.>) 0
					  AND v.hits::numeric OPERATOR(pg_catalog./) n OPERATOR(pg_catalog.>=) 0.3
					UNION ALL
					SELECT 'ip_address', 0.9, 'column type is ' OPERATOR(pg_catalog.||) col.typname
					WHERE col.typname IN ('inet', 'cidr')
					UNION ALL
					SELECT 'payment_card', 0.9, 'column type is privacy.card_token (tokenized)'
					WHERE col.typname OPERATOR(pg_catalog.=) 'privacy.card_token'),
				best AS (
					SELECT DISTINCT ON (s.category) s.category, s.value_conf, s.value_ev
					FROM scored s ORDER BY s.category, s.value_conf DESC, s.value_ev),
				cats AS (
					SELECT b.category FROM best b
					UNION
					SELECT nc.category WHERE nc.category IS NOT NULL),
				combined AS (
					SELECT k.category,
						CASE WHEN k.category OPERATOR(pg_catalog.=) nc.category THEN name_conf ELSE 0 END AS name_conf,
						coalesce(b.value_conf, 0) AS value_conf, b.value_ev
					FROM cats k LEFT JOIN best b ON b.category OPERATOR(pg_catalog.=) k.category)
				SELECT m.category,
					pg_catalog.round(1 OPERATOR(pg_catalog.-) ((1 OPERATOR(pg_catalog.-) m.name_conf) OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) m.value_conf)), 2) AS conf,
					pg_catalog.concat_ws('; ',
						CASE WHEN m.name_conf OPERATOR(pg_catalog.>) 0
						     THEN pg_catalog.format('column name matches keyword "%s"', nc.keyword)
						          OPERATOR(pg_catalog.||) coalesce(' (' OPERATOR(pg_catalog.||) name_note OPERATOR(pg_catalog.||) ')', '') END,
						m.value_ev) AS ev
				FROM combined m
				ORDER BY 2 DESC, 1
			LOOP
				IF best_cat IS NULL THEN
					best_cat := cand.category; best_conf := cand.conf; best_ev := cand.ev;
				END IF;
			END LOOP;

			CONTINUE WHEN best_cat IS NULL OR best_conf OPERATOR(pg_catalog.<) 0.5;
			table_name := t.relid;
			column_name := col.attname;
			category := best_cat;
			confidence := best_conf;
			evidence := best_ev;
			classified_as := (SELECT c.category FROM privacy._classification c
			                  WHERE c.relid OPERATOR(pg_catalog.=) t.relid AND c.column_name OPERATOR(pg_catalog.=) col.attname);
			INSERT INTO privacy._discovery AS d (relid, column_name, category, confidence, evidence, found_by, found_at)
			VALUES (t.relid, col.attname, best_cat, best_conf, best_ev, privacy._outer_user(), now())
			ON CONFLICT ON CONSTRAINT _discovery_pkey DO UPDATE
				SET category = excluded.category, confidence = excluded.confidence, evidence = excluded.evidence,
				    found_by = excluded.found_by, found_at = excluded.found_at;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;

-- issue 20: key versions that never collide, rotation for every format, raw FPE
-- that cannot read formats' tokens (and is audited), per-version shredding
CREATE TABLE privacy._token_format_version (
	format      text PRIMARY KEY,
	key_version integer NOT NULL CHECK (key_version >= 1)
);
COMMENT ON TABLE privacy._token_format_version IS
'the key version each non-card token format uses (set by privacy.retokenize; no row: the key''s oldest version)';
SELECT pg_catalog.pg_extension_config_dump('privacy._token_format_version', '');
REVOKE ALL ON privacy._token_format_version FROM PUBLIC;
CREATE OR REPLACE VIEW privacy.token_formats AS
SELECT f.name, f.kind, f.builtin, f.alphabet, f.passthrough, f.keep_prefix, f.keep_suffix, f.min_chars, f.max_chars,
	f.key_name, f.kind OPERATOR(pg_catalog.=) 'card' AS versioned,
	CASE WHEN f.kind OPERATOR(pg_catalog.=) 'card'
	     THEN (SELECT pg_catalog.max(k.version) FROM privacy._key k WHERE k.name OPERATOR(pg_catalog.=) f.key_name)
	     ELSE coalesce((SELECT v.key_version FROM privacy._token_format_version v WHERE v.format OPERATOR(pg_catalog.=) f.name),
	                   (SELECT pg_catalog.min(k.version) FROM privacy._key k WHERE k.name OPERATOR(pg_catalog.=) f.key_name))
	END AS key_version
FROM privacy._token_format f;
COMMENT ON VIEW privacy.token_formats IS
'token formats; versioned: tokens carry their key version (card), key_version: the version new tokens use (card: the newest; others: moved by retokenize)';
CREATE FUNCTION privacy.drop_key_version(name text, version integer, force boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	newest integer;
	oldest integer;
	users text;
BEGIN
	PERFORM privacy._check_policy_admin('drop data key versions');
	IF drop_key_version.name IS NULL OR drop_key_version.version IS NULL OR force IS NULL THEN
		RAISE EXCEPTION 'key name, version and force must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF octet_length(drop_key_version.name) NOT BETWEEN 1 AND 63 THEN
		RAISE EXCEPTION 'key name must have 1 to 63 bytes' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- serializes with rotate_key, retokenize and other drops of this key
	PERFORM FROM privacy._key k WHERE k.name = drop_key_version.name FOR UPDATE;
	SELECT max(k.version), min(k.version) INTO newest, oldest FROM privacy._key k WHERE k.name = drop_key_version.name;
	IF NOT EXISTS (SELECT FROM privacy._key k WHERE k.name = drop_key_version.name AND k.version = drop_key_version.version) THEN
		RAISE EXCEPTION 'data key "%" has no version %', drop_key_version.name, drop_key_version.version
			USING ERRCODE = 'undefined_object';
	END IF;
	IF drop_key_version.version = newest THEN
		RAISE EXCEPTION 'cannot drop the newest version of data key "%"', drop_key_version.name
			USING ERRCODE = 'object_in_use',
			      DETAIL = 'New tokens are made with it.',
			      HINT = 'Rotate the key first, or drop the whole key with privacy.drop_key().';
	END IF;
	-- formats whose tokens do not carry a version and that still use it
	SELECT string_agg(f.name, ', ' ORDER BY f.name) INTO users
	FROM privacy._token_format f LEFT JOIN privacy._token_format_version v ON v.format = f.name
	WHERE f.key_name = drop_key_version.name AND f.kind <> 'card'
	  AND coalesce(v.key_version, oldest) = drop_key_version.version;
	IF users IS NOT NULL AND NOT force THEN
		RAISE EXCEPTION 'version % of data key "%" is used by token formats', drop_key_version.version, drop_key_version.name
			USING ERRCODE = 'object_in_use',
			      DETAIL = format('Formats: %s. Their tokens are made with this version and could never be detokenized again.', users),
			      HINT = 'Move their tokens with privacy.retokenize() first, or pass force => true to crypto-shred them.';
	END IF;
	DELETE FROM privacy._key k WHERE k.name = drop_key_version.name AND k.version = drop_key_version.version;
	-- with force, formats that used the version fall back to the oldest live one
	DELETE FROM privacy._token_format_version v
	USING privacy._token_format f
	WHERE v.format = f.name AND f.key_name = drop_key_version.name AND v.key_version = drop_key_version.version;
	PERFORM privacy._invalidate_keys();
	RAISE WARNING 'version % of data key "%" was destroyed: tokens made with it can never be detokenized again',
		drop_key_version.version, drop_key_version.name
		USING DETAIL = 'This is crypto-shredding; it cannot be undone except by restoring a backup that holds the key.';
END
$$;
COMMENT ON FUNCTION privacy.drop_key_version(text, integer, boolean) IS
'crypto-shredding of one version of a data key (never the newest), which frees its card version slot for a later rotation (force => true when a format still uses it)';
CREATE FUNCTION privacy._forget_format_versions(key text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('drop data keys');
	IF _forget_format_versions.key IS NULL THEN
		RAISE EXCEPTION 'key name must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._token_format_version v USING privacy._token_format f
	WHERE v.format = f.name AND f.key_name = _forget_format_versions.key;
END
$$;
COMMENT ON FUNCTION privacy._forget_format_versions(text) IS
'drop_key: the formats of a dropped key go back to its oldest version (a key created again starts at version 1)';
CREATE FUNCTION privacy._set_format_version(format text, key_version integer)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('retokenize');
	IF _set_format_version.format IS NULL OR _set_format_version.key_version IS NULL THEN
		RAISE EXCEPTION 'format and key version must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- only a version of the format's own key: any other would make its
	-- tokens detokenize under the wrong key
	IF NOT EXISTS (SELECT FROM privacy._token_format f JOIN privacy._key k ON k.name = f.key_name
	               WHERE f.name = _set_format_version.format AND k.version = _set_format_version.key_version) THEN
		RAISE EXCEPTION 'token format "%" has no key version %', _set_format_version.format, _set_format_version.key_version
			USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._token_format_version AS v (format, key_version)
	VALUES (_set_format_version.format, _set_format_version.key_version)
	ON CONFLICT ON CONSTRAINT _token_format_version_pkey DO UPDATE SET key_version = excluded.key_version;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy._set_format_version(text, integer) IS
'retokenize: records the key version a non-card format uses, in the transaction that moved its tokens';
CREATE OR REPLACE FUNCTION privacy.drop_token_format(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('drop token formats');
	IF name IS NULL THEN
		RAISE EXCEPTION 'token format name must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF EXISTS (SELECT FROM privacy._token_format f WHERE f.name = drop_token_format.name AND f.builtin) THEN
		RAISE EXCEPTION 'cannot drop built-in token format "%"', name USING ERRCODE = 'feature_not_supported';
	END IF;
	DELETE FROM privacy._token_format f WHERE f.name = drop_token_format.name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token format "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	DELETE FROM privacy._detokenize_grant g WHERE g.format = drop_token_format.name;
	DELETE FROM privacy._token_format_version v WHERE v.format = drop_token_format.name;
	PERFORM privacy._invalidate_keys();
END
$$;
CREATE FUNCTION privacy.detokenize(token text, format text, key_version integer)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_detokenize'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.detokenize(text, text, integer) IS
'the value of a token made with the given key version (a version column kept next to the tokens); privileged and audited like detokenize(token, format)';
GRANT EXECUTE ON FUNCTION privacy.detokenize(text, text, integer) TO PUBLIC;
COMMENT ON FUNCTION privacy.fpe_encrypt(text, text, text, bytea, text, integer) IS
'raw FF1 (mode ''ff1'') or FF3-1 (mode ''ff3-1'', 7-byte tweak) encryption with a data key (key_version 0: newest); refuses a token format''s tweak';
ALTER FUNCTION privacy.fpe_decrypt(text, text, text, bytea, text, integer) VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.fpe_decrypt(text, text, text, bytea, text, integer) IS
'raw FF1/FF3-1 decryption with a data key; audited; refuses a token format''s tweak; not granted to PUBLIC';
CREATE FUNCTION privacy._retokenize_value(token text, format text, from_version integer, to_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_value'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_value(text, text, integer, integer) IS
'the token, made with key version from_version (0: the one a card token carries), of the same value under key version to_version (0: the newest); the value never leaves C';
CREATE OR REPLACE FUNCTION privacy.retokenize(tbl regclass, col name, format text DEFAULT 'card', batch_size integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	moved bigint := 0;
	n bigint;
	newest integer;
	key text;
	kind text;
	from_version integer;
	coltype text;
	rels oid[];
	atts name[];
	kinds text[];
	ids tid[];
	olds text[];
	news text[];
	ticket bigint;
	last bigint;
	stuck boolean := false;
BEGIN
	PERFORM privacy._check_policy_admin('retokenize');
	IF tbl IS NULL OR col IS NULL OR format IS NULL OR batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'table, column, format and a positive batch size are required'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT f.key_name, f.kind INTO key, kind FROM privacy._token_format f WHERE f.name = format;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token format "%" does not exist', format USING ERRCODE = 'undefined_object';
	END IF;
	SELECT max(k.version) INTO newest FROM privacy._key k WHERE k.name = key;
	IF newest IS NULL THEN
		RAISE EXCEPTION 'data key "%" does not exist', key USING ERRCODE = 'undefined_object';
	END IF;
	SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO coltype FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	-- the tokens are read (cast to text) with pg_privacy's rights: only
	-- built-in types and card_token, whose casts no role can redefine (a
	-- type's owner could attach a cast to text that runs its own code)
	IF EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = col
	           AND a.atttypid >= 16384 AND a.atttypid <> 'privacy.card_token'::pg_catalog.regtype) THEN
		RAISE EXCEPTION 'column "%" of relation % does not have a built-in type or privacy.card_token', col, tbl
			USING ERRCODE = 'feature_not_supported', HINT = 'Keep tokens in text, varchar or privacy.card_token columns.';
	END IF;
	-- a DO INSTEAD rule on UPDATE replaces the UPDATE that moves the tokens
	-- with the owner's action, whose row count would be taken for moved
	-- tokens (red team 5 F12a: the card passes looped until the statement
	-- timeout; other formats would record a version their tokens lack)
	IF EXISTS (SELECT FROM pg_catalog.pg_rewrite r WHERE r.ev_class = tbl AND r.ev_type = '2' AND r.is_instead) THEN
		RAISE EXCEPTION 'cannot retokenize %: a DO INSTEAD rule on UPDATE replaces the update of its tokens', tbl
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Drop the rule (the table''s owner can) and retokenize, then create it again.';
	END IF;
	IF kind <> 'card' THEN
		-- Tokens of this format do not carry their version: every column that
		-- holds them moves in this transaction, together with the version the
		-- format records. The columns are those classified with the format
		-- (privacy.classify(..., token_format => format)), tbl.col among them.
		-- the classification is the list of columns that move together: a
		-- column not in it is refused (it may hold another format's tokens,
		-- which a move would corrupt, and it would be missed next time)
		IF NOT EXISTS (SELECT FROM privacy._classification c
		               WHERE c.relid = tbl AND c.column_name = col AND c.token_format = retokenize.format) THEN
			RAISE EXCEPTION 'column "%" of relation % is not classified as holding tokens of format "%"', col, tbl, format
				USING ERRCODE = 'object_not_in_prerequisite_state',
				      DETAIL = 'Tokens of this format do not carry their key version: every column that holds them moves in one transaction, and the classification is the list of those columns.',
				      HINT = format('Declare it with privacy.classify(%L, %L, category, token_format => %L).', tbl::text, col, format);
		END IF;
		PERFORM FROM privacy._key k WHERE k.name = key FOR UPDATE; -- no concurrent drop_key_version/rotate
		SELECT coalesce((SELECT v.key_version FROM privacy._token_format_version v WHERE v.format = retokenize.format),
		                (SELECT min(k.version) FROM privacy._key k WHERE k.name = key)) INTO from_version;
		IF from_version = newest THEN
			RETURN 0;
		END IF;
		IF NOT EXISTS (SELECT FROM privacy._key k WHERE k.name = key AND k.version = from_version) THEN
			RAISE EXCEPTION 'data key "%" has no version %, which token format "%" uses', key, from_version, format
				USING ERRCODE = 'undefined_object';
		END IF;
		-- Every token must move exactly once: a token moved twice is garbage.
		-- Targets are expanded to the tables that store rows (partitions and
		-- inheritance children), each updated ONLY once even when reached
		-- through a parent and itself; views and foreign tables are refused
		-- (their rows live elsewhere and could be reached twice).
		IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
			RAISE EXCEPTION 'retokenize of format "%" needs READ COMMITTED', format
				USING ERRCODE = 'feature_not_supported',
				      DETAIL = 'Rows committed by writers it waited for must be visible to it.';
		END IF;
		WITH RECURSIVE named(relid, attname) AS (
			SELECT tbl::oid, col
			UNION
			SELECT c.relid::oid, c.column_name FROM privacy._classification c WHERE c.token_format = retokenize.format
		), tree(relid, attname) AS (
			SELECT n.relid, n.attname FROM named n
			UNION
			SELECT i.inhrelid, t.attname FROM pg_catalog.pg_inherits i JOIN tree t ON i.inhparent = t.relid
		)
		SELECT array_agg(t.relid ORDER BY t.relid, t.attname), array_agg(t.attname ORDER BY t.relid, t.attname),
		       array_agg(c.relkind::text ORDER BY t.relid, t.attname)
		INTO rels, atts, kinds
		FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.relid
		JOIN pg_catalog.pg_attribute a ON a.attrelid = t.relid AND a.attname = t.attname AND a.attnum > 0 AND NOT a.attisdropped;
		FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
			IF EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = rels[i] AND a.attname = atts[i]
			           AND a.atttypid >= 16384 AND a.atttypid <> 'privacy.card_token'::pg_catalog.regtype) THEN
				RAISE EXCEPTION 'column "%" of relation % does not have a built-in type or privacy.card_token', atts[i], rels[i]::regclass
					USING ERRCODE = 'feature_not_supported', HINT = 'Keep tokens in text, varchar or privacy.card_token columns.';
			END IF;
			IF EXISTS (SELECT FROM pg_catalog.pg_rewrite r WHERE r.ev_class = rels[i] AND r.ev_type = '2' AND r.is_instead) THEN
				RAISE EXCEPTION 'cannot retokenize %: a DO INSTEAD rule on UPDATE replaces the update of its tokens', rels[i]::regclass
					USING ERRCODE = 'object_not_in_prerequisite_state',
					      HINT = 'Drop the rule (the table''s owner can) and retokenize, then create it again.';
			END IF;
			IF kinds[i] NOT IN ('r', 'p') THEN
				RAISE EXCEPTION 'cannot retokenize format "%" through %', format, rels[i]::regclass
					USING ERRCODE = 'wrong_object_type',
					      HINT = 'Classify the columns of the tables that store the tokens, not of views or foreign tables.';
			END IF;
		END LOOP;
		-- writers wait (parents too: an INSERT through a parent locks it before computing tokens)
		FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
			EXECUTE format('LOCK TABLE %s IN EXCLUSIVE MODE', rels[i]::regclass);
		END LOOP;
		-- each storing table once: the new tokens are computed here (the values
		-- never leave C), then written by one UPDATE ONLY run as the table's
		-- owner (its triggers run with the owner's rights)
		FOR i IN 1 .. coalesce(array_length(rels, 1), 0) LOOP
			CONTINUE WHEN kinds[i] <> 'r';
			SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO coltype FROM pg_catalog.pg_attribute a
			WHERE a.attrelid = rels[i] AND a.attname = atts[i];
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid), pg_catalog.array_agg(%1$I::text), '
			               'privacy._retokenize_values(pg_catalog.array_agg(%1$I::text), $1, $2, $3) '
			               'FROM ONLY %2$s WHERE %1$I IS NOT NULL', atts[i], rels[i]::regclass)
				INTO ids, olds, news USING format, from_version, newest;
			CONTINUE WHEN ids IS NULL;
			n := privacy._exec_as_owner(rels[i]::regclass, pg_catalog.format('UPDATE ONLY %1$s t SET %2$I = v.new::%3$s '
			               'FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.tid[]), pg_catalog.unnest($2::text[]), '
			               'pg_catalog.unnest($3::text[])) AS v(id, old, new) '
			               'WHERE t.ctid OPERATOR(pg_catalog.=) v.id AND t.%2$I::text OPERATOR(pg_catalog.=) v.old',
			               rels[i]::regclass, atts[i], coltype),
				ids, olds, news);
			-- writers wait, so every row read above is still there: a row the
			-- UPDATE did not write was skipped by the owner's BEFORE UPDATE
			-- trigger (it returned NULL) or hidden by the owner's row security,
			-- and would keep a token of the version the format no longer records
			IF n <> pg_catalog.cardinality(ids) THEN
				RAISE EXCEPTION 'cannot retokenize %: % of its % tokens were not updated', rels[i]::regclass,
					pg_catalog.cardinality(ids) - n, pg_catalog.cardinality(ids)
					USING ERRCODE = 'object_not_in_prerequisite_state',
					      DETAIL = 'The update of their rows was skipped (a BEFORE UPDATE trigger of the table returned NULL) or they are hidden from the table''s owner by row security. Nothing was moved.',
					      HINT = 'Let the table''s triggers pass this update (or disable them) and retokenize again.';
			END IF;
			moved := moved + n;
		END LOOP;
		PERFORM privacy._set_format_version(format, newest);
		RETURN moved;
	END IF;
	-- Card tokens carry their version: one UPDATE, run as the table's owner
	-- (its triggers run with the owner's rights), computes each new token
	-- and writes it, reading every row once. The functions it calls work
	-- only with this transaction's ticket, a bind parameter the owner's code
	-- cannot read; the target version is the one the ticket names, even if
	-- a rotation commits meanwhile. A row committed behind the statement's
	-- snapshot is moved by the next pass, until a pass moves nothing. Each
	-- pass after the first only sees rows committed during the one before,
	-- so it must report fewer: a pass that does not (a trigger of the owner
	-- that keeps the old token, or reports rows it did not move) stops the
	-- loop with an error instead of running until the statement timeout.
	-- A pass that moves nothing ends the loop only if no row the owner sees
	-- still holds a token of another version: rows whose update the owner's
	-- BEFORE UPDATE (or INSTEAD OF) trigger skips by returning NULL would
	-- otherwise be left behind silently. One more pass first, for a row
	-- committed between the pass and the check; a second pass in a row that
	-- moves nothing while rows are left is an error.
	ticket := privacy._retokenize_ticket(format, newest);
	last := NULL;
	LOOP
		n := privacy._exec_as_owner(tbl, pg_catalog.format('UPDATE %1$s t SET %2$I = '
		               'privacy._retokenize_in_place(t.%2$I::text, $1, $2)::%3$s '
		               'WHERE t.%2$I IS NOT NULL AND privacy._retokenize_needed(t.%2$I::text, $1, $2)',
		               tbl, col, coltype),
			format, ticket);
		IF n = 0 THEN
			EXIT WHEN privacy._exec_as_owner(tbl, pg_catalog.format('SELECT FROM %1$s t '
			               'WHERE t.%2$I IS NOT NULL AND privacy._retokenize_needed(t.%2$I::text, $1, $2) LIMIT 1',
			               tbl, col),
				format, ticket) = 0;
			IF stuck THEN
				RAISE EXCEPTION 'cannot retokenize %: the update of rows whose tokens must move was skipped', tbl
					USING ERRCODE = 'object_not_in_prerequisite_state',
					      DETAIL = 'A trigger of the table (BEFORE UPDATE, or INSTEAD OF UPDATE on a view) returned NULL for rows whose tokens must move, so they would keep their old tokens. Nothing was moved.',
					      HINT = 'Let the table''s triggers pass this update (or disable them) and retokenize again.';
			END IF;
			stuck := true;
			CONTINUE;
		END IF;
		stuck := false;
		IF last IS NOT NULL AND n >= last THEN
			RAISE EXCEPTION 'cannot retokenize %: its tokens do not move', tbl
				USING ERRCODE = 'object_not_in_prerequisite_state',
				      DETAIL = 'A pass reported as many rows as the one before: a trigger or rule of the table keeps the tokens from being updated.',
				      HINT = 'Disable the table''s triggers and rules that change the update, or retry if writers were busy.';
		END IF;
		last := n;
		moved := moved + n;
	END LOOP;
	PERFORM privacy._retokenize_ticket(format, 0); -- the ticket dies here
	RETURN moved;
END
$$;
COMMENT ON FUNCTION privacy.retokenize(regclass, name, text, integer) IS
'moves tokens to the newest version of the format''s key and returns how many moved: card tokens of the column in one UPDATE as the table''s owner (batch_size is no longer used), other formats: every column classified with the format (the column must be one) and the format itself, in one transaction';
REVOKE ALL ON FUNCTION privacy._retokenize_value(text, text, integer, integer), privacy.drop_key_version(text, integer, boolean),
	privacy._forget_format_versions(text), privacy._set_format_version(text, integer) FROM PUBLIC;
-- as 60_separation_of_duties: administrative functions check their caller themselves
GRANT EXECUTE ON FUNCTION privacy.drop_key_version(text, integer, boolean), privacy._forget_format_versions(text),
	privacy._set_format_version(text, integer) TO PUBLIC;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._token_format_version
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();

-- issue 14: privileged execution. Table work on someone's behalf runs as the
-- table's owner, restricted (privacy._exec_as_owner/_value_as_owner); one
-- validator for masks, filters and hold conditions; internal writers not
-- executable by PUBLIC; retention locks no other role can take.
CREATE FUNCTION privacy._exec_as_owner(tbl regclass, statement text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__exec_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._exec_as_owner(regclass, text) IS
'runs one statement pg_privacy built as the owner of tbl (security-restricted, pinned search_path); returns the rows processed';

CREATE FUNCTION privacy._exec_as_owner(tbl regclass, statement text, VARIADIC args "any")
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__exec_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._exec_as_owner(regclass, text, "any") IS
'runs one statement pg_privacy built, with parameters $1.., as the owner of tbl (security-restricted, pinned search_path); returns the rows processed';

CREATE FUNCTION privacy._value_as_owner(tbl regclass, query text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__value_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._value_as_owner(regclass, text) IS
'runs one query pg_privacy built as the owner of tbl (security-restricted, pinned search_path); returns its first value as text';

CREATE FUNCTION privacy._value_as_owner(tbl regclass, query text, VARIADIC args "any")
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__value_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._value_as_owner(regclass, text, "any") IS
'runs one query pg_privacy built, with parameters $1.., as the owner of tbl (security-restricted, pinned search_path); returns its first value as text';

CREATE FUNCTION privacy._retention_lock(tbl regclass, kind integer, shared boolean, session boolean, wait boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__retention_lock'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retention_lock(regclass, integer, boolean, boolean, boolean) IS
'takes a retention lock of a table (kind 1: holds vs batches, kind 2: a purge run); false when it is busy and wait is false';

CREATE FUNCTION privacy._retention_unlock(tbl regclass, kind integer)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__retention_unlock'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retention_unlock(regclass, integer) IS
'releases the session-level retention lock of a worker run (false when it was not held)';

CREATE FUNCTION privacy._analyze_mask(tbl regclass, col name, mask text, table_work boolean)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__analyze_mask'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._analyze_mask(regclass, name, text, boolean) IS
'validates a mask of a column (the rules of privacy.mask_column, trust check included) and returns its canonical text';

CREATE FUNCTION privacy._erasure_condition(tbl regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN s.via IS NULL
		THEN pg_catalog.format('%I::text OPERATOR(pg_catalog.=) $1', s.subject_column)
		ELSE pg_catalog.format('%I OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text($2 OPERATOR(pg_catalog.->) %L))::%s[])',
		                       s.subject_column, s.via::oid::text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) s.via_column,
		                       pg_catalog.format_type(a.atttypid, a.atttypmod)) END
	FROM privacy._subject_table s
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) s.relid AND a.attname OPERATOR(pg_catalog.=) s.subject_column
	WHERE s.relid OPERATOR(pg_catalog.=) tbl
$$;
COMMENT ON FUNCTION privacy._erasure_condition(regclass) IS
'condition selecting a subject''s rows of one registered table ($1 subject, $2 values of the parent''s subject rows)';

COMMENT ON FUNCTION privacy.anonymize_table(regclass) IS
'static masking: rewrites every masked column of the table with its mask in one UPDATE, run as the table''s owner; returns the row count';
CREATE OR REPLACE FUNCTION privacy._action_sql(tbl regclass, OUT set_list text, OUT pending text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
BEGIN
	SELECT * INTO p FROM privacy._retention_policy r WHERE r.relid OPERATOR(pg_catalog.=) tbl;
	IF p.action OPERATOR(pg_catalog.=) 'nullify' THEN
		SELECT string_agg(format('%I = NULL', c), ', '), '(' OPERATOR(pg_catalog.||) string_agg(format('%I IS NOT NULL', c), ' OR ') OPERATOR(pg_catalog.||) ')'
		INTO set_list, pending FROM pg_catalog.unnest(p.columns) AS c;
	ELSIF p.action OPERATOR(pg_catalog.=) 'anonymize' THEN
		SELECT string_agg(format('%I = (%s)', m.column_name, m.mask), ', ' ORDER BY m.column_name),
			'(' OPERATOR(pg_catalog.||) string_agg(format('%I IS DISTINCT FROM (%s)', m.column_name, m.mask), ' OR ' ORDER BY m.column_name) OPERATOR(pg_catalog.||) ')'
		INTO set_list, pending
		FROM (SELECT x.column_name, privacy._analyze_mask(tbl, x.column_name, privacy._current_expression(x.mask_function, x.mask), true) AS mask
		      FROM privacy._column_policy x WHERE x.relid OPERATOR(pg_catalog.=) tbl) m;
		IF set_list IS NULL THEN
			RAISE EXCEPTION 'table % has no masking policy to anonymize with', tbl
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
	ELSE
		pending := 'true';
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._action_sql(regclass) IS
'SET list and not-yet-processed condition of an anonymize or nullify retention policy';
CREATE OR REPLACE FUNCTION privacy._choose_method(tbl regclass, cutoff timestamptz)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
	kind "char";
	est real;
	threshold bigint;
	found_rows bigint;
BEGIN
	SELECT * INTO p FROM privacy._retention_policy r WHERE r.relid OPERATOR(pg_catalog.=) tbl;
	SELECT c.relkind, c.reltuples INTO kind, est FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
	IF kind OPERATOR(pg_catalog.=) 'p' THEN
		IF pg_catalog.pg_get_partkeydef(tbl) OPERATOR(pg_catalog.=) format('RANGE (%I)', p.time_column) THEN
			RETURN 'partition_drop';
		END IF;
		IF privacy._citus_table(tbl) THEN
			RETURN 'time_slice';
		END IF;
		RETURN 'ctid_sweep';
	END IF;
	IF privacy._citus_table(tbl) THEN
		RETURN 'time_slice';
	END IF;
	IF NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_index i
		JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
		JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) ic.relam
		JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) tbl
			AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0]
		WHERE i.indrelid OPERATOR(pg_catalog.=) tbl AND am.amname OPERATOR(pg_catalog.=) 'btree'
		  AND i.indisvalid AND i.indpred IS NULL AND a.attname OPERATOR(pg_catalog.=) p.time_column) THEN
		RETURN 'ctid_sweep';
	END IF;
	-- an index exists: walk it only when few rows are expired (a bounded probe)
	threshold := greatest(1000, (greatest(est, 0) * 0.05)::bigint);
	found_rows := privacy._value_as_owner(tbl,
		format('SELECT count(*) FROM (SELECT 1 FROM ONLY %s WHERE %I < $1 LIMIT $2) s', tbl, p.time_column),
		cutoff, threshold)::bigint;
	IF found_rows OPERATOR(pg_catalog.<) threshold THEN
		RETURN 'time_slice';
	END IF;
	RETURN 'ctid_sweep';
END
$$;
COMMENT ON FUNCTION privacy._choose_method(regclass, timestamptz) IS
'purge method of a table for a run: partition_drop, time_slice or ctid_sweep';

CREATE OR REPLACE FUNCTION privacy._purge_start(tbl regclass, via text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
	r record;
	cut timestamptz;
	run_id bigint;
	meth text;
BEGIN
	SELECT * INTO p FROM privacy._retention_policy x WHERE x.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) THEN
		RETURN NULL;
	END IF;
	IF NOT privacy._retention_lock(tbl, 2, false, via OPERATOR(pg_catalog.=) 'worker', false) THEN
		RETURN NULL;
	END IF;
	-- runs still marked running were killed: nobody else can own the table now
	FOR r IN SELECT l.id, l.pending_partition, l.pending_name, l.pending_bound FROM privacy._purge_log l
	         WHERE l.relid OPERATOR(pg_catalog.=) tbl::oid AND l.status OPERATOR(pg_catalog.=) 'running' LOOP
		PERFORM privacy._recover_partition(tbl, r.pending_partition, r.pending_name, r.pending_bound);
		UPDATE privacy._purge_log l SET status = 'interrupted', error = 'interrupted', finished = now()
		WHERE l.id OPERATOR(pg_catalog.=) r.id;
	END LOOP;
	cut := now() OPERATOR(pg_catalog.-) p.keep;
	meth := privacy._choose_method(tbl, cut);
	INSERT INTO privacy._purge_log (relid, table_name, via, status, started, cutoff, action, method, start_lsn, targets)
	VALUES (tbl, tbl::text, via, 'running', clock_timestamp(), cut, p.action, meth, pg_catalog.pg_current_wal_insert_lsn(),
		ARRAY(SELECT c.oid FROM privacy._family(tbl) f JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) f::oid
		      WHERE c.relkind OPERATOR(pg_catalog.=) 'r' ORDER BY c.oid))
	RETURNING id INTO run_id;
	RETURN run_id;
END
$$;
COMMENT ON FUNCTION privacy._purge_start(regclass, text) IS
'starts a purge run of a table with its cutoff fixed at now() - keep; NULL when the table is busy';
CREATE OR REPLACE FUNCTION privacy._purge_finish(run_id bigint, final_status text, message text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
BEGIN
	DELETE FROM privacy._purge_log l
	WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running'
	  AND final_status OPERATOR(pg_catalog.=) 'done' AND l.via OPERATOR(pg_catalog.=) 'worker'
	  AND l.rows OPERATOR(pg_catalog.=) 0 AND l.partitions_dropped OPERATOR(pg_catalog.=) 0
	  AND l.error IS NULL
	RETURNING * INTO r;
	IF NOT FOUND THEN
		UPDATE privacy._purge_log l SET
			status = CASE WHEN final_status OPERATOR(pg_catalog.=) 'done' AND l.error IS NOT NULL THEN 'skipped' ELSE final_status END,
			error = coalesce(message, l.error), finished = clock_timestamp(),
			wal_bytes = greatest(0, pg_catalog.pg_current_wal_insert_lsn() OPERATOR(pg_catalog.-) l.start_lsn),
			pending_partition = NULL, pending_name = NULL, pending_bound = NULL
		WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running'
		RETURNING * INTO r;
	END IF;
	IF r.via OPERATOR(pg_catalog.=) 'worker' THEN
		PERFORM privacy._retention_unlock(r.relid::regclass, 2);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._purge_finish(bigint, text, text) IS
'ends a purge run and releases its table; a worker run that changed nothing leaves no purge log entry';
CREATE OR REPLACE FUNCTION privacy._expired_rows(tbl regclass, OUT expired bigint, OUT oldest timestamptz, OUT held bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
	act record;
	hold text;
	v text[];
BEGIN
	SELECT * INTO p FROM privacy._retention_policy x WHERE x.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	-- hold conditions and masks are evaluated as the table's owner; when
	-- that is refused (a superuser's table with policies other roles
	-- declared, a session with temporary objects) the counts stay unknown
	BEGIN
		hold := privacy._hold_predicate(tbl);
		act := privacy._action_sql(tbl);
		v := privacy._value_as_owner(tbl, format('SELECT ARRAY[count(*) FILTER (WHERE %3$s)::text,
			min(%1$I::timestamptz) FILTER (WHERE %3$s)::text, count(*) FILTER (WHERE NOT %3$s)::text]
			FROM %2$s WHERE %1$I < now() - $1 AND %4$s', p.time_column, tbl, hold, act.pending), p.keep)::text[];
	EXCEPTION WHEN insufficient_privilege OR object_not_in_prerequisite_state THEN
		RETURN;
	END;
	expired := v[1]::bigint;
	oldest := v[2]::timestamptz;
	held := v[3]::bigint;
END
$$;
COMMENT ON FUNCTION privacy._expired_rows(regclass) IS
'expired rows still to purge, the oldest of them, and expired rows kept by legal holds (counted as the table''s owner: holds and masks run there)';

DROP FUNCTION privacy._retention_lock_key(integer, regclass);
REVOKE ALL ON FUNCTION privacy._exec_as_owner(regclass, text), privacy._exec_as_owner(regclass, text, "any"),
	privacy._value_as_owner(regclass, text), privacy._value_as_owner(regclass, text, "any"),
	privacy._retention_lock(regclass, integer, boolean, boolean, boolean), privacy._retention_unlock(regclass, integer),
	privacy._analyze_mask(regclass, name, text, boolean), privacy._erasure_condition(regclass),
	privacy._store_column_policy(regclass, name, text, text), privacy._store_row_filter(regclass, text, text, text, regrole[])
	FROM PUBLIC;

CREATE OR REPLACE FUNCTION privacy.setup_roles(admin_role name DEFAULT 'privacy_admin', auditor_role name DEFAULT 'privacy_auditor')
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r name;
	bad boolean;
	fn regprocedure;
	tb regclass;
BEGIN
	IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) pg_catalog.to_regrole(privacy._outer_user()::text)) THEN
		RAISE EXCEPTION 'permission denied to set up privacy roles'
			USING ERRCODE = 'insufficient_privilege', HINT = 'Only superusers can create the privacy roles.';
	END IF;
	FOREACH r IN ARRAY ARRAY[admin_role, auditor_role] LOOP
		IF r IS NULL THEN
			RAISE EXCEPTION 'role names must not be null' USING ERRCODE = 'null_value_not_allowed';
		END IF;
		SELECT rolcanlogin OR rolsuper OR rolcreaterole OR rolbypassrls OR rolreplication INTO bad
		FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r;
		IF bad THEN
			RAISE EXCEPTION 'role "%" exists and is not a plain group role', r
				USING ERRCODE = 'invalid_parameter_value',
				      DETAIL = 'It can log in or has SUPERUSER, CREATEROLE, BYPASSRLS or REPLICATION.',
				      HINT = 'Pass another name, or use a NOLOGIN role without those attributes.';
		ELSIF bad IS NULL THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
	-- administrators: the key and token-format functions write through SPI
	-- as the caller
	EXECUTE format('GRANT SELECT, INSERT, DELETE ON privacy._key, privacy._token_format TO %I', admin_role);
	-- every view of the extension (compliance views, the policy listings;
	-- privacy.keys and privacy.token_formats are public) and the audit log
	FOR tb IN
		SELECT c.oid::regclass FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace
		  AND (c.relkind OPERATOR(pg_catalog.=) 'v' OR c.relname OPERATOR(pg_catalog.=) 'audit_log')
	LOOP
		EXECUTE format('GRANT SELECT ON %s TO %I, %I', tb, admin_role, auditor_role);
	END LOOP;
	-- a view's functions are executed with the privileges of the role that
	-- reads the view: both roles get the internal helpers those views call
	-- (read-only helpers; PUBLIC still may not call them)
	FOR fn IN
		SELECT DISTINCT d.refobjid::regprocedure
		FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_rewrite w ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
		                             AND d.objid OPERATOR(pg_catalog.=) w.oid
		WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
		  AND (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) w.ev_class)
		      OPERATOR(pg_catalog.=) 'privacy'::regnamespace
		  AND (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) d.refobjid)
		      OPERATOR(pg_catalog.=) 'privacy'::regnamespace
		  AND NOT pg_catalog.has_function_privilege('public', d.refobjid, 'EXECUTE')
		-- and the read-only internal helpers those call in turn: STABLE or
		-- IMMUTABLE invoker functions read nothing the role could not read
		-- itself. Only internal ones (_name): the public functions PUBLIC
		-- may not execute (tokenize, fpe_encrypt, the keyed masks) compute
		-- with keys or the masking secret, and would be oracles against
		-- tokens and pseudonyms the roles can read (issue 21)
		UNION
		SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
		WHERE p.pronamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace AND p.provolatile IN ('s', 'i')
		  AND NOT p.prosecdef AND p.prokind OPERATOR(pg_catalog.=) 'f'
		  AND p.proname OPERATOR(pg_catalog.~~) '\_%'
		  AND NOT pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I, %I', fn, admin_role, auditor_role);
	END LOOP;
	-- and the catalog tables those helpers read (what the views show
	-- anyway), never the wrapped keys or the masking secret
	FOR tb IN
		SELECT c.oid::regclass FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace AND c.relkind OPERATOR(pg_catalog.=) 'r'
		  AND c.relname OPERATOR(pg_catalog.~~) '\_%'
		  AND c.relname OPERATOR(pg_catalog.<>) ALL (ARRAY['_key', '_masking_secret']::name[])
	LOOP
		EXECUTE format('GRANT SELECT ON %s TO %I, %I', tb, admin_role, auditor_role);
	END LOOP;
	IF admin_role OPERATOR(pg_catalog.<>) pg_catalog.current_setting('privacy.admin_role')
	   OR auditor_role OPERATOR(pg_catalog.<>) pg_catalog.current_setting('privacy.auditor_role') THEN
		RAISE NOTICE 'set privacy.admin_role = %, privacy.auditor_role = % in postgresql.conf', admin_role, auditor_role;
	END IF;
END
$$;
COMMENT ON FUNCTION privacy.setup_roles(name, name) IS
'creates or adopts the privacy administrator and auditor group roles and grants them their rights (superuser only)';

-- issue 21: the administrator and auditor roles can read every view their
-- duties name. Databases where setup_roles() already ran get the grants of
-- the internal helpers those views call now (setup_roles() grants them from
-- now on).
DO $$
DECLARE
	admin_role name := coalesce(pg_catalog.current_setting('privacy.admin_role', true), 'privacy_admin');
	auditor_role name := coalesce(pg_catalog.current_setting('privacy.auditor_role', true), 'privacy_auditor');
	fn regprocedure;
	tb regclass;
BEGIN
	IF pg_catalog.to_regrole(pg_catalog.quote_ident(admin_role)) IS NULL
	   OR pg_catalog.to_regrole(pg_catalog.quote_ident(auditor_role)) IS NULL
	   OR NOT pg_catalog.has_table_privilege(admin_role, 'privacy.column_policies', 'SELECT') THEN
		RETURN;
	END IF;
	FOR fn IN
		SELECT DISTINCT d.refobjid::regprocedure
		FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_rewrite w ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
		                             AND d.objid OPERATOR(pg_catalog.=) w.oid
		WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
		  AND w.ev_class OPERATOR(pg_catalog.=) ANY (ARRAY['privacy.column_policies', 'privacy.masked_owners',
		      'privacy.row_policies', 'privacy.consents', 'privacy.detokenize_grants', 'privacy.retention_policies',
		      'privacy.legal_holds', 'privacy.purge_log', 'privacy.retention_status', 'privacy.inventory',
		      'privacy.coverage_gaps', 'privacy.policies', 'privacy.effective_access',
		      'privacy.subject_tables']::regclass[]::oid[])
		  AND (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) d.refobjid)
		      OPERATOR(pg_catalog.=) 'privacy'::regnamespace
		  AND NOT pg_catalog.has_function_privilege('public', d.refobjid, 'EXECUTE')
		-- and the read-only internal helpers those call in turn: STABLE or
		-- IMMUTABLE invoker functions read nothing the role could not read
		-- itself. Only internal ones (_name): the public functions PUBLIC
		-- may not execute (tokenize, fpe_encrypt, the keyed masks) compute
		-- with keys or the masking secret, and would be oracles against
		-- tokens and pseudonyms the roles can read (issue 21)
		UNION
		SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
		WHERE p.pronamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace AND p.provolatile IN ('s', 'i')
		  AND NOT p.prosecdef AND p.prokind OPERATOR(pg_catalog.=) 'f'
		  AND p.proname OPERATOR(pg_catalog.~~) '\_%'
		  AND NOT pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I, %I', fn, admin_role, auditor_role);
	END LOOP;
	-- and the catalog tables those helpers read (what the views show
	-- anyway), never the wrapped keys or the masking secret
	FOR tb IN
		SELECT c.oid::regclass FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace AND c.relkind OPERATOR(pg_catalog.=) 'r'
		  AND c.relname OPERATOR(pg_catalog.~~) '\_%'
		  AND c.relname OPERATOR(pg_catalog.<>) ALL (ARRAY['_key', '_masking_secret']::name[])
	LOOP
		EXECUTE pg_catalog.format('GRANT SELECT ON %s TO %I, %I', tb, admin_role, auditor_role);
	END LOOP;
END
$$;

-- red-team fixes (issues 14 and 15): no subject tables among the system or
-- pg_privacy tables, subject, link and token columns of built-in types only
-- privacy._check_subject_tables(): exports and erasures read, compare and
-- cast the subject and link columns of every registered table with the
-- rights of pg_privacy (and delete as each table's owner): refuses (0A000)
-- when a registered table is a system or pg_privacy table, or a subject or
-- link column has a type that is not built-in (its owner could attach a
-- cast or operator that runs its own code), e.g. after ALTER COLUMN TYPE.
CREATE FUNCTION privacy._check_subject_tables()
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bad record;
BEGIN
	SELECT s.relid, a.attname INTO bad
	FROM privacy._subject_table s
	JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.relid::oid
	LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) s.relid::oid
	      AND a.attname OPERATOR(pg_catalog.=) ANY (ARRAY[s.subject_column])
	WHERE c.oid OPERATOR(pg_catalog.<) 16384
	   OR c.relnamespace OPERATOR(pg_catalog.=) ANY (ARRAY['privacy'::regnamespace, 'pg_catalog'::regnamespace,
	                                                 'information_schema'::regnamespace])
	   OR a.atttypid OPERATOR(pg_catalog.>=) 16384
	   OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute v
	              WHERE v.attrelid OPERATOR(pg_catalog.=) s.via::oid AND v.attname OPERATOR(pg_catalog.=) s.via_column
	                AND v.atttypid OPERATOR(pg_catalog.>=) 16384)
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'subject table % cannot be searched', bad.relid
			USING ERRCODE = 'feature_not_supported',
			      DETAIL = 'It is a system or pg_privacy table, or its subject or link column does not have a built-in type.',
			      HINT = 'Unregister it with privacy.unregister_subject(), or give the column a built-in type.';
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._check_subject_tables() IS
'refuses exports and erasures when a registered table is a system or pg_privacy table or its subject or link column has a type that is not built-in';
REVOKE ALL ON FUNCTION privacy._check_subject_tables() FROM PUBLIC;

CREATE OR REPLACE FUNCTION privacy.register_subject(tbl regclass, subject_column name, via regclass DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	attnum smallint;
	ref_column name;
	n integer;
BEGIN
	PERFORM privacy._check_policy_admin('register data subjects', tbl);
	IF tbl IS NULL OR subject_column IS NULL THEN
		RAISE EXCEPTION 'table and subject column must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- erasure deletes as the table's owner: never a system catalog or
	-- pg_privacy's own tables (their owner is the bootstrap superuser)
	IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) NOT IN ('r', 'p')
	   OR tbl::oid OPERATOR(pg_catalog.<) 16384
	   OR (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	      OPERATOR(pg_catalog.=) ANY (ARRAY['privacy'::regnamespace, 'pg_catalog'::regnamespace,
	                                        'information_schema'::regnamespace]) THEN
		RAISE EXCEPTION 'cannot register % as a subject table', tbl USING ERRCODE = 'wrong_object_type',
			DETAIL = 'Only tables and partitioned tables outside the system and pg_privacy schemas can hold subject data.';
	END IF;
	SELECT a.attnum INTO attnum FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) subject_column
	  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
	IF attnum IS NULL THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', subject_column, tbl USING ERRCODE = 'undefined_column';
	END IF;
	-- exports and erasures compare and cast subject columns with the rights
	-- of pg_privacy: only built-in types, whose casts and operators no role
	-- can redefine (a type's owner could attach a cast that runs its code)
	IF (SELECT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) tbl
	    AND a.attnum OPERATOR(pg_catalog.=) attnum) OPERATOR(pg_catalog.>=) 16384 THEN
		RAISE EXCEPTION 'subject column "%" of % does not have a built-in type', subject_column, tbl
			USING ERRCODE = 'feature_not_supported',
			      HINT = 'Register a column of a built-in type (text, integer, uuid, ...) that identifies the subject.';
	END IF;
	IF via IS NOT NULL THEN
		IF NOT EXISTS (SELECT 1 FROM privacy._subject_table s WHERE s.relid OPERATOR(pg_catalog.=) via) THEN
			RAISE EXCEPTION 'table % is not registered as a subject table', via
				USING ERRCODE = 'object_not_in_prerequisite_state',
				      HINT = 'Register the referenced table first with privacy.register_subject().';
		END IF;
		-- the referenced table's own path must not lead back to tbl
		IF EXISTS (WITH RECURSIVE chain(relid) AS (
		               SELECT via::oid
		               UNION
		               SELECT s.via::oid FROM privacy._subject_table s JOIN chain ON s.relid::oid OPERATOR(pg_catalog.=) chain.relid
		               WHERE s.via IS NOT NULL)
		           SELECT 1 FROM chain WHERE chain.relid OPERATOR(pg_catalog.=) tbl::oid) THEN
			RAISE EXCEPTION 'registering % via % would make a cycle', tbl, via USING ERRCODE = 'invalid_parameter_value';
		END IF;
		-- resolve the single-column foreign key subject_column -> via
		SELECT count(*), pg_catalog.min(ra.attname) INTO n, ref_column
		FROM pg_catalog.pg_constraint k
		JOIN pg_catalog.pg_attribute ra ON ra.attrelid OPERATOR(pg_catalog.=) k.confrelid
		                               AND ra.attnum OPERATOR(pg_catalog.=) k.confkey[1]
		WHERE k.contype OPERATOR(pg_catalog.=) 'f' AND k.conrelid OPERATOR(pg_catalog.=) tbl
		  AND k.confrelid OPERATOR(pg_catalog.=) via AND k.conkey OPERATOR(pg_catalog.=) ARRAY[attnum];
		IF n OPERATOR(pg_catalog.=) 0 THEN
			RAISE EXCEPTION 'no foreign key from column "%" of % to %', subject_column, tbl, via
				USING ERRCODE = 'undefined_object',
				      HINT = 'A subject table registered via another table needs a single-column foreign key to it.';
		ELSIF n OPERATOR(pg_catalog.>) 1 AND ref_column IS DISTINCT FROM (
			SELECT pg_catalog.max(ra.attname) FROM pg_catalog.pg_constraint k
			JOIN pg_catalog.pg_attribute ra ON ra.attrelid OPERATOR(pg_catalog.=) k.confrelid
			                               AND ra.attnum OPERATOR(pg_catalog.=) k.confkey[1]
			WHERE k.contype OPERATOR(pg_catalog.=) 'f' AND k.conrelid OPERATOR(pg_catalog.=) tbl
			  AND k.confrelid OPERATOR(pg_catalog.=) via AND k.conkey OPERATOR(pg_catalog.=) ARRAY[attnum]) THEN
			RAISE EXCEPTION 'column "%" of % has several foreign keys to %', subject_column, tbl, via
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END IF;
	INSERT INTO privacy._subject_table AS s (relid, subject_column, via, via_column, declared_by, declared_at)
	VALUES (tbl, register_subject.subject_column, register_subject.via, ref_column, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _subject_table_pkey DO UPDATE
		SET subject_column = excluded.subject_column, via = excluded.via, via_column = excluded.via_column,
		    declared_by = excluded.declared_by, declared_at = excluded.declared_at;
END
$$;
COMMENT ON FUNCTION privacy.register_subject(regclass, name, regclass) IS
'declares which column of a table identifies the data subject: directly, or via a foreign key to a registered table';
CREATE OR REPLACE FUNCTION privacy._subject_export_plan(subject text, OUT relid regclass, OUT ids tid[], OUT token_columns jsonb)
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
	PERFORM privacy._check_subject_tables();
	FOR t IN SELECT s.relid, s.predicate FROM privacy._subject_tables() s ORDER BY s.depth, s.relid::text LOOP
		relid := t.relid;
		EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid) FROM %s WHERE %s', t.relid, t.predicate)
			INTO ids USING subject;
		ids := coalesce(ids, '{}');
		SELECT coalesce(pg_catalog.jsonb_object_agg(a.attname, f.fmt), '{}') INTO token_columns
		FROM pg_catalog.pg_attribute a
		LEFT JOIN privacy._classification c
		  ON c.relid OPERATOR(pg_catalog.=) t.relid AND c.column_name OPERATOR(pg_catalog.=) a.attname
		CROSS JOIN LATERAL (SELECT coalesce(c.token_format,
		                        CASE WHEN a.atttypid OPERATOR(pg_catalog.=) 'privacy.card_token'::pg_catalog.regtype THEN 'card' END) AS fmt) f
		WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
		  AND f.fmt IS NOT NULL;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._subject_export_plan(text) IS
'row ids of a subject''s rows and token columns of every registered table (administrators only; used by export_subject)';

-- issue 16: retention on Citus tables: purged by time slices (ctid ranges of
-- the coordinator's shell mean nothing, SKIP LOCKED is refused there), with
-- a lock timeout that reaches the workers (doc/scale-out.md)
CREATE FUNCTION privacy._citus_table(tbl regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found boolean;
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid OPERATOR(pg_catalog.=) $1)'
		INTO found USING tbl;
	RETURN found;
END
$$;
COMMENT ON FUNCTION privacy._citus_table(regclass) IS
'whether a table is a Citus table (distributed, reference or Citus-managed local); false without Citus';
REVOKE ALL ON FUNCTION privacy._citus_table(regclass) FROM PUBLIC;

-- issue 16: scale-out on Citus: masking policies of Citus tables copied to
-- the workers by name (doc/scale-out.md)

-- privacy._citus_apply_policies(payload): replaces this node's masking state
-- of the Citus tables named in payload by payload's (run on the workers).
--
-- privacy._citus_apply_policies(payload): replaces this node's state by the
-- coordinator's (run on the workers).
CREATE FUNCTION privacy._citus_apply_policies(payload jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	changed bigint := 0;
	n bigint;
	failed_table text;
	failed_constraint text;
	citus_rows constant text := 'privacy._citus_table(t.relid)';
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can apply synchronized policies' USING ERRCODE = 'insufficient_privilege';
	END IF;
	-- the statement calling this holds the payload: neither a slow run nor
	-- an error may log it (for this session, a Citus connection); Citus
	-- must not propagate the local changes
	PERFORM pg_catalog.set_config('log_min_duration_statement', '-1', false);
	PERFORM pg_catalog.set_config('log_min_error_statement', 'panic', false);
	PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
	IF payload IS NULL OR pg_catalog.jsonb_typeof(payload) OPERATOR(pg_catalog.<>) 'object'
	   OR NOT payload OPERATOR(pg_catalog.?&) ARRAY['column_policy', 'unmasked', 'governed_table', 'retention_policy',
	       'purpose', 'purpose_role', 'row_policy', 'consent', 'token_format', 'token_format_version',
	       'detokenize_grant', 'key', 'masking_secret', 'category_binding', 'category_unmasked', 'classification',
	       'not_personal', 'new_column', 'default_deny_off', 'derived_column', 'generation'] THEN
		RAISE EXCEPTION 'policy payload must be a JSON object from privacy.citus_sync_policies()'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- one apply at a time on this node, ordered by this lock: a push from a
	-- policy change waits for it; the maintenance worker's apply (which
	-- names the generation it saw here, "expect") never waits and applies
	-- only over that generation, so it never writes an older state over a
	-- push that reached this node after it looked
	IF payload OPERATOR(pg_catalog.?) 'expect' THEN
		LOCK TABLE privacy._citus_sync_state IN SHARE ROW EXCLUSIVE MODE NOWAIT;
		IF coalesce((SELECT g.generation FROM privacy._citus_sync_state g), -1)
		   OPERATOR(pg_catalog.<>) (payload OPERATOR(pg_catalog.->>) 'expect')::bigint THEN
			RAISE EXCEPTION 'the policy generation of this node changed since the maintenance read it'
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
	ELSE
		LOCK TABLE privacy._citus_sync_state IN SHARE ROW EXCLUSIVE MODE;
	END IF;
	-- a failing row is never echoed: the error says which table and
	-- constraint refused it, not the values (they may be consent subjects
	-- or secrets)
	BEGIN
		-- purposes first (consents and row policies refer to them); removed
		-- purposes last
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._purpose', payload OPERATOR(pg_catalog.->) 'purpose', 'false');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._purpose_role', payload OPERATOR(pg_catalog.->) 'purpose_role', 'true');
		IF payload OPERATOR(pg_catalog.?) 'consent_ids' THEN
			-- incremental: only the consent rows one transaction wrote, on
			-- top of the state of generation "base", which this node must
			-- hold (otherwise the coordinator sends the whole state)
			IF coalesce((SELECT g.generation FROM privacy._citus_sync_state g), 0)
			   OPERATOR(pg_catalog.<>) (payload OPERATOR(pg_catalog.->>) 'base')::bigint THEN
				RAISE EXCEPTION 'this node does not hold the base of an incremental policy push'
					USING ERRCODE = 'object_not_in_prerequisite_state';
			END IF;
			DELETE FROM privacy._consent c WHERE c.id OPERATOR(pg_catalog.=) ANY (ARRAY(
				SELECT pg_catalog.jsonb_array_elements_text(payload OPERATOR(pg_catalog.->) 'consent_ids')::bigint));
			GET DIAGNOSTICS n = ROW_COUNT;
			changed := changed OPERATOR(pg_catalog.+) n;
			INSERT INTO privacy._consent SELECT r.* FROM pg_catalog.jsonb_populate_recordset(NULL::privacy._consent,
				payload OPERATOR(pg_catalog.->) 'consent') r;
			GET DIAGNOSTICS n = ROW_COUNT;
			changed := changed OPERATOR(pg_catalog.+) n;
		ELSE
			changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._consent', payload OPERATOR(pg_catalog.->) 'consent', 'true');
		END IF;
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._row_policy', payload OPERATOR(pg_catalog.->) 'row_policy', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._retention_policy', payload OPERATOR(pg_catalog.->) 'retention_policy', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._governed_table', payload OPERATOR(pg_catalog.->) 'governed_table', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._column_policy', payload OPERATOR(pg_catalog.->) 'column_policy', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._unmasked', payload OPERATOR(pg_catalog.->) 'unmasked',
			't.relid IS NULL OR ' OPERATOR(pg_catalog.||) citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._key', payload OPERATOR(pg_catalog.->) 'key', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._token_format', payload OPERATOR(pg_catalog.->) 'token_format', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._token_format_version', payload OPERATOR(pg_catalog.->) 'token_format_version', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._detokenize_grant', payload OPERATOR(pg_catalog.->) 'detokenize_grant', 'true');
		IF pg_catalog.jsonb_array_length(payload OPERATOR(pg_catalog.->) 'masking_secret') OPERATOR(pg_catalog.=) 1 THEN
			changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._masking_secret', payload OPERATOR(pg_catalog.->) 'masking_secret', 'true');
		END IF;
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._category_binding', payload OPERATOR(pg_catalog.->) 'category_binding', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._category_unmasked', payload OPERATOR(pg_catalog.->) 'category_unmasked', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._classification', payload OPERATOR(pg_catalog.->) 'classification', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._not_personal', payload OPERATOR(pg_catalog.->) 'not_personal', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._new_column', payload OPERATOR(pg_catalog.->) 'new_column', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._default_deny_off', payload OPERATOR(pg_catalog.->) 'default_deny_off', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._derived_column', payload OPERATOR(pg_catalog.->) 'derived_column',
			'privacy._citus_table(t.relid) AND privacy._citus_table(t.source_relid)');
		-- purposes the coordinator no longer has
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._purpose', payload OPERATOR(pg_catalog.->) 'purpose', 'true');
		IF changed OPERATOR(pg_catalog.>) 0 THEN
			PERFORM privacy._invalidate_policies(NULL);
		END IF;
		-- the generation this state belongs to (shard queries carrying
		-- another one are refused here)
		INSERT INTO privacy._citus_sync_state AS s (id, generation, synced_at)
		VALUES (true, (payload OPERATOR(pg_catalog.->>) 'generation')::bigint, pg_catalog.now())
		ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, synced_at = excluded.synced_at;
		PERFORM privacy._invalidate_policies('privacy._citus_sync_state');
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS failed_table = TABLE_NAME, failed_constraint = CONSTRAINT_NAME;
		RAISE EXCEPTION 'could not apply synchronized policies: table %, constraint % (SQLSTATE %)',
			coalesce(nullif(failed_table, ''), '-'), coalesce(nullif(failed_constraint, ''), '-'), SQLSTATE
			USING ERRCODE = SQLSTATE;
	END;
	RETURN changed::integer;
END
$$;
COMMENT ON FUNCTION privacy._citus_apply_policies(jsonb) IS
'replaces this node''s policy state of the Citus tables and the database-wide policy state by a payload from privacy.citus_sync_policies()';
REVOKE ALL ON FUNCTION privacy._citus_apply_policies(jsonb) FROM PUBLIC;
CREATE FUNCTION privacy.citus_sync_policies()
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can synchronize policies to the Citus workers' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN privacy._citus_push();
END
$$;
COMMENT ON FUNCTION privacy.citus_sync_policies() IS
'copies the policy state (masks, exemptions, row policies, purposes, consents, formats, wrapped keys, masking secret) to every Citus worker, by name; returns the number of workers (0 without Citus)';
REVOKE ALL ON FUNCTION privacy.citus_sync_policies() FROM PUBLIC;

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

REVOKE ALL ON FUNCTION privacy.grant_consent(text[], text, timestamptz), privacy.revoke_consent(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy.grant_consent(text[], text, timestamptz), privacy.revoke_consent(text[], text) TO PUBLIC;

-- lead: 0.1.0 kept the classification, discovery findings and subject
-- registrations of dropped tables and columns (the drop hook now removes
-- them); a table created later with the same OID would inherit them
DELETE FROM privacy._classification x
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid OPERATOR(pg_catalog.=) x.relid AND a.attname OPERATOR(pg_catalog.=) x.column_name
                    AND NOT a.attisdropped);
DELETE FROM privacy._discovery x
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid OPERATOR(pg_catalog.=) x.relid AND a.attname OPERATOR(pg_catalog.=) x.column_name
                    AND NOT a.attisdropped);
DELETE FROM privacy._subject_table x
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid OPERATOR(pg_catalog.=) x.relid AND a.attname OPERATOR(pg_catalog.=) x.subject_column
                    AND NOT a.attisdropped)
   OR (x.via IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid OPERATOR(pg_catalog.=) x.via AND a.attname OPERATOR(pg_catalog.=) x.via_column
                    AND NOT a.attisdropped));
-- issue 20: master-key rotation and real shredding (every wrapped key records
-- the id of the master key that wraps it; privacy.rewrap_keys()), the masking
-- secret wrapped under the master key (its value is kept: pseudonyms do not
-- change), import_key from a file or a command
ALTER TABLE privacy._key ADD COLUMN master_key_id text;
COMMENT ON TABLE privacy._key IS
'data keys: wrapped = 24-byte nonce || XChaCha20-Poly1305 ciphertext of the key under the master key master_key_id (AD: name, version; no id: wrapped before 0.2.0)';
CREATE OR REPLACE VIEW privacy.keys AS
SELECT k.name, k.version, k.created_at, k.algorithm,
	k.version OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(k2.version) FROM privacy._key k2
	                                   WHERE k2.name OPERATOR(pg_catalog.=) k.name) AS active,
	k.master_key_id
FROM privacy._key k;
COMMENT ON VIEW privacy.keys IS
'data keys and their versions (metadata only); active: the newest version, which new card tokens, retokenize and raw FPE calls use; master_key_id: the id (not the key) of the master key that wraps it, NULL before 0.2.0';

ALTER TABLE privacy._masking_secret DROP CONSTRAINT _masking_secret_secret_check;
ALTER TABLE privacy._masking_secret ADD COLUMN master_key_id text;
ALTER TABLE privacy._masking_secret ADD CONSTRAINT _masking_secret_secret_check
	CHECK (CASE WHEN master_key_id IS NULL THEN octet_length(secret) = 32 ELSE octet_length(secret) = 72 END);
COMMENT ON TABLE privacy._masking_secret IS
'the database''s masking secret (one row, superuser only), wrapped under the master key master_key_id: keys pseudonym, noise, shift_date and fake_*';

CREATE FUNCTION privacy._wrap_masking_secret()
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__wrap_masking_secret'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._wrap_masking_secret() IS
'wraps a masking secret stored in clear under the configured master key, keeping its value (run by the 0.1.0 to 0.2.0 update; warns instead of failing; superuser only)';
REVOKE ALL ON FUNCTION privacy._wrap_masking_secret() FROM PUBLIC;

DROP FUNCTION privacy.import_key(text, bytea);
CREATE FUNCTION privacy.import_key(name text, material bytea DEFAULT NULL, material_file text DEFAULT NULL,
	material_command text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_import_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.import_key(text, bytea, text, text) IS
'stores key material (16, 24 or 32 bytes) as the next version of a data key, read from material_file or printed by material_command (hex) so that it never appears in a query text, or given as material (then run it with SET LOCAL log_statement = ''none''); superuser only';

CREATE FUNCTION privacy.rewrap_keys()
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_rewrap_keys'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.rewrap_keys() IS
'master-key rotation: re-wraps every data key and the masking secret under the configured master key (unwrapping with privacy.previous_master_key_file/_command), all or nothing; returns how many were re-wrapped; superuser only';

-- both check their caller themselves (superuser only): executable by PUBLIC
-- so that a refused caller is told why
REVOKE ALL ON FUNCTION privacy.import_key(text, bytea, text, text), privacy.rewrap_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy.import_key(text, bytea, text, text), privacy.rewrap_keys() TO PUBLIC;

-- the 0.1.0 secret, in clear until now, is wrapped under the configured
-- master key with its value unchanged (a warning, not a failure, when no
-- master key is configured: privacy.rewrap_keys() wraps it later)
SELECT privacy._wrap_masking_secret();
-- issue 18: classification drives protection. Protections bound to
-- categories (bind_category, grant_unmasked_category), default deny of
-- columns added to governed tables (mark_not_personal, set_default_deny),
-- lineage of generated columns and CREATE TABLE AS / SELECT INTO /
-- materialized views; classify() applies the category's protection. The
-- tables start empty: nothing a 0.1.0 database governs is hidden by the
-- update (only columns added afterwards are denied by default).
CREATE OR REPLACE FUNCTION privacy.classify(tbl regclass, col name, category text, token_format text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('classify columns', tbl);
	IF tbl IS NULL OR col IS NULL OR category IS NULL THEN
		RAISE EXCEPTION 'table, column and category must not be null' USING ERRCODE = 'null_value_not_allowed';
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
	IF category OPERATOR(pg_catalog.<>) ALL (ARRAY['email', 'phone', 'person_name', 'postal_address', 'national_id',
	     'payment_card', 'iban', 'ip_address', 'date_of_birth', 'health', 'credentials', 'free_text', 'other']) THEN
		RAISE EXCEPTION 'unknown personal-data category "%"', category USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use one of email, phone, person_name, postal_address, national_id, payment_card, iban, ip_address, date_of_birth, health, credentials, free_text, other.';
	END IF;
	IF token_format IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM privacy._token_format f WHERE f.name OPERATOR(pg_catalog.=) classify.token_format) THEN
		RAISE EXCEPTION 'token format "%" does not exist', token_format USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._classification AS c (relid, column_name, category, token_format, classified_by, classified_at)
	VALUES (tbl, col, classify.category, classify.token_format, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _classification_pkey DO UPDATE
		SET category = excluded.category, token_format = excluded.token_format,
		    classified_by = excluded.classified_by, classified_at = excluded.classified_at;
	-- issue 18: the protection bound to the category applies (72_categories.sql)
	PERFORM privacy._apply_category(tbl, col);
END
$$;
CREATE OR REPLACE FUNCTION privacy.unclassify(tbl regclass, col name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('classify columns', tbl);
	DELETE FROM privacy._classification c
	WHERE c.relid OPERATOR(pg_catalog.=) tbl AND c.column_name OPERATOR(pg_catalog.=) col;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of table % is not classified', col, tbl USING ERRCODE = 'undefined_object';
	END IF;
	-- issue 18: a category protection no longer applies (72_categories.sql)
	PERFORM privacy._govern_categories(tbl);
END
$$;

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
-- ancestor's). Replaces the definition of 50_row_policies.sql.
CREATE OR REPLACE FUNCTION privacy._is_governed(tbl regclass)
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

-- The compliance views of 70_compliance.sql show category protections,
-- lineage and default deny through the functions below; the views
-- themselves are redefined once, at the end of this script.

-- privacy._protections(tbl, col): as in 70_compliance.sql; 'masked' also
-- when a category protection, lineage or default deny masks the column.
CREATE OR REPLACE FUNCTION privacy._protections(tbl regclass, col name)
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

-- the administrative API is executable by PUBLIC and checks its caller
-- itself (60_separation_of_duties.sql): administrators; table owners for
-- the table-scoped calls when privacy.owners_may_declare is on
GRANT EXECUTE ON FUNCTION privacy.bind_category(text, text), privacy.unbind_category(text),
	privacy.grant_unmasked_category(regrole, text), privacy.revoke_unmasked_category(regrole, text),
	privacy.mark_not_personal(regclass, name), privacy.unmark_not_personal(regclass, name),
	privacy.set_default_deny(regclass, boolean) TO PUBLIC;
-- issue 16: consent, purpose and attribute filters enforced on Citus shards;
-- purposes, consents, token formats, wrapped keys, detokenize grants and the
-- masking secret copied to the workers; policy changes propagated at commit
-- (doc/scale-out.md)

-- privacy._citus_present(): whether Citus's metadata exists here (the WHEN
-- of the propagation triggers: one syscache lookup per changed row).
CREATE FUNCTION privacy._citus_present()
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__citus_present'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._citus_present() IS
'whether Citus''s metadata exists in this database';

-- privacy._citus_changed() (BEFORE statement trigger of the policy
-- catalogs) and privacy._citus_take_change(): this transaction changed
-- policy state since the last push (held in backend memory).
CREATE FUNCTION privacy._citus_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__citus_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_changed() IS
'trigger: notes that the transaction changes pg_privacy policy state (pushed to the Citus workers at commit)';
REVOKE ALL ON FUNCTION privacy._citus_changed() FROM PUBLIC;

CREATE FUNCTION privacy._citus_take_change()
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__citus_take_change'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_take_change() IS
'whether this transaction changed policy state since its last push to the Citus workers (and forgets it)';
REVOKE ALL ON FUNCTION privacy._citus_take_change() FROM PUBLIC;

-- privacy._citus_payload(): this node's policy state, by name, in a
-- canonical order (nodes in sync have equal payloads).
CREATE FUNCTION privacy._citus_payload(consent_ids bigint[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET IntervalStyle = 'postgres'
SET bytea_output = 'hex'
AS $$
DECLARE
	payload jsonb;
BEGIN
	SELECT pg_catalog.jsonb_build_object(
		-- stored expressions travel as the text they read as now (the
		-- workers keep no stored form: they analyze the text, issue 17)
		'column_policy', (SELECT coalesce(pg_catalog.jsonb_agg(x.j ORDER BY x.j::text), '[]')
			FROM (SELECT (pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.-) 'mask_function')
			             OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('mask',
			                 coalesce(privacy._stored_expression(c.mask_function), c.mask)) AS j
			      FROM privacy._column_policy c WHERE privacy._citus_table(c.relid)) x),
		'unmasked', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(u) ORDER BY pg_catalog.to_jsonb(u)::text), '[]')
			FROM privacy._unmasked u WHERE u.relid IS NULL OR privacy._citus_table(u.relid)),
		'governed_table', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(g) ORDER BY pg_catalog.to_jsonb(g)::text), '[]')
			FROM privacy._governed_table g WHERE privacy._citus_table(g.relid)),
		'retention_policy', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) ORDER BY pg_catalog.to_jsonb(r)::text), '[]')
			FROM privacy._retention_policy r WHERE privacy._citus_table(r.relid)),
		'purpose', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p) ORDER BY pg_catalog.to_jsonb(p)::text), '[]') FROM privacy._purpose p),
		'purpose_role', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p) ORDER BY pg_catalog.to_jsonb(p)::text), '[]') FROM privacy._purpose_role p),
		'row_policy', (SELECT coalesce(pg_catalog.jsonb_agg(x.j ORDER BY x.j::text), '[]')
			FROM (SELECT (pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.-) 'condition_function')
			             OPERATOR(pg_catalog.||) CASE WHEN r.condition_function IS NULL THEN '{}'::pg_catalog.jsonb
			                 ELSE pg_catalog.jsonb_build_object('condition',
			                     coalesce(privacy._stored_expression(r.condition_function), r.condition)) END AS j
			      FROM privacy._row_policy r WHERE privacy._citus_table(r.relid)) x),
		'consent', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY pg_catalog.to_jsonb(c)::text), '[]') FROM privacy._consent c
			WHERE consent_ids IS NULL OR c.id OPERATOR(pg_catalog.=) ANY (consent_ids)),
		'token_format', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY pg_catalog.to_jsonb(f)::text), '[]') FROM privacy._token_format f),
		'token_format_version', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY pg_catalog.to_jsonb(f)::text), '[]')
			FROM privacy._token_format_version f),
		'detokenize_grant', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) ORDER BY pg_catalog.to_jsonb(d)::text), '[]')
			FROM privacy._detokenize_grant d),
		'key', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(k) ORDER BY pg_catalog.to_jsonb(k)::text), '[]') FROM privacy._key k),
		'masking_secret', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) ORDER BY pg_catalog.to_jsonb(s)::text), '[]') FROM privacy._masking_secret s),
		-- classification-driven protection (issue 18): the bindings and
		-- exemptions of every category, the classifications, new columns,
		-- default-deny switches and lineage of Citus tables
		'category_binding', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY pg_catalog.to_jsonb(b)::text), '[]') FROM privacy._category_binding b),
		'category_unmasked', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(u) ORDER BY pg_catalog.to_jsonb(u)::text), '[]') FROM privacy._category_unmasked u),
		'classification', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY pg_catalog.to_jsonb(c)::text), '[]')
			FROM privacy._classification c WHERE privacy._citus_table(c.relid)),
		'not_personal', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(n) ORDER BY pg_catalog.to_jsonb(n)::text), '[]')
			FROM privacy._not_personal n WHERE privacy._citus_table(n.relid)),
		'new_column', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(n) ORDER BY pg_catalog.to_jsonb(n)::text), '[]')
			FROM privacy._new_column n WHERE privacy._citus_table(n.relid)),
		'default_deny_off', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) ORDER BY pg_catalog.to_jsonb(d)::text), '[]')
			FROM privacy._default_deny_off d WHERE privacy._citus_table(d.relid)),
		'derived_column', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) ORDER BY pg_catalog.to_jsonb(d)::text), '[]')
			FROM privacy._derived_column d WHERE privacy._citus_table(d.relid) AND privacy._citus_table(d.source_relid)),
		-- the synchronization generation (shard queries carry the planning
		-- node's; a worker enforces only the state of that generation)
		'generation', (SELECT coalesce(pg_catalog.max(g.generation), 0) FROM privacy._citus_sync_state g))
	INTO payload;
	IF consent_ids IS NOT NULL THEN
		payload := payload OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('consent_ids', pg_catalog.to_jsonb(consent_ids));
	END IF;
	RETURN payload;
END
$$;
COMMENT ON FUNCTION privacy._citus_payload(bigint[]) IS
'the policy state privacy.citus_sync_policies() copies to the Citus workers, by name (wrapped keys, the masking secret row as stored)';
REVOKE ALL ON FUNCTION privacy._citus_payload(bigint[]) FROM PUBLIC;

-- privacy._citus_replace(tbl, rows, scope): makes the rows of catalog table
-- tbl within scope (an SQL condition over alias t) equal to rows: deletes
-- those not among rows, inserts the rows it lacks (a row whose key another
-- row outside the scope holds is left out). Rows are compared as jsonb.
CREATE FUNCTION privacy._citus_replace(tbl regclass, rows jsonb, scope text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET IntervalStyle = 'postgres'
SET bytea_output = 'hex'
AS $$
DECLARE
	deleted bigint;
	inserted bigint;
BEGIN
	IF rows IS NULL OR pg_catalog.jsonb_typeof(rows) OPERATOR(pg_catalog.<>) 'array' THEN
		RAISE EXCEPTION 'synchronized rows of % must be a JSON array', tbl USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- anti-joins on the jsonb images (hashable: large registries do not
	-- compare every row with every other)
	EXECUTE format('DELETE FROM %s t WHERE (%s) AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements($1) x '
		'WHERE x OPERATOR(pg_catalog.=) pg_catalog.to_jsonb(t))', tbl, scope) USING rows;
	GET DIAGNOSTICS deleted = ROW_COUNT;
	EXECUTE format('INSERT INTO %s SELECT r.* FROM pg_catalog.jsonb_populate_recordset(NULL::%s, $1) r '
		'WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.=) pg_catalog.to_jsonb(r)) '
		'ON CONFLICT DO NOTHING', tbl, tbl, tbl) USING rows;
	GET DIAGNOSTICS inserted = ROW_COUNT;
	RETURN deleted OPERATOR(pg_catalog.+) inserted;
END
$$;
COMMENT ON FUNCTION privacy._citus_replace(regclass, jsonb, text) IS
'makes the rows of a pg_privacy catalog table within a scope equal to synchronized rows (deletes the missing, inserts the new)';
REVOKE ALL ON FUNCTION privacy._citus_replace(regclass, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._citus_apply_policies(jsonb) FROM PUBLIC;

-- privacy._citus_push(): sends the payload to every active primary worker
-- (from the coordinator); returns the number of workers.
CREATE FUNCTION privacy._citus_push(incremental boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	payload jsonb;
	command text;
	result record;
	nodes integer := 0;
	consent_ids bigint[];
	base bigint;
	stale boolean := false;
BEGIN
	-- the consents written since the last push (NULL: too many to list)
	consent_ids := privacy._citus_take_consent_ids();
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN 0;
	END IF;
	-- every worker must be reachable before any applies the state: a
	-- worker that applied a push whose transaction then fails here holds a
	-- generation the coordinator never committed and refuses shard queries
	-- until the next push (fails closed, but needlessly)
	FOR result IN SELECT r.nodename, r.nodeport, r.success FROM pg_catalog.run_command_on_workers('SELECT 1') r LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not synchronize policies to worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure', DETAIL = 'The worker cannot be reached.',
				      HINT = 'Retry when it is back, or remove it with citus_disable_node and run privacy.citus_sync_policies() when it returns.';
		END IF;
	END LOOP;
	-- a new generation: shard queries planned before it (cached plans
	-- carry it) are planned again, and a worker that misses this push
	-- refuses shard queries of the new one until it is synchronized
	base := coalesce((SELECT g.generation FROM privacy._citus_sync_state g), 0);
	INSERT INTO privacy._citus_sync_state AS s (id, generation, synced_at) VALUES (true, 1, pg_catalog.now())
	ON CONFLICT (id) DO UPDATE SET generation = s.generation OPERATOR(pg_catalog.+) 1, synced_at = pg_catalog.now();
	PERFORM privacy._invalidate_policies('privacy._citus_sync_state');
	IF incremental AND consent_ids IS NOT NULL THEN
		payload := privacy._citus_payload(consent_ids) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('base', base);
		command := format('SELECT privacy._citus_apply_policies(%L)', payload);
		FOR result IN SELECT r.success FROM pg_catalog.run_command_on_workers(command) r LOOP
			stale := stale OR NOT result.success;
			nodes := nodes OPERATOR(pg_catalog.+) 1;
		END LOOP;
		IF NOT stale THEN
			RETURN nodes;
		END IF;
		nodes := 0;
		-- a worker that did not hold the base (or failed): the whole state
	END IF;
	payload := privacy._citus_payload();
	-- one statement (run_command_on_workers reports on the first statement
	-- of a command only). The payload holds consent subjects and wrapped
	-- secrets: it is passed as a variable, so that no error context here
	-- quotes it, and the worker's function keeps it out of its log
	command := format('SELECT privacy._citus_apply_policies(%L)', payload);
	FOR result IN SELECT r.nodename, r.nodeport, r.success, r.result
		FROM pg_catalog.run_command_on_workers(command) r LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not synchronize policies to worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure',
				      DETAIL = pg_catalog.left(pg_catalog.regexp_replace(result.result, '\s+', ' ', 'g'), 200);
		END IF;
		nodes := nodes OPERATOR(pg_catalog.+) 1;
	END LOOP;
	RETURN nodes;
END
$$;
COMMENT ON FUNCTION privacy._citus_push(boolean) IS
'sends the coordinator''s policy state to every active primary Citus worker; returns the number of workers';
REVOKE ALL ON FUNCTION privacy._citus_push(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy.citus_sync_policies() FROM PUBLIC;

-- privacy.citus_audit_log(since): the audit log of every node, read on the
-- coordinator. A detokenization is recorded by the node that ran it (a
-- worker, for the shard queries Citus sends it), outside the disclosing
-- transaction; this gathers the records of the coordinator and of every
-- active primary worker, each row with the node that holds it.
CREATE FUNCTION privacy.citus_audit_log(since timestamptz DEFAULT '-infinity')
RETURNS TABLE (node text, logged_at timestamptz, role_name name, session_role name, action text, format text,
	value_count bigint, object text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result record;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can read the audit log of every node' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF since IS NULL THEN
		RAISE EXCEPTION 'since must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NOT NULL THEN
		-- the last run deletes on the workers what the one before copied
		WHILE privacy.citus_collect_audit() OPERATOR(pg_catalog.>) 0 LOOP
		END LOOP;
	END IF;
	RETURN QUERY SELECT CASE WHEN a.object OPERATOR(pg_catalog.~~) 'citus node %' AND a.action OPERATOR(pg_catalog.=) 'detokenize'
		THEN pg_catalog.substr(a.object, 12) ELSE 'coordinator' END, a.logged_at, a.role_name, a.session_role, a.action,
		a.format, a.value_count, a.object
	FROM privacy.audit_log a WHERE a.logged_at OPERATOR(pg_catalog.>=) since;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN;
	END IF;
	FOR result IN EXECUTE format('SELECT r.nodename, r.nodeport, r.success, r.result FROM pg_catalog.run_command_on_workers(%L) r',
		format('SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(a)), ''[]'') FROM privacy.audit_log a '
		       'WHERE a.logged_at OPERATOR(pg_catalog.>=) %L::timestamptz AND a.action OPERATOR(pg_catalog.<>) ''detokenize''', since)) LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not read the audit log of worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure';
		END IF;
		RETURN QUERY SELECT result.nodename OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) result.nodeport,
			a.logged_at, a.role_name, a.session_role, a.action, a.format, a.value_count, a.object
		FROM pg_catalog.jsonb_populate_recordset(NULL::privacy.audit_log, result.result::jsonb) a;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.citus_audit_log(timestamptz) IS
'the audit log of the coordinator (with the detokenizations of the Citus workers moved into it first) and the other records of every worker, with the node that ran each';
REVOKE ALL ON FUNCTION privacy.citus_audit_log(timestamptz) FROM PUBLIC;

-- privacy.citus_policy_status(): for every active primary worker, whether
-- its policy state equals the coordinator's (payloads compared by digest).
-- A worker out of sync enforces a different policy on its shards than the
-- compliance views of the coordinator report: privacy.citus_sync_policies()
-- brings it back.
CREATE FUNCTION privacy.citus_policy_status()
RETURNS TABLE (node text, in_sync boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mine text;
	result record;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can compare the policy state of the Citus nodes' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN;
	END IF;
	mine := pg_catalog.md5(privacy._citus_payload()::text);
	FOR result IN SELECT r.nodename, r.nodeport, r.success, r.result
		FROM pg_catalog.run_command_on_workers('SELECT pg_catalog.md5(privacy._citus_payload()::text)') r LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not read the policy state of worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure';
		END IF;
		node := result.nodename OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) result.nodeport;
		in_sync := result.result OPERATOR(pg_catalog.=) mine;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.citus_policy_status() IS
'for every Citus worker, whether its policy state (masks, exemptions, row policies, purposes, consents, formats, keys, masking secret) equals the coordinator''s';
REVOKE ALL ON FUNCTION privacy.citus_policy_status() FROM PUBLIC;

-- privacy._citus_autosync(): deferred trigger of the policy catalogs: at
-- commit of a transaction that changed them on the coordinator, sends the
-- state to the workers once (a worker that cannot be reached makes the
-- commit fail). On workers and without Citus it does nothing.
CREATE FUNCTION privacy._citus_autosync()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	is_coordinator boolean;
BEGIN
	-- once per change: the first deferred event of a transaction pushes the
	-- state after all its statements (or, with SET CONSTRAINTS IMMEDIATE,
	-- after each changing statement); the other events return here
	IF NOT privacy._citus_take_change() OR pg_catalog.to_regclass('pg_catalog.pg_dist_local_group') IS NULL THEN
		RETURN NULL;
	END IF;
	EXECUTE 'SELECT coalesce(min(groupid) OPERATOR(pg_catalog.=) 0, false) FROM pg_catalog.pg_dist_local_group'
		INTO is_coordinator;
	IF is_coordinator THEN
		PERFORM privacy._citus_push(true);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacy._citus_autosync() IS
'deferred trigger: at commit of a change to a policy catalog on the Citus coordinator, copies the policy state to every worker';
REVOKE ALL ON FUNCTION privacy._citus_autosync() FROM PUBLIC;

DO $do$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['_column_policy', '_unmasked', '_governed_table', '_retention_policy', '_purpose',
		'_purpose_role', '_row_policy', '_consent', '_token_format', '_token_format_version', '_detokenize_grant',
		'_key', '_masking_secret'] LOOP
		EXECUTE format('CREATE TRIGGER citus_changed BEFORE INSERT OR UPDATE OR DELETE ON privacy.%I '
			'FOR EACH STATEMENT WHEN (privacy._citus_present()) EXECUTE FUNCTION privacy._citus_changed()', t);
		EXECUTE format('CREATE CONSTRAINT TRIGGER citus_sync AFTER INSERT OR UPDATE OR DELETE ON privacy.%I '
			'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (privacy._citus_present()) '
			'EXECUTE FUNCTION privacy._citus_autosync()', t);
	END LOOP;
END
$do$;

-- issue 21: hints ("purpose does not exist" names create_purpose; setup_roles
-- executable by PUBLIC, refusing non-superusers itself with a hint)
CREATE OR REPLACE FUNCTION privacy.grant_consent(subject text, purpose text, expires_at timestamptz DEFAULT NULL)
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
CREATE OR REPLACE FUNCTION privacy.require_consent(tbl regclass, subject_column name, purpose text)
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
GRANT EXECUTE ON FUNCTION privacy.setup_roles(name, name) TO PUBLIC;

-- issue 21: privacy.uninstall() (src/sql/parts/90_uninstall.sql)
-- pg_privacy added to the database's own tables, so that
-- DROP EXTENSION pg_privacy succeeds and leaves every table readable.
--
-- What pg_privacy adds outside its schema, and what uninstall does with it:
--   * row security: ENABLE (privacy._governed_table.rls_enabled_by_privacy)
--     and FORCE (force_rls_by_privacy) are undone only where pg_privacy
--     turned them on; where the table has row-security policies of its own
--     (pg_policy) both are kept, since the owner's policies rely on them;
--   * the write-back guard trigger "~pg_privacy_writeback_guard" and the
--     legal-hold triggers "privacy_hold_<id>_<kind>";
--   * privacy.card_token columns (the type belongs to the extension) and
--     the indexes on them (their operator classes too);
--   * text columns holding tokens (classified with a token format): they do
--     not block DROP EXTENSION, but their keys go with it.
-- Policies are removed through the public API (unmask_column,
-- drop_row_policy, drop_retention, release_hold), so every removal is
-- audited like any other; the uninstall itself is recorded in
-- privacy.audit_log and in the server log before anything is changed.
--
-- Superusers only: it lifts every protection, may detokenize every column,
-- and alters tables of every owner. It is atomic: any error rolls all of it
-- back. Every check that can refuse runs before the first change.
CREATE FUNCTION privacy.uninstall(tokens text DEFAULT 'refuse', release_holds boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext oid;
	card regtype := 'privacy.card_token'::pg_catalog.regtype;
	r record;
	n bigint;
	converted integer := 0;
	detokenized bigint := 0;
	kept text[] := '{}';
	ids tid[];
	chunk tid[];
	olds text[];
	news text[];
	report jsonb;
BEGIN
	-- who: a superuser, as the session's role and as the current user (not
	-- from inside another role's SECURITY DEFINER function), and not inside
	-- a security-restricted operation (code running for a table owner)
	IF NOT coalesce((SELECT a.rolsuper FROM pg_catalog.pg_roles a
	                 WHERE a.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false)
	   OR NOT coalesce((SELECT a.rolsuper FROM pg_catalog.pg_roles a
	                    WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER), false) THEN
		RAISE EXCEPTION 'permission denied to uninstall pg_privacy'
			USING ERRCODE = 'insufficient_privilege',
			      DETAIL = 'Uninstalling removes every masking, row and retention policy and legal hold, and can detokenize every token column.',
			      HINT = 'Only superusers can run privacy.uninstall(), like DROP EXTENSION pg_privacy.';
	END IF;
	PERFORM privacy._check_policy_admin('uninstall pg_privacy');
	IF tokens IS NULL OR tokens OPERATOR(pg_catalog.<>) ALL (ARRAY['detokenize', 'text', 'refuse']) THEN
		RAISE EXCEPTION 'invalid value for tokens'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Pass tokens => ''detokenize'' (token columns get their plaintext back), ''text'' (they keep the tokens, as text) or ''refuse''.';
	END IF;
	IF release_holds IS NULL THEN
		RAISE EXCEPTION 'release_holds must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT e.oid INTO ext FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_privacy';

	-- the token columns: card_token columns of tables (converted to text),
	-- and the columns classified with a token format (detokenized with
	-- tokens => 'detokenize'), each table that stores rows once
	IF pg_catalog.to_regclass('pg_temp._privacy_uninstall_col') IS NOT NULL THEN
		DROP TABLE pg_temp._privacy_uninstall_col;
	END IF;
	CREATE TEMPORARY TABLE pg_temp._privacy_uninstall_col (
		relid regclass, attname name, format text, alter_type boolean, store boolean) ON COMMIT DROP;
	INSERT INTO pg_temp._privacy_uninstall_col
	SELECT a.attrelid::regclass, a.attname, 'card', a.attinhcount OPERATOR(pg_catalog.=) 0,
	       c.relkind OPERATOR(pg_catalog.=) 'r'
	FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
	WHERE a.atttypid OPERATOR(pg_catalog.=) card AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
	  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::"char"[])
	  AND c.relnamespace OPERATOR(pg_catalog.<>) 'privacy'::pg_catalog.regnamespace;
	INSERT INTO pg_temp._privacy_uninstall_col
	SELECT DISTINCT m.f, k.column_name, k.token_format, false, true
	FROM privacy._classification k, LATERAL privacy._family(k.relid) AS m(f)
	JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.f::oid
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
	WHERE k.token_format IS NOT NULL AND c.relkind OPERATOR(pg_catalog.=) 'r'
	  AND a.attname OPERATOR(pg_catalog.=) k.column_name AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
	  AND a.atttypid OPERATOR(pg_catalog.<>) card
	  AND NOT EXISTS (SELECT FROM pg_temp._privacy_uninstall_col u
	                  WHERE u.relid OPERATOR(pg_catalog.=) m.f AND u.attname OPERATOR(pg_catalog.=) k.column_name);

	-- 1. refusals, before anything changes
	IF tokens OPERATOR(pg_catalog.=) 'refuse' AND EXISTS (SELECT FROM pg_temp._privacy_uninstall_col) THEN
		SELECT pg_catalog.string_agg(pg_catalog.format('%s.%I', u.relid, u.attname), ', ' ORDER BY u.relid::text, u.attname)
		INTO STRICT r FROM (SELECT DISTINCT relid, attname FROM pg_temp._privacy_uninstall_col) u;
		RAISE EXCEPTION 'token columns remain'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = pg_catalog.format('Columns holding tokens: %s. Their keys are dropped with the extension.', r.string_agg),
			      HINT = 'Choose privacy.uninstall(tokens => ''detokenize'') to store the plaintext back, or tokens => ''text'' to keep the tokens as text.';
	END IF;
	IF NOT release_holds AND EXISTS (SELECT FROM privacy._legal_hold h WHERE h.released_at IS NULL) THEN
		RAISE EXCEPTION 'active legal holds remain'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = pg_catalog.format('%s legal holds are active; without pg_privacy nothing keeps their rows from being deleted.',
			                                 (SELECT pg_catalog.count(*) FROM privacy._legal_hold h WHERE h.released_at IS NULL)),
			      HINT = 'Release them with privacy.uninstall(release_holds => true), after making sure the rows are kept by other means.';
	END IF;
	-- the tokens are read (cast to text) with the caller's rights: only
	-- built-in types, whose casts no role can redefine (a type's owner could
	-- attach a cast to text that runs its own code), as for retokenize
	SELECT pg_catalog.string_agg(pg_catalog.format('%s.%I (%s)', u.relid, u.attname, a.atttypid::regtype), ', '
	                             ORDER BY u.relid::text, u.attname)
	INTO r
	FROM pg_temp._privacy_uninstall_col u
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid AND a.attname OPERATOR(pg_catalog.=) u.attname
	WHERE tokens OPERATOR(pg_catalog.=) 'detokenize' AND a.atttypid OPERATOR(pg_catalog.>=) 16384
	  AND a.atttypid OPERATOR(pg_catalog.<>) card;
	IF r.string_agg IS NOT NULL THEN
		RAISE EXCEPTION 'token columns of types that are not built-in cannot be detokenized'
			USING ERRCODE = 'feature_not_supported',
			      DETAIL = pg_catalog.format('Columns: %s.', r.string_agg),
			      HINT = 'Have the owner change them to text first, or choose tokens => ''text''.';
	END IF;
	-- detokenizing puts plaintext where the table's owner (and whoever it
	-- lets read the table) reads it: only into tables whose owner may
	-- detokenize the format already. Otherwise a role that copied tokens
	-- into a table of its own would get their plaintext.
	IF tokens OPERATOR(pg_catalog.=) 'detokenize' THEN
		SELECT pg_catalog.string_agg(pg_catalog.format('%s.%I (owner %s, format %s)', u.relid, u.attname,
		                                               c.relowner::regrole::text, u.format), ', ' ORDER BY u.relid::text, u.attname)
		INTO r
		FROM pg_temp._privacy_uninstall_col u JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) u.relid::oid
		WHERE u.store
		  AND NOT (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) c.relowner)
		  AND NOT EXISTS (SELECT FROM privacy._detokenize_grant g
		                  WHERE g.format OPERATOR(pg_catalog.=) u.format
		                    AND pg_catalog.pg_has_role(c.relowner, g.role::oid, 'USAGE'));
		IF r.string_agg IS NOT NULL THEN
			RAISE EXCEPTION 'the owners of some token columns may not detokenize them'
				USING ERRCODE = 'insufficient_privilege',
				      DETAIL = pg_catalog.format('Columns: %s.', r.string_agg),
				      HINT = 'Grant the owner the format with privacy.grant_detokenize(owner, format) first, or choose tokens => ''text''.';
		END IF;
	END IF;
	-- changing a column's type re-validates the CHECK constraints that use
	-- it as the role running ALTER TABLE (here: a superuser); the table
	-- owner's constraints must not run with superuser rights
	SELECT pg_catalog.string_agg(pg_catalog.format('%I on %s', k.conname, u.relid), ', ' ORDER BY u.relid::text, k.conname)
	INTO r
	FROM pg_temp._privacy_uninstall_col u
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid AND a.attname OPERATOR(pg_catalog.=) u.attname
	JOIN pg_catalog.pg_constraint k ON k.conrelid OPERATOR(pg_catalog.=) a.attrelid
	WHERE tokens OPERATOR(pg_catalog.<>) 'refuse' AND a.atttypid OPERATOR(pg_catalog.=) card
	  AND k.contype OPERATOR(pg_catalog.=) 'c' AND k.convalidated
	  AND a.attnum OPERATOR(pg_catalog.=) ANY (k.conkey);
	IF r.string_agg IS NOT NULL THEN
		RAISE EXCEPTION 'card_token columns are used by check constraints'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = pg_catalog.format('Constraints: %s. Changing the column type would evaluate them with superuser rights.', r.string_agg),
			      HINT = 'Have the table''s owner drop them before privacy.uninstall() and add them again afterwards.';
	END IF;
	-- objects of the database that use the extension and that uninstall does
	-- not remove (views, functions, defaults, columns of other relations...)
	-- would make DROP EXTENSION fail: named here, nothing changed
	WITH members(classid, objid) AS (
		SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
		WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
		  AND d.refobjid OPERATOR(pg_catalog.=) ext AND d.deptype OPERATOR(pg_catalog.=) 'e'
		UNION ALL
		SELECT 'pg_catalog.pg_type'::regclass::oid, t.oid FROM pg_catalog.pg_type t WHERE t.typelem OPERATOR(pg_catalog.=) card
	), dependents AS (
		SELECT DISTINCT d.classid, d.objid, d.objsubid
		FROM pg_catalog.pg_depend d JOIN members m ON d.refclassid OPERATOR(pg_catalog.=) m.classid
		                                           AND d.refobjid OPERATOR(pg_catalog.=) m.objid
		WHERE d.deptype OPERATOR(pg_catalog.=) 'n'
		  AND NOT EXISTS (SELECT FROM members x WHERE x.classid OPERATOR(pg_catalog.=) d.classid
		                                          AND x.objid OPERATOR(pg_catalog.=) d.objid)
		  -- objects that go with the extension itself (the stored policy
		  -- expressions of schema privacy_expr)
		  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend p
		                  WHERE p.classid OPERATOR(pg_catalog.=) d.classid AND p.objid OPERATOR(pg_catalog.=) d.objid
		                    AND p.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
		                    AND p.refobjid OPERATOR(pg_catalog.=) ext
		                    AND p.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'e']::"char"[]))
		  -- parts of the extension's own objects (triggers, indexes, defaults)
		  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend p JOIN members x
		                  ON p.refclassid OPERATOR(pg_catalog.=) x.classid AND p.refobjid OPERATOR(pg_catalog.=) x.objid
		                  WHERE p.classid OPERATOR(pg_catalog.=) d.classid AND p.objid OPERATOR(pg_catalog.=) d.objid
		                    AND p.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::"char"[]))
	)
	SELECT pg_catalog.string_agg(x.what, ', ' ORDER BY x.what) INTO r
	FROM (SELECT DISTINCT CASE WHEN d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
	                           THEN (SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, w.ev_class, 0)
	                                 FROM pg_catalog.pg_rewrite w WHERE w.oid OPERATOR(pg_catalog.=) d.objid)
	                           ELSE pg_catalog.pg_describe_object(d.classid, d.objid, 0) END AS what
	      FROM dependents d
	      WHERE NOT (
	        -- the guard and hold triggers: removed below
	        (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::regclass
	         AND EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.oid OPERATOR(pg_catalog.=) d.objid
	                     AND t.tgfoid OPERATOR(pg_catalog.=) ANY (ARRAY['privacy._writeback_guard()'::regprocedure,
	                                                                  'privacy._hold_guard()'::regprocedure]::oid[])))
	        -- card_token columns of tables and their indexes: converted below
	        OR (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass AND tokens OPERATOR(pg_catalog.<>) 'refuse'
	            AND (EXISTS (SELECT FROM pg_temp._privacy_uninstall_col u JOIN pg_catalog.pg_attribute a
	                         ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid AND a.attname OPERATOR(pg_catalog.=) u.attname
	                         WHERE u.format OPERATOR(pg_catalog.=) 'card' AND a.attrelid OPERATOR(pg_catalog.=) d.objid
	                           AND a.attnum OPERATOR(pg_catalog.=) d.objsubid)
	                 OR EXISTS (SELECT FROM pg_catalog.pg_index i JOIN pg_temp._privacy_uninstall_col u
	                            ON u.relid::oid OPERATOR(pg_catalog.=) i.indrelid AND u.format OPERATOR(pg_catalog.=) 'card'
	                            WHERE i.indexrelid OPERATOR(pg_catalog.=) d.objid)))
	        -- with tokens => 'refuse' there are no card_token columns (refused above)
	      )) x;
	IF r.string_agg IS NOT NULL THEN
		RAISE EXCEPTION 'objects outside the extension use it'
			USING ERRCODE = 'dependent_objects_still_exist',
			      DETAIL = pg_catalog.format('Objects: %s.', r.string_agg),
			      HINT = 'Drop or change them first (privacy.uninstall() removes only what pg_privacy added); nothing was changed.';
	END IF;

	-- 2. recorded before the first change (the audit log goes with the
	-- extension: the server log keeps the LOG line)
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, new_definition)
	VALUES (now(), privacy._outer_user(), session_user, 'uninstall', 'extension pg_privacy',
	        pg_catalog.jsonb_build_object('tokens', tokens, 'release_holds', release_holds)::text);
	RAISE LOG 'pg_privacy: uninstall started by role "%" in database "%" (tokens => %, release_holds => %)',
		privacy._outer_user(), pg_catalog.current_database(), tokens, release_holds;

	-- 3. row security the table's owner relies on stays: where the table has
	-- row-security policies of its own, ENABLE and FORCE are kept
	FOR r IN SELECT g.relid FROM privacy._governed_table g
	         WHERE (g.rls_enabled_by_privacy OR g.force_rls_by_privacy)
	           AND EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) g.relid::oid)
	         ORDER BY g.relid::text LOOP
		UPDATE privacy._governed_table g SET rls_enabled_by_privacy = false, force_rls_by_privacy = false
		WHERE g.relid OPERATOR(pg_catalog.=) r.relid;
		kept := kept OPERATOR(pg_catalog.||) r.relid::text;
		RAISE NOTICE 'row level security of % stays enabled: the table has row-security policies of its own', r.relid;
	END LOOP;

	-- 4. policies, through the API (each removal audited)
	FOR r IN SELECT h.id FROM privacy._legal_hold h WHERE h.released_at IS NULL ORDER BY h.id LOOP
		PERFORM privacy.release_hold(r.id);
	END LOOP;
	FOR r IN SELECT p.relid FROM privacy._retention_policy p ORDER BY p.relid::text LOOP
		PERFORM privacy.drop_retention(r.relid);
	END LOOP;
	FOR r IN SELECT p.relid, p.name FROM privacy._row_policy p ORDER BY p.relid::text, p.name LOOP
		PERFORM privacy.drop_row_policy(r.relid, r.name);
	END LOOP;
	FOR r IN SELECT p.relid, p.column_name FROM privacy._column_policy p ORDER BY p.relid::text, p.column_name LOOP
		PERFORM privacy.unmask_column(r.relid, r.column_name);
	END LOOP;
	-- what is left of pg_privacy on tables (a family member left behind, a
	-- trigger of an older version): undone the same way
	FOR r IN SELECT g.relid, g.rls_enabled_by_privacy, g.force_rls_by_privacy FROM privacy._governed_table g
	         ORDER BY g.relid::text LOOP
		IF r.force_rls_by_privacy THEN
			EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', r.relid);
		END IF;
		IF r.rls_enabled_by_privacy THEN
			EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', r.relid);
		END IF;
		DELETE FROM privacy._governed_table g WHERE g.relid OPERATOR(pg_catalog.=) r.relid;
	END LOOP;
	PERFORM privacy._hold_maintenance(true);
	FOR r IN SELECT t.tgname, t.tgrelid::regclass AS tbl FROM pg_catalog.pg_trigger t
	         JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
	         WHERE t.tgfoid OPERATOR(pg_catalog.=) ANY (ARRAY['privacy._writeback_guard()'::regprocedure,
	                                                         'privacy._hold_guard()'::regprocedure]::oid[])
	           AND c.relnamespace OPERATOR(pg_catalog.<>) 'privacy'::pg_catalog.regnamespace
	         ORDER BY 2, 1 LOOP
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', r.tgname, r.tbl);
	END LOOP;
	PERFORM privacy._hold_maintenance(false);
	FOR r IN SELECT e.evtname FROM pg_catalog.pg_event_trigger e
	         JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
	                                    AND d.objid OPERATOR(pg_catalog.=) e.evtfoid
	         WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
	           AND d.refobjid OPERATOR(pg_catalog.=) ext AND d.deptype OPERATOR(pg_catalog.=) 'e'
	           AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend x
	                           WHERE x.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_event_trigger'::regclass
	                             AND x.objid OPERATOR(pg_catalog.=) e.oid AND x.deptype OPERATOR(pg_catalog.=) 'e')
	         ORDER BY 1 LOOP
		EXECUTE pg_catalog.format('DROP EVENT TRIGGER %I', r.evtname);
	END LOOP;

	-- 5. token columns. card_token becomes text (a binary-compatible change:
	-- no rewrite; indexes are rebuilt as their owner, by PostgreSQL); with
	-- tokens => 'detokenize' the plaintext of every token is then written
	-- back by an UPDATE run as the table's owner (restricted, its triggers
	-- with its rights), each row exactly once (the rows are listed first)
	IF tokens OPERATOR(pg_catalog.<>) 'refuse' THEN
		FOR r IN SELECT u.relid, u.attname FROM pg_temp._privacy_uninstall_col u
		         WHERE u.format OPERATOR(pg_catalog.=) 'card' AND u.alter_type ORDER BY u.relid::text, u.attname LOOP
			EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I TYPE text', r.relid, r.attname);
			converted := converted OPERATOR(pg_catalog.+) 1;
		END LOOP;
	END IF;
	IF tokens OPERATOR(pg_catalog.=) 'detokenize' THEN
		FOR r IN SELECT u.relid, u.attname, u.format,
		                pg_catalog.format_type(a.atttypid, a.atttypmod) AS coltype
		         FROM pg_temp._privacy_uninstall_col u
		         JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid
		                                       AND a.attname OPERATOR(pg_catalog.=) u.attname
		         WHERE u.store ORDER BY u.relid::text, u.attname LOOP
			EXECUTE pg_catalog.format('LOCK TABLE ONLY %s IN EXCLUSIVE MODE', r.relid);
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid ORDER BY ctid) FROM ONLY %s WHERE %I IS NOT NULL',
			                          r.relid, r.attname) INTO ids;
			CONTINUE WHEN ids IS NULL;
			FOR i IN 0 .. (pg_catalog.array_length(ids, 1) OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 10000 LOOP
				chunk := ids[i OPERATOR(pg_catalog.*) 10000 OPERATOR(pg_catalog.+) 1 : (i OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.*) 10000];
				EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid), pg_catalog.array_agg(%1$I::text), '
				                          'pg_catalog.array_agg(privacy.detokenize(%1$I::text, $2)) '
				                          'FROM ONLY %2$s WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)', r.attname, r.relid)
					INTO chunk, olds, news USING chunk, r.format;
				n := privacy._exec_as_owner(r.relid, pg_catalog.format('UPDATE ONLY %1$s t SET %2$I = v.new::%3$s '
				               'FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.tid[]), pg_catalog.unnest($2::text[]), '
				               'pg_catalog.unnest($3::text[])) AS v(id, old, new) '
				               'WHERE t.ctid OPERATOR(pg_catalog.=) v.id AND t.%2$I::text OPERATOR(pg_catalog.=) v.old',
				               r.relid, r.attname, r.coltype), chunk, olds, news);
				detokenized := detokenized OPERATOR(pg_catalog.+) n;
			END LOOP;
		END LOOP;
	END IF;

	-- the detokenizations above are recorded by the audit writer, in its
	-- own transactions, from the queue: wait until they are in the log, so
	-- that none is lost with it and DROP EXTENSION does not meet the writer
	IF detokenized OPERATOR(pg_catalog.>) 0 AND NOT privacy.audit_wait('30 seconds') THEN
		RAISE WARNING 'some detokenizations are not in privacy.audit_log yet'
			USING HINT = 'Run SELECT privacy.audit_wait(); before DROP EXTENSION pg_privacy.';
	END IF;
	report := pg_catalog.jsonb_build_object('tokens', tokens, 'card_columns_converted', converted,
	                                        'values_detokenized', detokenized, 'row_security_kept', kept);
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, new_definition)
	VALUES (now(), privacy._outer_user(), session_user, 'uninstalled', 'extension pg_privacy', report::text);
	RAISE LOG 'pg_privacy: uninstalled by role "%" in database "%": %', privacy._outer_user(),
		pg_catalog.current_database(), report::text;
	RETURN report;
END
$$;
COMMENT ON FUNCTION privacy.uninstall(text, boolean) IS
'removes every policy, legal hold, trigger and row-security setting pg_privacy added and converts card_token columns (tokens => detokenize | text | refuse), so that DROP EXTENSION pg_privacy succeeds (superuser only)';
GRANT EXECUTE ON FUNCTION privacy.uninstall(text, boolean) TO PUBLIC;

-- (setup_roles: PUBLIC first in its ACL, as in a fresh install)
DO $$
DECLARE
	owner_name name := (SELECT pg_catalog.pg_get_userbyid(p.proowner) FROM pg_catalog.pg_proc p
	                    WHERE p.oid OPERATOR(pg_catalog.=) 'privacy.setup_roles(name,name)'::pg_catalog.regprocedure);
BEGIN
	EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION privacy.setup_roles(name, name) FROM PUBLIC, %I', owner_name);
	EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION privacy.setup_roles(name, name) TO PUBLIC, %I', owner_name);
END
$$;

-- issue 21: retention operations. A worker run that changed nothing leaves
-- no purge log entry (and so no audit row) instead of one per table every
-- naptime; purge_now() runs are always kept.

-- issue 17: stored expressions with dependencies (part 4).
-- Masks, row filters and active hold conditions become the bodies of
-- generated SQL-standard functions in schema privacy_expr (stored analyzed,
-- with pg_depend records); existing ones are converted at the end.
CREATE SCHEMA privacy_expr;
COMMENT ON SCHEMA privacy_expr IS
'pg_privacy: the stored (analyzed) form of masks, row filters and hold conditions, one function each';
REVOKE ALL ON SCHEMA privacy_expr FROM PUBLIC;
ALTER TABLE privacy._column_policy ADD COLUMN mask_function regprocedure;
ALTER TABLE privacy._row_policy ADD COLUMN condition_function regprocedure;
ALTER TABLE privacy._legal_hold ADD COLUMN condition_function regprocedure;

COMMENT ON TABLE privacy._column_policy IS
'masking policies: mask_function holds the analyzed mask (privacy_expr), mask its canonical text when declared, declared_mask what was given';

COMMENT ON TABLE privacy._row_policy IS
'row policies: consent requirements (subject column + purpose), attribute filters (condition_function: the analyzed condition in privacy_expr; condition: its canonical text when declared) and hiding of rows past their retention window';

COMMENT ON TABLE privacy._legal_hold IS
'legal holds: rows of relid matching condition (condition_function: its analyzed form in privacy_expr while the hold is active; condition: its canonical text when placed) are never purged while the hold is active';

CREATE FUNCTION privacy._link_stored_expressions()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__link_stored_expressions'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._link_stored_expressions() IS
'row trigger of the policy tables: records the AUTO dependencies of their stored expressions (lost by pg_restore)';

CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._column_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('mask_function', 'relid', 'column_name');
CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._row_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('condition_function');
CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._legal_hold
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('condition_function');

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

CREATE FUNCTION privacy._current_expression(fn regprocedure, canonical text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN fn IS NULL THEN canonical ELSE privacy._stored_expression(fn, true) END
$$;
COMMENT ON FUNCTION privacy._current_expression(regprocedure, text) IS
'the current text of a policy expression: its stored form (an error if that was dropped), or its canonical text without one';

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

CREATE OR REPLACE FUNCTION privacy.unmask_column(tbl regclass, col name)
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

CREATE OR REPLACE FUNCTION privacy._store_row_filter(tbl regclass, name text, canonical text, declared text, roles regrole[])
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

CREATE OR REPLACE FUNCTION privacy.drop_row_policy(tbl regclass, name text)
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

CREATE OR REPLACE VIEW privacy.column_policies AS
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

CREATE OR REPLACE VIEW privacy.row_policies AS
SELECT r.relid AS table_name, r.name, r.kind, r.subject_column, r.purpose,
	CASE WHEN r.condition_function IS NULL THEN r.condition ELSE privacy._stored_expression(r.condition_function) END AS condition,
	r.declared_condition,
	r.roles, r.created_by, r.created_at
FROM privacy._row_policy r;
COMMENT ON VIEW privacy.row_policies IS 'every consent requirement and row filter';

CREATE OR REPLACE VIEW privacy.legal_holds AS
SELECT h.id, h.relid AS table_name,
	CASE WHEN h.condition_function IS NULL THEN h.condition ELSE privacy._stored_expression(h.condition_function) END AS condition,
	h.declared_condition, h.reason, h.placed_by, h.placed_at,
	h.released_by, h.released_at, h.released_at IS NULL AS active
FROM privacy._legal_hold h;
COMMENT ON VIEW privacy.legal_holds IS 'every legal hold, active or released';
COMMENT ON VIEW privacy.inventory IS
'every classified personal-data column with its protection: masked, tokenized, row-gated, retention or none';

REVOKE ALL ON FUNCTION privacy._link_stored_expressions(), privacy._create_stored_expression(regclass, name, text, text, text),
	privacy._drop_stored_expression(regprocedure) FROM PUBLIC;

-- every 0.1.0 mask, row filter and active hold gets its stored form; one
-- that no longer analyzes (something it calls was dropped or renamed) keeps
-- its text, warns, and behaves as in 0.1.0 until it is declared again
DO $$
DECLARE
	p record;
BEGIN
	FOR p IN SELECT c.relid, c.column_name, c.mask, pg_catalog.format('%I.%I', n.nspname, r.relname) AS tbl
	         FROM privacy._column_policy c
	         JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) c.relid
	         JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace
	         ORDER BY 1, 2 LOOP
		BEGIN
			UPDATE privacy._column_policy c
			SET mask_function = privacy._create_stored_expression(p.relid, p.column_name, p.mask, 'mask expression',
			                                                      pg_catalog.format('mask of %s.%s', p.tbl, p.column_name))
			WHERE c.relid OPERATOR(pg_catalog.=) p.relid AND c.column_name OPERATOR(pg_catalog.=) p.column_name;
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'the mask of %.% was not converted: it no longer analyzes', p.tbl, p.column_name
				USING HINT = 'Declare it again with privacy.mask_column().';
		END;
	END LOOP;
	FOR p IN SELECT f.relid, f.name, f.condition, pg_catalog.format('%I.%I', n.nspname, r.relname) AS tbl
	         FROM privacy._row_policy f
	         JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) f.relid
	         JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace
	         WHERE f.kind OPERATOR(pg_catalog.=) 'filter'
	         ORDER BY 1, 2 LOOP
		BEGIN
			UPDATE privacy._row_policy f
			SET condition_function = privacy._create_stored_expression(p.relid, NULL, p.condition, 'row filter',
			                                                           pg_catalog.format('row filter %s of %s', p.name, p.tbl))
			WHERE f.relid OPERATOR(pg_catalog.=) p.relid AND f.name OPERATOR(pg_catalog.=) p.name;
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'row filter % of % was not converted: it no longer analyzes', p.name, p.tbl
				USING HINT = 'Declare it again with privacy.add_row_filter().';
		END;
	END LOOP;
	FOR p IN SELECT h.id, h.relid, h.condition, pg_catalog.format('%I.%I', n.nspname, r.relname) AS tbl
	         FROM privacy._legal_hold h
	         JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) h.relid
	         JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace
	         WHERE h.released_at IS NULL
	         ORDER BY 1 LOOP
		BEGIN
			UPDATE privacy._legal_hold h
			SET condition_function = privacy._create_stored_expression(p.relid, NULL, p.condition, 'hold condition',
			                                                           pg_catalog.format('hold %s of %s', p.id, p.tbl))
			WHERE h.id OPERATOR(pg_catalog.=) p.id;
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'legal hold % was not converted: its condition no longer analyzes', p.id;
		END;
	END LOOP;
END
$$;

-- the active holds of 0.1.0 get their triggers (from their stored forms)
SELECT privacy._sync_hold_triggers(h.relid) FROM privacy._legal_hold h
WHERE h.released_at IS NULL AND h.id OPERATOR(pg_catalog.=) (
	SELECT min(x.id) FROM privacy._legal_hold x WHERE x.relid OPERATOR(pg_catalog.=) h.relid AND x.released_at IS NULL);

-- the compliance views, redefined once: with the category protections,
-- lineage and default deny of issue 18 and the stored expressions of
-- issue 17 shown as they read now
CREATE OR REPLACE VIEW privacy.inventory AS
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
CREATE OR REPLACE VIEW privacy.effective_access AS
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
CREATE OR REPLACE VIEW privacy.policies AS
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

COMMENT ON VIEW privacy.coverage_gaps IS
'personal data (classified, or found by the last privacy.discover() and not classified) with no protection at all, masked partition keys (a row''s partition reveals their range), and new columns of governed tables that are neither classified nor marked not personal';
COMMENT ON VIEW privacy.effective_access IS
'for every non-system role and classified or newly added column: raw, masked, tokenized or no access, what protects it, codebook exposure, whether rows are filtered, and retention';
COMMENT ON VIEW privacy.policies IS
'every policy of every kind (masks, exemptions, row policies, token formats, detokenize grants, retention, holds, classifications, subject registrations, category protections and exemptions, not-personal marks, default-deny opt-outs) for audit export';

-- issue 19: retokenize reads a table without children forward from where
-- its last batch ended, instead of from the first page at every batch
-- (which passed the old versions of every row moved so far: quadratic).

COMMENT ON FUNCTION privacy.classify(regclass, name, text, text) IS
'declares a column as personal data of a category (optionally: holding tokens of a token format)';

-- issue 16: the purpose a session declares (a plain SET included) carried to
-- the Citus nodes that read the shards, in the statements Citus sends them
-- (src/pg/catalog/citus_purpose.hpp).
-- privacy._citus_purpose(purpose, proof, generation): the marker carrying
-- the purpose a session declares, and the policy generation of the planning
-- node, in the statements Citus sends to the shards: the planner adds it to
-- every query level reading a Citus table pg_privacy governs, and the node
-- planning a shard query checks it (the proof: a keyed hash of the purpose
-- and the role, under the masking secret every node shares; the generation:
-- the one it holds) and binds the statement's consent checks to it. Always
-- true.
CREATE FUNCTION privacy._citus_purpose(purpose text, proof text, generation bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__citus_purpose'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._citus_purpose(text, text, bigint) IS
'marker: the purpose a session declares and the policy generation, carried in the statements Citus sends to the shards (always true)';
GRANT EXECUTE ON FUNCTION privacy._citus_purpose(text, text, bigint) TO PUBLIC;

-- privacy._consent_allows_carried(tbl, purpose, subject, declared): the
-- consent check of a shard query bound to the purpose carried to this node
-- (placed by the planner only; a call written by a user reads the session's
-- setting, like privacy._consent_allows).
CREATE FUNCTION privacy._consent_allows_carried(tbl regclass, purpose text, subject text, declared text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__consent_allows_carried'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._consent_allows_carried(regclass, text, text, text) IS
'row-policy helper: privacy._consent_allows for the purpose a statement carried to this Citus node';
GRANT EXECUTE ON FUNCTION privacy._consent_allows_carried(regclass, text, text, text) TO PUBLIC;

-- issue 16: detokenizations run on the Citus workers moved into the
-- coordinator's audit log, exactly once (privacy.citus_collect_audit).
-- privacy.citus_audit_log(since): the audit log of every node, read on the
-- coordinator. Detokenizations run on the workers are first moved into the
-- coordinator's log (privacy.citus_collect_audit(), until nothing is left to
-- move); each row names the node that ran it ('coordinator', or the
-- worker's host:port). The workers' other records (the policy changes the
-- synchronization applied there) are read where they are.
REVOKE ALL ON FUNCTION privacy.citus_audit_log(timestamptz) FROM PUBLIC;
-- Detokenizations on the Citus workers, collected into the coordinator's
-- audit log. A detokenization is recorded by the node that runs it (outside
-- the disclosing transaction, issue 14); privacy.citus_collect_audit(), on
-- the coordinator, moves the workers' records into the coordinator's
-- privacy.audit_log (object: 'citus node <host>:<port>'), exactly once:
--   1. the worker deletes the records whose keys the coordinator recorded
--      as collected in an earlier, committed run; the coordinator then
--      drops those keys;
--   2. the coordinator reads the worker's remaining records (key: xmin and
--      ctid of the row, unique while the row exists) and, in its own
--      transaction, inserts those whose key it has not recorded, recording
--      the keys.
-- A record reaches the coordinator's log only together with its key, and
-- the key is dropped only after the worker deleted the record: a failure at
-- any point (a worker down, a rolled-back run) neither loses nor duplicates
-- a record; the next run finishes the move.
CREATE TABLE privacy._citus_audit_collected (
	node    text NOT NULL,
	row_key text NOT NULL,
	PRIMARY KEY (node, row_key)
);
COMMENT ON TABLE privacy._citus_audit_collected IS
'keys of Citus worker audit records already copied into the coordinator''s audit log and not yet deleted on the worker (privacy.citus_collect_audit)';
REVOKE ALL ON privacy._citus_audit_collected FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('privacy._citus_audit_collected', '');

-- privacy._citus_audit_rows(max_rows): this node's detokenization records,
-- oldest first, each with its key (run on the workers).
CREATE FUNCTION privacy._citus_audit_rows(max_rows integer)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect audit records' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN (SELECT coalesce(pg_catalog.jsonb_agg(x.j ORDER BY x.logged_at, x.k), '[]')
		FROM (SELECT a.logged_at, a.xmin::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) a.ctid::text AS k,
		             pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('row_key',
		                 a.xmin::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) a.ctid::text) AS j
		      FROM privacy.audit_log a WHERE a.action OPERATOR(pg_catalog.=) 'detokenize'
		      ORDER BY a.logged_at LIMIT max_rows) x);
END
$$;
COMMENT ON FUNCTION privacy._citus_audit_rows(integer) IS
'this Citus node''s detokenization records with their keys, for privacy.citus_collect_audit() on the coordinator';
REVOKE ALL ON FUNCTION privacy._citus_audit_rows(integer) FROM PUBLIC;

-- privacy._citus_audit_forget(keys): deletes this node's detokenization
-- records that the coordinator collected (run on the workers).
CREATE FUNCTION privacy._citus_audit_forget(keys text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	deleted bigint;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect audit records' USING ERRCODE = 'insufficient_privilege';
	END IF;
	DELETE FROM privacy.audit_log a WHERE a.action OPERATOR(pg_catalog.=) 'detokenize'
		AND (a.xmin::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) a.ctid::text) OPERATOR(pg_catalog.=) ANY (keys);
	GET DIAGNOSTICS deleted = ROW_COUNT;
	RETURN deleted;
END
$$;
COMMENT ON FUNCTION privacy._citus_audit_forget(text[]) IS
'deletes this Citus node''s detokenization records that the coordinator collected';
REVOKE ALL ON FUNCTION privacy._citus_audit_forget(text[]) FROM PUBLIC;

-- privacy._citus_run_on(node, port, command): command on one worker
-- (Citus's master_run_on_worker); raises when it fails there.
CREATE FUNCTION privacy._citus_run_on(node text, port integer, command text)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result record;
BEGIN
	EXECUTE 'SELECT r.success, r.result FROM pg_catalog.master_run_on_worker(ARRAY[$1], ARRAY[$2], ARRAY[$3], false) r'
		INTO result USING node, port, command;
	IF result.success IS NOT TRUE THEN
		RAISE EXCEPTION 'could not run a pg_privacy command on worker %:%', node, port
			USING ERRCODE = 'connection_failure';
	END IF;
	RETURN result.result;
END
$$;
COMMENT ON FUNCTION privacy._citus_run_on(text, integer, text) IS
'runs a pg_privacy command on one Citus worker; raises when it fails there';
REVOKE ALL ON FUNCTION privacy._citus_run_on(text, integer, text) FROM PUBLIC;

CREATE FUNCTION privacy.citus_collect_audit(max_rows integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	w record;
	collected bigint := 0;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect the audit records of the Citus workers' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF max_rows IS NULL OR max_rows OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'max_rows must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN 0;
	END IF;
	-- one run at a time (the keys of a node are read and written below)
	LOCK TABLE privacy._citus_audit_collected IN SHARE ROW EXCLUSIVE MODE;
	FOR w IN EXECUTE 'SELECT node_name, node_port FROM pg_catalog.master_get_active_worker_nodes() ORDER BY 1, 2' LOOP
		collected := collected OPERATOR(pg_catalog.+)
			privacy._citus_collect_audit_node(w.node_name::text, w.node_port::integer, max_rows);
	END LOOP;
	RETURN collected;
END
$$;
COMMENT ON FUNCTION privacy.citus_collect_audit(integer) IS
'moves the detokenization records of every Citus worker into the coordinator''s audit log, exactly once; returns the number of records copied';
REVOKE ALL ON FUNCTION privacy.citus_collect_audit(integer) FROM PUBLIC;

-- issue 16: the policy generation (a worker that missed a push, or was added
-- later, refuses shard queries until synchronized), classification-driven
-- protection (categories, classifications, lineage) copied to the workers,
-- and consent changes pushed incrementally (the rows written, not the
-- registry).
-- privacy._citus_sync_state: the generation of the policy state this node
-- holds. The coordinator counts one up at every push; a worker stores the
-- generation of the state it applied. Shard queries carry the generation of
-- the node that planned them (citus_purpose.hpp): a worker that holds
-- another one (it missed a change while it was down or disabled, or was
-- added later) refuses them until privacy.citus_sync_policies() ran, and a
-- worker that never received a state refuses non-superusers its shards of
-- tables under row security, also when queried directly.
CREATE TABLE privacy._citus_sync_state (
	id         boolean PRIMARY KEY DEFAULT true CHECK (id),
	generation bigint NOT NULL,
	synced_at  timestamptz NOT NULL
);
COMMENT ON TABLE privacy._citus_sync_state IS
'the generation of the Citus policy state this node holds (privacy.citus_sync_policies)';
REVOKE ALL ON privacy._citus_sync_state FROM PUBLIC;

-- privacy._citus_consent_changed() (row trigger of privacy._consent) and
-- privacy._citus_take_consent_ids(): the ids of the consent rows this
-- transaction wrote since the last push (backend memory; NULL when more
-- than a million): a consent change sends those rows, not the registry.
CREATE FUNCTION privacy._citus_consent_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__citus_consent_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_consent_changed() IS
'trigger: notes the consent rows the transaction writes (pushed to the Citus workers at commit, instead of the whole registry)';
REVOKE ALL ON FUNCTION privacy._citus_consent_changed() FROM PUBLIC;

CREATE FUNCTION privacy._citus_take_consent_ids()
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'pg_privacy__citus_take_consent_ids'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_take_consent_ids() IS
'the ids of the consent rows this transaction wrote since its last push to the Citus workers (NULL: too many), and forgets them';
REVOKE ALL ON FUNCTION privacy._citus_take_consent_ids() FROM PUBLIC;

REVOKE ALL ON FUNCTION privacy._citus_autosync() FROM PUBLIC;

DO $do$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['_category_binding', '_category_unmasked', '_classification', '_not_personal',
		'_new_column', '_default_deny_off', '_derived_column'] LOOP
		EXECUTE format('CREATE TRIGGER citus_changed BEFORE INSERT OR UPDATE OR DELETE ON privacy.%I '
			'FOR EACH STATEMENT WHEN (privacy._citus_present()) EXECUTE FUNCTION privacy._citus_changed()', t);
		EXECUTE format('CREATE CONSTRAINT TRIGGER citus_sync AFTER INSERT OR UPDATE OR DELETE ON privacy.%I '
			'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (privacy._citus_present()) '
			'EXECUTE FUNCTION privacy._citus_autosync()', t);
	END LOOP;
END
$do$;
CREATE TRIGGER citus_consent AFTER INSERT OR UPDATE OR DELETE ON privacy._consent
	FOR EACH ROW WHEN (privacy._citus_present()) EXECUTE FUNCTION privacy._citus_consent_changed();
-- they also fire for the bulk grant's INSERT, which runs in replica mode
-- (grant_consent(text[], ...)): the rows it writes must reach the workers
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER citus_consent;
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER citus_changed;
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER citus_sync;

-- issue 19: consent at customer scale. One index on standing consents,
-- compared bytewise (collation "C"): gated point lookups descend it by
-- (purpose, subject) and bulk imports insert into it without locale-aware
-- comparisons (0.1.0's index compared text with the database collation).
-- The bulk grant checks and locks its purpose once instead of the foreign
-- key's check per row, and grants and revocations reach the index with
-- COLLATE "C".
DROP INDEX privacy._consent_standing;
CREATE INDEX _consent_standing ON privacy._consent (purpose COLLATE "C", subject COLLATE "C") WHERE revoked_at IS NULL;

CREATE OR REPLACE FUNCTION privacy.revoke_consent(subject text, purpose text)
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

-- issue 19: FF1 batch path in SQL, retokenize in one pass.
-- privacy.tokenize(text[], format) tokenizes an array through the batch path
-- (the fast path for INSERT ... SELECT); non-card retokenize computes its
-- new tokens with _retokenize_values; card retokenize is one UPDATE as the
-- table's owner, admitted by a ticket (_retokenize_ticket).
CREATE FUNCTION privacy.tokenize(value text[], format text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'pg_privacy_tokenize_array'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.tokenize(text[], text) IS
'the tokens of an array of values (element by element, NULLs kept), through the batch path; same tokens and privileges as tokenize(text, text)';

CREATE FUNCTION privacy._retokenize_values(tokens text[], format text, from_version integer, to_version integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_values'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_values(text[], text, integer, integer) IS
'_retokenize_value for every element of an array (NULLs kept), through the batch path; the values never leave C';

-- The card retokenize writes each row once: one UPDATE, run as the table's
-- owner, computes the new tokens itself. The two functions it calls are
-- executable by everyone but work only with the ticket that
-- privacy.retokenize (a policy admin) took in this transaction and passes
-- as a bind parameter, which the owner's code cannot read.
CREATE FUNCTION privacy._retokenize_ticket(format text, to_version integer)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_ticket'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_ticket(text, integer) IS
'retokenize: a random ticket admitting _retokenize_in_place and _retokenize_needed for the format and target version, in this transaction (to_version 0: ends the current ticket)';

CREATE FUNCTION privacy._retokenize_in_place(token text, format text, ticket bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_in_place'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_in_place(text, text, bigint) IS
'retokenize: the token of the same value under the ticket''s key version (only with this transaction''s ticket); the value never leaves C';

CREATE FUNCTION privacy._retokenize_needed(token text, format text, ticket bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_needed'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_needed(text, text, bigint) IS
'retokenize: whether a token was made with another key version than the ticket''s (only with this transaction''s ticket)';

REVOKE ALL ON FUNCTION privacy.tokenize(text[], text), privacy._retokenize_values(text[], text, integer, integer),
	privacy._retokenize_ticket(text, integer) FROM PUBLIC;

-- issue 17: stored expressions take the columns they read, not the row type
-- (red team F2): the link trigger of row filters and holds is told the
-- column holding the table (a wrapper no longer names it by its argument)
COMMENT ON FUNCTION privacy._link_stored_expressions() IS
'row trigger of the policy tables (arguments: the columns holding the stored expression, its table and a mask''s column): records the dependencies of their stored expressions on their tables, columns and the extension (lost by pg_restore)';
DROP TRIGGER link_stored_expressions ON privacy._row_policy;
CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._row_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('condition_function', 'relid');
DROP TRIGGER link_stored_expressions ON privacy._legal_hold;
CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._legal_hold
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('condition_function', 'relid');

-- issue 15: retention p99 under load. purge_now's plain DETACH waits at most
-- privacy.purge_partition_lock_timeout per attempt and retries with growing
-- pauses (it locks the parent in ACCESS EXCLUSIVE mode); a worker's batches
-- may be bounded in time (privacy.purge_batch_time); a worker run that left
-- a partition for the next cycle (its lock was not available) ends skipped
-- with the reason in its error; _purge_detach_failed (called by the worker
-- since 0.2.0) is created here too.

CREATE OR REPLACE FUNCTION privacy._purge_detach_failed(run_id bigint)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL, pos = 0, pos_end = NULL
	WHERE l.id OPERATOR(pg_catalog.=) run_id
	  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
	                  WHERE i.inhrelid OPERATOR(pg_catalog.=) l.pending_partition AND i.inhdetachpending)
$$;
COMMENT ON FUNCTION privacy._purge_detach_failed(bigint) IS
'falls back to deleting rows when a partition of a run could not be detached';

CREATE FUNCTION privacy._purge_partition_deferred(run_id bigint, message text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
BEGIN
	SELECT * INTO r FROM privacy._purge_log l
	WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running' FOR UPDATE;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
	                            WHERE c.oid OPERATOR(pg_catalog.=) r.pending_partition AND c.relispartition) THEN
		RETURN true;
	END IF;
	IF (SELECT p.error FROM privacy._purge_log p
	     WHERE p.relid OPERATOR(pg_catalog.=) r.relid AND p.id OPERATOR(pg_catalog.<) run_id
	       AND p.status OPERATOR(pg_catalog.<>) 'running' ORDER BY p.id DESC LIMIT 1)
	     OPERATOR(pg_catalog.~~) '55P03: an expired partition was left for the next cycle%' THEN
		UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
			pos = 0, pos_end = NULL
		WHERE l.id OPERATOR(pg_catalog.=) run_id;
		RETURN false;
	END IF;
	UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
		pos = NULL, pos_end = NULL, target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, error = message
	WHERE l.id OPERATOR(pg_catalog.=) run_id;
	RETURN true;
END
$$;
COMMENT ON FUNCTION privacy._purge_partition_deferred(bigint, text) IS
'leaves a partition whose lock was not available for the next cycle and records why in the run (false: deletes its rows instead, the previous run left it already)';

REVOKE ALL ON FUNCTION privacy._purge_detach_failed(bigint), privacy._purge_partition_deferred(bigint, text) FROM PUBLIC;

-- issue 17: the comment of privacy._is_governed names everything that
-- governs a table since categories and lineage (0.1.0's named policies only)
COMMENT ON FUNCTION privacy._is_governed(regclass) IS
'whether a masking policy, a row policy, a category protection, a denied new column or lineage applies to the table (own or inherited)';

-- issue 15: export_subject and erase_subject on table families and changed
-- tables (red-team wave 5 F2, F5, F11, F12b). The export plan locates rows as
-- (tableoid, ctid) pairs (a partitioned or inherited table's members repeat
-- row ids) and export_subject refuses more rows than located; registered
-- tables turned into views are left out of _subject_tables() and reported
-- as errors by export_subject and erase_subject instead of failing them.
-- (The C side: the pair match, BYPASSRLS administrators, and superusers'
-- tables with columns of other roles' types are in the module.)
CREATE OR REPLACE FUNCTION privacy._subject_tables(OUT relid regclass, OUT depth integer, OUT predicate text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE p(relid, depth, predicate) AS (
		SELECT s.relid, 0,
			pg_catalog.format('%I::text OPERATOR(pg_catalog.=) $1', s.subject_column)
		FROM privacy._subject_table s
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.relid::oid AND c.relkind IN ('r', 'p')
		WHERE s.via IS NULL
		UNION ALL
		SELECT s.relid, p.depth OPERATOR(pg_catalog.+) 1,
			pg_catalog.format('%I OPERATOR(pg_catalog.=) ANY (SELECT %I FROM %s WHERE %s)',
			                  s.subject_column, s.via_column, s.via, p.predicate)
		FROM privacy._subject_table s JOIN p ON s.via OPERATOR(pg_catalog.=) p.relid
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.relid::oid AND c.relkind IN ('r', 'p')
	)
	SELECT p.relid, p.depth, p.predicate FROM p
$$;
DROP FUNCTION privacy._subject_export_plan(text);
CREATE FUNCTION privacy._subject_export_plan(subject text, OUT relid regclass, OUT ids tid[], OUT token_columns jsonb,
                                             OUT tableoids oid[])
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
	PERFORM privacy._check_subject_tables();
	FOR t IN SELECT s.relid, s.predicate FROM privacy._subject_tables() s ORDER BY s.depth, s.relid::text LOOP
		relid := t.relid;
		-- (a Citus table's rows are read by subject column instead: its
		-- row ids and tableoids are its shards')
		IF privacy._citus_table(t.relid) THEN
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid) FROM %s WHERE %s', t.relid, t.predicate)
				INTO ids USING subject;
			tableoids := NULL;
		ELSE
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid), pg_catalog.array_agg(tableoid) FROM %s WHERE %s',
			                          t.relid, t.predicate)
				INTO ids, tableoids USING subject;
		END IF;
		ids := coalesce(ids, '{}');
		tableoids := coalesce(tableoids, '{}');
		SELECT coalesce(pg_catalog.jsonb_object_agg(a.attname, f.fmt), '{}') INTO token_columns
		FROM pg_catalog.pg_attribute a
		LEFT JOIN privacy._classification c
		  ON c.relid OPERATOR(pg_catalog.=) t.relid AND c.column_name OPERATOR(pg_catalog.=) a.attname
		CROSS JOIN LATERAL (SELECT coalesce(c.token_format,
		                        CASE WHEN a.atttypid OPERATOR(pg_catalog.=) 'privacy.card_token'::pg_catalog.regtype THEN 'card' END) AS fmt) f
		WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
		  AND f.fmt IS NOT NULL;
		RETURN NEXT;
	END LOOP;
	-- registered tables that are not searched (no longer tables)
	FOR t IN SELECT s.relid FROM privacy._subject_table s
	         WHERE s.relid OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT x.relid FROM privacy._subject_tables() x))
	         ORDER BY s.relid::text LOOP
		relid := t.relid;
		ids := NULL;
		tableoids := NULL;
		token_columns := '{}';
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._subject_export_plan(text) IS
'row ids of a subject''s rows and token columns of every registered table (administrators only; used by export_subject)';
GRANT EXECUTE ON FUNCTION privacy._subject_export_plan(text) TO PUBLIC;

-- issue 19 (red team 5 F12a): retokenize refuses tables whose DO INSTEAD
-- rule on UPDATE replaces the update of the tokens, and stops the card
-- passes with an error when a pass makes no progress

-- red-team 5 F3: place_hold refuses an administrator's hold on a family with
-- a superuser-owned member (its truncation, drop or detach evaluates the
-- hold as that superuser)

-- issue 16: automatic maintenance. A background worker on the Citus
-- coordinator (privacy.citus_maintenance_interval) collects the workers'
-- detokenization records and copies the policy state to workers that do not
-- hold its generation; citus_collect_audit's per-node work is shared with it,
-- and applies on a worker are ordered by a lock on privacy._citus_sync_state.
-- privacy._citus_apply_policies(payload): replaces this node's state by the
-- coordinator's (run on the workers).
REVOKE ALL ON FUNCTION privacy._citus_apply_policies(jsonb) FROM PUBLIC;

-- privacy._citus_collect_audit_node(node_name, node_port, max_rows): steps
-- 1 and 2 above for one worker, in the caller's transaction, under the
-- collection lock; returns the number of records copied.
CREATE FUNCTION privacy._citus_collect_audit_node(node_name text, node_port integer, max_rows integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	node_label text := node_name OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) node_port;
	keys text[];
	rows jsonb;
	n bigint;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect the audit records of the Citus workers' USING ERRCODE = 'insufficient_privilege';
	END IF;
	-- one run at a time (held already by both callers)
	LOCK TABLE privacy._citus_audit_collected IN SHARE ROW EXCLUSIVE MODE;
	-- 1. records copied by an earlier run: deleted on the worker, then
	-- their keys here
	SELECT pg_catalog.array_agg(c.row_key) INTO keys FROM privacy._citus_audit_collected c
		WHERE c.node OPERATOR(pg_catalog.=) node_label;
	IF keys IS NOT NULL THEN
		PERFORM privacy._citus_run_on(node_name, node_port,
			pg_catalog.format('SELECT privacy._citus_audit_forget(%L::text[])', keys));
		DELETE FROM privacy._citus_audit_collected c WHERE c.node OPERATOR(pg_catalog.=) node_label;
	END IF;
	-- 2. the records left: copied here with their keys
	rows := privacy._citus_run_on(node_name, node_port,
		pg_catalog.format('SELECT privacy._citus_audit_rows(%s)', max_rows))::jsonb;
	WITH fresh AS (
		SELECT r.logged_at, r.role_name, r.session_role, r.action, r.format, r.value_count, x.row_key
		FROM pg_catalog.jsonb_array_elements(rows) e,
		     pg_catalog.jsonb_populate_record(NULL::privacy.audit_log, e.value) r,
		     LATERAL (SELECT e.value OPERATOR(pg_catalog.->>) 'row_key' AS row_key) x
		WHERE NOT EXISTS (SELECT 1 FROM privacy._citus_audit_collected c
		                  WHERE c.node OPERATOR(pg_catalog.=) node_label
		                    AND c.row_key OPERATOR(pg_catalog.=) x.row_key)),
	keyed AS (
		INSERT INTO privacy._citus_audit_collected (node, row_key) SELECT node_label, f.row_key FROM fresh f)
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, format, value_count, object)
	SELECT f.logged_at, f.role_name, f.session_role, f.action, f.format, f.value_count,
	       'citus node ' OPERATOR(pg_catalog.||) node_label
	FROM fresh f;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION privacy._citus_collect_audit_node(text, integer, integer) IS
'moves the detokenization records of one Citus worker into the coordinator''s audit log, exactly once (for privacy.citus_collect_audit and the maintenance worker)';
REVOKE ALL ON FUNCTION privacy._citus_collect_audit_node(text, integer, integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION privacy.citus_collect_audit(integer) FROM PUBLIC;

-- privacy._citus_maintain(max_rows): what the Citus maintenance worker
-- (src/pg/workers/citus_maintenance.cpp) runs on the coordinator every
-- privacy.citus_maintenance_interval. For every active primary worker:
-- whether it can be reached ('unreachable': skipped, retried next time);
-- the policy state copied to it when it does not hold the coordinator's
-- generation ('synchronized'); its detokenization records moved into the
-- coordinator's log ('collected', as privacy.citus_collect_audit). Each
-- node's work is a subtransaction: one node failing leaves the others
-- done. Takes no lock a policy change waits for: the collection lock is
-- taken with NOWAIT (a manual collection running: no collection this
-- time). Returns nothing on a worker node and without Citus.
CREATE FUNCTION privacy._citus_maintain(max_rows integer DEFAULT 10000)
RETURNS TABLE (node text, action text, n bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	w record;
	label text;
	is_coordinator boolean;
	mine bigint;
	theirs bigint;
	payload jsonb;
	collect boolean := true;
	got bigint;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can run the Citus maintenance' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_local_group') IS NULL
	   OR pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN;
	END IF;
	EXECUTE 'SELECT coalesce(min(groupid) OPERATOR(pg_catalog.=) 0, false) FROM pg_catalog.pg_dist_local_group'
		INTO is_coordinator;
	IF NOT is_coordinator THEN
		RETURN;
	END IF;
	BEGIN
		LOCK TABLE privacy._citus_audit_collected IN SHARE ROW EXCLUSIVE MODE NOWAIT;
	EXCEPTION WHEN lock_not_available THEN
		collect := false;
	END;
	mine := coalesce((SELECT g.generation FROM privacy._citus_sync_state g), 0);
	FOR w IN EXECUTE 'SELECT node_name::text AS node_name, node_port::integer AS node_port '
		'FROM pg_catalog.master_get_active_worker_nodes() ORDER BY 1, 2' LOOP
		label := w.node_name OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) w.node_port;
		node := label;
		-- the generation it holds (-1: none); a node down is skipped
		BEGIN
			theirs := privacy._citus_run_on(w.node_name, w.node_port,
				'SELECT coalesce((SELECT g.generation FROM privacy._citus_sync_state g), -1)')::bigint;
		EXCEPTION WHEN OTHERS THEN
			action := 'unreachable';
			n := NULL;
			RETURN NEXT;
			CONTINUE;
		END;
		action := 'reachable';
		n := theirs;
		RETURN NEXT;
		IF theirs OPERATOR(pg_catalog.<>) mine THEN
			-- the whole state, as citus_sync_policies sends it, without a new
			-- generation (the other workers hold this one); built once, in one
			-- snapshot with the generation it carries
			IF payload IS NULL THEN
				payload := privacy._citus_payload();
				mine := (payload OPERATOR(pg_catalog.->>) 'generation')::bigint;
			END IF;
			IF theirs OPERATOR(pg_catalog.<>) mine THEN
				BEGIN
					-- the payload is passed as a variable: no error context here
					-- quotes it
					-- applied only over the generation read above (a push that
					-- reached the node since is not overwritten); never waits
					PERFORM privacy._citus_run_on(w.node_name, w.node_port,
						pg_catalog.format('SELECT privacy._citus_apply_policies(%L)',
							payload OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('expect', theirs)));
					action := 'synchronized';
					n := mine;
				EXCEPTION WHEN OTHERS THEN
					action := 'synchronization failed';
					n := NULL;
				END;
				RETURN NEXT;
			END IF;
		END IF;
		IF collect THEN
			BEGIN
				got := privacy._citus_collect_audit_node(w.node_name, w.node_port, max_rows);
				IF got OPERATOR(pg_catalog.>) 0 THEN
					action := 'collected';
					n := got;
					RETURN NEXT;
				END IF;
			EXCEPTION WHEN OTHERS THEN
				action := 'audit collection failed';
				n := NULL;
				RETURN NEXT;
			END;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._citus_maintain(integer) IS
'Citus maintenance on the coordinator: moves the workers'' detokenization records into the audit log and copies the policy state to reachable workers that do not hold its generation; one row per node and action';
REVOKE ALL ON FUNCTION privacy._citus_maintain(integer) FROM PUBLIC;

-- issue 19: legal-hold conditions evaluated by pg_privacy as the table owner.
-- The hold guard becomes C: it evaluates the stored, validated condition as
-- the table's owner (security-restricted) instead of a WHEN clause that
-- PostgreSQL evaluates as the role running the DML; _sync_hold_triggers
-- validates every condition again and replaces the WHEN-clause triggers of
-- every active hold (below), so that an updated database enforces as a fresh
-- install does.
-- existing holds get the new triggers; a hold whose condition no longer
-- validates must not stop the update: its WHEN-clause triggers are replaced
-- by guards that keep every row (fail closed) until it is released
DO $convert$
DECLARE
	r record;
	t record;
BEGIN
	FOR r IN SELECT DISTINCT h.relid FROM privacy._legal_hold h WHERE h.released_at IS NULL ORDER BY 1 LOOP
		BEGIN
			PERFORM privacy._sync_hold_triggers(r.relid);
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'the legal holds of % cannot be evaluated: a condition no longer passes the checks of hold conditions', r.relid
				USING DETAIL = 'pg_privacy keeps every row they apply to (fail closed) until they are released.';
		END;
	END LOOP;
	PERFORM privacy._hold_maintenance(true);
	FOR t IN SELECT tg.tgrelid::regclass AS rel, tg.tgname,
	                pg_catalog.substring(tg.tgname, '^privacy_hold_([0-9]+)_') AS hold,
	                pg_catalog.upper(pg_catalog.substring(tg.tgname, '_(update|delete)$')) AS kind
	         FROM pg_catalog.pg_trigger tg
	         WHERE tg.tgfoid OPERATOR(pg_catalog.=) 'privacy._hold_guard()'::pg_catalog.regprocedure
	           AND tg.tgqual IS NOT NULL ORDER BY 1, 2 LOOP
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION privacy._hold_guard(%L)',
			t.tgname, t.kind, t.rel, t.hold);
	END LOOP;
	PERFORM privacy._hold_maintenance(false);
END
$convert$;

-- issue 19: retokenize reports rows a trigger of the table kept from moving
-- (fpe3). A BEFORE UPDATE trigger returning NULL used to leave card rows
-- with their old tokens silently, and other formats' rows with tokens of a
-- version the format no longer recorded; both are refused now (55000).

-- issue 19: bulk consent import. grant_consent(text[]) writes through
-- privacy._grant_consents (C): deduplicated sorted subjects, one sorted pass
-- over the standing index for the consents they supersede, rows inserted as
-- COPY does.
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


-- issue 19: erase_subject finds a subject's standing consents with one
-- descent of _consent_standing per purpose instead of reading the registry.
