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
