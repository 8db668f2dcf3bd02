-- privileges.sql: what an ordinary role may and may not call, and the
-- schema's security preamble.
BEGIN;
SELECT plan(7);

CREATE ROLE tap_ordinary;

SELECT ok(NOT has_schema_privilege('public', 'privacy', 'CREATE'), 'PUBLIC cannot create objects in schema privacy');
SELECT ok(has_schema_privilege('tap_ordinary', 'privacy', 'USAGE'), 'PUBLIC may use schema privacy');
SELECT ok(has_function_privilege('tap_ordinary', 'privacy.version()', 'EXECUTE'), 'version() is public');
SELECT ok(has_function_privilege('tap_ordinary', 'privacy.redact(text)', 'EXECUTE'), 'redact() is public');
SELECT ok(NOT has_function_privilege('tap_ordinary', 'privacy._boundary_throw(text)', 'EXECUTE'),
	'test probes are not executable by PUBLIC');

SET LOCAL ROLE tap_ordinary;
SELECT throws_ok($$SELECT privacy._boundary_live_objects()$$, '42501', NULL,
	'an ordinary role calling a test probe gets 42501');
SELECT is(privacy.redact('x'), '[REDACTED]', 'an ordinary role can redact');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
