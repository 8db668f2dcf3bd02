-- compliance_export: export_subject sees every row of the registered tables
-- whatever the caller's own row visibility. A privacy administrator that is
-- neither superuser nor exempt exports a subject from a consent-gated table
-- (which shows it no row) and gets the subject's rows, masked for it; the
-- superuser's export (positive control) has the same rows, raw. Every
-- registered table searched appears in the export, [] where the subject has
-- no row. Row-security policies pg_privacy does not manage that hide some of
-- the subject's rows from the caller make the export refuse (42501), never
-- return a partial result.
SET client_min_messages = warning;
SELECT privacy.setup_roles();
CREATE ROLE regress_xp_admin IN ROLE privacy_admin;
RESET client_min_messages;
CREATE SCHEMA xp;
CREATE TABLE xp.people (id int PRIMARY KEY, email text NOT NULL, note text);
CREATE TABLE xp.orders (id int PRIMARY KEY, person_id int NOT NULL REFERENCES xp.people, item text);
INSERT INTO xp.people VALUES (1, 'ann' || '@example.org', 'likes tea'), (2, 'bo' || '@example.org', 'prefers mail');
INSERT INTO xp.orders VALUES (10, 1, 'kettle');
GRANT USAGE ON SCHEMA xp TO regress_xp_admin;
GRANT SELECT ON xp.people, xp.orders TO regress_xp_admin;
SELECT privacy.mask_column('xp.people', 'note', 'privacy.redact(note)');
SELECT privacy.create_purpose('regress_xp_mail', 'mailing');
SELECT privacy.require_consent('xp.people', 'email', 'regress_xp_mail');
SELECT privacy.grant_consent('ann' || '@example.org', 'regress_xp_mail') > 0 AS ann_consents;
SELECT privacy.register_subject('xp.people', 'email');
SELECT privacy.register_subject('xp.orders', 'person_id', via => 'xp.people');

-- the administrator's own view of the table: consent gating hides every row
SET ROLE regress_xp_admin;
SELECT count(*) AS rows_visible_to_admin FROM xp.people;
-- its export still has bo's row (masked for it) and says orders was searched
SELECT jsonb_pretty(privacy.export_subject('bo' || '@example.org'));
SELECT jsonb_pretty(privacy.export_subject('ann' || '@example.org'));
RESET ROLE;
-- positive control: the superuser's export has the same rows, raw
SELECT jsonb_pretty(privacy.export_subject('bo' || '@example.org'));
-- the filters were lifted for the export's own read only
SET ROLE regress_xp_admin;
SELECT count(*) AS rows_visible_to_admin_after FROM xp.people;
RESET ROLE;

-- the owner's own restrictive policy hides bo from the administrator: the
-- export refuses instead of leaving the row out
CREATE POLICY xp_hide_bo ON xp.people AS RESTRICTIVE FOR SELECT TO regress_xp_admin USING (id <> 2);
SET ROLE regress_xp_admin;
\set VERBOSITY default
\set ON_ERROR_STOP 0
SELECT privacy.export_subject('bo' || '@example.org');
\set ON_ERROR_STOP 1
\set VERBOSITY default
-- a subject the policy does not hide is exported as before
SELECT jsonb_array_length(privacy.export_subject('ann' || '@example.org') -> 'xp.people') AS ann_rows;
RESET ROLE;
SELECT jsonb_array_length(privacy.export_subject('bo' || '@example.org') -> 'xp.people') AS bo_rows_for_superuser;

-- each table read is in the audit log: who, which table, how many rows
SELECT privacy.audit_wait() AS audit_written;
SELECT CASE WHEN role_name = current_user THEN '(superuser)' ELSE role_name::text END AS role_name,
	action, value_count, regexp_replace(object, 'subject \S+ in ', 'subject ... in ') AS object
FROM privacy.audit_log WHERE action = 'export subject'
ORDER BY logged_at, object;

DROP POLICY xp_hide_bo ON xp.people;

-- The owner's code the export runs (here the owner's cast to json of a
-- column of its own type, which to_jsonb calls) runs as the table's owner,
-- restricted, never with the rights of whoever exports: with them, a
-- table owner made itself superuser. The probe records who ran it and
-- whether it could read pg_privacy's consent registry, which
-- administrators can read and the owner cannot.
CREATE ROLE regress_xp_owner;
GRANT USAGE, CREATE ON SCHEMA xp TO regress_xp_owner;
SET ROLE regress_xp_owner;
CREATE TYPE xp.flag AS ENUM ('y', 'n');
CREATE TABLE xp.flags (email text, f xp.flag, note text);
INSERT INTO xp.flags VALUES ('bo' || '@example.org', 'y', 'owner row');
CREATE TABLE xp.probe (ran_as name, consent text);
GRANT INSERT ON xp.probe TO PUBLIC;
CREATE FUNCTION xp.flag_json(v xp.flag) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		PERFORM count(*) FROM privacy._consent;
		INSERT INTO xp.probe VALUES (current_user, 'read');
	EXCEPTION WHEN insufficient_privilege THEN
		INSERT INTO xp.probe VALUES (current_user, 'denied');
	END;
	RETURN to_json(v::text);
END $$;
CREATE CAST (xp.flag AS json) WITH FUNCTION xp.flag_json(xp.flag);
GRANT SELECT ON xp.flags TO regress_xp_admin;
RESET ROLE;
SELECT privacy.register_subject('xp.flags', 'email');
SELECT privacy.mask_column('xp.flags', 'note', 'privacy.redact(note)');
-- positive control: run with the administrator's rights, the probe reads
-- the registry
SET ROLE regress_xp_admin;
SELECT xp.flag_json('n') AS control_as_admin;
-- the export has the row, masked for the administrator
SELECT privacy.export_subject('bo' || '@example.org') -> 'xp.flags' AS flags_exported_by_admin;
RESET ROLE;
-- and raw for the superuser
SELECT privacy.export_subject('bo' || '@example.org') -> 'xp.flags' AS flags_exported_by_superuser;
SELECT CASE WHEN ran_as = 'regress_xp_owner' THEN 'the owner' ELSE ran_as::text END AS ran_as,
	consent, count(*) > 0 AS ran
FROM xp.probe GROUP BY 1, 2 ORDER BY 1, 2;
-- the owner's own row-security policies are not run with the
-- administrator's rights: where they apply to it, the export refuses
-- (whether or not they would hide the subject's rows) ...
SET ROLE regress_xp_owner;
CREATE POLICY xp_flags_all ON xp.flags AS RESTRICTIVE FOR SELECT TO regress_xp_admin USING (true);
RESET ROLE;
SET ROLE regress_xp_admin;
\set ON_ERROR_STOP 0
SELECT privacy.export_subject('bo' || '@example.org') -> 'xp.flags';
\set ON_ERROR_STOP 1
RESET ROLE;
-- ... and exports as before where they do not apply
DROP POLICY xp_flags_all ON xp.flags;
SET ROLE regress_xp_owner;
CREATE POLICY xp_flags_other ON xp.flags AS RESTRICTIVE FOR SELECT TO regress_xp_owner USING (true);
RESET ROLE;
SET ROLE regress_xp_admin;
SELECT jsonb_array_length(privacy.export_subject('bo' || '@example.org') -> 'xp.flags') AS flags_rows;
RESET ROLE;
-- a table the caller cannot read is reported as such
REVOKE SELECT ON xp.flags FROM regress_xp_admin;
SET ROLE regress_xp_admin;
SELECT privacy.export_subject('bo' || '@example.org') -> 'xp.flags' AS flags_unreadable;
RESET ROLE;
SELECT privacy.unmask_column('xp.flags', 'note');
SELECT privacy.unregister_subject('xp.flags');
SELECT privacy.unregister_subject('xp.orders');
SELECT privacy.unregister_subject('xp.people');
SELECT privacy.drop_row_policy('xp.people', name) FROM privacy.row_policies WHERE table_name = 'xp.people'::regclass;
SELECT privacy.unmask_column('xp.people', 'note');
SELECT privacy.revoke_consent('ann' || '@example.org', 'regress_xp_mail');
DELETE FROM privacy._consent WHERE purpose = 'regress_xp_mail';
DELETE FROM privacy._purpose WHERE name = 'regress_xp_mail';
DROP SCHEMA xp CASCADE;
DROP ROLE regress_xp_owner;
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
SET client_min_messages = warning;
DROP OWNED BY privacy_admin, privacy_auditor, regress_xp_admin;
DROP ROLE regress_xp_admin, privacy_admin, privacy_auditor;
RESET client_min_messages;
