-- separation_of_duties.sql: who may declare, change and lift policies.
-- Every administrative function is tried as a masked role, as a table
-- owner (with privacy.owners_may_declare off, then on), as an auditor and as
-- an administrator; refusals are 42501 with a hint naming the admin role;
-- every change lands in privacy.audit_log; the log is append-only.
BEGIN;
SELECT plan(42);

-- hint_of(sql) returns the HINT of the error sql raises
CREATE FUNCTION pg_temp.hint_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	h text;
BEGIN
	EXECUTE sql;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
	RETURN h;
END $$;

SET LOCAL privacy.admin_role = 'tap_privacy_admin';
SET LOCAL privacy.auditor_role = 'tap_privacy_auditor';
SELECT privacy.setup_roles('tap_privacy_admin', 'tap_privacy_auditor');
CREATE ROLE tap_admin IN ROLE tap_privacy_admin;
CREATE ROLE tap_auditor IN ROLE tap_privacy_auditor;
CREATE ROLE tap_owner;
CREATE ROLE tap_masked;
CREATE SCHEMA sod;
GRANT USAGE ON SCHEMA sod TO PUBLIC;
CREATE TABLE sod.t (id int PRIMARY KEY, email text, region text);
INSERT INTO sod.t VALUES (1, 'a@example.com', 'eu');
ALTER TABLE sod.t OWNER TO tap_owner;
GRANT SELECT ON sod.t TO tap_masked, tap_admin, tap_auditor;
SELECT privacy.create_key('default');
SELECT privacy.create_purpose('tap_purpose', 'pgTAP');

-- setup_roles refuses a role that can log in
CREATE ROLE tap_login LOGIN;
SELECT throws_ok($$SELECT privacy.setup_roles('tap_login', 'tap_privacy_auditor')$$, '22023', NULL,
	'setup_roles refuses to adopt a login role');

-- 1. a masked role: every administrative function refuses, with a hint
SET LOCAL ROLE tap_masked;
SELECT throws_ok($$SELECT privacy.mask_column('sod.t', 'email', 'privacy.redact(email)')$$, '42501',
	'permission denied to declare masking policies', 'masked role: mask_column');
SELECT throws_ok($$SELECT privacy.grant_unmasked('tap_masked')$$, '42501',
	'permission denied to grant exemptions from masking', 'masked role: grant_unmasked');
SELECT throws_ok($$SELECT privacy.require_consent('sod.t', 'email', 'tap_purpose')$$, '42501',
	'permission denied to declare row policies', 'masked role: require_consent');
SELECT throws_ok($$SELECT privacy.add_row_filter('sod.t', 'f', 'true')$$, '42501',
	'permission denied to declare row policies', 'masked role: add_row_filter');
SELECT throws_ok($$SELECT privacy.grant_consent('x', 'tap_purpose')$$, '42501',
	'permission denied to record consent', 'masked role: grant_consent');
SELECT throws_ok($$SELECT privacy.create_purpose('p2', 'x')$$, '42501',
	'permission denied to create purposes', 'masked role: create_purpose');
SELECT throws_ok($$SELECT privacy.grant_detokenize('tap_masked', 'card')$$, '42501',
	'permission denied to grant detokenize', 'masked role: grant_detokenize');
SELECT throws_ok($$SELECT privacy.create_key('k2')$$, '42501',
	'permission denied to create data keys', 'masked role: create_key');
SELECT throws_ok($$SELECT privacy.anonymize_table('sod.t')$$, '42501',
	'permission denied to anonymize tables', 'masked role: anonymize_table');
SELECT throws_ok($$SELECT privacy._store_column_policy('sod.t', 'email', 'email', 'email')$$, '42501',
	'permission denied for function _store_column_policy',
	'masked role: the internal writer is not executable by PUBLIC (issue 14)');
SELECT throws_ok($$SET privacy.masking = off$$, '42501', NULL, 'masked role: cannot switch masking off');
SELECT throws_ok($$SET privacy.admin_role = 'tap_masked'$$, '42501', NULL,
	'masked role: cannot name itself administrator');
SELECT throws_ok($$ALTER ROLE tap_masked SET privacy.masking = off$$, '42501', NULL,
	'masked role: cannot store masking = off for itself');
SELECT throws_ok($$INSERT INTO privacy._unmasked VALUES ('tap_masked', NULL, NULL, 'x', now())$$, '42501', NULL,
	'masked role: cannot write the catalog directly');
RESET ROLE;

-- the hint names the role that may do it
SET LOCAL ROLE tap_masked;
SELECT is((SELECT pg_temp.hint_of($$SELECT privacy.grant_unmasked('tap_masked')$$)),
	'Members of role "tap_privacy_admin" and superusers can do it.', 'the refusal names the admin role');
RESET ROLE;

-- 2. a table owner: refused while privacy.owners_may_declare is off
SET LOCAL ROLE tap_owner;
SELECT throws_ok($$SELECT privacy.mask_column('sod.t', 'email', 'privacy.redact(email)')$$, '42501', NULL,
	'owner: refused by default');
RESET ROLE;
SET LOCAL privacy.owners_may_declare = on;
SET LOCAL ROLE tap_owner;
SELECT lives_ok($$SELECT privacy.mask_column('sod.t', 'email', 'privacy.redact(email)')$$,
	'owner: may mask its own table when enabled');
SELECT lives_ok($$SELECT privacy.add_row_filter('sod.t', 'eu', $q$region = 'eu'$q$)$$,
	'owner: may add a row filter to its own table when enabled');
SELECT throws_ok($$SELECT privacy.grant_unmasked('tap_owner', 'sod.t')$$, '42501', NULL,
	'owner: can never exempt itself');
SELECT throws_ok($$SELECT privacy.create_purpose('p3', 'x')$$, '42501', NULL,
	'owner: cannot create purposes (not table-scoped)');
RESET ROLE;
SET LOCAL privacy.owners_may_declare = off;

-- 3. an auditor: reads, changes nothing
SET LOCAL ROLE tap_auditor;
SELECT is((SELECT count(*) FROM privacy.column_policies)::int, 1, 'auditor: reads column_policies');
SELECT ok((SELECT count(*) FROM privacy.audit_log) > 0, 'auditor: reads the audit log');
SELECT throws_ok($$SELECT privacy.unmask_column('sod.t', 'email')$$, '42501', NULL, 'auditor: cannot unmask');
SELECT throws_ok($$DELETE FROM privacy.audit_log$$, '42501', NULL, 'auditor: cannot delete audit rows');
RESET ROLE;

-- 4. an administrator: may do everything, and every change is audited
SET LOCAL ROLE tap_admin;
SELECT lives_ok($$SELECT privacy.mask_column('sod.t', 'email', 'privacy.mask_email(email)')$$, 'admin: mask_column');
SELECT lives_ok($$SELECT privacy.grant_unmasked('tap_auditor', 'sod.t')$$, 'admin: grant_unmasked');
SELECT lives_ok($$SELECT privacy.revoke_unmasked('tap_auditor', 'sod.t')$$, 'admin: revoke_unmasked');
SELECT lives_ok($$SELECT privacy.require_consent('sod.t', 'email', 'tap_purpose')$$, 'admin: require_consent');
SELECT lives_ok($$SELECT privacy.drop_row_policy('sod.t', 'consent:tap_purpose')$$, 'admin: drop_row_policy');
SELECT lives_ok($$SELECT privacy.grant_detokenize('tap_auditor', 'card')$$, 'admin: grant_detokenize');
SELECT lives_ok($$SELECT privacy.rotate_key('default')$$, 'admin: rotate_key');
SELECT throws_ok($$SELECT privacy.import_key('k3', '\x00'::bytea)$$, '42501', NULL,
	'admin: import_key stays superuser-only');
-- (issue 20) master-key rotation is the superuser's: an administrator can
-- neither re-wrap nor name another master key or a material file
SELECT throws_ok($$SELECT privacy.rewrap_keys()$$, '42501', 'permission denied to re-wrap keys',
	'admin: rewrap_keys is superuser-only');
SELECT throws_ok($$SELECT privacy.import_key('k3', material_file => '/etc/passwd')$$, '42501', NULL,
	'admin: import_key from a file is superuser-only');
SELECT throws_ok($$SET privacy.previous_master_key_file = '/tmp/k'$$, '55P02', NULL,
	'admin: cannot name a previous master key');
SELECT throws_ok($$SELECT privacy.mask_column('sod.t', 'email', 'email')$$, '22023', NULL,
	'admin: a mask cannot be re-declared as the identity');
SELECT throws_ok($$DELETE FROM privacy.audit_log$$, '42501', NULL, 'admin: cannot delete audit rows');
SELECT throws_ok($$UPDATE privacy.audit_log SET role_name = 'x'$$, '42501', NULL, 'admin: cannot rewrite audit rows');
RESET ROLE;
SELECT is((SELECT count(*) FROM privacy.audit_log
	WHERE role_name = 'tap_admin' AND action LIKE '% column_policy' AND new_definition LIKE '%mask_email%')::int, 1,
	'the admin''s mask change is audited with its new definition');
SELECT is((SELECT count(*) FROM privacy.audit_log WHERE role_name = 'tap_owner')::int, 2,
	'the owner''s changes are audited (the mask and the filter)');
SELECT ok((SELECT bool_and(coalesce(new_definition, '') NOT LIKE '%wrapped%' AND coalesce(old_definition, '') NOT LIKE '%wrapped%')
	FROM privacy.audit_log WHERE action LIKE '% key'), 'key changes are audited without key material');

SELECT * FROM finish();
ROLLBACK;
