-- issue 16: the Citus maintenance worker's interval
-- (privacy.citus_maintenance_interval) is defined with or without Citus: a
-- server setting in seconds (0 turns the maintenance off), set in
-- postgresql.conf or by ALTER SYSTEM (superuser) and a reload, never per
-- session, per role or per database
SELECT name, boot_val, unit, min_val, max_val, context FROM pg_settings
WHERE name = 'privacy.citus_maintenance_interval';
CREATE ROLE citus_maint_admin;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
SET privacy.citus_maintenance_interval = 5;
SELECT set_config('privacy.citus_maintenance_interval', '5', false);
ALTER ROLE citus_maint_admin SET privacy.citus_maintenance_interval = 0;
DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET privacy.citus_maintenance_interval = 0', current_database()); END$$;
ALTER SYSTEM SET privacy.citus_maintenance_interval = -1;
ALTER SYSTEM SET privacy.citus_maintenance_interval = '2d';
ALTER SYSTEM SET privacy.citus_maintenance_interval = 'often';
SET ROLE citus_maint_admin;
ALTER SYSTEM SET privacy.citus_maintenance_interval = 5;
RESET ROLE;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
-- positive control: a superuser sets it (then resets it)
ALTER SYSTEM SET privacy.citus_maintenance_interval = 0;
ALTER SYSTEM SET privacy.citus_maintenance_interval = '1min';
ALTER SYSTEM RESET privacy.citus_maintenance_interval;
SHOW privacy.citus_maintenance_interval;
-- without Citus the maintenance does nothing, and only a superuser runs it
SELECT count(*) AS maintenance_rows FROM privacy._citus_maintain();
SET ROLE citus_maint_admin;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
SELECT count(*) FROM privacy._citus_maintain();
SELECT privacy._citus_collect_audit_node('localhost', 5432, 10);
\set VERBOSITY terse
\set ON_ERROR_STOP 1
RESET ROLE;
DROP ROLE citus_maint_admin;
