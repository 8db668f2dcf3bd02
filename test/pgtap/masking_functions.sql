-- masking_functions.sql: SQLSTATEs of the masking functions' argument
-- errors, privileges around the masking secret, and that no error message
-- (primary, detail or hint) contains the value or argument that caused it.
BEGIN;
SELECT plan(24);

-- Argument errors: 22023 with a static message.
SELECT throws_ok($$SELECT privacy.partial('x', -1, '*', 0)$$, '22023', 'prefix length must not be negative',
	'partial: negative keep_prefix');
SELECT throws_ok($$SELECT privacy.partial('x', 0, '*', -3)$$, '22023', 'suffix length must not be negative',
	'partial: negative keep_suffix');
SELECT throws_ok($$SELECT privacy.mask_card('4111111111111234', 4)$$, '22023', 'keep_first must be 0 or 6',
	'mask_card: keep_first other than 0 or 6');
SELECT throws_ok($$SELECT privacy.mask_ip('10.0.0.1', 33)$$, '22023', 'IPv4 prefix length must be between 0 and 32',
	'mask_ip: IPv4 prefix out of range');
SELECT throws_ok($$SELECT privacy.mask_ip('10.0.0.1', 24, 129)$$, '22023',
	'IPv6 prefix length must be between 0 and 128', 'mask_ip: IPv6 prefix out of range, even for an IPv4 value');
SELECT throws_ok($$SELECT privacy.generalize(5::bigint, 0)$$, '22023', 'bucket width must be positive',
	'generalize(bigint): zero width');
SELECT throws_ok($$SELECT privacy.generalize(5.5, -1)$$, '22023', 'bucket width must be a positive finite number',
	'generalize(numeric): negative width');
SELECT throws_ok($$SELECT privacy.generalize(current_date, 'fortnight')$$, '22023', 'unrecognized date unit',
	'generalize(date): unknown unit');
SELECT throws_ok($$SELECT privacy.generalize('infinity'::timestamptz, 'eon')$$, '22023', 'unrecognized date unit',
	'generalize(timestamptz): unknown unit, even for infinity');
SELECT throws_ok($$SELECT privacy.noise(10, -0.5)$$, '22023', 'noise ratio must be between 0 and 10',
	'noise: negative ratio');
SELECT throws_ok($$SELECT privacy.noise('NaN'::float8, 11)$$, '22023', 'noise ratio must be between 0 and 10',
	'noise: ratio above 10, even for NaN');
SELECT throws_ok($$SELECT privacy.shift_date('infinity'::date, 36501)$$, '22023',
	'maximum shift must be between 0 and 36500 days', 'shift_date: max_days too large, even for infinity');
SELECT throws_ok($$SELECT privacy.fake_first_name('x', 'xx')$$, '22023', 'unsupported locale',
	'fake_first_name: unknown locale');

-- No error text contains the value or argument that caused it.
CREATE FUNCTION pg_temp.error_texts(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	m text; d text; h text;
BEGIN
	EXECUTE query;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN concat_ws(' | ', m, d, h);
END $$;
CREATE TEMP TABLE tap_leak_queries AS
SELECT format(q, 'CANARY-' || '66666666') AS q FROM unnest(ARRAY[
	'SELECT privacy.partial(%1$L, -1, %1$L, 0)',
	'SELECT privacy.mask_card(%1$L, 66666666)',
	'SELECT privacy.mask_ip(''10.0.0.1'', 66666666, 66666666)',
	'SELECT privacy.generalize(66666666, -66666666)',
	'SELECT privacy.generalize(''2024-01-01''::date, %1$L)',
	'SELECT privacy.generalize(now(), %1$L)',
	'SELECT privacy.noise(66666666, 66666666)',
	'SELECT privacy.shift_date(current_date, 66666666)',
	'SELECT privacy.fake_email(%1$L, %1$L)',
	'SELECT privacy.fake_company(%1$L, %1$L)'
]) AS q;
SELECT is_empty($$SELECT q FROM tap_leak_queries
	WHERE pg_temp.error_texts(q) IS NULL OR pg_temp.error_texts(q) LIKE '%66666666%'$$,
	'every argument error is raised, and none echoes the value or argument');

-- Privileges: the secret and its rotation belong to superusers.
CREATE ROLE tap_masking_ordinary;
SELECT ok(NOT has_table_privilege('tap_masking_ordinary', 'privacy._masking_secret', 'SELECT'),
	'an ordinary role has no SELECT on the masking secret');
SELECT ok(has_function_privilege('tap_masking_ordinary', 'privacy.rotate_masking_secret()', 'EXECUTE'),
	'rotate_masking_secret relies on its own check (EXECUTE is granted so a refused caller is told why)');
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.pronamespace = 'privacy'::regnamespace
	  AND p.proname IN ('redact', 'partial', 'mask_email', 'mask_phone', 'mask_card', 'mask_iban', 'mask_ip',
	                    'generalize')
	  AND NOT has_function_privilege('tap_masking_ordinary', p.oid, 'EXECUTE')$$,
	'every unkeyed masking function is executable by PUBLIC');
-- keyed masks would be an oracle for whoever may call them (issue 13)
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.pronamespace = 'privacy'::regnamespace
	  AND p.proname IN ('noise', 'shift_date', 'pseudonym', 'fake_first_name', 'fake_last_name',
	                    'fake_full_name', 'fake_email', 'fake_phone', 'fake_city', 'fake_street_address',
	                    'fake_company', 'fake_iban', 'fake_card')
	  AND has_function_privilege('tap_masking_ordinary', p.oid, 'EXECUTE')$$,
	'no keyed masking function is executable by PUBLIC');
CREATE TEMP TABLE tap_before AS SELECT privacy.pseudonym('tap') AS p;
GRANT SELECT ON tap_before TO tap_masking_ordinary;
GRANT EXECUTE ON FUNCTION privacy.pseudonym(text, text) TO tap_masking_ordinary;

SET LOCAL ROLE tap_masking_ordinary;
SELECT throws_ok($$SELECT secret FROM privacy._masking_secret$$, '42501', NULL,
	'an ordinary role reading the secret gets 42501');
SELECT throws_ok($$SELECT privacy.rotate_masking_secret()$$, '42501', NULL,
	'an ordinary role rotating the secret gets 42501');
SELECT is(privacy.pseudonym('tap'), (SELECT p FROM tap_before),
	'a role granted EXECUTE gets the same pseudonyms as a superuser (secret read without privileges)');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION privacy.pseudonym(text, text) FROM tap_masking_ordinary;

GRANT EXECUTE ON FUNCTION privacy.rotate_masking_secret() TO tap_masking_ordinary;
SET LOCAL ROLE tap_masking_ordinary;
SELECT throws_ok($$SELECT privacy.rotate_masking_secret()$$, '42501', 'permission denied to rotate the masking secret',
	'the explicit superuser check refuses even with EXECUTE granted');
RESET ROLE;

SELECT privacy.rotate_masking_secret();
SELECT isnt(privacy.pseudonym('tap'), (SELECT p FROM tap_before), 'rotation changes pseudonyms');

DELETE FROM privacy._masking_secret;
SELECT throws_ok($$SELECT privacy.fake_card('x')$$, '55000', 'this database has no masking secret',
	'keyed masks raise 55000 when the secret row is missing');

SELECT * FROM finish();
ROLLBACK;
