-- caller_identity.sql: the policy API decides on the role that called it,
-- not on the session's role. A SECURITY DEFINER function of an untrusted
-- role, run by an administrator (or a superuser), gets no administrative
-- power from its caller; the administrator calling the API directly keeps
-- it (positive controls). Exemption grants name existing roles only.
BEGIN;
SELECT plan(26);

SET LOCAL privacy.admin_role = 'ci_privacy_admin';
SET LOCAL privacy.auditor_role = 'ci_privacy_auditor';
SELECT privacy.setup_roles('ci_privacy_admin', 'ci_privacy_auditor');
CREATE ROLE ci_admin IN ROLE ci_privacy_admin;
CREATE ROLE ci_mallory;
CREATE ROLE ci_reader;
CREATE SCHEMA ci;
GRANT USAGE ON SCHEMA ci TO PUBLIC;
GRANT CREATE ON SCHEMA ci TO ci_mallory, ci_admin;
CREATE TABLE ci.t (id int PRIMARY KEY, email text);
INSERT INTO ci.t VALUES (1, 'alice@example.com');
GRANT SELECT ON ci.t TO PUBLIC;
SELECT privacy.mask_column('ci.t', 'email', 'privacy.redact(email)');

-- mallory's trap: SECURITY DEFINER functions that use the API, executable by
-- the administrator
SET LOCAL ROLE ci_mallory;
CREATE FUNCTION ci.exempt_me() RETURNS void LANGUAGE sql SECURITY DEFINER
	AS $$ SELECT privacy.grant_unmasked('ci_mallory', 'ci.t') $$;
CREATE FUNCTION ci.unmask() RETURNS void LANGUAGE sql SECURITY DEFINER
	AS $$ SELECT privacy.mask_column('ci.t', 'email', 'lower(email)') $$;
CREATE FUNCTION ci.who() RETURNS name LANGUAGE sql SECURITY DEFINER
	AS $$ SELECT privacy._outer_user() $$;
-- an error caught inside mallory's function must not leave a stale frame
CREATE FUNCTION ci.caught() RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
	BEGIN
		PERFORM ci.exempt_me();
	EXCEPTION WHEN insufficient_privilege THEN
		NULL;
	END;
	PERFORM privacy.mask_column('ci.t', 'email', 'lower(email)');
	RETURN 'unmasked';
END $$;
RESET ROLE;

-- _outer_user is granted to nobody; the test reads it as the superuser
GRANT EXECUTE ON FUNCTION privacy._outer_user() TO ci_mallory;

SET LOCAL ROLE ci_admin;
SELECT throws_ok($$SELECT ci.exempt_me()$$, '42501', NULL,
	'an administrator running another role''s SECURITY DEFINER function lends it no exemption power');
SELECT throws_ok($$SELECT ci.unmask()$$, '42501', NULL,
	'an administrator running another role''s SECURITY DEFINER function lends it no policy power');
SELECT throws_ok($$SELECT ci.caught()$$, '42501', NULL,
	'after a caught error inside the function, the API still sees the function''s owner');
RESET ROLE;
SELECT is(ci.who(), 'ci_mallory'::name, 'the API records the definer function''s owner as the caller');

-- a superuser session lends nothing either
SELECT throws_ok($$SELECT ci.exempt_me()$$, '42501', NULL,
	'a superuser running another role''s SECURITY DEFINER function lends it no exemption power');
SELECT is((SELECT count(*) FROM privacy._unmasked WHERE role = 'ci_mallory'::regrole), 0::bigint,
	'no grant was stored by the refused calls');
SELECT is((SELECT declared_mask FROM privacy.column_policies WHERE table_name = 'ci.t'::regclass AND column_name = 'email'),
	'privacy.redact(email)', 'the mask was not replaced by the refused calls');

-- positive controls: the administrator calling the API directly, and the
-- stack empty again after the refused calls of the same transaction
SET LOCAL ROLE ci_admin;
SELECT lives_ok($$SELECT privacy.grant_unmasked('ci_reader', 'ci.t')$$,
	'the administrator grants an exemption directly');
SELECT is((SELECT count(*) FROM privacy._unmasked WHERE role = 'ci_reader'::regrole), 1::bigint,
	'the direct grant was stored');
SELECT lives_ok($q$DO $d$ BEGIN PERFORM ci.exempt_me(); EXCEPTION WHEN insufficient_privilege THEN NULL; END $d$$q$,
	'a refused call caught by the administrator''s own block');
SELECT lives_ok($$SELECT privacy.revoke_unmasked('ci_reader', 'ci.t')$$,
	'after it, the administrator''s direct call still acts as the administrator');
RESET ROLE;
SELECT is(privacy._outer_user(), current_user, 'outside any definer function the caller is the session''s role');

-- exemption grants name roles that exist (regrole accepts '-' and numbers)
SELECT throws_ok($$SELECT privacy.grant_unmasked('-'::regrole, 'ci.t')$$, '42704', NULL,
	'a grant to role OID 0 is refused');
SELECT throws_ok($$SELECT privacy.grant_unmasked(4294967295::oid::regrole, 'ci.t')$$, '42704', NULL,
	'a grant to a role OID that does not exist is refused');
SELECT throws_ok($$SELECT privacy.grant_detokenize('-'::regrole, 'card')$$, '42704', NULL,
	'a detokenize grant to role OID 0 is refused');
SELECT privacy.create_purpose('ci_purpose', 'a purpose that exists');
SELECT throws_ok($$SELECT privacy.allow_purpose(4294967295::oid::regrole, 'ci_purpose')$$, '42704', NULL,
	'a purpose grant to a role that does not exist is refused');

-- code that runs as another role without a SECURITY DEFINER frame: a
-- foreign-key cascade runs its query as the referencing table's owner, and
-- that owner's trigger gets nothing from the administrator who deleted
CREATE TABLE ci.accounts (id int PRIMARY KEY);
INSERT INTO ci.accounts VALUES (1), (2), (3);
GRANT REFERENCES ON ci.accounts TO ci_mallory;
GRANT SELECT, DELETE ON ci.accounts TO ci_admin;
SET LOCAL ROLE ci_mallory;
CREATE TABLE ci.links (acc int REFERENCES ci.accounts ON DELETE CASCADE);
INSERT INTO ci.links VALUES (1), (2), (3);
CREATE FUNCTION ci.cascade_trap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM privacy.grant_unmasked('ci_mallory', 'ci.t');
	RETURN OLD;
END $$;
CREATE TRIGGER trap BEFORE DELETE ON ci.links FOR EACH ROW EXECUTE FUNCTION ci.cascade_trap();
RESET ROLE;
SET LOCAL ROLE ci_admin;
SELECT throws_ok($$DELETE FROM ci.accounts WHERE id = 2$$, '42501', NULL,
	'a trigger fired by a foreign-key cascade acts as the referencing table''s owner, not as the administrator');
RESET ROLE;
SELECT is((SELECT count(*) FROM privacy._unmasked WHERE role = 'ci_mallory'::regrole), 0::bigint,
	'no exemption was stored through the cascade');
DROP TRIGGER trap ON ci.links;
SET LOCAL ROLE ci_admin;
SELECT lives_ok($$DELETE FROM ci.accounts WHERE id = 2$$,
	'positive control: without the trap the same delete cascades (the refusal came from the trap''s API call)');
RESET ROLE;

-- a table owner's classification through its SECURITY DEFINER function run
-- by an administrator: the owner must be allowed to run the category's
-- protection itself (a keyed mask would be an oracle)
SELECT privacy.bind_category('national_id', 'privacy.pseudonym(value, ''ci'')');
SET LOCAL privacy.owners_may_declare = on;
SET LOCAL ROLE ci_mallory;
CREATE TABLE ci.guesses (plain text, g text);
CREATE FUNCTION ci.classify_trap() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
	PERFORM privacy.classify('ci.guesses', 'g', 'national_id');
END $$;
SELECT throws_ok($$SELECT privacy.classify('ci.guesses', 'g', 'national_id')$$, '42501', NULL,
	'the owner cannot classify its column into a category bound to a keyed mask it may not run');
RESET ROLE;
SET LOCAL ROLE ci_admin;
SELECT throws_ok($$SELECT ci.classify_trap()$$, '42501', NULL,
	'nor through its SECURITY DEFINER function run by an administrator');
SELECT lives_ok($$SELECT privacy.classify('ci.guesses', 'plain', 'national_id')$$,
	'positive control: the administrator classifies the owner''s column directly');
RESET ROLE;
SET LOCAL privacy.owners_may_declare = off;

-- export reads a registered table as its owner, restricted, and does not
-- run the owner's row-security policies with the administrator's rights:
-- where they apply to the administrator the export refuses
SET LOCAL ROLE ci_mallory;
CREATE TABLE ci.orders (customer text, item text);
INSERT INTO ci.orders VALUES ('alice', 'lamp');
CREATE FUNCTION ci.policy_trap() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	IF current_user <> 'ci_mallory' THEN
		PERFORM privacy.grant_unmasked('ci_mallory', 'ci.t');
	END IF;
	RETURN true;
END $$;
ALTER TABLE ci.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON ci.orders USING (ci.policy_trap());
GRANT SELECT ON ci.orders TO ci_admin;
RESET ROLE;
SELECT privacy.register_subject('ci.orders', 'customer');
SET LOCAL ROLE ci_admin;
SELECT throws_ok($$SELECT privacy.export_subject('alice')$$, '42501', NULL,
	'the owner''s policies apply to the administrator: the export refuses instead of running them');
RESET ROLE;
SELECT is((SELECT count(*) FROM privacy._unmasked WHERE role = 'ci_mallory'::regrole), 0::bigint,
	'no exemption was stored through the export');
SAVEPOINT trap_control;
SET LOCAL ROLE ci_admin;
SELECT count(*) FROM ci.orders;
RESET ROLE;
SELECT is((SELECT count(*) FROM privacy._unmasked WHERE role = 'ci_mallory'::regrole), 1::bigint,
	'positive control: the trap works when the administrator runs the owner''s policy itself');
ROLLBACK TO SAVEPOINT trap_control;
ALTER TABLE ci.orders DISABLE ROW LEVEL SECURITY;
SET LOCAL ROLE ci_admin;
SELECT is(jsonb_array_length(privacy.export_subject('alice') -> 'ci.orders'), 1,
	'positive control: without the owner''s row security the export returns the row');
RESET ROLE;
SELECT privacy.unregister_subject('ci.orders');

SELECT * FROM finish();
ROLLBACK;
