-- 00_preamble.sql: the schema and its security preamble.
--
-- The schema is created here without IF NOT EXISTS: a pre-existing schema
-- named "privacy" (possibly owned by an untrusted role) makes CREATE
-- EXTENSION fail instead of adopting objects someone else controls.
-- Every object below is schema-qualified; nothing relies on search_path.
\echo Use "CREATE EXTENSION pg_privacy" to load this file. \quit

CREATE SCHEMA privacy;
COMMENT ON SCHEMA privacy IS 'pg_privacy: masking, row policies, tokenization, retention and compliance views';

-- Functions are executable by PUBLIC unless revoked (PostgreSQL has no
-- per-schema way to change that default): every part revokes its internal
-- and administrative functions explicitly; test/pgtap/privileges.sql pins
-- the list of functions PUBLIC may execute.
REVOKE ALL ON SCHEMA privacy FROM PUBLIC;
GRANT USAGE ON SCHEMA privacy TO PUBLIC;
-- 10_version.sql: version reporting and the error-boundary probes.

CREATE FUNCTION privacy.version()
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.version() IS
'pg_privacy library version, whether it was preloaded, and the linked OpenSSL and libsodium versions';
GRANT EXECUTE ON FUNCTION privacy.version() TO PUBLIC;

-- Error-boundary probes: superuser-only, used by sql/boundary_errors.sql.
CREATE FUNCTION privacy._boundary_throw(what text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__boundary_throw'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._boundary_throw(text) IS
'test only: throws a C++ exception of the named kind from core through the error boundary';

CREATE FUNCTION privacy._boundary_pg_error(input text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy__boundary_pg_error'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._boundary_pg_error(text) IS
'test only: parses int4 through the guarded PostgreSQL call path while C++ objects are alive';

CREATE FUNCTION privacy._boundary_live_objects()
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__boundary_live_objects'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._boundary_live_objects() IS
'test only: number of boundary probe objects alive in this backend (0 unless a destructor was skipped)';

REVOKE ALL ON FUNCTION privacy._boundary_throw(text), privacy._boundary_pg_error(text),
	privacy._boundary_live_objects() FROM PUBLIC;
-- 20_masking.sql: masking functions (pure, PARALLEL SAFE, labelled per
-- STYLE.md §3.2) and the database's masking secret.
--
-- Labels. Pure masks are IMMUTABLE STRICT PARALLEL SAFE. LEAKPROOF only where
-- the function cannot raise or notice because of ANY of its arguments: masks
-- redact malformed values, but an argument error (negative keep count, bad
-- width, unit, prefix length) would let a caller learn something about that
-- argument if it came from a column, so every function taking such an
-- argument is not leakproof. That is why mask_card and mask_ip have a
-- one-argument overload (leakproof) next to the one with options (not).
-- Keyed masks (noise, shift_date, pseudonym, fake_*) read the rotatable
-- secret: STABLE STRICT PARALLEL SAFE, never leakproof.

-- ---------------------------------------------------------------------------
-- The masking secret
-- ---------------------------------------------------------------------------

-- privacy._masking_secret holds one row: 32 random bytes created at CREATE
-- EXTENSION. Nobody but superusers can read it; the keyed masks read it in C
-- with a heap scan. It is a configuration table so that dump/restore keeps
-- pseudonyms and fakes stable; the trigger makes an inserted row (rotation or
-- pg_restore's COPY) replace the existing one and invalidates every backend's
-- cached copy.
CREATE TABLE privacy._masking_secret (
	id         boolean PRIMARY KEY DEFAULT true CHECK (id),
	secret     bytea NOT NULL CHECK (octet_length(secret) = 32),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE privacy._masking_secret IS
'the database''s masking secret (one row, superuser only): keys pseudonym, noise, shift_date and fake_*';
REVOKE ALL ON privacy._masking_secret FROM PUBLIC;
-- No statistics on the secret: pg_statistic would otherwise hold a copy.
ALTER TABLE privacy._masking_secret ALTER COLUMN secret SET STATISTICS 0;
SELECT pg_catalog.pg_extension_config_dump('privacy._masking_secret', '');

CREATE FUNCTION privacy._masking_secret_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__masking_secret_trigger'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._masking_secret_trigger() IS
'keeps privacy._masking_secret to one row (an inserted secret replaces the old one) and invalidates cached copies';

CREATE TRIGGER replace_secret BEFORE INSERT ON privacy._masking_secret
	FOR EACH ROW EXECUTE FUNCTION privacy._masking_secret_trigger();
CREATE TRIGGER invalidate_secret AFTER UPDATE OR DELETE OR TRUNCATE ON privacy._masking_secret
	FOR EACH STATEMENT EXECUTE FUNCTION privacy._masking_secret_trigger();

CREATE FUNCTION privacy._init_masking_secret()
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__init_masking_secret'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._init_masking_secret() IS
'creates the masking secret from libsodium''s CSPRNG when none exists (run by CREATE EXTENSION; superuser only)';

SELECT privacy._init_masking_secret();

CREATE FUNCTION privacy.rotate_masking_secret()
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_rotate_masking_secret'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.rotate_masking_secret() IS
'replaces the masking secret with a new random one: pseudonyms, noise, date shifts and fakes all change (superuser only)';
REVOKE ALL ON FUNCTION privacy.rotate_masking_secret(), privacy._init_masking_secret(), privacy._masking_secret_trigger()
	FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Text masks
-- ---------------------------------------------------------------------------

CREATE FUNCTION privacy.redact(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_redact'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.redact(text) IS
'replaces the value by a fixed text that reveals nothing, not even its length';
GRANT EXECUTE ON FUNCTION privacy.redact(text) TO PUBLIC;

-- Not leakproof: a negative keep_prefix/keep_suffix raises 22023.
CREATE FUNCTION privacy.partial(value text, keep_prefix integer, padding text, keep_suffix integer)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_partial'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.partial(text, integer, text, integer) IS
'keeps the first keep_prefix and last keep_suffix characters with padding between, never more than a third of the value; not leakproof (negative counts raise)';
GRANT EXECUTE ON FUNCTION privacy.partial(text, integer, text, integer) TO PUBLIC;

CREATE FUNCTION privacy.mask_email(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_mask_email'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.mask_email(text) IS
'keeps the first character of the local part and the domain (j*****@example.com); malformed addresses are redacted; leakproof (never raises)';
GRANT EXECUTE ON FUNCTION privacy.mask_email(text) TO PUBLIC;

CREATE FUNCTION privacy.mask_phone(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_mask_phone'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.mask_phone(text) IS
'keeps the last 4 digits (never more than half), separators and +; malformed numbers are redacted; leakproof (never raises)';
GRANT EXECUTE ON FUNCTION privacy.mask_phone(text) TO PUBLIC;

CREATE FUNCTION privacy.mask_card(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_mask_card'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.mask_card(text) IS
'keeps the last 4 digits of a 12-19 digit card number, separators kept; anything else is redacted; leakproof (never raises)';
GRANT EXECUTE ON FUNCTION privacy.mask_card(text) TO PUBLIC;

-- Not leakproof: keep_first other than 0 or 6 raises 22023.
CREATE FUNCTION privacy.mask_card(value text, keep_first integer)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_mask_card_keep_first'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.mask_card(text, integer) IS
'mask_card keeping also the first 6 digits when keep_first = 6 (16+ digits only); not leakproof (keep_first other than 0 or 6 raises)';
GRANT EXECUTE ON FUNCTION privacy.mask_card(text, integer) TO PUBLIC;

CREATE FUNCTION privacy.mask_iban(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_mask_iban'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.mask_iban(text) IS
'keeps the country code and the last 4 characters of an IBAN; malformed values are redacted; leakproof (never raises)';
GRANT EXECUTE ON FUNCTION privacy.mask_iban(text) TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Network masks
-- ---------------------------------------------------------------------------

CREATE FUNCTION privacy.mask_ip(value inet)
RETURNS inet
AS 'MODULE_PATHNAME', 'pg_privacy_mask_ip'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.mask_ip(inet) IS
'truncates an address to its /24 (IPv4) or /48 (IPv6) network; leakproof (never raises)';
GRANT EXECUTE ON FUNCTION privacy.mask_ip(inet) TO PUBLIC;

-- Not leakproof: prefix lengths out of range raise 22023 (both are checked,
-- whatever the family of the value).
CREATE FUNCTION privacy.mask_ip(value inet, v4_bits integer, v6_bits integer DEFAULT 48)
RETURNS inet
AS 'MODULE_PATHNAME', 'pg_privacy_mask_ip_bits'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.mask_ip(inet, integer, integer) IS
'truncates an address to its v4_bits (IPv4) or v6_bits (IPv6) network; not leakproof (prefix lengths out of range raise)';
GRANT EXECUTE ON FUNCTION privacy.mask_ip(inet, integer, integer) TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Generalization (k-anonymity buckets). Not leakproof: widths and units are
-- arguments that raise 22023 when invalid.
-- ---------------------------------------------------------------------------

-- The integer overload exists because generalize(integer, integer) would
-- otherwise be ambiguous between bigint and numeric.
CREATE FUNCTION privacy.generalize(value integer, width integer)
RETURNS int4range
AS 'MODULE_PATHNAME', 'pg_privacy_generalize_int4'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.generalize(integer, integer) IS
'the bucket [floor(value / width) * width, + width) holding the value (unbounded past the integer range); not leakproof (width <= 0 raises)';
GRANT EXECUTE ON FUNCTION privacy.generalize(integer, integer) TO PUBLIC;

CREATE FUNCTION privacy.generalize(value bigint, width bigint)
RETURNS int8range
AS 'MODULE_PATHNAME', 'pg_privacy_generalize_int8'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.generalize(bigint, bigint) IS
'the bucket [floor(value / width) * width, + width) holding the value; not leakproof (width <= 0 raises)';
GRANT EXECUTE ON FUNCTION privacy.generalize(bigint, bigint) TO PUBLIC;

CREATE FUNCTION privacy.generalize(value numeric, width numeric)
RETURNS numrange
AS 'MODULE_PATHNAME', 'pg_privacy_generalize_numeric'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.generalize(numeric, numeric) IS
'the exact bucket [floor(value / width) * width, + width) holding the value, (,) for NaN and infinity; not leakproof (bad widths raise)';
GRANT EXECUTE ON FUNCTION privacy.generalize(numeric, numeric) TO PUBLIC;

CREATE FUNCTION privacy.generalize(value date, unit text)
RETURNS daterange
AS 'MODULE_PATHNAME', 'pg_privacy_generalize_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.generalize(date, text) IS
'the day, ISO week, month, quarter, year or decade holding the date; not leakproof (unknown units raise)';
GRANT EXECUTE ON FUNCTION privacy.generalize(date, text) TO PUBLIC;

CREATE FUNCTION privacy.generalize(value timestamptz, unit text)
RETURNS tstzrange
AS 'MODULE_PATHNAME', 'pg_privacy_generalize_timestamptz'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.generalize(timestamptz, text) IS
'the day, ISO week, month, quarter, year or decade (computed in UTC) holding the timestamp; not leakproof (unknown units raise)';
GRANT EXECUTE ON FUNCTION privacy.generalize(timestamptz, text) TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Keyed masks: STABLE (the secret can be rotated), never leakproof.
-- ---------------------------------------------------------------------------

CREATE FUNCTION privacy.noise(value integer, ratio double precision)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_noise_int4'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(integer, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret (deterministic), clamped to integer';
GRANT EXECUTE ON FUNCTION privacy.noise(integer, double precision) TO PUBLIC;

CREATE FUNCTION privacy.noise(value bigint, ratio double precision)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy_noise_int8'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(bigint, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret (deterministic), saturating';
GRANT EXECUTE ON FUNCTION privacy.noise(bigint, double precision) TO PUBLIC;

CREATE FUNCTION privacy.noise(value numeric, ratio double precision)
RETURNS numeric
AS 'MODULE_PATHNAME', 'pg_privacy_noise_numeric'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(numeric, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret, rounded to the value''s scale; NaN and infinity unchanged';
GRANT EXECUTE ON FUNCTION privacy.noise(numeric, double precision) TO PUBLIC;

CREATE FUNCTION privacy.noise(value double precision, ratio double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'pg_privacy_noise_float8'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(double precision, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret; NaN and infinity unchanged';
GRANT EXECUTE ON FUNCTION privacy.noise(double precision, double precision) TO PUBLIC;

CREATE FUNCTION privacy.shift_date(value date, max_days integer)
RETURNS date
AS 'MODULE_PATHNAME', 'pg_privacy_shift_date_date'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.shift_date(date, integer) IS
'moves the date by 1 to max_days days either way, derived from the date and the masking secret; infinity unchanged';
GRANT EXECUTE ON FUNCTION privacy.shift_date(date, integer) TO PUBLIC;

CREATE FUNCTION privacy.shift_date(value timestamptz, max_days integer)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'pg_privacy_shift_date_timestamptz'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.shift_date(timestamptz, integer) IS
'moves the timestamp by up to max_days days (to the microsecond, never 0), derived from it and the masking secret; infinity unchanged';
GRANT EXECUTE ON FUNCTION privacy.shift_date(timestamptz, integer) TO PUBLIC;

CREATE FUNCTION privacy.pseudonym(value text, domain text DEFAULT '')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_pseudonym'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.pseudonym(text, text) IS
'26-character keyed BLAKE2b pseudonym of (value, domain) under the masking secret: deterministic, irreversible without the secret';
GRANT EXECUTE ON FUNCTION privacy.pseudonym(text, text) TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Deterministic fake values (keyed hash of the seed; locales en, fr, de).
-- ---------------------------------------------------------------------------

CREATE FUNCTION privacy.fake_first_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_first_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_first_name(text, text) IS
'a first name chosen from the locale''s dictionary by a keyed hash of the seed';
GRANT EXECUTE ON FUNCTION privacy.fake_first_name(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_last_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_last_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_last_name(text, text) IS
'a last name chosen from the locale''s dictionary by a keyed hash of the seed';
GRANT EXECUTE ON FUNCTION privacy.fake_last_name(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_full_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_full_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_full_name(text, text) IS
'fake_first_name || '' '' || fake_last_name of the same seed';
GRANT EXECUTE ON FUNCTION privacy.fake_full_name(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_email(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_email'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_email(text, text) IS
'first.lastNN@example.(com|net|org) for the fake name of the same seed (reserved domains only)';
GRANT EXECUTE ON FUNCTION privacy.fake_email(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_phone(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_phone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_phone(text, text) IS
'a national-format phone number from the ranges reserved for fiction in the locale''s country';
GRANT EXECUTE ON FUNCTION privacy.fake_phone(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_city(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_city'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_city(text, text) IS
'a city of the locale''s country chosen by a keyed hash of the seed';
GRANT EXECUTE ON FUNCTION privacy.fake_city(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_street_address(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_street_address'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_street_address(text, text) IS
'a house number and street in the locale''s format chosen by a keyed hash of the seed';
GRANT EXECUTE ON FUNCTION privacy.fake_street_address(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_company(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_company'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_company(text, text) IS
'a company name with the locale''s legal form chosen by a keyed hash of the seed';
GRANT EXECUTE ON FUNCTION privacy.fake_company(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_iban(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_iban'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_iban(text, text) IS
'a check-digit-valid IBAN of the locale''s country (GB, FR, DE) with keyed random digits';
GRANT EXECUTE ON FUNCTION privacy.fake_iban(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fake_card(seed text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_card'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_card(text) IS
'a Luhn-valid 16-digit card number from a test BIN range, chosen by a keyed hash of the seed';
GRANT EXECUTE ON FUNCTION privacy.fake_card(text) TO PUBLIC;
-- 30_column_policies.sql: dynamic column masking (issue: column policies).
--
-- Catalog tables store regclass, column names and regrole so that they
-- survive pg_dump/pg_restore; they are extension configuration tables, so
-- their rows are dumped. Nobody but the extension owner can read or write
-- them directly; the planner reads them with heap scans.

CREATE TABLE privacy._column_policy (
	relid         regclass NOT NULL,
	column_name   name NOT NULL,
	mask          text NOT NULL,
	declared_mask text NOT NULL,
	declared_by   name NOT NULL,
	declared_at   timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._column_policy IS
'masking policies: mask is the canonical (schema-qualified) expression, declared_mask what was given';

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

-- privacy._govern_family: turns on row security for every member of a
-- governed table's family that does not have it yet (recording whether
-- pg_privacy turned it on). Row security hides the masked columns'
-- statistics and the raw values PostgreSQL prints in constraint-violation
-- details from RLS-subject roles. Also called by the utility hook when a
-- partition or child is created under, or attached to, a governed table.
CREATE FUNCTION privacy._govern_family(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	member regclass;
	had_rls boolean;
BEGIN
	FOR member IN SELECT f FROM privacy._family(tbl) AS f LOOP
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
-- C function after it has validated and canonicalized the mask.
CREATE FUNCTION privacy._store_column_policy(tbl regclass, col name, canonical text, declared text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	matview regclass;
BEGIN
	PERFORM privacy._check_policy_admin('declare masking policies', tbl);
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
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._release_row_security(regclass) IS
'turns row security off where pg_privacy turned it on and no masking policy remains';

CREATE FUNCTION privacy.unmask_column(tbl regclass, col name)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('remove masking policies', tbl);
	IF tbl IS NULL OR col IS NULL THEN
		RAISE EXCEPTION 'table and column must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._column_policy p
	WHERE p.relid OPERATOR(pg_catalog.=) tbl AND p.column_name OPERATOR(pg_catalog.=) col;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of table % has no masking policy', col, tbl USING ERRCODE = 'undefined_object';
	END IF;
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
	PERFORM privacy._check_policy_admin('grant exemptions from masking');
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

CREATE FUNCTION privacy.anonymize_table(tbl regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy_anonymize_table'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.anonymize_table(regclass) IS
'static masking: rewrites every masked column of the table with its mask in one UPDATE; returns the row count';

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
	p.mask,
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
	privacy._family(regclass),
	privacy._store_column_policy(regclass, name, text, text), privacy._release_row_security(regclass),
	privacy._govern_family(regclass),
	privacy.mask_column(regclass, name, text), privacy.unmask_column(regclass, name),
	privacy.grant_unmasked(regrole, regclass, name), privacy.revoke_unmasked(regrole, regclass, name),
	privacy.anonymize_table(regclass), privacy.anonymize_database() FROM PUBLIC;
-- 40_retention.sql: retention (issue 7). TTL policies per table, legal holds,
-- the purge state machine shared by the background workers and
-- privacy.purge_now(), the purge log and the SLA views.
--
-- Invariants (doc/retention.md, "Crash safety"):
--  * A run computes its cutoff once, at its start, as now() - keep; now() is
--    the start of the transaction, so the cutoff never passes now() - keep.
--  * Every batch is one statement whose WHERE clause carries the expiry test
--    and the active legal holds, read in the same transaction after taking a
--    lock that privacy.place_hold() conflicts with. A row that is not expired
--    or that is held is never deleted, whatever is killed when.
--  * Progress is stored in the purge log row in the same transaction as the
--    batch; a run that was killed is marked interrupted by the next one,
--    which starts over with a new cutoff (every step is idempotent).
--  * Row values never appear in messages: only table names and counts.
--  * Hold conditions and masks are canonical text produced from a validated
--    expression tree (never the text a user typed); values are bound as
--    parameters ($1..$3), identifiers quoted with %I / regclass output.

CREATE TABLE privacy._retention_policy (
	relid               regclass PRIMARY KEY,
	time_column         name NOT NULL,
	keep                interval NOT NULL,
	action              text NOT NULL,
	columns             name[],
	batch_size          integer,
	max_rows_per_second integer,
	declared_by         name NOT NULL,
	declared_at         timestamptz NOT NULL,
	CHECK (action IN ('delete', 'anonymize', 'nullify')),
	CHECK (batch_size IS NULL OR batch_size > 0),
	CHECK (max_rows_per_second IS NULL OR max_rows_per_second > 0)
);
COMMENT ON TABLE privacy._retention_policy IS
'retention policies: rows whose time_column is older than now() - keep are deleted, anonymized or nullified';

CREATE TABLE privacy._legal_hold (
	id                 bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	relid              regclass NOT NULL,
	condition          text NOT NULL,
	declared_condition text NOT NULL,
	reason             text NOT NULL,
	placed_by          name NOT NULL,
	placed_at          timestamptz NOT NULL,
	released_by        name,
	released_at        timestamptz
);
COMMENT ON TABLE privacy._legal_hold IS
'legal holds: rows of relid matching condition (canonical text) are never purged while the hold is active';

CREATE TABLE privacy._purge_log (
	id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	relid              oid NOT NULL,
	table_name         text NOT NULL,
	via                text NOT NULL,
	status             text NOT NULL,
	started            timestamptz NOT NULL,
	finished           timestamptz,
	cutoff             timestamptz NOT NULL,
	action             text NOT NULL,
	method             text NOT NULL,
	rows               bigint NOT NULL DEFAULT 0,
	batches            integer NOT NULL DEFAULT 0,
	partitions_dropped integer NOT NULL DEFAULT 0,
	start_lsn          pg_lsn,
	wal_bytes          numeric NOT NULL DEFAULT 0,
	error              text,
	-- progress of a running run
	targets            oid[] NOT NULL,
	target_idx         integer NOT NULL DEFAULT 1,
	pos                bigint,
	pos_end            bigint,
	step_blocks        integer,
	pos_ts             timestamptz,
	slice              interval,
	pending_partition  oid,
	pending_name       text,
	pending_bound      text,
	CHECK (status IN ('running', 'done', 'failed', 'interrupted', 'skipped'))
);
CREATE INDEX ON privacy._purge_log (relid, id);
COMMENT ON TABLE privacy._purge_log IS
'one row per purge run (worker or purge_now) with its progress, counts and error';

SELECT pg_catalog.pg_extension_config_dump('privacy._retention_policy', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._legal_hold', '');
REVOKE ALL ON privacy._retention_policy, privacy._legal_hold, privacy._purge_log FROM PUBLIC;

CREATE FUNCTION privacy._retention_lock_key(kind integer, tbl regclass)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT (kind::bigint OPERATOR(pg_catalog.<<) 32) OPERATOR(pg_catalog.|) tbl::oid::bigint $$;
COMMENT ON FUNCTION privacy._retention_lock_key(integer, regclass) IS
'advisory lock key of a table: kind 1 serializes holds against purge batches, kind 2 owns a purge run';

CREATE FUNCTION privacy._analyze_hold_condition(tbl regclass, condition text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__analyze_hold_condition'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._analyze_hold_condition(regclass, text) IS
'validates a legal-hold condition (one boolean expression over the table''s columns) and returns its canonical text';

CREATE FUNCTION privacy._time_column_type_ok(tbl regclass, col name)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.atttypid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.timestamptz'::regtype,
		'pg_catalog.timestamp'::regtype, 'pg_catalog.date'::regtype]::oid[])
	FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
	  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION privacy._time_column_type_ok(regclass, name) IS
'whether a column exists and is timestamptz, timestamp or date (NULL: no such column)';

CREATE FUNCTION privacy.set_retention(tbl regclass, time_column name, keep interval, action text DEFAULT 'delete',
	columns name[] DEFAULT NULL, batch_size integer DEFAULT NULL, max_rows_per_second integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind "char";
	type_ok boolean;
	col name;
BEGIN
	PERFORM privacy._check_policy_admin('declare retention policies', tbl);
	IF tbl IS NULL OR time_column IS NULL OR keep IS NULL OR action IS NULL THEN
		RAISE EXCEPTION 'table, time column, keep and action of a retention policy must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT c.relkind INTO kind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
	IF kind IS NULL OR kind NOT IN ('r', 'p') OR tbl::oid OPERATOR(pg_catalog.<) 16384
	   OR (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	      OPERATOR(pg_catalog.=) 'privacy'::regnamespace THEN
		RAISE EXCEPTION 'cannot set a retention policy on %', tbl USING ERRCODE = 'wrong_object_type',
			DETAIL = 'Only tables and partitioned tables outside the system and pg_privacy schemas can have one.';
	END IF;
	type_ok := privacy._time_column_type_ok(tbl, time_column);
	IF type_ok IS NULL THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', time_column, tbl USING ERRCODE = 'undefined_column';
	ELSIF NOT type_ok THEN
		RAISE EXCEPTION 'column "%" of relation % is not a timestamp', time_column, tbl
			USING ERRCODE = 'datatype_mismatch', HINT = 'The time column must be timestamptz, timestamp or date.';
	END IF;
	IF keep OPERATOR(pg_catalog.<=) '0'::interval OR keep::text IN ('infinity', '-infinity') THEN
		RAISE EXCEPTION 'retention period must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF action NOT IN ('delete', 'anonymize', 'nullify') THEN
		RAISE EXCEPTION 'unknown retention action "%"', action USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The action is delete, anonymize or nullify.';
	END IF;
	IF batch_size IS NOT NULL AND batch_size OPERATOR(pg_catalog.<=) 0 OR
	   max_rows_per_second IS NOT NULL AND max_rows_per_second OPERATOR(pg_catalog.<=) 0 THEN
		RAISE EXCEPTION 'batch size and rows per second must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF action OPERATOR(pg_catalog.=) 'nullify' THEN
		IF columns IS NULL OR pg_catalog.cardinality(columns) OPERATOR(pg_catalog.=) 0 THEN
			RAISE EXCEPTION 'action nullify needs the columns to set to NULL' USING ERRCODE = 'invalid_parameter_value';
		END IF;
		FOREACH col IN ARRAY columns LOOP
			IF col IS NULL OR NOT EXISTS (
				SELECT 1 FROM pg_catalog.pg_attribute a
				WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
				  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
				RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
			END IF;
			IF col OPERATOR(pg_catalog.=) time_column THEN
				RAISE EXCEPTION 'the time column cannot be nullified' USING ERRCODE = 'invalid_parameter_value';
			END IF;
			IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
			           WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
			             AND a.attnotnull) THEN
				RAISE EXCEPTION 'column "%" of relation % is NOT NULL', col, tbl USING ERRCODE = 'invalid_parameter_value';
			END IF;
		END LOOP;
	ELSIF columns IS NOT NULL THEN
		RAISE EXCEPTION 'columns are only used by action nullify' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF action OPERATOR(pg_catalog.=) 'anonymize' AND NOT EXISTS (
		SELECT 1 FROM privacy._column_policy p WHERE p.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'table % has no masking policy to anonymize with', tbl
			USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Declare masks with privacy.mask_column() first.';
	END IF;
	INSERT INTO privacy._retention_policy AS p (relid, time_column, keep, action, columns, batch_size,
		max_rows_per_second, declared_by, declared_at)
	VALUES (tbl, time_column, keep, action, columns, batch_size, max_rows_per_second, privacy._outer_user(), now())
	ON CONFLICT (relid) DO UPDATE
		SET time_column = excluded.time_column, keep = excluded.keep, action = excluded.action,
		    columns = excluded.columns, batch_size = excluded.batch_size,
		    max_rows_per_second = excluded.max_rows_per_second, declared_by = excluded.declared_by,
		    declared_at = excluded.declared_at;
	-- a row policy hiding expired rows (privacy.hide_expired) follows the new window
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.set_retention(regclass, name, interval, text, name[], integer, integer) IS
'declares (or replaces) the retention policy of a table: rows older than keep are deleted, anonymized (masks) or nullified (columns)';

CREATE FUNCTION privacy.drop_retention(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('drop retention policies', tbl);
	IF tbl IS NULL THEN
		RAISE EXCEPTION 'table must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._retention_policy p WHERE p.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % has no retention policy', tbl USING ERRCODE = 'undefined_object';
	END IF;
	-- expired rows can no longer be hidden without a window
	DELETE FROM privacy._row_policy r
	WHERE r.relid OPERATOR(pg_catalog.=) tbl AND r.kind OPERATOR(pg_catalog.=) 'retention';
	IF FOUND THEN
		PERFORM privacy._unforce_family(tbl);
	END IF;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.drop_retention(regclass) IS 'removes the retention policy of a table';

CREATE FUNCTION privacy.place_hold(tbl regclass, condition text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	canonical text;
	hold_id bigint;
BEGIN
	PERFORM privacy._check_policy_admin('place legal holds', tbl);
	IF tbl IS NULL OR condition IS NULL OR reason IS NULL THEN
		RAISE EXCEPTION 'table, condition and reason of a legal hold must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.btrim(reason) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'a legal hold needs a reason' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) NOT IN ('r', 'p') THEN
		RAISE EXCEPTION 'cannot place a legal hold on %', tbl USING ERRCODE = 'wrong_object_type';
	END IF;
	canonical := privacy._analyze_hold_condition(tbl, condition);
	-- waits for running purge batches of the table and keeps new ones out
	-- until this transaction ends: a batch reads the holds after this lock
	PERFORM pg_catalog.pg_advisory_xact_lock(privacy._retention_lock_key(1, tbl));
	INSERT INTO privacy._legal_hold (relid, condition, declared_condition, reason, placed_by, placed_at)
	VALUES (tbl, canonical, condition, reason, privacy._outer_user(), now())
	RETURNING id INTO hold_id;
	RETURN hold_id;
END
$$;
COMMENT ON FUNCTION privacy.place_hold(regclass, text, text) IS
'places a legal hold: rows of the table matching condition are never purged until the hold is released; returns its id';

CREATE FUNCTION privacy.release_hold(id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('release legal holds');
	IF release_hold.id IS NULL THEN
		RAISE EXCEPTION 'hold id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	UPDATE privacy._legal_hold h SET released_by = privacy._outer_user(), released_at = now()
	WHERE h.id OPERATOR(pg_catalog.=) release_hold.id AND h.released_at IS NULL;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no active legal hold with id %', release_hold.id USING ERRCODE = 'undefined_object';
	END IF;
END
$$;
COMMENT ON FUNCTION privacy.release_hold(bigint) IS 'releases an active legal hold';

-- privacy._hold_predicate(tbl): the SQL condition a row must satisfy to be
-- purged under the active holds of tbl ('true' without holds). This is the
-- one place holds enter purge statements; subject holds across tables
-- (compliance issue) extend it.
CREATE FUNCTION privacy._hold_predicate(tbl regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN count(*) OPERATOR(pg_catalog.=) 0 THEN 'true'
		ELSE '((' OPERATOR(pg_catalog.||) string_agg('(' OPERATOR(pg_catalog.||) h.condition OPERATOR(pg_catalog.||) ')', ' OR ' ORDER BY h.id)
			OPERATOR(pg_catalog.||) ') IS NOT TRUE)' END
	FROM privacy._legal_hold h
	WHERE h.relid OPERATOR(pg_catalog.=) tbl AND h.released_at IS NULL
$$;
COMMENT ON FUNCTION privacy._hold_predicate(regclass) IS
'condition that excludes rows under an active legal hold of the table (canonical hold conditions only)';

-- privacy._action_sql(tbl): for anonymize and nullify, the SET list and the
-- condition selecting rows not processed yet (so a run is idempotent).
CREATE FUNCTION privacy._action_sql(tbl regclass, OUT set_list text, OUT pending text)
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
		INTO set_list, pending FROM privacy._column_policy m WHERE m.relid OPERATOR(pg_catalog.=) tbl;
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

-- privacy._partition_bound(part, which): the FROM or TO value of a range
-- partition on a single column, as timestamptz (NULL: MINVALUE/MAXVALUE,
-- default partition, or not a range partition).
CREATE FUNCTION privacy._partition_bound(part regclass, which text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	spec text;
	lit text;
BEGIN
	SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) INTO spec
	FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) part;
	IF which OPERATOR(pg_catalog.=) 'to' THEN
		lit := pg_catalog.substring(spec, ' TO \(''((?:[^'']|'''')*)''\)$');
	ELSE
		lit := pg_catalog.substring(spec, '^FOR VALUES FROM \(''((?:[^'']|'''')*)''\) TO');
	END IF;
	IF lit IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN pg_catalog.replace(lit, '''''', '''')::timestamptz;
EXCEPTION WHEN data_exception THEN
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacy._partition_bound(regclass, text) IS
'lower (from) or upper (to) bound of a single-column range partition as timestamptz';

-- privacy._choose_method(tbl, cutoff): how a run purges the table.
--   partition_drop  range-partitioned on the time column: expired partitions
--                   are detached and dropped, the rest swept as below;
--   time_slice      an index leads with the time column and few rows are
--                   expired: batches by time slices walked with the index;
--   ctid_sweep      otherwise: batches by heap block ranges (TID range
--                   scans), no index needed, immune to scattered timestamps.
CREATE FUNCTION privacy._choose_method(tbl regclass, cutoff timestamptz)
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
		RETURN 'ctid_sweep';
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
	EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM ONLY %s WHERE %I < $1 LIMIT $2) s', tbl, p.time_column)
		INTO found_rows USING cutoff, threshold;
	IF found_rows OPERATOR(pg_catalog.<) threshold THEN
		RETURN 'time_slice';
	END IF;
	RETURN 'ctid_sweep';
END
$$;
COMMENT ON FUNCTION privacy._choose_method(regclass, timestamptz) IS
'purge method of a table for a run: partition_drop, time_slice or ctid_sweep';

-- privacy._recover_partition: a run that was killed after detaching a
-- partition and before dropping it left a standalone table behind. It is
-- dropped now if it still has the same name and is still not a partition,
-- unless it holds rows under a legal hold, in which case it is re-attached.
CREATE FUNCTION privacy._recover_partition(tbl regclass, part oid, part_name text, bound text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	held boolean := false;
	hold text;
BEGIN
	IF part IS NULL OR NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_class c
		WHERE c.oid OPERATOR(pg_catalog.=) part AND NOT c.relispartition AND c.relkind OPERATOR(pg_catalog.=) 'r'
		  AND c.oid::regclass::text OPERATOR(pg_catalog.=) part_name) THEN
		RETURN;
	END IF;
	hold := privacy._hold_predicate(tbl);
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

-- privacy._purge_start(tbl, via): begins a run (NULL when another run of
-- the table is in progress or there is no policy). Worker runs own the table
-- with a session advisory lock (released at the end of the run or at exit),
-- purge_now runs with a transaction lock.
CREATE FUNCTION privacy._purge_start(tbl regclass, via text)
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
	IF via OPERATOR(pg_catalog.=) 'worker' THEN
		IF NOT pg_catalog.pg_try_advisory_lock(privacy._retention_lock_key(2, tbl)) THEN
			RETURN NULL;
		END IF;
	ELSIF NOT pg_catalog.pg_try_advisory_xact_lock(privacy._retention_lock_key(2, tbl)) THEN
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

-- privacy._purge_finish: ends a run (status done, failed or skipped).
CREATE FUNCTION privacy._purge_finish(run_id bigint, final_status text, message text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
BEGIN
	UPDATE privacy._purge_log l SET status = final_status, error = message, finished = clock_timestamp(),
		wal_bytes = greatest(0, pg_catalog.pg_current_wal_insert_lsn() OPERATOR(pg_catalog.-) l.start_lsn),
		pending_partition = NULL, pending_name = NULL, pending_bound = NULL
	WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running'
	RETURNING * INTO r;
	IF r.via OPERATOR(pg_catalog.=) 'worker' THEN
		PERFORM pg_catalog.pg_advisory_unlock(privacy._retention_lock_key(2, r.relid::regclass));
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._purge_finish(bigint, text, text) IS 'ends a purge run and releases its table';

-- privacy._purge_step(run_id, in_transaction): one batch of a run, in the
-- caller's transaction. Returns the status ('more', 'done', 'busy', or for
-- a worker 'detach'/'finalize': run ALTER TABLE ... DETACH PARTITION
-- CONCURRENTLY/FINALIZE on pending_partition as a top-level statement, then
-- step again) and the rows purged by this batch. With in_transaction
-- (purge_now) partitions are detached with a plain DETACH.
CREATE FUNCTION privacy._purge_step(run_id bigint, in_transaction boolean, OUT status text, OUT batch_rows bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
	p privacy._retention_policy;
	target oid;
	hold text;
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

-- privacy._purge_detach_failed: the worker could not detach the pending
-- partition (lock timeout, default partition...): sweep its rows instead.
CREATE FUNCTION privacy._purge_detach_failed(run_id bigint)
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

CREATE FUNCTION privacy.purge_now(tbl regclass DEFAULT NULL, OUT table_name regclass, OUT action text,
	OUT method text, OUT status text, OUT rows_purged bigint, OUT partitions_dropped integer, OUT batches integer)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t regclass;
	run_id bigint;
	st record;
	l privacy._purge_log;
BEGIN
	PERFORM privacy._check_policy_admin('purge tables');
	IF tbl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM privacy._retention_policy p WHERE p.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'table % has no retention policy', tbl USING ERRCODE = 'undefined_object';
	END IF;
	FOR t IN SELECT p.relid FROM privacy._retention_policy p
	         WHERE tbl IS NULL OR p.relid OPERATOR(pg_catalog.=) tbl ORDER BY p.relid::text LOOP
		run_id := privacy._purge_start(t, 'purge_now');
		IF run_id IS NULL THEN
			table_name := t; status := 'busy'; rows_purged := 0; partitions_dropped := 0; batches := 0;
			SELECT p.action INTO action FROM privacy._retention_policy p WHERE p.relid OPERATOR(pg_catalog.=) t;
			method := NULL;
			RETURN NEXT;
			CONTINUE;
		END IF;
		LOOP
			st := privacy._purge_step(run_id, true);
			EXIT WHEN st.status OPERATOR(pg_catalog.=) 'done';
			IF st.status OPERATOR(pg_catalog.=) 'busy' THEN
				PERFORM privacy._purge_finish(run_id, 'skipped', 'a legal hold is being placed');
				EXIT;
			END IF;
		END LOOP;
		SELECT * INTO l FROM privacy._purge_log x WHERE x.id OPERATOR(pg_catalog.=) run_id;
		table_name := t; action := l.action; method := l.method; status := l.status; rows_purged := l.rows;
		partitions_dropped := l.partitions_dropped; batches := l.batches;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.purge_now(regclass) IS
'runs the retention policies (of one table, or all) now, in the caller''s transaction, and returns what was done';

-- privacy._expired_rows(tbl): rows currently expired and still to purge
-- (not held, not processed yet) and the oldest such time.
CREATE FUNCTION privacy._expired_rows(tbl regclass, OUT expired bigint, OUT oldest timestamptz, OUT held bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
	act record;
	hold text;
BEGIN
	SELECT * INTO p FROM privacy._retention_policy x WHERE x.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	hold := privacy._hold_predicate(tbl);
	act := privacy._action_sql(tbl);
	EXECUTE format('SELECT count(*) FILTER (WHERE %3$s), min(%1$I::timestamptz) FILTER (WHERE %3$s), count(*) FILTER (WHERE NOT %3$s)
		FROM %2$s WHERE %1$I < now() - $1 AND %4$s', p.time_column, tbl, hold, act.pending)
		INTO expired, oldest, held USING p.keep;
END
$$;
COMMENT ON FUNCTION privacy._expired_rows(regclass) IS
'expired rows still to purge, the oldest of them, and expired rows kept by legal holds';

CREATE VIEW privacy.retention_policies AS
SELECT p.relid AS table_name,
	p.time_column,
	p.keep,
	p.action,
	p.columns,
	p.batch_size,
	p.max_rows_per_second,
	(SELECT count(*) FROM privacy._legal_hold h
	 WHERE h.relid OPERATOR(pg_catalog.=) p.relid AND h.released_at IS NULL) AS active_holds,
	p.declared_by,
	p.declared_at
FROM privacy._retention_policy p;
COMMENT ON VIEW privacy.retention_policies IS 'every retention policy and its number of active legal holds';

CREATE VIEW privacy.legal_holds AS
SELECT h.id, h.relid AS table_name, h.condition, h.declared_condition, h.reason, h.placed_by, h.placed_at,
	h.released_by, h.released_at, h.released_at IS NULL AS active
FROM privacy._legal_hold h;
COMMENT ON VIEW privacy.legal_holds IS 'every legal hold, active or released';

CREATE VIEW privacy.purge_log AS
SELECT l.id, l.relid::pg_catalog.regclass AS table_name, l.table_name AS table_name_at_run, l.started, l.finished,
	l.rows, l.action, l.error, l.status, l.method, l.via, l.cutoff, l.batches, l.partitions_dropped, l.wal_bytes
FROM privacy._purge_log l;
COMMENT ON VIEW privacy.purge_log IS 'every purge run: table, start, end, rows, action, error, method and WAL';

CREATE VIEW privacy.retention_status AS
SELECT p.relid AS table_name,
	p.action,
	e.expired AS rows_expired,
	now() OPERATOR(pg_catalog.-) e.oldest AS oldest_expired_age,
	e.held AS rows_held,
	last.started AS last_run_started,
	last.finished AS last_run_finished,
	last.status AS last_run_status,
	last.rows AS rows_purged_last_run,
	(SELECT count(*) FROM privacy._purge_log f
	 WHERE f.relid OPERATOR(pg_catalog.=) p.relid::oid AND f.status OPERATOR(pg_catalog.=) 'failed') AS errors,
	last.error AS last_error,
	coalesce(last.method, privacy._choose_method(p.relid, now() OPERATOR(pg_catalog.-) p.keep)) AS method,
	-- how late the oldest expired row is: 0 when nothing expired is left
	coalesce((now() OPERATOR(pg_catalog.-) p.keep) OPERATOR(pg_catalog.-) e.oldest, '0'::interval) AS retention_lag,
	e.expired AS backlog,
	rate.rows_per_second AS purge_rate,
	last.wal_bytes AS wal_bytes_last_run,
	CASE WHEN e.expired OPERATOR(pg_catalog.=) 0 THEN '0'::interval
	     WHEN rate.rows_per_second OPERATOR(pg_catalog.>) 0
	     THEN pg_catalog.make_interval(secs => e.expired OPERATOR(pg_catalog./) rate.rows_per_second) END AS estimated_time_to_clear
FROM privacy._retention_policy p
CROSS JOIN LATERAL privacy._expired_rows(p.relid) e
LEFT JOIN LATERAL (
	SELECT * FROM privacy._purge_log l WHERE l.relid OPERATOR(pg_catalog.=) p.relid::oid ORDER BY l.id DESC LIMIT 1) last ON true
LEFT JOIN LATERAL (
	SELECT (sum(l.rows) OPERATOR(pg_catalog./) nullif(sum(extract(epoch FROM l.finished OPERATOR(pg_catalog.-) l.started)), 0))::float8 AS rows_per_second
	FROM (SELECT * FROM privacy._purge_log l WHERE l.relid OPERATOR(pg_catalog.=) p.relid::oid
	        AND l.status OPERATOR(pg_catalog.=) 'done' AND l.rows OPERATOR(pg_catalog.>) 0 ORDER BY l.id DESC LIMIT 5) l) rate ON true;
COMMENT ON VIEW privacy.retention_status IS
'retention SLA per table: expired rows left, oldest expired age, last run, errors, method, lag, backlog, rate, WAL, time to clear';

REVOKE ALL ON privacy.retention_policies, privacy.legal_holds, privacy.purge_log, privacy.retention_status FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._retention_lock_key(integer, regclass), privacy._analyze_hold_condition(regclass, text),
	privacy._time_column_type_ok(regclass, name),
	privacy.set_retention(regclass, name, interval, text, name[], integer, integer), privacy.drop_retention(regclass),
	privacy.place_hold(regclass, text, text), privacy.release_hold(bigint), privacy._hold_predicate(regclass),
	privacy._action_sql(regclass), privacy._partition_bound(regclass, text), privacy._choose_method(regclass, timestamptz),
	privacy._recover_partition(regclass, oid, text, text), privacy._purge_start(regclass, text),
	privacy._purge_finish(bigint, text, text), privacy._purge_step(bigint, boolean), privacy._purge_detach_failed(bigint),
	privacy.purge_now(regclass), privacy._expired_rows(regclass) FROM PUBLIC;
-- 40_tokenization.sql: format-preserving tokenization (issue 5): data keys,
-- token formats, tokenize/detokenize, the raw FF1/FF3-1 modes, the
-- privacy.card_token type, detokenize privileges and their audit log.
--
-- Data keys are stored only AEAD-wrapped (libsodium XChaCha20-Poly1305, the
-- key name and version bound as associated data) under a master key that
-- comes from outside the database (privacy.master_key_file or
-- privacy.master_key_command). The tables are readable by nobody but the
-- extension owner; the C functions read them with heap scans, so callers need
-- no privilege on them. See doc/tokenization.md.

CREATE TABLE privacy._key (
	name       text NOT NULL,
	version    integer NOT NULL CHECK (version >= 1),
	algorithm  text NOT NULL,
	wrapped    bytea NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (name, version)
);
COMMENT ON TABLE privacy._key IS
'data keys: wrapped = 24-byte nonce || XChaCha20-Poly1305 ciphertext of the key under the master key (AD: name, version)';

CREATE TABLE privacy._token_format (
	name        text PRIMARY KEY,
	kind        text NOT NULL CHECK (kind IN ('card', 'email', 'plain')),
	alphabet    text NOT NULL,
	passthrough text NOT NULL,
	keep_prefix integer NOT NULL CHECK (keep_prefix >= 0),
	keep_suffix integer NOT NULL CHECK (keep_suffix >= 0),
	min_chars   integer NOT NULL CHECK (min_chars >= 0),
	max_chars   integer NOT NULL CHECK (max_chars >= 0),
	key_name    text NOT NULL,
	builtin     boolean NOT NULL,
	created_at  timestamptz NOT NULL
);
COMMENT ON TABLE privacy._token_format IS
'token formats: built-in ones (created here, not dumped) and custom ones (privacy.create_token_format)';

CREATE TABLE privacy._detokenize_grant (
	role       regrole NOT NULL,
	format     text NOT NULL,
	granted_by name NOT NULL,
	granted_at timestamptz NOT NULL,
	PRIMARY KEY (role, format)
);
COMMENT ON TABLE privacy._detokenize_grant IS 'roles allowed to detokenize a format (privacy.grant_detokenize)';

CREATE TABLE privacy.audit_log (
	logged_at    timestamptz NOT NULL,
	role_name    name NOT NULL,
	session_role name NOT NULL,
	action       text NOT NULL,
	format       text NOT NULL,
	value_count  bigint NOT NULL
);
COMMENT ON TABLE privacy.audit_log IS
'one row per statement and format that detokenized values: who, when, how many (never the values)';

INSERT INTO privacy._token_format
	(name, kind, alphabet, passthrough, keep_prefix, keep_suffix, min_chars, max_chars, key_name, builtin, created_at)
VALUES
	('card',  'card',  '0123456789', ' -',    0, 4, 12, 19, 'default', true, pg_catalog.now()),
	('ssn',   'plain', '0123456789', ' -',    0, 0, 9,  9,  'default', true, pg_catalog.now()),
	('phone', 'plain', '0123456789', ' -+().', 0, 0, 0,  0,  'default', true, pg_catalog.now()),
	('digits', 'plain', '0123456789', '',     0, 0, 0,  0,  'default', true, pg_catalog.now()),
	('alnum', 'plain', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '', 0, 0, 0, 0, 'default',
	 true, pg_catalog.now()),
	('email', 'email', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '.-_+', 0, 0, 0, 0,
	 'default', true, pg_catalog.now());

SELECT pg_catalog.pg_extension_config_dump('privacy._key', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._token_format', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('privacy._detokenize_grant', '');
SELECT pg_catalog.pg_extension_config_dump('privacy.audit_log', '');
REVOKE ALL ON privacy._key, privacy._token_format, privacy._detokenize_grant, privacy.audit_log FROM PUBLIC;

-- Metadata views (never key material).
CREATE VIEW privacy.keys AS
SELECT k.name, k.version, k.created_at, k.algorithm,
	k.version OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(k2.version) FROM privacy._key k2
	                                   WHERE k2.name OPERATOR(pg_catalog.=) k.name) AS active
FROM privacy._key k;
COMMENT ON VIEW privacy.keys IS
'data keys and their versions (metadata only); active: the version new card tokens and raw FPE calls use';
GRANT SELECT ON privacy.keys TO PUBLIC;

CREATE VIEW privacy.token_formats AS
SELECT f.name, f.kind, f.builtin, f.alphabet, f.passthrough, f.keep_prefix, f.keep_suffix, f.min_chars, f.max_chars,
	f.key_name, f.kind OPERATOR(pg_catalog.=) 'card' AS versioned
FROM privacy._token_format f;
COMMENT ON VIEW privacy.token_formats IS
'token formats; versioned: tokens carry their key version (card); others always use the first key version';
GRANT SELECT ON privacy.token_formats TO PUBLIC;

CREATE VIEW privacy.detokenize_grants AS
SELECT g.role, g.format, g.granted_by, g.granted_at FROM privacy._detokenize_grant g;
COMMENT ON VIEW privacy.detokenize_grants IS 'roles allowed to detokenize each format (superusers always may)';

-- Key administration (superuser only; each function checks explicitly).
CREATE FUNCTION privacy.create_key(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_create_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.create_key(text) IS
'creates a random 256-bit data key (version 1), stored wrapped by the master key; returns the version';

CREATE FUNCTION privacy.rotate_key(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_rotate_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.rotate_key(text) IS
'adds a new random version to a data key and returns it; older versions stay to detokenize older tokens';

CREATE FUNCTION privacy.import_key(name text, material bytea)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_import_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.import_key(text, bytea) IS
'stores given key material (16, 24 or 32 bytes) as the next version of a data key; run it with SET LOCAL log_statement = ''none''';

CREATE FUNCTION privacy.drop_key(name text, force boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_drop_key'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.drop_key(text, boolean) IS
'crypto-shredding: deletes every version of a data key; tokens made with it can never be detokenized again (force => true when token formats use the key)';

CREATE FUNCTION privacy._invalidate_keys()
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__invalidate_keys'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._invalidate_keys() IS
'invalidates the per-backend caches of data keys, token formats and detokenize grants';

-- Token formats.
CREATE FUNCTION privacy.create_token_format(name text, alphabet text, key text, passthrough text DEFAULT '',
	keep_prefix integer DEFAULT 0, keep_suffix integer DEFAULT 0)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy_create_token_format'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.create_token_format(text, text, text, text, integer, integer) IS
'declares a custom token format: characters of alphabet are encrypted with the key, passthrough characters and the kept prefix/suffix stay';

CREATE FUNCTION privacy.drop_token_format(name text)
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
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy.drop_token_format(text) IS 'drops a custom token format and its detokenize grants';

-- Tokenization. tokenize is not granted to PUBLIC: with deterministic tokens,
-- a role that can tokenize can test guesses against a token column.
CREATE FUNCTION privacy.tokenize(value text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_tokenize'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.tokenize(text, text) IS
'deterministic format-preserving token of value in the given token format (FF1)';

CREATE FUNCTION privacy.detokenize(token text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_detokenize'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy.detokenize(text, text) IS
'the value of a token; requires privacy.grant_detokenize() on the format; audited in privacy.audit_log';
GRANT EXECUTE ON FUNCTION privacy.detokenize(text, text) TO PUBLIC;

CREATE FUNCTION privacy.fpe_encrypt(value text, key text, alphabet text DEFAULT '0123456789',
	tweak bytea DEFAULT '', mode text DEFAULT 'ff1', key_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fpe_encrypt'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fpe_encrypt(text, text, text, bytea, text, integer) IS
'raw FF1 (mode ''ff1'') or FF3-1 (mode ''ff3-1'', 7-byte tweak) encryption with a data key (key_version 0: newest)';

CREATE FUNCTION privacy.fpe_decrypt(value text, key text, alphabet text DEFAULT '0123456789',
	tweak bytea DEFAULT '', mode text DEFAULT 'ff1', key_version integer DEFAULT 0)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fpe_decrypt'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fpe_decrypt(text, text, text, bytea, text, integer) IS
'raw FF1/FF3-1 decryption with a data key; not granted to PUBLIC: it bypasses detokenize privileges';

CREATE FUNCTION privacy._token_key_version(token text, format text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy__token_key_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._token_key_version(text, text) IS
'the data key version a token of the format was made with';

CREATE FUNCTION privacy._retokenize_value(token text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__retokenize_value'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retokenize_value(text, text) IS
'the token of the same value under the newest key version (superuser only; the value never leaves C)';

CREATE FUNCTION privacy.retokenize(tbl regclass, col name, format text DEFAULT 'card', batch_size integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	moved bigint := 0;
	n bigint;
	newest integer;
	key text;
BEGIN
	PERFORM privacy._check_policy_admin('retokenize');
	IF tbl IS NULL OR col IS NULL OR format IS NULL OR batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'table, column, format and a positive batch size are required'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT f.key_name INTO key FROM privacy._token_format f WHERE f.name = format AND f.kind = 'card';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token format "%" does not carry key versions', format
			USING ERRCODE = 'feature_not_supported',
			HINT = 'Only card formats are versioned; other formats always use the first key version.';
	END IF;
	SELECT max(k.version) INTO newest FROM privacy._key k WHERE k.name = key;
	IF newest IS NULL THEN
		RAISE EXCEPTION 'data key "%" does not exist', key USING ERRCODE = 'undefined_object';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = col
	               AND a.attnum > 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	LOOP
		EXECUTE format('UPDATE %s SET %I = privacy._retokenize_value(%I::text, $1) WHERE ctid = ANY (ARRAY('
		               'SELECT ctid FROM %s WHERE %I IS NOT NULL AND privacy._token_key_version(%I::text, $1) '
		               'OPERATOR(pg_catalog.<>) $2 LIMIT $3))', tbl, col, col, tbl, col, col)
			USING format, newest, batch_size;
		GET DIAGNOSTICS n = ROW_COUNT;
		EXIT WHEN n = 0;
		moved := moved + n;
	END LOOP;
	RETURN moved;
END
$$;
COMMENT ON FUNCTION privacy.retokenize(regclass, name, text, integer) IS
'moves the tokens of a column to the newest version of the format''s key, in batches; returns how many moved';

-- Detokenize privileges.
CREATE FUNCTION privacy.grant_detokenize(role regrole, format text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant detokenize');
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

CREATE FUNCTION privacy.revoke_detokenize(role regrole, format text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('revoke detokenize');
	IF role IS NULL OR format IS NULL THEN
		RAISE EXCEPTION 'role and format must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._detokenize_grant g
	WHERE g.role = revoke_detokenize.role AND g.format = revoke_detokenize.format;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'role % cannot detokenize format "%"', role, format USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy.revoke_detokenize(regrole, text) IS 'withdraws a privacy.grant_detokenize()';

-- privacy.card_token: a column type for card tokens. Its input function only
-- VALIDATES (12 to 19 digits, separators ' ' and '-' dropped, must fail the
-- Luhn check, so a real card number is refused) and never tokenizes: pg_dump,
-- COPY FROM and logical replication call it with tokens. Stored as the digits
-- (a varlena compared bytewise), so the comparison functions are the core
-- bytea ones, which cannot fail on data (LEAKPROOF).
CREATE TYPE privacy.card_token;

CREATE FUNCTION privacy.card_token_in(cstring)
RETURNS privacy.card_token
AS 'MODULE_PATHNAME', 'pg_privacy_card_token_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_in(cstring) IS 'card_token input: validates a card token, never tokenizes';

CREATE FUNCTION privacy.card_token_out(privacy.card_token)
RETURNS cstring
AS 'textout'
LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_out(privacy.card_token) IS 'card_token output: the token digits';

CREATE FUNCTION privacy.card_token_recv(internal)
RETURNS privacy.card_token
AS 'MODULE_PATHNAME', 'pg_privacy_card_token_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_recv(internal) IS 'card_token binary input: validates like card_token_in';

CREATE FUNCTION privacy.card_token_send(privacy.card_token)
RETURNS bytea
AS 'byteasend'
LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.card_token_send(privacy.card_token) IS 'card_token binary output: the token digits';

CREATE TYPE privacy.card_token (
	INPUT = privacy.card_token_in,
	OUTPUT = privacy.card_token_out,
	RECEIVE = privacy.card_token_recv,
	SEND = privacy.card_token_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = plain,
	CATEGORY = 'S'
);
COMMENT ON TYPE privacy.card_token IS
'a payment card token (12-19 digits, never Luhn-valid); input validates only, tokenize with privacy.tokenize(v, ''card'')';

CREATE FUNCTION privacy.card_token_eq(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteaeq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_ne(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteane' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_lt(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'bytealt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_le(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteale' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_gt(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteagt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_ge(privacy.card_token, privacy.card_token) RETURNS boolean
AS 'byteage' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_cmp(privacy.card_token, privacy.card_token) RETURNS integer
AS 'byteacmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_hash(privacy.card_token) RETURNS integer
AS 'hashvarlena' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION privacy.card_token_hash_extended(privacy.card_token, bigint) RETURNS bigint
AS 'hashvarlenaextended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.card_token_eq(privacy.card_token, privacy.card_token) IS 'card_token =';
COMMENT ON FUNCTION privacy.card_token_ne(privacy.card_token, privacy.card_token) IS 'card_token <>';
COMMENT ON FUNCTION privacy.card_token_lt(privacy.card_token, privacy.card_token) IS 'card_token <';
COMMENT ON FUNCTION privacy.card_token_le(privacy.card_token, privacy.card_token) IS 'card_token <=';
COMMENT ON FUNCTION privacy.card_token_gt(privacy.card_token, privacy.card_token) IS 'card_token >';
COMMENT ON FUNCTION privacy.card_token_ge(privacy.card_token, privacy.card_token) IS 'card_token >=';
COMMENT ON FUNCTION privacy.card_token_cmp(privacy.card_token, privacy.card_token) IS 'card_token btree support';
COMMENT ON FUNCTION privacy.card_token_hash(privacy.card_token) IS 'card_token hash support';
COMMENT ON FUNCTION privacy.card_token_hash_extended(privacy.card_token, bigint) IS
'card_token extended hash support (hash partitioning)';
GRANT EXECUTE ON FUNCTION privacy.card_token_eq(privacy.card_token, privacy.card_token),
	privacy.card_token_ne(privacy.card_token, privacy.card_token),
	privacy.card_token_lt(privacy.card_token, privacy.card_token),
	privacy.card_token_le(privacy.card_token, privacy.card_token),
	privacy.card_token_gt(privacy.card_token, privacy.card_token),
	privacy.card_token_ge(privacy.card_token, privacy.card_token),
	privacy.card_token_cmp(privacy.card_token, privacy.card_token),
	privacy.card_token_hash(privacy.card_token),
	privacy.card_token_hash_extended(privacy.card_token, bigint),
	privacy.card_token_in(cstring), privacy.card_token_out(privacy.card_token),
	privacy.card_token_recv(internal), privacy.card_token_send(privacy.card_token) TO PUBLIC;

CREATE OPERATOR privacy.= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_eq,
	COMMUTATOR = OPERATOR(privacy.=), NEGATOR = OPERATOR(privacy.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR privacy.<> (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_ne,
	COMMUTATOR = OPERATOR(privacy.<>), NEGATOR = OPERATOR(privacy.=), RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR privacy.< (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_lt,
	COMMUTATOR = OPERATOR(privacy.>), NEGATOR = OPERATOR(privacy.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR privacy.<= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_le,
	COMMUTATOR = OPERATOR(privacy.>=), NEGATOR = OPERATOR(privacy.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR privacy.> (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_gt,
	COMMUTATOR = OPERATOR(privacy.<), NEGATOR = OPERATOR(privacy.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR privacy.>= (
	LEFTARG = privacy.card_token, RIGHTARG = privacy.card_token, FUNCTION = privacy.card_token_ge,
	COMMUTATOR = OPERATOR(privacy.<=), NEGATOR = OPERATOR(privacy.<), RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS privacy.card_token_ops DEFAULT FOR TYPE privacy.card_token USING btree AS
	OPERATOR 1 privacy.<,
	OPERATOR 2 privacy.<=,
	OPERATOR 3 privacy.=,
	OPERATOR 4 privacy.>=,
	OPERATOR 5 privacy.>,
	FUNCTION 1 privacy.card_token_cmp(privacy.card_token, privacy.card_token),
	FUNCTION 4 (privacy.card_token, privacy.card_token) pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS privacy.card_token_hash_ops DEFAULT FOR TYPE privacy.card_token USING hash AS
	OPERATOR 1 privacy.=,
	FUNCTION 1 privacy.card_token_hash(privacy.card_token),
	FUNCTION 2 privacy.card_token_hash_extended(privacy.card_token, bigint);

-- Casts: card_token -> text is binary (the digits); text -> card_token
-- validates through the input function and never tokenizes.
CREATE CAST (privacy.card_token AS text) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (text AS privacy.card_token) WITH INOUT AS ASSIGNMENT;

-- Function privileges. Per-schema default privileges cannot revoke the
-- global PUBLIC EXECUTE default, so every function is revoked explicitly and
-- granted where intended (detokenize and the card_token support functions).
REVOKE ALL ON FUNCTION privacy.create_key(text), privacy.rotate_key(text), privacy.import_key(text, bytea),
	privacy.drop_key(text, boolean), privacy._invalidate_keys(),
	privacy.create_token_format(text, text, text, text, integer, integer), privacy.drop_token_format(text),
	privacy.tokenize(text, text),
	privacy.fpe_encrypt(text, text, text, bytea, text, integer),
	privacy.fpe_decrypt(text, text, text, bytea, text, integer),
	privacy._token_key_version(text, text), privacy._retokenize_value(text, text),
	privacy.retokenize(regclass, name, text, integer),
	privacy.grant_detokenize(regrole, text), privacy.revoke_detokenize(regrole, text) FROM PUBLIC;
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

CREATE TABLE privacy._consent (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	subject    text NOT NULL,
	purpose    text NOT NULL REFERENCES privacy._purpose,
	granted_at timestamptz NOT NULL,
	expires_at timestamptz,
	revoked_at timestamptz,
	granted_by name NOT NULL,
	revoked_by name,
	CHECK (expires_at IS NULL OR expires_at > granted_at)
);
CREATE INDEX _consent_standing ON privacy._consent (purpose, subject) WHERE revoked_at IS NULL;
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
	PRIMARY KEY (relid, name),
	CHECK ((kind = 'consent') = (subject_column IS NOT NULL AND purpose IS NOT NULL)),
	CHECK ((kind = 'filter') = (condition IS NOT NULL))
);
COMMENT ON TABLE privacy._row_policy IS
'row policies: consent requirements (subject column + purpose), attribute filters (canonical condition) and hiding of rows past their retention window';

SELECT pg_catalog.pg_extension_config_dump('privacy._purpose', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._purpose_role', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._consent', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._row_policy', '');
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

-- A table is governed while a masking policy or a row policy applies to it
-- (its own or an ancestor's).
CREATE FUNCTION privacy._is_governed(tbl regclass)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM privacy._column_policy p
	               WHERE p.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
	    OR EXISTS (SELECT 1 FROM privacy._row_policy r
	               WHERE r.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl)))
$$;
COMMENT ON FUNCTION privacy._is_governed(regclass) IS
'whether a masking or row policy applies to the table (own or inherited)';
REVOKE ALL ON FUNCTION privacy._is_governed(regclass) FROM PUBLIC;

-- privacy._force_family: row policies bind owners too (FORCE ROW LEVEL
-- SECURITY), unless the owner had forced it already.
CREATE FUNCTION privacy._force_family(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
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
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
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
	PERFORM privacy._check_policy_admin('allow purposes');
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
		RAISE EXCEPTION 'purpose "%" does not exist', grant_consent.purpose USING ERRCODE = 'undefined_object';
	END IF;
	IF grant_consent.expires_at IS NOT NULL AND grant_consent.expires_at OPERATOR(pg_catalog.<=) now() THEN
		RAISE EXCEPTION 'consent must expire in the future' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- a new grant supersedes a standing one (which stays in the history)
	UPDATE privacy._consent c SET revoked_at = now(), revoked_by = privacy._outer_user()
	WHERE c.subject OPERATOR(pg_catalog.=) grant_consent.subject
	  AND c.purpose OPERATOR(pg_catalog.=) grant_consent.purpose AND c.revoked_at IS NULL;
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
	WHERE c.subject OPERATOR(pg_catalog.=) revoke_consent.subject
	  AND c.purpose OPERATOR(pg_catalog.=) revoke_consent.purpose AND c.revoked_at IS NULL;
	RETURN FOUND;
END
$$;
COMMENT ON FUNCTION privacy.revoke_consent(text, text) IS
'revokes a subject''s standing consent for a purpose; true if there was one; effective from the next statement';

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
		RAISE EXCEPTION 'purpose "%" does not exist', require_consent.purpose USING ERRCODE = 'undefined_object';
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
BEGIN
	PERFORM privacy._check_policy_admin('declare row policies', tbl);
	-- called directly, the text must already be a valid canonical filter
	IF privacy._canonical_row_filter(tbl, canonical) IS DISTINCT FROM canonical THEN
		RAISE EXCEPTION 'row filter is not in canonical form' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Declare filters with privacy.add_row_filter().';
	END IF;
	INSERT INTO privacy._row_policy (relid, name, kind, condition, declared_condition, roles, created_by, created_at)
	VALUES (tbl, _store_row_filter.name, 'filter', canonical, declared, _store_row_filter.roles, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _row_policy_pkey DO UPDATE
		SET kind = 'filter', condition = excluded.condition, declared_condition = excluded.declared_condition,
		    roles = excluded.roles, subject_column = NULL, purpose = NULL;
	PERFORM privacy._force_family(tbl);
END
$$;
COMMENT ON FUNCTION privacy._store_row_filter(regclass, text, text, text, regrole[]) IS
'stores a validated row filter and forces row security on the table family';

CREATE FUNCTION privacy.drop_row_policy(tbl regclass, name text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('drop row policies', tbl);
	DELETE FROM privacy._row_policy r
	WHERE r.relid OPERATOR(pg_catalog.=) tbl AND r.name OPERATOR(pg_catalog.=) drop_row_policy.name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % has no row policy "%"', tbl, drop_row_policy.name USING ERRCODE = 'undefined_object';
	END IF;
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
SELECT r.relid AS table_name, r.name, r.kind, r.subject_column, r.purpose, r.condition, r.declared_condition,
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
-- once per statement; consenting subjects are a per-backend hash set
-- rebuilt when the registry changes, so a point lookup costs a hash probe.
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

-- Any change to the consent registry invalidates every backend's cached
-- consent sets (also for direct DML by an administrator).
CREATE FUNCTION privacy._consent_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__consent_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._consent_changed() IS
'trigger: invalidates cached consent sets when privacy._consent changes';
CREATE TRIGGER consent_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON privacy._consent
	FOR EACH STATEMENT EXECUTE FUNCTION privacy._consent_changed();

REVOKE ALL ON privacy.consents, privacy.row_policies FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._consent_changed(), privacy._force_family(regclass), privacy._unforce_family(regclass),
	privacy.create_purpose(text, text), privacy.allow_purpose(regrole, text), privacy.disallow_purpose(regrole, text),
	privacy.grant_consent(text, text, timestamptz), privacy.revoke_consent(text, text),
	privacy.require_consent(regclass, name, text), privacy._check_row_policy_target(regclass),
	privacy._canonical_row_filter(regclass, text), privacy.add_row_filter(regclass, text, text, regrole[]),
	privacy._store_row_filter(regclass, text, text, text, regrole[]), privacy.drop_row_policy(regclass, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy.hide_expired(regclass) TO PUBLIC;
-- 60_separation_of_duties.sql: who may declare, change and lift policies,
-- and the audit of every change (issue: separation of duties).
--
-- Every administrative function checks its caller itself
-- (privacy._check_policy_admin: superusers and members of
-- privacy.admin_role; table owners for their own tables when
-- privacy.owners_may_declare is on) and fails with 42501 and a hint naming
-- the role that may do it. So the administrative API is executable by
-- PUBLIC: a refused caller gets that explanation instead of a bare
-- "permission denied for function". Catalog writes happen inside SECURITY
-- DEFINER functions (pinned search_path) whose checks look at the session's
-- own role (GetOuterUserId), never at the function owner.

GRANT EXECUTE ON FUNCTION
	privacy._check_policy_admin(text, regclass), privacy._outer_user(),
	privacy._store_column_policy(regclass, name, text, text), privacy._store_row_filter(regclass, text, text, text, regrole[]),
	privacy.mask_column(regclass, name, text), privacy.unmask_column(regclass, name),
	privacy.grant_unmasked(regrole, regclass, name), privacy.revoke_unmasked(regrole, regclass, name),
	privacy.anonymize_table(regclass), privacy.anonymize_database(),
	privacy.create_purpose(text, text), privacy.allow_purpose(regrole, text), privacy.disallow_purpose(regrole, text),
	privacy.grant_consent(text, text, timestamptz), privacy.revoke_consent(text, text),
	privacy.require_consent(regclass, name, text), privacy.add_row_filter(regclass, text, text, regrole[]),
	privacy.drop_row_policy(regclass, text),
	privacy.create_key(text), privacy.rotate_key(text), privacy.drop_key(text, boolean), privacy.import_key(text, bytea),
	privacy.create_token_format(text, text, text, text, integer, integer), privacy.drop_token_format(text),
	privacy.grant_detokenize(regrole, text), privacy.revoke_detokenize(regrole, text),
	privacy.retokenize(regclass, name, text, integer), privacy.rotate_masking_secret(),
	privacy.set_retention(regclass, name, interval, text, name[], integer, integer), privacy.drop_retention(regclass),
	privacy.place_hold(regclass, text, text), privacy.release_hold(bigint), privacy.purge_now(regclass)
TO PUBLIC;

-- The catalog-sync helpers run inside the SECURITY DEFINER writers (as the
-- extension owner): they only move row security towards what the catalog
-- says, and are not callable by others.
ALTER FUNCTION privacy._govern_family(regclass) SECURITY DEFINER;
ALTER FUNCTION privacy._force_family(regclass) SECURITY DEFINER;
ALTER FUNCTION privacy._unforce_family(regclass) SECURITY DEFINER;
ALTER FUNCTION privacy._release_row_security(regclass) SECURITY DEFINER;

-- privacy.setup_roles(): creates (or adopts) the administrator and auditor
-- group roles and gives them what they need. Run by a superuser; roles are
-- never created silently by CREATE EXTENSION.
CREATE FUNCTION privacy.setup_roles(admin_role name DEFAULT 'privacy_admin', auditor_role name DEFAULT 'privacy_auditor')
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r name;
	bad boolean;
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
	EXECUTE format('GRANT SELECT ON privacy.column_policies, privacy.masked_owners, privacy.row_policies, '
	               'privacy.consents, privacy.detokenize_grants, privacy.audit_log, privacy.retention_policies, '
	               'privacy.legal_holds, privacy.purge_log, privacy.retention_status, privacy.inventory, '
	               'privacy.coverage_gaps, privacy.policies, privacy.effective_access, privacy.subject_tables TO %I, %I',
	               admin_role, auditor_role);
	IF admin_role OPERATOR(pg_catalog.<>) pg_catalog.current_setting('privacy.admin_role')
	   OR auditor_role OPERATOR(pg_catalog.<>) pg_catalog.current_setting('privacy.auditor_role') THEN
		RAISE NOTICE 'set privacy.admin_role = %, privacy.auditor_role = % in postgresql.conf', admin_role, auditor_role;
	END IF;
END
$$;
COMMENT ON FUNCTION privacy.setup_roles(name, name) IS
'creates or adopts the privacy administrator and auditor group roles and grants them their rights (superuser only)';
REVOKE ALL ON FUNCTION privacy.setup_roles(name, name) FROM PUBLIC;

-- The audit of policy changes: every row written to a policy catalog table,
-- by the API or by direct DML, is logged in the same transaction (a C trigger
-- that writes privacy.audit_log without needing privileges on it). Key rows
-- are logged by name and version only; the masking secret is never logged.
ALTER TABLE privacy.audit_log
	ALTER COLUMN format DROP NOT NULL,
	ALTER COLUMN value_count DROP NOT NULL,
	ADD COLUMN object text,
	ADD COLUMN old_definition text,
	ADD COLUMN new_definition text;
COMMENT ON TABLE privacy.audit_log IS
'append-only audit: detokenizations (format, value_count) and policy changes (object, old and new definition); never a protected value';

CREATE FUNCTION privacy._audit_policy_change()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__audit_policy_change'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._audit_policy_change() IS
'trigger: logs every change to a policy catalog table in privacy.audit_log';
REVOKE ALL ON FUNCTION privacy._audit_policy_change() FROM PUBLIC;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._column_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._unmasked
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._row_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._purpose
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._purpose_role
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._token_format
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._detokenize_grant
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._key
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._retention_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._legal_hold
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
-- 70_compliance.sql: compliance and data-subject rights (issue 6).
--
-- Inventory (privacy.classify, privacy.discover), the compliance views
-- (inventory, coverage_gaps, policies, effective_access), the subject
-- registry and the data-subject functions (export_subject, erase_subject).
--
-- Invariants:
--  * Nothing here ever prints a protected value: discovery reports counts of
--    sampled values that pass a validator, never the values; errors name
--    tables and columns only; the erasure audit row carries a pseudonym of
--    the subject (privacy.pseudonym(subject, 'erasure')), never the subject.
--  * Discovery reads a bounded sample of each table (LIMIT, and TABLESAMPLE
--    SYSTEM for tables much larger than the sample), never whole tables.
--  * Subject predicates are built from catalog names only (%I, regclass
--    output); the subject itself is always bound as $1.
--  * Erasure runs in the caller's transaction: every registered table or
--    none. Children (tables registered via a foreign key) are processed
--    before their parents; rows matching an active legal hold are kept and
--    reported with the hold's id and reason.

CREATE TABLE privacy._classification (
	relid         regclass NOT NULL,
	column_name   name NOT NULL,
	category      text NOT NULL CHECK (category IN ('email', 'phone', 'person_name', 'postal_address', 'national_id',
	                  'payment_card', 'iban', 'ip_address', 'date_of_birth', 'health', 'credentials', 'free_text', 'other')),
	token_format  text,
	classified_by name NOT NULL,
	classified_at timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._classification IS
'personal-data classification of columns (privacy.classify); token_format: the column holds tokens of that format';

CREATE TABLE privacy._subject_table (
	relid          regclass PRIMARY KEY,
	subject_column name NOT NULL,
	via            regclass,
	via_column     name,
	declared_by    name NOT NULL,
	declared_at    timestamptz NOT NULL,
	CHECK ((via IS NULL) = (via_column IS NULL))
);
COMMENT ON TABLE privacy._subject_table IS
'tables holding data about subjects: subject_column identifies the subject directly, or references via(via_column) by a foreign key';

CREATE TABLE privacy._discovery (
	relid       regclass NOT NULL,
	column_name name NOT NULL,
	category    text NOT NULL,
	confidence  numeric NOT NULL,
	evidence    text NOT NULL,
	found_by    name NOT NULL,
	found_at    timestamptz NOT NULL,
	PRIMARY KEY (relid, column_name)
);
COMMENT ON TABLE privacy._discovery IS
'latest findings of privacy.discover() (counts and keywords only, never sampled values)';

SELECT pg_catalog.pg_extension_config_dump('privacy._classification', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._subject_table', '');
REVOKE ALL ON privacy._classification, privacy._subject_table, privacy._discovery FROM PUBLIC;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._classification
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._subject_table
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
-- purge runs: logged once each, when a run ends (progress updates are not)
CREATE TRIGGER audit_run_end AFTER UPDATE ON privacy._purge_log
	FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status <> 'running')
	EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit_run_skipped AFTER INSERT ON privacy._purge_log
	FOR EACH ROW WHEN (NEW.status <> 'running')
	EXECUTE FUNCTION privacy._audit_policy_change();

-- Classification ------------------------------------------------------------

CREATE FUNCTION privacy.classify(tbl regclass, col name, category text, token_format text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('classify columns', tbl);
	IF tbl IS NULL OR col IS NULL OR category IS NULL THEN
		RAISE EXCEPTION 'table, column and category must not be null' USING ERRCODE = 'null_value_not_allowed';
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
END
$$;
COMMENT ON FUNCTION privacy.classify(regclass, name, text, text) IS
'declares a column as personal data of a category (optionally: holding tokens of a token format)';

CREATE FUNCTION privacy.unclassify(tbl regclass, col name)
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
END
$$;
COMMENT ON FUNCTION privacy.unclassify(regclass, name) IS 'removes the classification of a column';

-- privacy._protections(tbl, col): how a column is protected: masked (own or
-- inherited masking policy), tokenized (privacy.card_token or a declared
-- token format), row-gated (a row policy on the table or an ancestor),
-- retention (a retention policy on the table or an ancestor).
CREATE FUNCTION privacy._protections(tbl regclass, col name)
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT ARRAY(SELECT x FROM (VALUES
		(1, 'masked', EXISTS (SELECT 1 FROM privacy._column_policy p
		                      WHERE p.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(tbl))
		                        AND p.column_name OPERATOR(pg_catalog.=) col)),
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

CREATE VIEW privacy.inventory AS
SELECT c.relid AS table_name,
	c.column_name,
	c.category,
	CASE WHEN pg_catalog.cardinality(pr.p) OPERATOR(pg_catalog.=) 0 THEN 'none'
	     ELSE pg_catalog.array_to_string(pr.p, ', ') END COLLATE pg_catalog."default" AS protection,
	pr.p COLLATE pg_catalog."default" AS protections,
	(SELECT m.mask FROM privacy._column_policy m
	 WHERE m.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid))
	   AND m.column_name OPERATOR(pg_catalog.=) c.column_name LIMIT 1) AS mask,
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
  AND pg_catalog.cardinality(privacy._protections(d.relid, d.column_name)) OPERATOR(pg_catalog.=) 0;
COMMENT ON VIEW privacy.coverage_gaps IS
'personal data (classified, or found by the last privacy.discover() and not classified) with no protection at all';

-- The policy catalog in one place ------------------------------------------

CREATE VIEW privacy.policies AS
SELECT 'mask'::text AS kind, p.relid AS table_name, p.column_name, NULL::text AS name, p.mask AS definition,
	NULL::text[] AS roles, true AS active, p.declared_by, p.declared_at
FROM privacy._column_policy p
UNION ALL
SELECT 'masking exemption', u.relid, u.column_name, NULL, 'sees raw values', ARRAY[u.role::text], true,
	u.granted_by, u.granted_at
FROM privacy._unmasked u
UNION ALL
SELECT CASE r.kind WHEN 'consent' THEN 'consent requirement' ELSE 'row filter' END, r.relid, r.subject_column, r.name,
	CASE r.kind WHEN 'consent' THEN pg_catalog.format('consent for purpose %s on column %I', r.purpose, r.subject_column)
	            ELSE r.condition END,
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
SELECT 'legal hold', h.relid, NULL, h.id::text, h.condition OPERATOR(pg_catalog.||) ' (' OPERATOR(pg_catalog.||) h.reason OPERATOR(pg_catalog.||) ')',
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
FROM privacy._subject_table s;
COMMENT ON VIEW privacy.policies IS
'every policy of every kind (masks, exemptions, row policies, token formats, detokenize grants, retention, holds, classifications, subject registrations) for audit export';

-- Effective access -----------------------------------------------------------

-- privacy.effective_access: for every non-system role and classified column,
-- what a query by that role returns: 'no access' (no SELECT privilege on the
-- column, by membership included), 'tokenized' (privacy.card_token or a
-- declared token format: everyone reads tokens; can_detokenize says whether
-- the role may turn them back), 'raw' (superuser, unmasked column, or an
-- exemption held through has_privs_of_role) or 'masked'. rows_filtered: a row policy
-- applies to the role (consent requirements apply while a purpose is
-- declared; attribute filters to their roles, or all); exempt roles
-- (superusers, table-wide masking exemptions) are never filtered.
CREATE VIEW privacy.effective_access AS
SELECT r.rolname AS role_name,
	c.relid AS table_name,
	c.column_name,
	c.category,
	CASE WHEN NOT pg_catalog.has_column_privilege(r.oid, c.relid, c.column_name, 'SELECT') THEN 'no access'
	     WHEN tok.tokenized THEN 'tokenized'
	     WHEN r.rolsuper THEN 'raw'
	     WHEN masked.masked AND NOT ex.column_exempt THEN 'masked'
	     ELSE 'raw' END AS access,
	CASE WHEN tok.tokenized THEN r.rolsuper OR EXISTS (
		SELECT 1 FROM privacy._detokenize_grant g
		WHERE g.format OPERATOR(pg_catalog.=) tok.format AND pg_catalog.pg_has_role(r.oid, g.role, 'USAGE')) END AS can_detokenize,
	pg_catalog.has_column_privilege(r.oid, c.relid, c.column_name, 'SELECT') AND NOT r.rolsuper AND NOT ex.table_exempt
	  AND pg_catalog.cardinality(rp.names) OPERATOR(pg_catalog.>) 0 AS rows_filtered,
	CASE WHEN r.rolsuper OR ex.table_exempt THEN '{}'::text[] ELSE rp.names END AS row_policies,
	(SELECT rt.keep FROM privacy._retention_policy rt
	 WHERE rt.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid)) LIMIT 1) AS retention
FROM privacy._classification c
CROSS JOIN pg_catalog.pg_roles r
CROSS JOIN LATERAL (
	SELECT coalesce(c.token_format, 'card') AS format,
		c.token_format IS NOT NULL OR EXISTS (
			SELECT 1 FROM pg_catalog.pg_attribute a
			WHERE a.attrelid OPERATOR(pg_catalog.=) c.relid AND a.attname OPERATOR(pg_catalog.=) c.column_name
			  AND a.atttypid OPERATOR(pg_catalog.=) 'privacy.card_token'::pg_catalog.regtype) AS tokenized) tok
CROSS JOIN LATERAL (
	SELECT EXISTS (SELECT 1 FROM privacy._column_policy p
	               WHERE p.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid))
	                 AND p.column_name OPERATOR(pg_catalog.=) c.column_name) AS masked) masked
CROSS JOIN LATERAL (
	SELECT EXISTS (SELECT 1 FROM privacy._unmasked u
	               WHERE pg_catalog.pg_has_role(r.oid, u.role, 'USAGE')
	                 AND (u.relid IS NULL OR u.relid OPERATOR(pg_catalog.=) c.relid)
	                 AND (u.column_name IS NULL OR u.column_name OPERATOR(pg_catalog.=) c.column_name)) AS column_exempt,
	       EXISTS (SELECT 1 FROM privacy._unmasked u
	               WHERE pg_catalog.pg_has_role(r.oid, u.role, 'USAGE')
	                 AND (u.relid IS NULL OR u.relid OPERATOR(pg_catalog.=) c.relid)
	                 AND u.column_name IS NULL) AS table_exempt) ex
CROSS JOIN LATERAL (
	SELECT ARRAY(SELECT rp.name FROM privacy._row_policy rp
	             WHERE rp.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(c.relid))
	               AND (rp.roles IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.unnest(rp.roles) AS x
	                                               WHERE pg_catalog.pg_has_role(r.oid, x, 'USAGE')))
	             ORDER BY rp.name) AS names) rp
WHERE r.rolname !~~ 'pg\_%';
COMMENT ON VIEW privacy.effective_access IS
'for every non-system role and classified column: raw, masked, tokenized or no access, whether rows are filtered, and retention';

-- Discovery ----------------------------------------------------------------

-- privacy._luhn_ok(digits): the Luhn check over a string of digits.
CREATE FUNCTION privacy._luhn_ok(digits text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT digits ~ '^[0-9]{12,19}$' AND (
		SELECT sum(CASE WHEN (pg_catalog.length(digits) OPERATOR(pg_catalog.-) i) OPERATOR(pg_catalog.%) 2 OPERATOR(pg_catalog.=) 1
		                THEN ((d OPERATOR(pg_catalog.*) 2) OPERATOR(pg_catalog./) 10) OPERATOR(pg_catalog.+) ((d OPERATOR(pg_catalog.*) 2) OPERATOR(pg_catalog.%) 10)
		                ELSE d END) OPERATOR(pg_catalog.%) 10 OPERATOR(pg_catalog.=) 0
		FROM (SELECT i, pg_catalog.substr(digits, i, 1)::integer AS d
		      FROM pg_catalog.generate_series(1, pg_catalog.length(digits)) AS i) s)
$$;
COMMENT ON FUNCTION privacy._luhn_ok(text) IS 'discovery validator: whether a digit string passes the Luhn check';

-- privacy._iban_ok(value): IBAN shape and ISO 13616 mod-97 checksum.
CREATE FUNCTION privacy._iban_ok(value text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s text := pg_catalog.upper(pg_catalog.replace(value, ' ', ''));
	r text;
	ch text;
	rem integer := 0;
BEGIN
	IF s !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' THEN
		RETURN false;
	END IF;
	r := pg_catalog.substr(s, 5) OPERATOR(pg_catalog.||) pg_catalog.substr(s, 1, 4);
	FOREACH ch IN ARRAY pg_catalog.regexp_split_to_array(r, '') LOOP
		IF ch ~ '[0-9]' THEN
			rem := (rem OPERATOR(pg_catalog.*) 10 OPERATOR(pg_catalog.+) ch::integer) OPERATOR(pg_catalog.%) 97;
		ELSE
			rem := (rem OPERATOR(pg_catalog.*) 100 OPERATOR(pg_catalog.+) (pg_catalog.ascii(ch) OPERATOR(pg_catalog.-) 55)) OPERATOR(pg_catalog.%) 97;
		END IF;
	END LOOP;
	RETURN rem OPERATOR(pg_catalog.=) 1;
END
$$;
COMMENT ON FUNCTION privacy._iban_ok(text) IS 'discovery validator: IBAN shape and mod-97 checksum';

-- privacy._name_category(col): the category a column name suggests, from
-- keywords in English, French, German and Spanish (NULL: none), and the
-- keyword that matched. Words are matched between underscores or the ends.
CREATE FUNCTION privacy._name_category(col name, OUT category text, OUT keyword text)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT k.category, k.m[1]
	FROM (VALUES
		(1, 'email', 'email|e_mail|mail|mail_address|courriel|correo|correo_electronico'),
		(2, 'payment_card', 'card_number|card_no|card_num|cc_number|ccnum|credit_card|pan|numero_carte|carte_bancaire|kartennummer|kreditkarte|tarjeta|numero_tarjeta'),
		(3, 'iban', 'iban|bic|bank_account|account_number|rib|kontonummer|konto|cuenta|cuenta_bancaria'),
		(4, 'ip_address', 'ip|ip_address|ip_addr|ipaddr|last_ip|client_ip|remote_addr|adresse_ip|ip_adresse|direccion_ip'),
		(5, 'date_of_birth', 'date_of_birth|dob|birth_date|birthdate|birthday|born|date_naissance|date_de_naissance|naissance|geburtsdatum|geburtstag|fecha_nacimiento|fecha_de_nacimiento|nacimiento'),
		(6, 'national_id', 'ssn|social_security|national_id|nin|nino|passport|tax_id|tin|nir|insee|securite_sociale|numero_secu|steuer_id|steuernummer|personalausweis|ausweisnummer|sozialversicherungsnummer|dni|nie|nif|nuss'),
		(7, 'phone', 'phone|phone_number|telephone|tel|mobile|cell|fax|telefon|telefonnummer|handy|handynummer|telefono|movil|portable|numero_telephone'),
		(8, 'person_name', 'full_name|fullname|first_name|firstname|last_name|lastname|given_name|family_name|surname|middle_name|display_name|person_name|nom|prenom|nom_complet|nom_de_famille|vorname|nachname|familienname|nombre|apellido|apellidos|nombre_completo'),
		(9, 'postal_address', 'street|street_address|address|address_line1|address_line2|addr|city|town|zip|zip_code|postcode|postal_code|adresse|rue|ville|code_postal|strasse|straße|stadt|ort|plz|postleitzahl|anschrift|calle|direccion|dirección|ciudad|codigo_postal'),
		(10, 'health', 'health|medical|diagnosis|diagnose|condition_medical|allergy|allergies|blood_type|sante|santé|maladie|gesundheit|krankheit|salud|diagnostico|enfermedad'),
		(11, 'credentials', 'password|passwd|pwd|password_hash|secret|api_key|access_token|mot_de_passe|passwort|kennwort|contrasena|contraseña|clave'),
		(12, 'free_text', 'body|comment|comments|note|notes|message|description|remarks|free_text|commentaire|remarque|bemerkung|kommentar|nachricht|notiz|comentario|mensaje|nota|notas|observaciones')
	) AS v(i, category, words)
	CROSS JOIN LATERAL (SELECT pg_catalog.regexp_match(pg_catalog.lower(col::text),
	                         '(?:^|_)(' OPERATOR(pg_catalog.||) v.words OPERATOR(pg_catalog.||) ')(?:_|$)') AS m) k0
	CROSS JOIN LATERAL (SELECT v.category, k0.m) k
	WHERE k0.m IS NOT NULL
	ORDER BY v.i
	LIMIT 1
$$;
COMMENT ON FUNCTION privacy._name_category(name) IS
'discovery: the personal-data category a column name suggests (en, fr, de, es keywords) and the matching keyword';

-- privacy.discover(schema, sample_rows): candidate personal-data columns of
-- the ordinary tables of a schema (all user schemas when NULL), from column
-- names and a bounded sample of values checked by validators. Confidence
-- combines the name evidence (0.6) and the value evidence (the share of
-- sampled non-null values passing the category's validator, times 0.9 for
-- checksummed or unambiguous validators, 0.5 for shape-only ones) as
-- 1 - (1 - name)(1 - values). Runs as the extension owner (so masking does
-- not hide the values from the validators) after the administrator check;
-- the findings are stored for privacy.coverage_gaps.
CREATE FUNCTION privacy.discover(schema name DEFAULT NULL, sample_rows integer DEFAULT 200,
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
	c_dob bigint; c_nid bigint; c_person bigint; c_address bigint; c_prose bigint;
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
			c_dob := 0; c_nid := 0; c_person := 0; c_address := 0; c_prose := 0;
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
						                 AND pg_catalog.array_length(pg_catalog.regexp_split_to_array(v, '\s+'), 1) OPERATOR(pg_catalog.>=) 5) AS prose
					FROM (SELECT %1$I::text AS v FROM %3$s) s WHERE v IS NOT NULL$q$,
					col.attname,
					CASE WHEN col.atttypid OPERATOR(pg_catalog.=) ANY (ARRAY['date', 'timestamp without time zone',
					          'timestamp with time zone']::regtype[]::oid[]) THEN 'true' ELSE 'false' END,
					sample_sql)
				INTO n, c_email, c_card, c_iban, c_iban_shape, c_phone, c_ip, c_dob, c_nid, c_person, c_address, c_prose;
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
					('person_name', c_person, 0.5, 'look like personal names'),
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
						CASE WHEN k.category OPERATOR(pg_catalog.=) nc.category THEN 0.6 ELSE 0 END AS name_conf,
						coalesce(b.value_conf, 0) AS value_conf, b.value_ev
					FROM cats k LEFT JOIN best b ON b.category OPERATOR(pg_catalog.=) k.category)
				SELECT m.category,
					pg_catalog.round(1 OPERATOR(pg_catalog.-) ((1 OPERATOR(pg_catalog.-) m.name_conf) OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) m.value_conf)), 2) AS conf,
					pg_catalog.concat_ws('; ',
						CASE WHEN m.name_conf OPERATOR(pg_catalog.>) 0
						     THEN pg_catalog.format('column name matches keyword "%s"', nc.keyword) END,
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
COMMENT ON FUNCTION privacy.discover(name, integer) IS
'candidate personal-data columns from column names (en, fr, de, es) and a bounded sample checked by validators; never returns sampled values';

-- Data subjects ------------------------------------------------------------

CREATE FUNCTION privacy.register_subject(tbl regclass, subject_column name, via regclass DEFAULT NULL)
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
	IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) NOT IN ('r', 'p') THEN
		RAISE EXCEPTION 'cannot register % as a subject table', tbl USING ERRCODE = 'wrong_object_type',
			DETAIL = 'Only tables and partitioned tables can hold subject data.';
	END IF;
	SELECT a.attnum INTO attnum FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) subject_column
	  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
	IF attnum IS NULL THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', subject_column, tbl USING ERRCODE = 'undefined_column';
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

CREATE FUNCTION privacy.unregister_subject(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('register data subjects', tbl);
	IF EXISTS (SELECT 1 FROM privacy._subject_table s WHERE s.via OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'other subject tables are registered via %', tbl USING ERRCODE = 'dependent_objects_still_exist',
			HINT = 'Unregister them first.';
	END IF;
	DELETE FROM privacy._subject_table s WHERE s.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not registered as a subject table', tbl USING ERRCODE = 'undefined_object';
	END IF;
END
$$;
COMMENT ON FUNCTION privacy.unregister_subject(regclass) IS 'removes a table from the subject registry';

CREATE VIEW privacy.subject_tables AS
SELECT s.relid AS table_name, s.subject_column, s.via, s.via_column, s.declared_by, s.declared_at
FROM privacy._subject_table s;
COMMENT ON VIEW privacy.subject_tables IS 'tables registered as holding data about subjects, and how the subject is found';

-- privacy._subject_tables(): registered tables with their depth (hops to a
-- table that identifies the subject directly) and the SQL condition selecting
-- a subject's rows ($1 is the subject, compared as text).
CREATE FUNCTION privacy._subject_tables(OUT relid regclass, OUT depth integer, OUT predicate text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE p(relid, depth, predicate) AS (
		SELECT s.relid, 0,
			pg_catalog.format('%I::text OPERATOR(pg_catalog.=) $1', s.subject_column)
		FROM privacy._subject_table s WHERE s.via IS NULL
		UNION ALL
		SELECT s.relid, p.depth OPERATOR(pg_catalog.+) 1,
			pg_catalog.format('%I OPERATOR(pg_catalog.=) ANY (SELECT %I FROM %s WHERE %s)',
			                  s.subject_column, s.via_column, s.via, p.predicate)
		FROM privacy._subject_table s JOIN p ON s.via OPERATOR(pg_catalog.=) p.relid
	)
	SELECT p.relid, p.depth, p.predicate FROM p
$$;
COMMENT ON FUNCTION privacy._subject_tables() IS
'registered subject tables with their FK depth and the condition selecting a subject''s rows ($1)';

-- privacy._may_detokenize(format): whether the session's role may detokenize
-- a format (superuser, or a grant held through has_privs_of_role).
CREATE FUNCTION privacy._may_detokenize(format text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
	                 WHERE r.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false)
	    OR EXISTS (SELECT 1 FROM privacy._detokenize_grant g
	               WHERE g.format OPERATOR(pg_catalog.=) _may_detokenize.format
	                 AND pg_catalog.pg_has_role(privacy._outer_user(), g.role, 'USAGE'))
$$;
COMMENT ON FUNCTION privacy._may_detokenize(text) IS
'whether the session''s own role may detokenize the format (reveals only the caller''s own rights)';

-- privacy._subject_export_plan(subject): for every registered table (parents
-- first), the row ids of the subject's rows, found as the extension owner
-- (raw values, no row filters), and the columns holding tokens with their
-- format. export_subject then reads those rows as its caller.
-- Administrators only.
CREATE FUNCTION privacy._subject_export_plan(subject text, OUT relid regclass, OUT ids tid[], OUT token_columns jsonb)
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
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

-- privacy.export_subject(subject): everything the registered tables hold
-- about a subject, as {"schema.table": [rows...]}. Rows are located by a
-- definer helper (administrators only), then read as the caller: masking and
-- row policies apply to the caller; token columns are detokenized only when
-- the caller may detokenize their format; a table the caller cannot read is
-- reported as {"error": "permission denied"}.
CREATE FUNCTION privacy.export_subject(subject text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	result jsonb := '{}';
	rows jsonb;
	overrides text;
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
	IF subject IS NULL THEN
		RAISE EXCEPTION 'subject must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	FOR t IN SELECT p.relid, p.ids, p.token_columns FROM privacy._subject_export_plan(subject) p LOOP
		SELECT pg_catalog.string_agg(pg_catalog.format('%L, privacy.detokenize(t.%I::text, %L)', k.key, k.key, k.value), ', ')
		INTO overrides
		FROM pg_catalog.jsonb_each_text(t.token_columns) k WHERE privacy._may_detokenize(k.value);
		BEGIN
			EXECUTE pg_catalog.format(
				'SELECT coalesce(pg_catalog.jsonb_agg(r ORDER BY r::text), ''[]'') FROM ('
				'SELECT pg_catalog.to_jsonb(t) %s AS r FROM %s t WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1)) s',
				CASE WHEN overrides IS NULL THEN ''
				     ELSE 'OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(' OPERATOR(pg_catalog.||) overrides OPERATOR(pg_catalog.||) ')' END,
				t.relid)
			INTO rows USING t.ids;
		EXCEPTION WHEN insufficient_privilege THEN
			rows := '{"error": "permission denied"}';
		END;
		result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::text, rows);
	END LOOP;
	RETURN result;
END
$$;
COMMENT ON FUNCTION privacy.export_subject(text) IS
'everything registered tables hold about a subject, read as the caller (masked, filtered, detokenized only where allowed)';

-- privacy.erase_subject(subject, mode): deletes ('delete') or anonymizes
-- with the table's masks ('anonymize') the subject's rows in every
-- registered table, children before parents, in the caller's transaction.
-- Rows matching an active legal hold are kept and reported with the hold's
-- id and reason; parent rows still referenced by held child rows are kept
-- too. Revokes the subject's standing consents and logs the erasure in
-- privacy.audit_log under a pseudonym of the subject.
CREATE FUNCTION privacy.erase_subject(subject text, mode text DEFAULT 'delete')
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
		FOR h IN SELECT lh.id, lh.reason, lh.condition FROM privacy._legal_hold lh
		         WHERE lh.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(t.relid))
		           AND lh.released_at IS NULL ORDER BY lh.id LOOP
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

REVOKE ALL ON privacy.inventory, privacy.coverage_gaps, privacy.policies, privacy.effective_access,
	privacy.subject_tables FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._protections(regclass, name), privacy._luhn_ok(text), privacy._iban_ok(text),
	privacy._name_category(name), privacy._subject_tables() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy.classify(regclass, name, text, text), privacy.unclassify(regclass, name),
	privacy.discover(name, integer), privacy.register_subject(regclass, name, regclass),
	privacy.unregister_subject(regclass), privacy.export_subject(text), privacy.erase_subject(text, text),
	privacy._may_detokenize(text), privacy._subject_export_plan(text)
TO PUBLIC;
