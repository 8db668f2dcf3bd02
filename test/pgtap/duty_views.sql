-- duty_views.sql: the roles setup_roles() creates can use the views their
-- duties name. As a member of the administrator role and as a member of the
-- auditor role, every compliance view setup_roles() grants reads without a
-- permission error, and retention_status shows the real counts (computed as
-- the table's owner); a role without the grants is refused (42501).
BEGIN;
CREATE TEMP TABLE duty_views (v text);
INSERT INTO duty_views VALUES ('privacy.column_policies'), ('privacy.masked_owners'), ('privacy.row_policies'),
	('privacy.consents'), ('privacy.detokenize_grants'), ('privacy.retention_policies'), ('privacy.legal_holds'),
	('privacy.purge_log'), ('privacy.retention_status'), ('privacy.inventory'), ('privacy.coverage_gaps'),
	('privacy.policies'), ('privacy.effective_access'), ('privacy.subject_tables');
GRANT SELECT ON duty_views TO PUBLIC;
SELECT plan((SELECT count(*) * 3 + 2 FROM duty_views)::integer);

SET LOCAL privacy.admin_role = 'dv_privacy_admin';
SET LOCAL privacy.auditor_role = 'dv_privacy_auditor';
SELECT privacy.setup_roles('dv_privacy_admin', 'dv_privacy_auditor');
CREATE ROLE dv_admin IN ROLE dv_privacy_admin;
CREATE ROLE dv_auditor IN ROLE dv_privacy_auditor;
CREATE ROLE dv_plain;
CREATE ROLE dv_owner;
CREATE SCHEMA dv;
CREATE TABLE dv.t (id int, created timestamptz, email text);
ALTER TABLE dv.t OWNER TO dv_owner;
INSERT INTO dv.t VALUES (1, now() - interval '5 days', 'a@example.org'), (2, now(), 'b@example.org');
SELECT privacy.set_retention('dv.t', 'created', '1 day');
SELECT privacy.mask_column('dv.t', 'email', 'privacy.mask_email(email)');
SELECT privacy.classify('dv.t', 'email', 'email');

CREATE FUNCTION pg_temp.read_as(r text, v text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', r);
	EXECUTE format('SELECT count(*) FROM %s', v);
	RESET ROLE;
END $$;

SELECT lives_ok(format('SELECT pg_temp.read_as(%L, %L)', 'dv_admin', v), v || ' is readable by an administrator')
FROM duty_views ORDER BY v;
SELECT lives_ok(format('SELECT pg_temp.read_as(%L, %L)', 'dv_auditor', v), v || ' is readable by an auditor')
FROM duty_views ORDER BY v;
SELECT throws_ok(format('SELECT pg_temp.read_as(%L, %L)', 'dv_plain', v), '42501', NULL,
	v || ' is refused to a role without the grants')
FROM duty_views ORDER BY v;

-- (the roles have no USAGE on schema dv: compare by OID; the counts are
-- checked in sql/duty_views.sql: pg_privacy does not run table work as the
-- owner in a session with temporary objects, and pgTAP has some)
SELECT 'dv.t'::regclass::oid AS dv_t \gset
SET LOCAL ROLE dv_auditor;
SELECT is((SELECT count(*) FROM privacy.retention_status WHERE table_name::oid = :dv_t), 1::bigint,
	'an auditor sees the table in retention_status');
RESET ROLE;
SET LOCAL ROLE dv_admin;
SELECT is((SELECT count(*) FROM privacy.coverage_gaps WHERE table_name::oid = :dv_t), 0::bigint,
	'an administrator reads coverage_gaps (the masked, classified column is no gap)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
