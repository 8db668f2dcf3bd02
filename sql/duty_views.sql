-- duty_views.sql: the auditor and administrator roles setup_roles() makes
-- see real retention counts (computed as the table's owner) and coverage
-- gaps; a role without the grants gets 42501. test/pgtap/duty_views.sql
-- reads every view as each role.
SET client_min_messages = warning;
SELECT privacy.setup_roles('regress_dv_admin', 'regress_dv_auditor');
RESET client_min_messages;
SET privacy.admin_role = 'regress_dv_admin';
SET privacy.auditor_role = 'regress_dv_auditor';
CREATE ROLE regress_dv_a IN ROLE regress_dv_admin;
CREATE ROLE regress_dv_u IN ROLE regress_dv_auditor;
CREATE ROLE regress_dv_plain;
CREATE ROLE regress_dv_owner;
CREATE SCHEMA dv;
CREATE TABLE dv.t (id int, created timestamptz, email text);
GRANT USAGE ON SCHEMA dv TO regress_dv_owner;
ALTER TABLE dv.t OWNER TO regress_dv_owner;
INSERT INTO dv.t VALUES (1, now() - interval '5 days', 'a@example.org'), (2, now(), 'b@example.org');
SELECT privacy.set_retention('dv.t', 'created', '1 day');
SELECT privacy.place_hold('dv.t', 'id = 2', 'kept') > 0 AS placed;
SELECT privacy.classify('dv.t', 'email', 'email');
SELECT 'dv.t'::regclass::oid AS dv_t \gset
SELECT rows_expired AS superuser_expired FROM privacy.retention_status WHERE table_name::oid = :dv_t;
SET ROLE regress_dv_u;
SELECT rows_expired AS auditor_expired, rows_held AS auditor_held FROM privacy.retention_status WHERE table_name::oid = :dv_t;
SELECT column_name, category FROM privacy.coverage_gaps WHERE table_name::oid = :dv_t;
RESET ROLE;
SET ROLE regress_dv_a;
SELECT rows_expired AS admin_expired FROM privacy.retention_status WHERE table_name::oid = :dv_t;
SELECT column_name, category FROM privacy.coverage_gaps WHERE table_name::oid = :dv_t;
RESET ROLE;
SET ROLE regress_dv_plain;
\set ON_ERROR_STOP 0
\set VERBOSITY terse
SELECT count(*) FROM privacy.retention_status;
SELECT count(*) FROM privacy.coverage_gaps;
\set VERBOSITY default
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT privacy.release_hold(id) IS NULL AS released FROM privacy.legal_holds WHERE table_name::oid = :dv_t AND active;
SELECT privacy.drop_retention('dv.t');
SELECT privacy.unclassify('dv.t', 'email');
DROP SCHEMA dv CASCADE;
DROP OWNED BY regress_dv_admin, regress_dv_auditor;
DROP ROLE regress_dv_a, regress_dv_u, regress_dv_plain, regress_dv_owner, regress_dv_admin, regress_dv_auditor;
