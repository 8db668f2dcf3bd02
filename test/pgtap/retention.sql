-- retention.sql: the retention API per role class. Superusers manage
-- policies and holds; ordinary roles (even table owners) get 42501 from
-- every retention function and cannot read the catalog or the views;
-- SQLSTATEs of bad input.
BEGIN;
SELECT plan(20);

CREATE ROLE tap_ret_user;
CREATE TABLE tap_ret (id int, created timestamptz, note text);
ALTER TABLE tap_ret OWNER TO tap_ret_user;
INSERT INTO tap_ret SELECT g, now() - g * interval '1 day', 'n' FROM generate_series(1, 20) g;

SELECT lives_ok($$SELECT privacy.set_retention('tap_ret', 'created', '10 days')$$, 'a superuser declares a policy');
SELECT throws_ok($$SELECT privacy.set_retention('tap_ret', 'note', '10 days')$$, '42804', NULL, 'text time column: 42804');
SELECT throws_ok($$SELECT privacy.set_retention('tap_ret', 'nope', '10 days')$$, '42703', NULL, 'unknown column: 42703');
SELECT throws_ok($$SELECT privacy.set_retention('tap_ret', 'created', '-1 day')$$, '22023', NULL, 'negative period: 22023');
SELECT throws_ok($$SELECT privacy.set_retention('tap_ret', 'created', '1 day', 'burn')$$, '22023', NULL, 'bad action: 22023');
SELECT throws_ok($$SELECT privacy.place_hold('tap_ret', 'true); DROP TABLE tap_ret; --', 'x')$$, '42601', NULL,
	'an injected hold condition is a syntax error');
SELECT throws_ok($$SELECT privacy.place_hold('tap_ret', 'id IN (SELECT 1)', 'x')$$, '0A000', NULL,
	'a subquery in a hold condition: 0A000');
SELECT throws_ok($$SELECT privacy.place_hold('tap_ret', 'random() > 0', 'x')$$, '22023', NULL,
	'a volatile hold condition: 22023');
SELECT lives_ok($$SELECT privacy.place_hold('tap_ret', 'id = 15', 'case')$$, 'a superuser places a hold');
-- one transaction: now() is the same for the rows and the cutoff, so the
-- row exactly 10 days old is not expired; ids 11..20 are, id 15 is held
SELECT results_eq($$SELECT rows_purged FROM privacy.purge_now('tap_ret')$$, $$VALUES (9::bigint)$$,
	'purge_now deletes the expired rows outside the hold');
SELECT results_eq($$SELECT count(*) FROM tap_ret$$, $$VALUES (11::bigint)$$, 'unexpired and held rows remain');

SET LOCAL ROLE tap_ret_user;
SELECT throws_ok($$SELECT privacy.set_retention('tap_ret', 'created', '1 day')$$, '42501', NULL,
	'the table owner cannot declare a policy');
SELECT throws_ok($$SELECT privacy.drop_retention('tap_ret')$$, '42501', NULL, 'nor drop one');
SELECT throws_ok($$SELECT privacy.place_hold('tap_ret', 'true', 'x')$$, '42501', NULL, 'nor place a hold');
SELECT throws_ok($$SELECT privacy.release_hold(1)$$, '42501', NULL, 'nor release one');
SELECT throws_ok($$SELECT * FROM privacy.purge_now()$$, '42501', NULL, 'nor purge');
SELECT throws_ok($$SELECT * FROM privacy.retention_status$$, '42501', NULL, 'nor read the SLA view');
SELECT throws_ok($$SELECT * FROM privacy.purge_log$$, '42501', NULL, 'nor the purge log');
SELECT throws_ok($$DELETE FROM privacy._legal_hold$$, '42501', NULL, 'nor touch the holds');
RESET ROLE;

SELECT results_eq($$SELECT count(*) FROM privacy.legal_holds WHERE active$$, $$VALUES (1::bigint)$$,
	'the hold is still active');

SELECT * FROM finish();
ROLLBACK;
