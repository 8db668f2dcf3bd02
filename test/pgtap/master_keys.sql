-- master_keys.sql (issue 20, red team): attacks on master-key rotation, the
-- wrapped masking secret and import_key's file and command sources, each
-- with its positive control (the same thing done by a superuser works, or
-- the same thing shows the data when nothing protects it).
--  * a role that is not superuser (an administrator, a table owner, a role
--    with nothing) cannot trigger rewrap_keys, name a previous master key or a
--    master key command, read either setting, import from a file or a
--    command, or read the wrapped keys and the masking secret;
--  * a superuser's ANALYZE or REINDEX running a table owner's index
--    expression cannot be used to call rewrap_keys;
--  * what is stored is wrapped: the masking secret is 72 bytes with a
--    master key id, and no message of a failing key source echoes what the
--    source printed.
BEGIN;
SELECT plan(20);

SET LOCAL privacy.admin_role = 'tap_mk_admin_role';
SET LOCAL privacy.auditor_role = 'tap_mk_auditor_role';
SELECT privacy.setup_roles('tap_mk_admin_role', 'tap_mk_auditor_role');
CREATE ROLE tap_mk_admin IN ROLE tap_mk_admin_role;
CREATE ROLE tap_mk_owner;
CREATE ROLE tap_mk_nobody;
SELECT privacy.create_key('tap_mk');

-- err_text(sql) returns message, detail and hint of the error sql raises
CREATE FUNCTION pg_temp.err_text(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	m text; d text; h text;
BEGIN
	EXECUTE sql;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN concat_ws(' | ', m, d, h);
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.err_text(text) TO PUBLIC;

-- 1. an administrator
SET LOCAL ROLE tap_mk_admin;
SELECT throws_ok($$SELECT privacy.rewrap_keys()$$, '42501', 'permission denied to re-wrap keys',
	'admin: cannot trigger a rewrap');
SELECT throws_ok($$SELECT set_config('privacy.previous_master_key_file', '/tmp/attacker.key', true)$$, '55P02', NULL,
	'admin: cannot name an attacker-chosen previous master key file');
SELECT throws_ok($$SET LOCAL privacy.previous_master_key_command = 'cat /tmp/attacker.key'$$, '55P02', NULL,
	'admin: cannot name a previous master key command');
SELECT throws_ok($$SHOW privacy.previous_master_key_file$$, '42501', NULL,
	'admin: cannot even read where the previous master key comes from');
SELECT throws_ok($$SELECT privacy.import_key('tap_x', material_command => 'id')$$, '42501', NULL,
	'admin: import_key from a command (OS command execution) is refused');
SELECT throws_ok($$SELECT secret FROM privacy._masking_secret$$, '42501', NULL,
	'admin: cannot read the wrapped masking secret');
RESET ROLE;

-- 2. a role with nothing, and a table owner
SET LOCAL ROLE tap_mk_nobody;
SELECT throws_ok($$SELECT privacy.rewrap_keys()$$, '42501', NULL, 'nobody: cannot trigger a rewrap');
SELECT throws_ok($$SELECT privacy.import_key('tap_x', material_file => '/etc/passwd')$$, '42501', NULL,
	'nobody: import_key from a file is refused');
SELECT throws_ok($$SELECT * FROM privacy._key$$, '42501', NULL, 'nobody: cannot read the wrapped data keys');
RESET ROLE;

-- 3. an owner's index expression run by a superuser's REINDEX: the call is
-- refused (the expression runs as the owner, security-restricted)
CREATE FUNCTION public.tap_mk_sneaky(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	PERFORM privacy.rewrap_keys();
	RETURN i;
END $$;
ALTER FUNCTION public.tap_mk_sneaky(int) OWNER TO tap_mk_owner;
CREATE TABLE public.tap_mk_t (i int);
ALTER TABLE public.tap_mk_t OWNER TO tap_mk_owner;
INSERT INTO public.tap_mk_t VALUES (1);
SELECT throws_ok($$CREATE INDEX ON public.tap_mk_t (public.tap_mk_sneaky(i))$$, '42501', 'permission denied to re-wrap keys',
	'an owner''s index expression run by a superuser cannot rewrap');
-- positive control: the superuser calling the same function directly may
SELECT lives_ok($$SELECT public.tap_mk_sneaky(1)$$, 'positive control: the superuser may run the rewrap');

-- 4. positive controls for the reads and settings
SELECT ok(current_setting('privacy.master_key_file') <> '' OR current_setting('privacy.master_key_command') <> '',
	'positive control: a superuser reads the master key settings');
SELECT is((SELECT octet_length(secret) FROM privacy._masking_secret), 72,
	'positive control: a superuser reads the masking secret, and it is wrapped (72 bytes)');
SELECT ok((SELECT master_key_id ~ '^[0-9a-f]{16}$' FROM privacy._masking_secret),
	'the masking secret records the id of its master key');
SELECT is((SELECT count(*) FROM privacy.keys WHERE name = 'tap_mk' AND master_key_id IS NOT NULL)::int, 1,
	'a new data key records the id of its master key');
SELECT is(privacy.rewrap_keys(), 0, 'positive control: a superuser rewraps (nothing to move)');

-- 5. no message echoes what a key source printed (a superuser's attempts)
SELECT ok(position('DEADBEEF' IN upper(pg_temp.err_text(
	$$SELECT privacy.import_key('tap_x', material_command => 'echo deadbeefdeadbeefdeadbeef')$$))) = 0,
	'a short key printed by the command is not echoed');
SELECT ok(position('TAPCANARY' IN upper(pg_temp.err_text(
	$$SELECT privacy.import_key('tap_x', material_command => 'echo tapcanary; echo tapcanary >&2; exit 3')$$))) = 0,
	'a failing command''s output is not echoed');
SELECT ok(pg_temp.err_text($$SELECT privacy.import_key('tap_x', material_command => 'echo tapcanary; exit 3')$$)
	LIKE 'key material command failed%',
	'positive control: the failing command is reported');
SELECT is((SELECT count(*) FROM privacy.keys WHERE name = 'tap_x')::int, 0, 'nothing was imported');

SELECT * FROM finish();
ROLLBACK;
