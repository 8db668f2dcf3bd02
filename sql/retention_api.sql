-- retention_api.sql: proves the retention API validates its input with the
-- documented SQLSTATEs and changes nothing on bad input: null arguments,
-- unknown tables/columns, non-timestamp time columns, non-positive or
-- infinite periods, unknown actions, nullify without valid columns,
-- anonymize without masks, and hostile legal-hold conditions (SQL
-- injection attempts, subqueries, volatile/aggregate/set-returning
-- functions, system columns, non-boolean expressions). Valid conditions are
-- stored as canonical text.
CREATE TABLE ret_api (id int PRIMARY KEY, created timestamptz NOT NULL, day date, label text, email text,
	secret text NOT NULL DEFAULT 's');
CREATE VIEW ret_api_v AS SELECT * FROM ret_api;
\set VERBOSITY terse
\set ON_ERROR_STOP 0
SELECT privacy.set_retention(NULL, 'created', '1 day');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'nope', '1 day');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'label', '1 day');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '0 days');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '-3 days');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', 'infinity');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', 'shred');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', 'nullify');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', 'nullify', '{nope}');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', 'nullify', '{created}');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', 'nullify', '{secret}');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', 'delete', '{email}');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', 'anonymize');
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api', 'created', '1 day', batch_size => 0);
\echo :SQLSTATE
SELECT privacy.set_retention('ret_api_v', 'created', '1 day');
\echo :SQLSTATE
SELECT privacy.set_retention('privacy._purge_log', 'started', '1 day');
\echo :SQLSTATE
SELECT privacy.drop_retention('ret_api');
\echo :SQLSTATE
SELECT privacy.purge_now('ret_api');
\echo :SQLSTATE
SELECT count(*) AS policies_after_errors FROM privacy.retention_policies;

-- valid declarations (timestamptz and date columns), replaced in place
SELECT privacy.set_retention('ret_api', 'created', '30 days');
SELECT privacy.set_retention('ret_api', 'day', '90 days', 'nullify', '{email,label}', batch_size => 500,
	max_rows_per_second => 1000);
SELECT table_name, time_column, keep, action, columns, batch_size, max_rows_per_second, active_holds
FROM privacy.retention_policies;

-- hostile and invalid hold conditions
SELECT privacy.place_hold('ret_api', 'true); DROP TABLE ret_api; --', 'injection');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'true; DROP TABLE ret_api', 'injection');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'id IN (SELECT 1)', 'subquery');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'EXISTS (SELECT 1 FROM pg_class)', 'subquery');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'random() < 0.5', 'volatile');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'count(*) > 0', 'aggregate');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'generate_series(1, 2) = id', 'srf');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'ctid = ''(0,1)''', 'system column');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'label', 'not boolean');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'nope = 1', 'unknown column');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'id = 1 ORDER BY 1', 'clauses');
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'id = 1', NULL);
\echo :SQLSTATE
SELECT privacy.place_hold('ret_api', 'id = 1', '  ');
\echo :SQLSTATE
SELECT privacy.release_hold(424242);
\echo :SQLSTATE
SELECT count(*) AS holds_after_errors FROM privacy.legal_holds;
\set ON_ERROR_STOP 1

-- a valid condition is stored as canonical text
SELECT privacy.place_hold('ret_api', 'lower(email) = ''x@example.org'' AND id between 1 and 10', 'case 17') > 0 AS placed;
SELECT condition, declared_condition, reason, active FROM privacy.legal_holds;
SELECT active_holds FROM privacy.retention_policies;
SELECT privacy.release_hold(id) FROM privacy.legal_holds;
SELECT active, released_by IS NOT NULL AS released FROM privacy.legal_holds;
\set ON_ERROR_STOP 0
-- (the message names the hold id, which depends on earlier tests: only the SQLSTATE is shown)
\set VERBOSITY sqlstate
SELECT privacy.release_hold(id) FROM privacy.legal_holds;
\set VERBOSITY default
\echo :SQLSTATE
\set ON_ERROR_STOP 1

-- a table under an active hold cannot be dropped (55006, issue 15: hold
-- rows disappear only through release_hold); once the hold is released,
-- dropping the table removes its policy and its released holds
SELECT privacy.place_hold('ret_api', 'id = 1', 'r') AS drop_hold \gset
DROP VIEW ret_api_v;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
DROP TABLE ret_api;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
SELECT count(*) AS holds_kept FROM privacy.legal_holds WHERE active;
SELECT privacy.release_hold(:drop_hold);
DROP TABLE ret_api;
SELECT count(*) AS policies_left FROM privacy.retention_policies;
SELECT count(*) AS holds_left FROM privacy.legal_holds;

-- issue 15: the purge workers' CPU priority (privacy.purge_nice), the time
-- bound of their batches (privacy.purge_batch_time) and the lock wait of
-- their partition detaches (privacy.purge_partition_lock_timeout) are server
-- settings: their range and unit, set in postgresql.conf or by
-- ALTER SYSTEM (superuser) and a reload, never per session or per role
SELECT name, boot_val, unit, min_val, max_val, context FROM pg_settings
WHERE name IN ('privacy.purge_nice', 'privacy.purge_batch_time', 'privacy.purge_partition_lock_timeout') ORDER BY name;
CREATE ROLE ret_api_admin;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
SET privacy.purge_nice = 5;
SELECT set_config('privacy.purge_partition_lock_timeout', '10ms', false);
ALTER ROLE ret_api_admin SET privacy.purge_nice = 0;
ALTER SYSTEM SET privacy.purge_nice = 20;
ALTER SYSTEM SET privacy.purge_nice = -1;
ALTER SYSTEM SET privacy.purge_partition_lock_timeout = 0;
ALTER SYSTEM SET privacy.purge_partition_lock_timeout = '2min';
ALTER SYSTEM SET privacy.purge_batch_time = -1;
SET privacy.purge_batch_time = 5;
SET ROLE ret_api_admin;
ALTER SYSTEM SET privacy.purge_nice = 5;
RESET ROLE;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
-- positive control: a superuser sets them (then resets them)
ALTER SYSTEM SET privacy.purge_nice = 19;
ALTER SYSTEM SET privacy.purge_batch_time = '1min';
ALTER SYSTEM RESET privacy.purge_batch_time;
ALTER SYSTEM SET privacy.purge_partition_lock_timeout = '1min';
ALTER SYSTEM RESET privacy.purge_nice;
ALTER SYSTEM RESET privacy.purge_partition_lock_timeout;
SHOW privacy.purge_nice;
SHOW privacy.purge_partition_lock_timeout;
DROP ROLE ret_api_admin;
