-- escalation.sql: nothing pg_privacy runs on someone's behalf executes with
-- more rights than its author (issue 14). The escalation matrix: for each
-- path (purge_now called by an administrator and by a superuser,
-- anonymize_table by both, erase_subject in both modes, retokenize) x each
-- kind of authored code (table trigger, mask function, row-filter function,
-- hold condition) x each author (the table owner, a privacy_admin member
-- that is not superuser, a superuser), a canary records who it runs as,
-- whether that role is a superuser, and whether it could escalate
-- (ALTER ROLE ... SUPERUSER, or exempting itself from masking through
-- pg_privacy's API). The table work must run as the table's owner, never as
-- a superuser, and nothing may escalate. A reader's query is the positive
-- control for filters (they apply to readers, never to the owner's own
-- maintenance). The purge worker is covered by test/tap/004_identity.pl.
-- Also: declared code of untrusted owners is refused for holds too (the one
-- validator), and tables with deferrable constraint triggers are refused.
BEGIN;
SELECT plan(23);

SET LOCAL privacy.admin_role = 'esc_privacy_admin';
SET LOCAL privacy.auditor_role = 'esc_privacy_auditor';
SELECT privacy.setup_roles('esc_privacy_admin', 'esc_privacy_auditor');
CREATE ROLE esc_admin IN ROLE esc_privacy_admin;
CREATE ROLE esc_owner;
CREATE ROLE esc_reader;
CREATE SCHEMA esc;
GRANT USAGE ON SCHEMA esc TO PUBLIC;
SELECT privacy.create_key('default');

-- the log every canary writes to (who: owner/admin/reader/super/other)
CREATE TABLE esc.log (path text, kind text, author text, who text, is_super boolean, escalated boolean);
GRANT INSERT ON esc.log TO PUBLIC;

-- canary_<author>(kind): records its identity, then tries to escalate
CREATE FUNCTION pg_temp.make_canary(author text, owner_role text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE format($c$
CREATE FUNCTION esc.canary_%1$s(kind text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $b$
DECLARE
	up boolean := false;
BEGIN
	IF coalesce(pg_catalog.current_setting('esc.path', true), '') = '' THEN
		RETURN true;
	END IF;
	BEGIN
		EXECUTE pg_catalog.format('ALTER ROLE %%I SUPERUSER', CASE %1$L WHEN 'super' THEN current_user::text ELSE 'esc_' || %1$L END);
		up := true;
	EXCEPTION WHEN insufficient_privilege THEN
		NULL;
	END;
	BEGIN
		PERFORM privacy.grant_unmasked(current_user::regrole);
		up := true;
	EXCEPTION WHEN insufficient_privilege THEN
		NULL;
	END;
	INSERT INTO esc.log VALUES (pg_catalog.current_setting('esc.path', true), kind, %1$L,
		CASE current_user WHEN 'esc_owner' THEN 'owner' WHEN 'esc_admin' THEN 'admin' WHEN 'esc_reader' THEN 'reader'
		     ELSE CASE WHEN (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN 'super' ELSE 'other' END END,
		(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), up);
	RETURN true;
END $b$;
CREATE FUNCTION esc.trg_%1$s() RETURNS trigger LANGUAGE plpgsql AS $b$
BEGIN
	PERFORM esc.canary_%1$s('trigger');
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $b$;
CREATE FUNCTION esc.mask_%1$s(v text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $b$
BEGIN
	PERFORM esc.canary_%1$s('mask');
	RETURN 'masked';
END $b$;
CREATE FUNCTION esc.filter_%1$s(v text) RETURNS boolean LANGUAGE plpgsql STABLE AS $b$
BEGIN
	PERFORM esc.canary_%1$s('filter');
	RETURN true;
END $b$;
CREATE FUNCTION esc.hold_%1$s(v integer) RETURNS boolean LANGUAGE plpgsql STABLE AS $b$
BEGIN
	PERFORM esc.canary_%1$s('hold');
	RETURN false;
END $b$;
$c$, author);
	IF owner_role IS NOT NULL THEN
		EXECUTE format('ALTER FUNCTION esc.canary_%1$s(text) OWNER TO %2$I; ALTER FUNCTION esc.trg_%1$s() OWNER TO %2$I;
			ALTER FUNCTION esc.mask_%1$s(text) OWNER TO %2$I; ALTER FUNCTION esc.filter_%1$s(text) OWNER TO %2$I;
			ALTER FUNCTION esc.hold_%1$s(integer) OWNER TO %2$I', author, owner_role);
	END IF;
END $f$;
SELECT pg_temp.make_canary('owner', 'esc_owner'), pg_temp.make_canary('admin', 'esc_admin'),
	pg_temp.make_canary('super', NULL);

-- the table: owned by esc_owner, with a trigger of each author
CREATE TABLE esc.t (id int PRIMARY KEY, created timestamptz, subj text, email text, name text, card text);
INSERT INTO esc.t SELECT g, now() - interval '100 days', 's' || g, 'e' || g || '@example.org', 'n' || g,
	privacy.tokenize((ARRAY['4111111111111111', '4012888888881881', '5555555555554444'])[g], 'card')
FROM generate_series(1, 3) g;
ALTER TABLE esc.t OWNER TO esc_owner;
GRANT TRIGGER ON esc.t TO esc_admin;
GRANT SELECT ON esc.t TO esc_reader;
SET LOCAL ROLE esc_owner;
CREATE TRIGGER a_owner BEFORE UPDATE OR DELETE ON esc.t FOR EACH ROW EXECUTE FUNCTION esc.trg_owner();
SET LOCAL ROLE esc_admin;
CREATE TRIGGER b_admin BEFORE UPDATE OR DELETE ON esc.t FOR EACH ROW EXECUTE FUNCTION esc.trg_admin();
RESET ROLE;
CREATE TRIGGER c_super BEFORE UPDATE OR DELETE ON esc.t FOR EACH ROW EXECUTE FUNCTION esc.trg_super();

-- declared code: the owner's functions are refused everywhere (one validator)
SET LOCAL ROLE esc_admin;
SELECT throws_ok($$SELECT privacy.mask_column('esc.t', 'email', 'esc.mask_owner(email)')$$, '42501', NULL,
	'a mask calling a function of the table owner is refused');
SELECT throws_ok($$SELECT privacy.add_row_filter('esc.t', 'f', 'esc.filter_owner(email)')$$, '42501', NULL,
	'a row filter calling a function of the table owner is refused');
SELECT throws_ok($$SELECT privacy.place_hold('esc.t', 'esc.hold_owner(id)', 'r')$$, '42501', NULL,
	'a hold condition calling a function of the table owner is refused');
SELECT lives_ok($$SELECT privacy.mask_column('esc.t', 'email', 'esc.mask_admin(email)');
	SELECT privacy.add_row_filter('esc.t', 'f', 'esc.filter_admin(email)')$$,
	'masks and filters calling an administrator''s functions are accepted');
-- hold conditions are stricter (issue 15): only superusers' functions, since
-- an administrator could redefine its function to release held rows unaudited
SELECT throws_ok($$SELECT privacy.place_hold('esc.t', 'esc.hold_admin(id)', 'r')$$, '42501', NULL,
	'a hold condition calling an administrator''s function is refused');
RESET ROLE;
SELECT privacy.mask_column('esc.t', 'name', 'esc.mask_super(name)');
SELECT privacy.place_hold('esc.t', 'esc.hold_super(id)', 'r');
SELECT privacy.register_subject('esc.t', 'subj');

-- a reader: filters and masks run as the reader (positive control)
SET LOCAL ROLE esc_reader;
SELECT set_config('esc.path', 'reader', true);
SELECT count(*) FROM esc.t WHERE email IS NOT NULL AND name IS NOT NULL;
RESET ROLE;

-- the paths
SELECT privacy.set_retention('esc.t', 'created', '30 days', 'anonymize');
SET LOCAL ROLE esc_admin;
SELECT set_config('esc.path', 'purge_now/admin', true);
SELECT status FROM privacy.purge_now('esc.t');
RESET ROLE;
SELECT set_config('esc.path', '', true);
UPDATE esc.t SET email = 'x', name = 'y';
SELECT set_config('esc.path', 'purge_now/super', true);
SELECT status FROM privacy.purge_now('esc.t');
SET LOCAL ROLE esc_admin;
SELECT set_config('esc.path', 'anonymize_table/admin', true);
SELECT privacy.anonymize_table('esc.t');
RESET ROLE;
SELECT set_config('esc.path', 'anonymize_table/super', true);
SELECT privacy.anonymize_table('esc.t');
SELECT privacy.rotate_key('default');
SET LOCAL ROLE esc_admin;
SELECT set_config('esc.path', 'retokenize/admin', true);
SELECT privacy.retokenize('esc.t', 'card') AS moved;
SELECT set_config('esc.path', 'erase_subject anonymize/admin', true);
SELECT privacy.erase_subject('s1', 'anonymize') IS NOT NULL;
SELECT set_config('esc.path', 'erase_subject delete/admin', true);
SELECT privacy.erase_subject('s1') IS NOT NULL;
RESET ROLE;
SELECT set_config('esc.path', 'erase_subject delete/super', true);
SELECT privacy.erase_subject('s2') IS NOT NULL;

-- the matrix: who each authored piece of code ran as
SELECT results_eq($$SELECT DISTINCT path, kind, author, who, is_super, escalated FROM esc.log
	WHERE path LIKE 'purge_now%' ORDER BY 1, 2, 3$$,
	$$VALUES ('purge_now/admin', 'hold', 'super', 'owner', false, false),
	         ('purge_now/admin', 'mask', 'admin', 'owner', false, false), ('purge_now/admin', 'mask', 'super', 'owner', false, false),
	         ('purge_now/admin', 'trigger', 'admin', 'owner', false, false), ('purge_now/admin', 'trigger', 'owner', 'owner', false, false),
	         ('purge_now/admin', 'trigger', 'super', 'owner', false, false),
	         ('purge_now/super', 'hold', 'super', 'owner', false, false),
	         ('purge_now/super', 'mask', 'admin', 'owner', false, false), ('purge_now/super', 'mask', 'super', 'owner', false, false),
	         ('purge_now/super', 'trigger', 'admin', 'owner', false, false), ('purge_now/super', 'trigger', 'owner', 'owner', false, false),
	         ('purge_now/super', 'trigger', 'super', 'owner', false, false)$$,
	'purge_now: triggers, masks and hold conditions of every author run as the table owner, not as a superuser');
-- (hold conditions also run in the WHEN clauses of the hold triggers that
-- guard held rows against updates, issue 15: as the role updating, here the
-- owner)
SELECT results_eq($$SELECT DISTINCT path, kind, author, who, is_super, escalated FROM esc.log
	WHERE path LIKE 'anonymize_table%' ORDER BY 1, 2, 3$$,
	$$VALUES ('anonymize_table/admin', 'hold', 'super', 'owner', false, false),
	         ('anonymize_table/admin', 'mask', 'admin', 'owner', false, false), ('anonymize_table/admin', 'mask', 'super', 'owner', false, false),
	         ('anonymize_table/admin', 'trigger', 'admin', 'owner', false, false), ('anonymize_table/admin', 'trigger', 'owner', 'owner', false, false),
	         ('anonymize_table/admin', 'trigger', 'super', 'owner', false, false),
	         ('anonymize_table/super', 'hold', 'super', 'owner', false, false),
	         ('anonymize_table/super', 'mask', 'admin', 'owner', false, false), ('anonymize_table/super', 'mask', 'super', 'owner', false, false),
	         ('anonymize_table/super', 'trigger', 'admin', 'owner', false, false), ('anonymize_table/super', 'trigger', 'owner', 'owner', false, false),
	         ('anonymize_table/super', 'trigger', 'super', 'owner', false, false)$$,
	'anonymize_table: triggers and masks run as the table owner, whoever calls it');
SELECT results_eq($$SELECT DISTINCT path, kind, author, who, is_super, escalated FROM esc.log
	WHERE path LIKE 'retokenize%' ORDER BY 1, 2, 3$$,
	$$VALUES ('retokenize/admin', 'hold', 'super', 'owner', false, false),
	         ('retokenize/admin', 'trigger', 'admin', 'owner', false, false), ('retokenize/admin', 'trigger', 'owner', 'owner', false, false),
	         ('retokenize/admin', 'trigger', 'super', 'owner', false, false)$$,
	'retokenize: triggers run as the table owner');
SELECT results_eq($$SELECT DISTINCT path, kind, author, who, is_super, escalated FROM esc.log
	WHERE path LIKE 'erase_subject%' ORDER BY 1, 2, 3$$,
	$$VALUES ('erase_subject anonymize/admin', 'hold', 'super', 'owner', false, false),
	         ('erase_subject anonymize/admin', 'mask', 'admin', 'owner', false, false),
	         ('erase_subject anonymize/admin', 'mask', 'super', 'owner', false, false),
	         ('erase_subject anonymize/admin', 'trigger', 'admin', 'owner', false, false),
	         ('erase_subject anonymize/admin', 'trigger', 'owner', 'owner', false, false),
	         ('erase_subject anonymize/admin', 'trigger', 'super', 'owner', false, false),
	         ('erase_subject delete/admin', 'hold', 'super', 'owner', false, false),
	         ('erase_subject delete/admin', 'trigger', 'admin', 'owner', false, false),
	         ('erase_subject delete/admin', 'trigger', 'owner', 'owner', false, false),
	         ('erase_subject delete/admin', 'trigger', 'super', 'owner', false, false),
	         ('erase_subject delete/super', 'hold', 'super', 'owner', false, false),
	         ('erase_subject delete/super', 'trigger', 'admin', 'owner', false, false),
	         ('erase_subject delete/super', 'trigger', 'owner', 'owner', false, false),
	         ('erase_subject delete/super', 'trigger', 'super', 'owner', false, false)$$,
	'erase_subject: triggers, masks and hold conditions run as the table owner');
SELECT results_eq($$SELECT DISTINCT kind, author, who, is_super, escalated FROM esc.log WHERE path = 'reader' ORDER BY 1, 2$$,
	$$VALUES ('filter', 'admin', 'reader', false, false), ('mask', 'admin', 'reader', false, false),
	         ('mask', 'super', 'reader', false, false)$$,
	'positive control: a reader runs the filter and the masks as itself');
SELECT is((SELECT count(*) FROM esc.log WHERE kind = 'filter' AND path <> 'reader'), 0::bigint,
	'row filters never bind the owner''s own maintenance (the purge and erasure see every row)');
SELECT is((SELECT count(*) FROM esc.log WHERE is_super OR escalated), 0::bigint,
	'no canary ran as a superuser or could escalate (so far)');
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname IN ('esc_owner', 'esc_admin', 'esc_reader') AND rolsuper), 0::bigint,
	'no role ends with more privileges than it started with');
SELECT is((SELECT count(*) FROM privacy._unmasked WHERE role::text IN ('esc_owner', 'esc_admin', 'esc_reader')), 0::bigint,
	'no role exempted itself from masking');
SELECT is((SELECT count(*) FROM esc.t WHERE subj IN ('s1', 's2')), 0::bigint, 'the erasure deleted the subjects'' rows');
SELECT is((SELECT count(*) FROM esc.t WHERE privacy._token_key_version(card, 'card') = 2), 1::bigint,
	'retokenize moved the tokens to the new key version');

-- code running for the owner cannot administer policies, even when the
-- session belongs to an administrator
SELECT throws_ok($$SELECT privacy._exec_as_owner('esc.t', 'SELECT privacy.grant_unmasked(''esc_owner'')')$$, '42501',
	'permission denied to grant exemptions from masking',
	'policy administration is refused inside the owner''s restricted execution');

-- the owner's code cannot leave a deferred trigger behind to fire at
-- commit, as whoever commits (PostgreSQL refuses to queue deferred triggers
-- inside a security-restricted operation)
CREATE TABLE esc.side (x int);
CREATE CONSTRAINT TRIGGER side_deferred AFTER INSERT ON esc.side DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION esc.trg_owner();
CREATE TABLE esc.d (id int, email text);
INSERT INTO esc.d VALUES (1, 'a@example.org');
CREATE FUNCTION esc.queue_deferred() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO esc.side VALUES (1);
	RETURN NEW;
END $$;
CREATE TRIGGER d_queue BEFORE UPDATE ON esc.d FOR EACH ROW EXECUTE FUNCTION esc.queue_deferred();
ALTER TABLE esc.side OWNER TO esc_owner;
ALTER TABLE esc.d OWNER TO esc_owner;
ALTER FUNCTION esc.queue_deferred() OWNER TO esc_owner;
SELECT privacy.mask_column('esc.d', 'email', 'privacy.redact(email)');
SELECT throws_ok($$SELECT privacy.anonymize_table('esc.d')$$, '42501',
	'cannot fire deferred trigger within security-restricted operation',
	'the owner''s code cannot queue a deferred trigger to run at commit');

-- a superuser's table: its table work would run as a superuser, so it runs
-- only what superusers declared, with superusers' functions
CREATE TABLE esc.s (id int, created timestamptz, email text, name text);
INSERT INTO esc.s VALUES (1, now() - interval '100 days', 'a@example.org', 'n');
SET LOCAL ROLE esc_admin;
SELECT privacy.mask_column('esc.s', 'email', 'privacy.redact(email)');
SELECT throws_ok($$SELECT privacy.place_hold('esc.s', 'id = 1', 'r')$$, '42501', NULL,
	'an administrator cannot place a hold on a superuser''s table (it would be evaluated as the superuser)');
SELECT privacy.set_retention('esc.s', 'created', '30 days', 'anonymize');
SELECT set_config('esc.path', 'superuser table', true);
SELECT throws_ok($$SELECT * FROM privacy.purge_now('esc.s')$$, '42501',
	'table "s" is owned by a superuser and has policies declared by other roles',
	'an administrator''s mask is never run as the superuser owning the table');
RESET ROLE;
SELECT privacy.unmask_column('esc.s', 'email');
SELECT privacy.mask_column('esc.s', 'name', 'esc.mask_admin(name)');
SELECT throws_ok($$SELECT privacy.anonymize_table('esc.s')$$, '42501', NULL,
	'a superuser''s policy calling an administrator''s function is not run as the superuser either');
SELECT privacy.unmask_column('esc.s', 'name');
SELECT privacy.mask_column('esc.s', 'email', 'privacy.redact(email)');
SELECT is(privacy.anonymize_table('esc.s'), 1::bigint,
	'positive control: what superusers declared with superusers'' functions runs on a superuser''s table');

-- the internal entry points are not for other roles
SET LOCAL ROLE esc_admin;
SELECT throws_ok($$SELECT privacy._exec_as_owner('esc.t', 'DELETE FROM esc.t')$$, '42501', NULL,
	'an administrator cannot run statements as a table owner directly');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
