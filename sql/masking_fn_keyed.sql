-- masking_fn_keyed: the keyed masks (pseudonym, noise, shift_date, fake_*)
-- and the masking secret. The secret is random per database, so this file
-- prints only properties: formats, bounds, determinism within one secret,
-- change after rotate_masking_secret() (and not after a rolled-back one),
-- identical results in parallel workers, 55000 when the secret row is
-- missing, and that an ordinary role can neither call the keyed masks
-- (42501, unless granted EXECUTE) nor read the secret (42501) nor rotate it
-- (42501).
\set VERBOSITY terse

-- The secret: one row of 32 bytes, no statistics kept on it.
SELECT count(*) AS rows, min(octet_length(secret)) AS bytes FROM privacy._masking_secret;
SELECT attstattarget FROM pg_attribute WHERE attrelid = 'privacy._masking_secret'::regclass AND attname = 'secret';
SELECT has_table_privilege('public', 'privacy._masking_secret', 'SELECT') AS public_can_read;

-- pseudonym: 26 characters of lower-case base32, deterministic per (value, domain).
SELECT length(p) AS len, p ~ '^[a-z2-7]{26}$' AS base32, p = privacy.pseudonym('alice') AS same_twice,
	p <> privacy.pseudonym('alice', 'customers') AS domain_separates,
	privacy.pseudonym('alice', '') = p AS default_domain_is_empty,
	privacy.pseudonym('a', 'bc') <> privacy.pseudonym('ab', 'c') AS no_concatenation_collision
FROM (SELECT privacy.pseudonym('alice') AS p) s;
SELECT privacy.pseudonym(NULL) IS NULL AS null_value, privacy.pseudonym('x', NULL) IS NULL AS null_domain,
	privacy.pseudonym('') ~ '^[a-z2-7]{26}$' AS empty_value, privacy.pseudonym('Zoë 日本語 🙂') ~ '^[a-z2-7]{26}$' AS multibyte,
	privacy.pseudonym(repeat('CANARY-' || '55555555', 131072)) ~ '^[a-z2-7]{26}$' AS one_megabyte,
	position('55555555' IN privacy.pseudonym('CANARY-' || '55555555')) = 0 AS value_not_echoed;
SELECT count(DISTINCT privacy.pseudonym(n::text)) AS distinct_of_1000 FROM generate_series(1, 1000) n;

-- noise: |noise - value| <= ratio * |value| (+ rounding), deterministic.
SELECT count(*) FILTER (WHERE abs(privacy.noise(n, 0.1) - n) > 0.1 * abs(n) + 0.5) AS int4_out_of_bounds,
	count(*) FILTER (WHERE abs(privacy.noise(n::bigint, 0.2) - n) > 0.2 * abs(n) + 0.5) AS int8_out_of_bounds,
	count(*) FILTER (WHERE abs(privacy.noise(n * 1.5, 0.05) - n * 1.5) > 0.05 * abs(n * 1.5) + 0.05) AS numeric_out_of_bounds,
	count(*) FILTER (WHERE abs(privacy.noise(n * 0.25::float8, 1) - n * 0.25) > abs(n * 0.25) * (1 + 1e-12)) AS float8_out_of_bounds,
	count(*) FILTER (WHERE privacy.noise(n, 0.1) <> privacy.noise(n, 0.1)) AS not_deterministic,
	count(DISTINCT privacy.noise(1000, 0.1)) AS one_value_one_noise,
	count(DISTINCT privacy.noise(n * 1000, 0.1) - n * 1000) > 100 AS noise_varies
FROM generate_series(-500, 500) n;
SELECT privacy.noise(42, 0) AS ratio_zero, privacy.noise(42.125, 0) AS numeric_ratio_zero,
	privacy.noise('NaN'::numeric, 0.5) AS numeric_nan, privacy.noise('Infinity'::numeric, 0.5) AS numeric_inf,
	privacy.noise('NaN'::float8, 0.5) AS float8_nan, privacy.noise('-Infinity'::float8, 0.5) AS float8_inf,
	scale(privacy.noise(123.456, 0.1)) AS keeps_scale, privacy.noise(NULL::int, 0.1) IS NULL AS null_value;
SELECT privacy.noise(2147483647, 10) BETWEEN -2147483648 AND 2147483647 AS int4_clamped,
	privacy.noise(9223372036854775807, 10) IS NOT NULL AS int8_saturates,
	privacy.noise(1e400::numeric, 0.5) > 1e300 AS huge_numeric_stays_huge,
	privacy.noise(1.7e308::float8, 10) <> 'Infinity' AS float8_stays_finite;
SELECT privacy.noise(10, -0.1);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.noise(10::bigint, 10.5);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.noise(10.5, 'NaN');
\echo :LAST_ERROR_SQLSTATE
-- the ratio is checked even for values that pass through unchanged
SELECT privacy.noise('NaN'::numeric, -1);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.noise('Infinity'::float8, 11);
\echo :LAST_ERROR_SQLSTATE

-- shift_date: 1..max_days days either way, never 0, deterministic.
SELECT count(*) FILTER (WHERE abs(privacy.shift_date(d, 30) - d) > 30) AS date_out_of_bounds,
	count(*) FILTER (WHERE privacy.shift_date(d, 30) = d) AS date_unchanged,
	count(*) FILTER (WHERE privacy.shift_date(d, 30) <> privacy.shift_date(d, 30)) AS date_not_deterministic,
	count(*) FILTER (WHERE abs(extract(epoch FROM privacy.shift_date(d::timestamptz, 2) - d::timestamptz)) > 2 * 86400)
		AS ts_out_of_bounds,
	count(*) FILTER (WHERE privacy.shift_date(d::timestamptz, 2) = d::timestamptz) AS ts_unchanged,
	count(DISTINCT privacy.shift_date(d, 365) - d) > 100 AS shifts_vary
FROM generate_series(date '2000-01-01', date '2002-12-31', interval '1 day') AS g(x), LATERAL (SELECT x::date AS d) s;
SELECT privacy.shift_date('2024-05-17'::date, 0) AS zero_days, privacy.shift_date('infinity'::date, 30) AS date_inf,
	privacy.shift_date('-infinity'::timestamptz, 30) AS ts_inf, privacy.shift_date(NULL::date, 30) IS NULL AS null_value,
	privacy.shift_date('4714-11-24 BC'::date, 36500) >= '4714-11-24 BC'::date AS clamped_low,
	privacy.shift_date('5874897-12-31'::date, 36500) <= '5874897-12-31'::date AS clamped_high;
SELECT privacy.shift_date('2024-05-17'::date, -1);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.shift_date(now(), 36501);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.shift_date('infinity'::date, -5);
\echo :LAST_ERROR_SQLSTATE

-- fake values: formats per locale, same seed -> same person, reserved ranges only.
SELECT l AS locale,
	bool_and(privacy.fake_full_name(s, l) = privacy.fake_first_name(s, l) || ' ' || privacy.fake_last_name(s, l)) AS full_name_is_first_last,
	bool_and(privacy.fake_email(s, l) ~ '^[a-z.-]+[0-9]{2}@example[.](com|net|org)$') AS email_reserved_domain,
	bool_and(privacy.fake_phone(s, l) ~ '^[0-9 ]+$') AS phone_digits,
	bool_and(length(privacy.fake_city(s, l)) > 0 AND length(privacy.fake_street_address(s, l)) > 0
		AND length(privacy.fake_company(s, l)) > 0) AS non_empty,
	bool_and(privacy.fake_iban(s, l) ~ ('^' || CASE l WHEN 'en' THEN 'GB' ELSE upper(l) END || '[0-9]{2}[0-9A-Z]+$')) AS iban_country,
	count(DISTINCT privacy.fake_first_name(s, l)) > 30 AS first_names_vary,
	count(DISTINCT privacy.fake_city(s, l)) > 30 AS cities_vary
FROM generate_series(1, 300) n, LATERAL (SELECT 'seed-' || n AS s) x, unnest(ARRAY['en', 'fr', 'de']) AS l
GROUP BY l ORDER BY l;
SELECT privacy.fake_first_name('x') = privacy.fake_first_name('x', 'en') AS default_locale_en,
	privacy.fake_city('x', 'FR') = privacy.fake_city('x', 'fr') AS locale_case_insensitive,
	privacy.fake_first_name('Zoë 日本語') = privacy.fake_first_name('Zoë 日本語') AS multibyte_seed,
	length(privacy.fake_last_name('')) > 0 AS empty_seed,
	length(privacy.fake_company(repeat('x', 1048576))) > 0 AS one_megabyte_seed,
	privacy.fake_email(NULL) IS NULL AS null_seed, privacy.fake_email('x', NULL) IS NULL AS null_locale,
	privacy.fake_card(NULL) IS NULL AS null_card;
SELECT privacy.fake_first_name('x', 'es');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.fake_iban('x', '');
\echo :LAST_ERROR_SQLSTATE

-- fake_iban: ISO 13616 mod-97 check digits are valid.
SELECT bool_and((SELECT string_agg(CASE WHEN c ~ '[A-Z]' THEN (ascii(c) - 55)::text ELSE c END, '' ORDER BY i)
		FROM regexp_split_to_table(substr(iban, 5) || left(iban, 4), '') WITH ORDINALITY AS t(c, i))::numeric % 97 = 1)
	AS mod97_valid
FROM (SELECT privacy.fake_iban('iban-' || n, l) AS iban FROM generate_series(1, 100) n, unnest(ARRAY['en', 'fr', 'de']) l) s;

-- fake_card: 16 digits from a test BIN, Luhn-valid (checked here in SQL).
SELECT bool_and(card ~ '^(400000|555555)[0-9]{10}$') AS test_bin,
	bool_and((SELECT sum(CASE WHEN i % 2 = 0 THEN CASE WHEN d * 2 > 9 THEN d * 2 - 9 ELSE d * 2 END ELSE d END)
		FROM regexp_split_to_table(reverse(card), '') WITH ORDINALITY AS t(c, i), LATERAL (SELECT c::int AS d) x) % 10 = 0)
	AS luhn_valid,
	count(DISTINCT card) > 490 AS cards_vary
FROM (SELECT privacy.fake_card('card-' || n) AS card FROM generate_series(1, 500) n) s;
-- the SQL Luhn check above can fail: a known-bad number is rejected
SELECT (SELECT sum(CASE WHEN i % 2 = 0 THEN CASE WHEN d * 2 > 9 THEN d * 2 - 9 ELSE d * 2 END ELSE d END)
		FROM regexp_split_to_table(reverse('4000000000000001'), '') WITH ORDINALITY AS t(c, i), LATERAL (SELECT c::int AS d) x) % 10 = 0
	AS bad_number_passes;

-- Rotation: every keyed value changes, and stays stable under the new secret.
CREATE TEMP TABLE before_rotation AS
SELECT n, privacy.pseudonym(n::text) AS p, privacy.noise(n * 1000, 0.5) AS nz,
	privacy.shift_date(date '2020-01-01' + n, 365) AS sd, privacy.fake_full_name(n::text) AS fn,
	privacy.fake_card(n::text) AS fc
FROM generate_series(1, 200) n;
-- a rolled-back rotation changes nothing
BEGIN;
SELECT privacy.rotate_masking_secret();
SELECT count(*) FILTER (WHERE privacy.pseudonym(n::text) <> p) AS changed_inside_transaction FROM before_rotation;
ROLLBACK;
SELECT count(*) FILTER (WHERE privacy.pseudonym(n::text) <> p) AS changed_after_rollback FROM before_rotation;
SELECT privacy.rotate_masking_secret();
SELECT count(*) FILTER (WHERE privacy.pseudonym(n::text) <> p) AS pseudonyms_changed,
	count(*) FILTER (WHERE privacy.noise(n * 1000, 0.5) <> nz) > 150 AS noise_changed,
	count(*) FILTER (WHERE privacy.shift_date(date '2020-01-01' + n, 365) <> sd) > 150 AS shifts_changed,
	count(*) FILTER (WHERE privacy.fake_full_name(n::text) <> fn) > 150 AS names_changed,
	count(*) FILTER (WHERE privacy.fake_card(n::text) <> fc) AS cards_changed,
	count(*) FILTER (WHERE privacy.pseudonym(n::text) <> privacy.pseudonym(n::text)) AS unstable
FROM before_rotation;
SELECT count(*) AS rows_after_rotation FROM privacy._masking_secret;

-- Parallel workers read the secret themselves and agree with the leader.
CREATE TABLE keyed_parallel AS SELECT n, n::text AS s FROM generate_series(1, 20000) n;
ALTER TABLE keyed_parallel ADD p text, ADD e text;
UPDATE keyed_parallel SET p = privacy.pseudonym(s), e = privacy.fake_email(s);
ANALYZE keyed_parallel;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM keyed_parallel WHERE privacy.pseudonym(s) <> p OR privacy.fake_email(s) <> e;
SELECT count(*) AS mismatches_in_workers
FROM keyed_parallel WHERE privacy.pseudonym(s) <> p OR privacy.fake_email(s) <> e;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE keyed_parallel;

-- An ordinary role can neither call the keyed masks (they would let it
-- compute the mask of any guess: issue 13), nor read or rotate the secret.
-- A role granted EXECUTE calls them (the positive control).
CREATE ROLE masking_fn_ordinary;
SET ROLE masking_fn_ordinary;
SELECT privacy.pseudonym('1');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.fake_card('x');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.noise(1::smallint, 1), privacy.shift_date('2020-01-01'::timestamp, 3);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION privacy.pseudonym(text, text), privacy.fake_card(text) TO masking_fn_ordinary;
SET ROLE masking_fn_ordinary;
SELECT privacy.pseudonym('1') ~ '^[a-z2-7]{26}$' AS granted_can_pseudonymize,
	privacy.fake_card('x') ~ '^[0-9]{16}$' AS granted_can_fake;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION privacy.pseudonym(text, text), privacy.fake_card(text) FROM masking_fn_ordinary;
SET ROLE masking_fn_ordinary;
SELECT secret FROM privacy._masking_secret;
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.rotate_masking_secret();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- even with EXECUTE granted, the explicit superuser check refuses (with a hint)
GRANT EXECUTE ON FUNCTION privacy.rotate_masking_secret() TO masking_fn_ordinary;
SET ROLE masking_fn_ordinary;
\set VERBOSITY default
SELECT privacy.rotate_masking_secret();
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION privacy.rotate_masking_secret() FROM masking_fn_ordinary;
DROP ROLE masking_fn_ordinary;

-- A missing secret raises 55000 with a hint (never a silent default key).
CREATE TEMP TABLE secret_before_delete AS SELECT privacy.pseudonym('x') AS p;
BEGIN;
DELETE FROM privacy._masking_secret;
\set VERBOSITY default
SELECT privacy.pseudonym('x');
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT privacy.pseudonym('x') = p AS same_secret_after_rollback FROM secret_before_delete;

-- labels (the full audit is test/pgtap/labels.sql)
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof
FROM pg_proc p
WHERE p.pronamespace = 'privacy'::regnamespace
	AND (p.proname IN ('noise', 'shift_date', 'pseudonym', 'rotate_masking_secret', '_init_masking_secret',
		'_masking_secret_trigger') OR p.proname LIKE 'fake%')
ORDER BY p.oid::regprocedure::text COLLATE "C";
DROP TABLE before_rotation, secret_before_delete;
