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
-- EXTENSION, wrapped under the master key like the data keys (24-byte nonce
-- || XChaCha20-Poly1305 ciphertext and tag, 72 bytes) with the id of that
-- master key; in clear (32 bytes, no id) only when no master key was
-- configured, until privacy.rewrap_keys() wraps it. Nobody but superusers
-- can read it; the keyed masks read and unwrap it in C with a heap scan. It
-- is a configuration table so that dump/restore keeps pseudonyms and fakes
-- stable (under the same master key); the trigger makes an inserted row
-- (rotation or pg_restore's COPY) replace the existing one and invalidates
-- every backend's cached copy.
CREATE TABLE privacy._masking_secret (
	id            boolean PRIMARY KEY DEFAULT true CHECK (id),
	secret        bytea NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	master_key_id text,
	CONSTRAINT _masking_secret_secret_check CHECK (CASE WHEN master_key_id IS NULL THEN octet_length(secret) = 32
	                                                    ELSE octet_length(secret) = 72 END)
);
COMMENT ON TABLE privacy._masking_secret IS
'the database''s masking secret (one row, superuser only), wrapped under the master key master_key_id: keys pseudonym, noise, shift_date and fake_*';
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
CREATE FUNCTION privacy._wrap_masking_secret()
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__wrap_masking_secret'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._wrap_masking_secret() IS
'wraps a masking secret stored in clear under the configured master key, keeping its value (run by the 0.1.0 to 0.2.0 update; warns instead of failing; superuser only)';
REVOKE ALL ON FUNCTION privacy.rotate_masking_secret(), privacy._init_masking_secret(), privacy._masking_secret_trigger(),
	privacy._wrap_masking_secret() FROM PUBLIC;

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
-- Not executable by PUBLIC: whoever can call them can compute the mask of a
-- guess and compare it with what a masked column shows (a dictionary attack
-- on pseudonyms, a narrowing of noise and date shifts). Superusers and roles
-- granted EXECUTE call them directly; masking policies use the policy-only
-- entry points privacy._mask_* below (src/pg/catalog/keyed_masks.hpp).
-- ---------------------------------------------------------------------------

CREATE FUNCTION privacy.noise(value smallint, ratio double precision)
RETURNS smallint
AS 'MODULE_PATHNAME', 'pg_privacy_noise_int2'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(smallint, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret (deterministic), clamped to smallint';
REVOKE ALL ON FUNCTION privacy.noise(smallint, double precision) FROM PUBLIC;

CREATE FUNCTION privacy.noise(value integer, ratio double precision)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy_noise_int4'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(integer, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret (deterministic), clamped to integer';
REVOKE ALL ON FUNCTION privacy.noise(integer, double precision) FROM PUBLIC;

CREATE FUNCTION privacy.noise(value bigint, ratio double precision)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy_noise_int8'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(bigint, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret (deterministic), saturating';
REVOKE ALL ON FUNCTION privacy.noise(bigint, double precision) FROM PUBLIC;

CREATE FUNCTION privacy.noise(value numeric, ratio double precision)
RETURNS numeric
AS 'MODULE_PATHNAME', 'pg_privacy_noise_numeric'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(numeric, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret, rounded to the value''s scale; NaN and infinity unchanged';
REVOKE ALL ON FUNCTION privacy.noise(numeric, double precision) FROM PUBLIC;

CREATE FUNCTION privacy.noise(value double precision, ratio double precision)
RETURNS double precision
AS 'MODULE_PATHNAME', 'pg_privacy_noise_float8'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.noise(double precision, double precision) IS
'value * (1 + r), r in [-ratio, ratio) derived from the value and the masking secret; NaN and infinity unchanged';
REVOKE ALL ON FUNCTION privacy.noise(double precision, double precision) FROM PUBLIC;

CREATE FUNCTION privacy.shift_date(value date, max_days integer)
RETURNS date
AS 'MODULE_PATHNAME', 'pg_privacy_shift_date_date'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.shift_date(date, integer) IS
'moves the date by 1 to max_days days either way, derived from the date and the masking secret; infinity unchanged';
REVOKE ALL ON FUNCTION privacy.shift_date(date, integer) FROM PUBLIC;

CREATE FUNCTION privacy.shift_date(value timestamp, max_days integer)
RETURNS timestamp
AS 'MODULE_PATHNAME', 'pg_privacy_shift_date_timestamp'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.shift_date(timestamp, integer) IS
'moves the timestamp by up to max_days days (to the microsecond, never 0), derived from it and the masking secret, clamped to the timestamp range; infinity unchanged';
REVOKE ALL ON FUNCTION privacy.shift_date(timestamp, integer) FROM PUBLIC;

CREATE FUNCTION privacy.shift_date(value timestamptz, max_days integer)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'pg_privacy_shift_date_timestamptz'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.shift_date(timestamptz, integer) IS
'moves the timestamp by up to max_days days (to the microsecond, never 0), derived from it and the masking secret; infinity unchanged';
REVOKE ALL ON FUNCTION privacy.shift_date(timestamptz, integer) FROM PUBLIC;

CREATE FUNCTION privacy.pseudonym(value text, domain text DEFAULT '')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_pseudonym'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.pseudonym(text, text) IS
'26-character keyed BLAKE2b pseudonym of (value, domain) under the masking secret: deterministic, irreversible without the secret';
REVOKE ALL ON FUNCTION privacy.pseudonym(text, text) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Deterministic fake values (keyed hash of the seed; locales en, fr, de).
-- ---------------------------------------------------------------------------

CREATE FUNCTION privacy.fake_first_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_first_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_first_name(text, text) IS
'a first name chosen from the locale''s dictionary by a keyed hash of the seed';
REVOKE ALL ON FUNCTION privacy.fake_first_name(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_last_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_last_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_last_name(text, text) IS
'a last name chosen from the locale''s dictionary by a keyed hash of the seed';
REVOKE ALL ON FUNCTION privacy.fake_last_name(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_full_name(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_full_name'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_full_name(text, text) IS
'fake_first_name || '' '' || fake_last_name of the same seed';
REVOKE ALL ON FUNCTION privacy.fake_full_name(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_email(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_email'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_email(text, text) IS
'first.lastNN@example.(com|net|org) for the fake name of the same seed (reserved domains only)';
REVOKE ALL ON FUNCTION privacy.fake_email(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_phone(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_phone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_phone(text, text) IS
'a national-format phone number from the ranges reserved for fiction in the locale''s country';
REVOKE ALL ON FUNCTION privacy.fake_phone(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_city(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_city'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_city(text, text) IS
'a city of the locale''s country chosen by a keyed hash of the seed';
REVOKE ALL ON FUNCTION privacy.fake_city(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_street_address(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_street_address'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_street_address(text, text) IS
'a house number and street in the locale''s format chosen by a keyed hash of the seed';
REVOKE ALL ON FUNCTION privacy.fake_street_address(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_company(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_company'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_company(text, text) IS
'a company name with the locale''s legal form chosen by a keyed hash of the seed';
REVOKE ALL ON FUNCTION privacy.fake_company(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_iban(seed text, locale text DEFAULT 'en')
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_iban'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_iban(text, text) IS
'a check-digit-valid IBAN of the locale''s country (GB, FR, DE) with keyed random digits';
REVOKE ALL ON FUNCTION privacy.fake_iban(text, text) FROM PUBLIC;

CREATE FUNCTION privacy.fake_card(seed text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_fake_card'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.fake_card(text) IS
'a Luhn-valid 16-digit card number from a test BIN range, chosen by a keyed hash of the seed';
REVOKE ALL ON FUNCTION privacy.fake_card(text) FROM PUBLIC;

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
