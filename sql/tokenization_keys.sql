-- tokenization_keys: data keys and the master key. NIST SP 800-38G FF1
-- sample vectors pass through SQL with an imported key; FF3-1 needs a 7-byte
-- tweak; create/rotate/import/drop_key and the privacy.keys view; only
-- superusers manage keys (42501); the master key comes only from a 0600
-- regular file of the server user (F0000 otherwise, also for a FIFO or a
-- device, without blocking); a command is killed after
-- privacy.master_key_command_timeout (38000) or on cancel; a missing file
-- or no source gives 55000 with a hint, a failing command 38000; the settings are superuser-only
-- and never hold a key. Errors never contain key material.
SET client_min_messages = warning;
CREATE ROLE regress_tok_nobody;
RESET client_min_messages;

-- err(query, secret) runs query and returns its SQLSTATE and message, with
-- LEAK appended when message, detail or hint contain secret.
CREATE FUNCTION pg_temp.err(q text, secret text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	RETURN st || ' ' || msg || CASE WHEN secret IS NOT NULL AND position(lower(secret) IN lower(concat(msg, det, hnt))) > 0
		THEN ' LEAK' ELSE '' END;
END $$;

-- NIST FF1 samples 1 and 2 (AES-128, radix 10).
BEGIN;
SET LOCAL log_statement = 'none';
SELECT privacy.import_key('regress_nist', '\x2B7E151628AED2A6ABF7158809CF4F3C');
COMMIT;
SELECT privacy.fpe_encrypt('0123456789', 'regress_nist') AS sample1;
SELECT privacy.fpe_decrypt('2433477484', 'regress_nist') AS sample1_decrypted;
SELECT privacy.fpe_encrypt('0123456789', 'regress_nist', tweak => '\x39383736353433323130') AS sample2;
SELECT privacy.fpe_decrypt('6124200773', 'regress_nist', tweak => '\x39383736353433323130') AS sample2_decrypted;
-- NIST FF1 sample 3: radix 36 with a tweak
SELECT privacy.fpe_encrypt('0123456789abcdefghi', 'regress_nist', '0123456789abcdefghijklmnopqrstuvwxyz',
	'\x3737373770717273373737') AS sample3;
-- FF3-1 round trip with a 7-byte tweak; any other length is refused
SELECT privacy.fpe_decrypt(privacy.fpe_encrypt('890121234567890000', 'regress_nist', tweak => '\xD8E7920AFA330A',
	mode => 'ff3-1'), 'regress_nist', tweak => '\xD8E7920AFA330A', mode => 'ff3-1') AS ff3_1_round_trip;
SELECT pg_temp.err($$SELECT privacy.fpe_encrypt('890121234567890000', 'regress_nist', tweak => '\x00', mode => 'ff3-1')$$);
SELECT pg_temp.err($$SELECT privacy.fpe_encrypt('890121234567890000', 'regress_nist', mode => 'ff3')$$);
-- domain below 10^6, character outside the alphabet, unknown key: no value in the message
SELECT pg_temp.err($$SELECT privacy.fpe_encrypt('73519', 'regress_nist')$$, '73519');
SELECT pg_temp.err($$SELECT privacy.fpe_encrypt('7351X2468', 'regress_nist')$$, '7351X2468');
SELECT pg_temp.err($$SELECT privacy.fpe_encrypt('0123456789', 'regress_no_such_key')$$);
SELECT privacy.fpe_encrypt(NULL, 'regress_nist') IS NULL AS null_stays_null;

-- import_key: material must be 16, 24 or 32 bytes; a second import adds a version
SELECT pg_temp.err($$SELECT privacy.import_key('regress_short', '\xDEADBEEFCAFE')$$, 'deadbeefcafe');
SELECT privacy.import_key('regress_nist', '\x000102030405060708090A0B0C0D0E0F1011121314151617') AS second_version;
SELECT privacy.fpe_encrypt('0123456789', 'regress_nist', key_version => 1) AS sample1_again;
SELECT pg_temp.err($$SELECT privacy.fpe_encrypt('0123456789', 'regress_nist', key_version => 7)$$);

-- create, rotate, drop
SELECT privacy.create_key('regress_k') AS created;
SELECT pg_temp.err($$SELECT privacy.create_key('regress_k')$$);
SELECT privacy.rotate_key('regress_k') AS rotated;
SELECT pg_temp.err($$SELECT privacy.rotate_key('regress_missing')$$);
SELECT pg_temp.err($$SELECT privacy.create_key(NULL)$$);
SELECT pg_temp.err($$SELECT privacy.create_key('')$$);
SELECT name, version, algorithm, active FROM privacy.keys WHERE name LIKE 'regress%' ORDER BY name, version;
-- the view shows no key material; the table is not readable by ordinary roles
SELECT attname FROM pg_attribute WHERE attrelid = 'privacy.keys'::regclass AND attnum > 0 ORDER BY attnum;
SET ROLE regress_tok_nobody;
SELECT count(*) > 0 AS sees_metadata FROM privacy.keys;
SELECT pg_temp.err($$SELECT * FROM privacy._key$$);
SELECT pg_temp.err($$SELECT privacy.create_key('regress_x')$$);
SELECT pg_temp.err($$SELECT privacy.rotate_key('regress_k')$$);
SELECT pg_temp.err($$SELECT privacy.drop_key('regress_k')$$);
SELECT pg_temp.err($$SELECT privacy.import_key('regress_x', '\x2B7E151628AED2A6ABF7158809CF4F3C')$$, '2b7e1516');
SELECT pg_temp.err($$SHOW privacy.master_key_file$$);
RESET ROLE;
-- the stored form is wrapped: 24-byte nonce + ciphertext + 16-byte tag
SELECT name, version, length(wrapped) AS wrapped_bytes,
	position('\x2B7E151628AED2A6ABF7158809CF4F3C'::bytea IN wrapped) AS plaintext_found
FROM privacy._key WHERE name = 'regress_nist' ORDER BY version;
-- a wrapped key moved to another version does not unwrap
UPDATE privacy._key SET version = 9 WHERE name = 'regress_k' AND version = 2;
SELECT privacy._invalidate_keys();
SELECT pg_temp.err($$SELECT privacy.fpe_encrypt('0123456789', 'regress_k')$$);
SELECT privacy.drop_key('regress_k');
SELECT pg_temp.err($$SELECT privacy.drop_key('regress_k')$$);

-- The master key settings: superuser-only, reloadable, never settable per session.
SELECT name, context, setting <> '' AS is_set FROM pg_settings WHERE name LIKE 'privacy.master_key%' ORDER BY name;
SELECT pg_temp.err($$SET privacy.master_key_file = '/tmp/x'$$);
-- Prepare key files in the data directory (the server's working directory).
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; printf "%064d\n" 7 > regress_0644.key; chmod 644 regress_0644.key; printf "%064d\n" 7 > regress_good.key; chmod 600 regress_good.key; printf "not a key\n" > regress_bad.key; chmod 600 regress_bad.key';
-- mode 0644: refused
ALTER SYSTEM SET privacy.master_key_file = 'regress_0644.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_0644.key'''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.create_key('regress_m')$$);
-- content that is not 64 hex characters: refused
ALTER SYSTEM SET privacy.master_key_file = 'regress_bad.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_bad.key'''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.create_key('regress_m')$$);
-- missing file: 55000 with a hint
ALTER SYSTEM SET privacy.master_key_file = 'regress_missing.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_missing.key'''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.create_key('regress_m')$$);
\set VERBOSITY default
SELECT privacy.create_key('regress_m');
\echo :SQLSTATE
-- no source at all
ALTER SYSTEM SET privacy.master_key_file = '';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = '''''
\ir sql/include/wait_until.psql
SELECT privacy.create_key('regress_m');
\echo :SQLSTATE
-- a failing command: 38000
ALTER SYSTEM SET privacy.master_key_command = 'echo oops >&2; exit 3';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_command'') = ''echo oops >&2; exit 3'''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.create_key('regress_m')$$);
-- a command that prints nothing useful: 38000
ALTER SYSTEM SET privacy.master_key_command = 'echo hello';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_command'') = ''echo hello'''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.create_key('regress_m')$$);
-- a working command (a KMS would print the key the same way)
ALTER SYSTEM SET privacy.master_key_command = 'cat regress_good.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_command'') = ''cat regress_good.key'''
\ir sql/include/wait_until.psql
SELECT privacy.create_key('regress_m') AS created_with_command;
SELECT length(privacy.fpe_encrypt('0123456789', 'regress_m')) AS usable;
-- both sources set: refused
ALTER SYSTEM SET privacy.master_key_file = 'regress_good.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_good.key'''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.rotate_key('regress_m')$$);
-- the same key from a 0600 file works
ALTER SYSTEM RESET privacy.master_key_command;
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_command'') = '''''
\ir sql/include/wait_until.psql
SELECT privacy.rotate_key('regress_m') AS rotated_with_file;
-- a FIFO as the key file (issue 20): refused at once with F0000, never a
-- hang (an open without O_NONBLOCK waits for a writer forever, and
-- statement_timeout cannot interrupt it); the 5 s statement_timeout only
-- bounds this test if the fix regresses
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f regress_fifo.key; mkfifo -m 600 regress_fifo.key';
ALTER SYSTEM SET privacy.master_key_file = 'regress_fifo.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_fifo.key'''
\ir sql/include/wait_until.psql
SET statement_timeout = '5s';
SELECT pg_temp.err($$SELECT privacy.rotate_key('regress_m')$$);
RESET statement_timeout;
-- a device is refused the same way
ALTER SYSTEM SET privacy.master_key_file = '/dev/zero';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''/dev/zero'''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.rotate_key('regress_m')$$);
ALTER SYSTEM SET privacy.master_key_file = '';
-- a command that never finishes is killed after privacy.master_key_command_timeout (38000)
ALTER SYSTEM SET privacy.master_key_command = 'sleep 59.5';
ALTER SYSTEM SET privacy.master_key_command_timeout = '300ms';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_command'') = ''sleep 59.5'' AND current_setting(''privacy.master_key_command_timeout'') = ''300ms'' AND current_setting(''privacy.master_key_file'') = '''''
\ir sql/include/wait_until.psql
SELECT pg_temp.err($$SELECT privacy.rotate_key('regress_m')$$);
-- and one still running when the statement is cancelled is killed (57014)
ALTER SYSTEM SET privacy.master_key_command = 'sleep 59.25';
ALTER SYSTEM SET privacy.master_key_command_timeout = '60s';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_command_timeout'') = ''1min'' AND current_setting(''privacy.master_key_command'') = ''sleep 59.25'''
\ir sql/include/wait_until.psql
-- (the cancel comes from another session a second later, as from a client;
-- statement_timeout's timer does not fire under the shifted clock of make
-- test's second pass)
\set ECHO none
SELECT format('COPY (SELECT 1) TO PROGRAM %L', format('cat >/dev/null; (sleep 1; psql -X -q -h %s -p %s -U %s -d %s '
	'-c "SELECT pg_cancel_backend(%s)") >/dev/null 2>&1 &', current_setting('unix_socket_directories'),
	current_setting('port'), session_user, current_database(), pg_backend_pid())) \gexec
\set ECHO all
\set VERBOSITY terse
SELECT privacy.rotate_key('regress_m');
\echo :SQLSTATE
\set VERBOSITY default
-- no key command is left running (COPY fails if it finds one). Only this
-- cluster's: a key command runs in the data directory (the backend's working
-- directory, kept by an orphan), so a process whose working directory is
-- another cluster's (a parallel run of this test elsewhere on the machine)
-- does not count; a machine-wide pgrep made this test fail for them (fpe3).
\set no_key_command 'cat >/dev/null; here=$(pwd -P); for p in $(pgrep -f "sleep 59\\.[25]"); do [ "$(readlink /proc/$p/cwd)" = "$here" ] && exit 1; done; exit 0'
SELECT format('COPY (SELECT 1) TO PROGRAM %L', :'no_key_command') AS no_key_command_copy \gset
:no_key_command_copy;
-- a decoy, as another cluster's key command would be (another working
-- directory): ignored
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; (cd / && exec sleep 59.5) >/dev/null 2>&1 & echo $! > regress_decoy.pid';
:no_key_command_copy;
-- positive control: the same command left running in this cluster's data
-- directory is found (38000)
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; (exec sleep 59.25) >/dev/null 2>&1 & echo $! > regress_own.pid';
SELECT split_part(pg_temp.err(:'no_key_command_copy'), ' ', 1) AS own_leftover_found;
-- stop the two processes this test started (by their pids), then nothing is left
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; for p in $(cat regress_decoy.pid) $(cat regress_own.pid); do kill $p; i=0; while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; done; rm -f regress_decoy.pid regress_own.pid';
SELECT pg_temp.err(:'no_key_command_copy') AS after_cleanup;
ALTER SYSTEM RESET privacy.master_key_command;
ALTER SYSTEM RESET privacy.master_key_command_timeout;
SELECT privacy.drop_key('regress_m');
-- back to the cluster's key file
ALTER SYSTEM RESET privacy.master_key_file;
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') NOT LIKE ''regress\\_%'' AND current_setting(''privacy.master_key_file'') <> '''' AND current_setting(''privacy.master_key_command'') = '''''
\ir sql/include/wait_until.psql
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f regress_0644.key regress_good.key regress_bad.key regress_fifo.key';
SELECT privacy.create_key('regress_after') AS works_again;

SELECT privacy.drop_key('regress_after');
SELECT privacy.drop_key('regress_nist');
SELECT count(*) AS regress_keys_left FROM privacy.keys WHERE name LIKE 'regress%';
DROP ROLE regress_tok_nobody;
