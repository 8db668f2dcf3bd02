-- tokenization_master_keys (issue 20): master-key rotation and the wrapped
-- masking secret. Every wrapped data key and the masking secret record the
-- id of the master key that wraps them (16 hex characters, never the key);
-- the masking secret is stored wrapped (72 bytes), not in clear;
-- privacy.rewrap_keys() moves every data key and the masking secret to a new
-- master key (the old one supplied by privacy.previous_master_key_file) with
-- every token and pseudonym unchanged, is all or nothing (a key that cannot
-- be unwrapped refuses the whole rewrap with 55000 and changes nothing), is
-- audited and superuser-only (42501 for another role, also through a
-- superuser's SECURITY DEFINER function); the previous-key settings
-- cannot be set by anyone else; once the old master key is gone, keys and the
-- secret wrapped only under it fail with 55000 and a hint (a dump restored
-- under another master key); import_key reads material from a file or a
-- command so that it never appears in a query text. No message contains key
-- material.
SET client_min_messages = warning;
CREATE ROLE regress_mk_nobody;
RESET client_min_messages;

-- err(query, secret, with_hint): SQLSTATE and message (and hint) of query's
-- error, LEAK appended when message, detail or hint contain secret (a
-- function of its own, not pg_temp: the sessions change with \c)
CREATE FUNCTION regress_mk_err(q text, secret text DEFAULT NULL, with_hint boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	-- master key ids are random per cluster: shown as <id>
	RETURN st || ' ' || regexp_replace(msg, '[0-9a-f]{16}', '<id>', 'g')
		|| CASE WHEN with_hint THEN E'\nHINT: ' || hnt ELSE '' END
		|| CASE WHEN secret IS NOT NULL AND position(lower(secret) IN lower(concat(msg, det, hnt))) > 0
		THEN ' LEAK' ELSE '' END;
END $$;

-- The cluster's master key file, and two more keys, in the data directory.
SELECT current_setting('privacy.master_key_file') AS cluster_key \gset
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; umask 077; printf "%064d\n" 1 > regress_mk_new.key; printf "%064d\n" 2 > regress_mk_third.key; printf "%032x\n" 3 > regress_mk_material.key';

-- Keys and the secret record the master key's id; the secret is wrapped.
SELECT privacy.create_key('regress_a') AS a, privacy.rotate_key('regress_a') AS a2, privacy.create_key('regress_b') AS b;
SELECT count(*) AS versions, count(DISTINCT master_key_id) AS ids, bool_and(master_key_id ~ '^[0-9a-f]{16}$') AS id_shape
FROM privacy.keys WHERE name LIKE 'regress%';
SELECT octet_length(secret) AS secret_bytes,
	master_key_id = (SELECT master_key_id FROM privacy.keys WHERE name = 'regress_a' AND version = 1) AS same_id
FROM privacy._masking_secret;

-- What must not change: tokens of both versions, pseudonyms, noise.
CREATE TABLE regress_mk_vals AS
SELECT privacy.pseudonym('alice') AS p, privacy.shift_date('2020-01-01'::date, 30) AS d,
	privacy.fpe_encrypt('0123456789', 'regress_a', key_version => 1) AS t1,
	privacy.fpe_encrypt('0123456789', 'regress_a', key_version => 2) AS t2,
	privacy.fpe_encrypt('0123456789', 'regress_b') AS tb;

-- Only superusers may re-wrap or name a previous master key.
SET ROLE regress_mk_nobody;
SELECT regress_mk_err($$SELECT privacy.rewrap_keys()$$);
SELECT regress_mk_err($$SET privacy.previous_master_key_file = '/tmp/attacker.key'$$);
SELECT regress_mk_err($$SET privacy.previous_master_key_command = 'cat /tmp/attacker.key'$$);
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x', material_file => 'regress_mk_material.key')$$);
RESET ROLE;
-- a superuser's SECURITY DEFINER function does not lend its rights
CREATE FUNCTION regress_mk_rewrap() RETURNS integer LANGUAGE sql SECURITY DEFINER AS 'SELECT privacy.rewrap_keys()';
GRANT EXECUTE ON FUNCTION regress_mk_rewrap() TO regress_mk_nobody;
SET ROLE regress_mk_nobody;
SELECT regress_mk_err($$SELECT regress_mk_rewrap()$$);
RESET ROLE;
DROP FUNCTION regress_mk_rewrap();
-- positive control: the superuser may; nothing to move yet
SELECT privacy.rewrap_keys() AS nothing_to_move;

-- Rotation, step 1: the new key becomes the master key, the old one the
-- previous master key. Keys wrapped under the old one still read.
ALTER SYSTEM SET privacy.master_key_file = 'regress_mk_new.key';
\set ECHO none
SELECT format('ALTER SYSTEM SET privacy.previous_master_key_file = %L', :'cluster_key') \gexec
\set ECHO all
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_mk_new.key'' AND current_setting(''privacy.previous_master_key_file'') <> '''''
\ir sql/include/wait_until.psql
\c
SELECT privacy.pseudonym('alice') = p AS pseudonym_reads, privacy.fpe_encrypt('0123456789', 'regress_a', key_version => 1) = t1 AS v1_reads
FROM regress_mk_vals;
-- step 2: re-wrap (3 key versions and the masking secret), then again: nothing left
SELECT privacy.rewrap_keys() AS rewrapped;
SELECT privacy.rewrap_keys() AS rewrapped_again;
SELECT count(DISTINCT master_key_id) AS ids, bool_and(master_key_id = (SELECT master_key_id FROM privacy._masking_secret)) AS all_on_secret_id
FROM privacy.keys WHERE name LIKE 'regress%';
-- audited: every key version updated, the secret's move with its ids
SELECT action, object, regexp_replace(old_definition, '[0-9a-f]{16}', '<id>') AS old_definition,
	regexp_replace(new_definition, '[0-9a-f]{16}', '<id>') AS new_definition
FROM privacy.audit_log
WHERE (action = 'update key' AND old_definition ~ '^name=regress_[ab],') OR action = 'rewrap masking_secret'
ORDER BY action, old_definition;
-- step 3: the old master key is no longer configured; everything reads, unchanged
ALTER SYSTEM RESET privacy.previous_master_key_file;
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.previous_master_key_file'') = '''''
\ir sql/include/wait_until.psql
\c
SELECT privacy.pseudonym('alice') = p AS pseudonym_same, privacy.shift_date('2020-01-01'::date, 30) = d AS shift_same,
	privacy.fpe_encrypt('0123456789', 'regress_a', key_version => 1) = t1 AS v1_same,
	privacy.fpe_encrypt('0123456789', 'regress_a', key_version => 2) = t2 AS v2_same,
	privacy.fpe_decrypt(tb, 'regress_b') AS b_decrypts
FROM regress_mk_vals;

-- All or nothing: with a third master key, one damaged key refuses the
-- whole rewrap (55000) and nothing moves.
ALTER SYSTEM SET privacy.master_key_file = 'regress_mk_third.key';
ALTER SYSTEM SET privacy.previous_master_key_file = 'regress_mk_new.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_mk_third.key'' AND current_setting(''privacy.previous_master_key_file'') = ''regress_mk_new.key'''
\ir sql/include/wait_until.psql
\c
SELECT master_key_id AS new_id FROM privacy._masking_secret \gset
UPDATE privacy._key SET wrapped = set_byte(wrapped, 40, get_byte(wrapped, 40) # 1) WHERE name = 'regress_b';
SELECT regress_mk_err($$SELECT privacy.rewrap_keys()$$);
SELECT count(*) FILTER (WHERE master_key_id = :'new_id') AS still_on_old, count(*) AS versions
FROM privacy.keys WHERE name LIKE 'regress%';
SELECT master_key_id = :'new_id' AS secret_not_moved FROM privacy._masking_secret;
-- positive control: repaired, the same rewrap moves everything
UPDATE privacy._key SET wrapped = set_byte(wrapped, 40, get_byte(wrapped, 40) # 1) WHERE name = 'regress_b';
SELECT privacy.rewrap_keys() AS rewrapped;

-- The old master key destroyed (no previous key configured): what is wrapped
-- only under another master key cannot be read (a dump restored under the
-- wrong master key looks like this): 55000 with a hint, no key bytes.
ALTER SYSTEM SET privacy.master_key_file = 'regress_mk_new.key';
ALTER SYSTEM RESET privacy.previous_master_key_file;
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_mk_new.key'' AND current_setting(''privacy.previous_master_key_file'') = '''''
\ir sql/include/wait_until.psql
\c
SELECT regress_mk_err($$SELECT privacy.pseudonym('alice')$$, repeat('0', 63) || '2');
SELECT regress_mk_err($$SELECT privacy.fpe_encrypt('0123456789', 'regress_a')$$, repeat('0', 63) || '2');
SELECT regress_mk_err($$SELECT privacy.rewrap_keys()$$, with_hint => true);

-- Back to the third key; then the cluster's own key, by one more rotation.
ALTER SYSTEM SET privacy.master_key_file = 'regress_mk_third.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.master_key_file'') = ''regress_mk_third.key'''
\ir sql/include/wait_until.psql
\c
SELECT privacy.pseudonym('alice') = p AS pseudonym_same FROM regress_mk_vals;

-- import_key from a file and from a command (the material, 128 bits of hex,
-- never appears in a statement); the same key as a bytea import gives the
-- same results.
SELECT privacy.import_key('regress_file', material_file => 'regress_mk_material.key') AS from_file;
SELECT privacy.import_key('regress_cmd', material_command => 'cat regress_mk_material.key') AS from_command;
BEGIN;
SET LOCAL log_statement = 'none';
SELECT privacy.import_key('regress_lit', '\x00000000000000000000000000000003') AS from_literal;
COMMIT;
SELECT count(DISTINCT privacy.fpe_encrypt('0123456789', k)) AS distinct_results
FROM unnest(ARRAY['regress_file', 'regress_cmd', 'regress_lit']) k;
SELECT algorithm FROM privacy.keys WHERE name = 'regress_file';
-- exactly one source; bad sources fail clearly and echo nothing
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x')$$);
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x', '\x00000000000000000000000000000003', material_file => 'regress_mk_material.key')$$);
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x', material_file => 'regress_mk_material.key', material_command => 'true')$$);
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x', material_file => 'regress_mk_none.key')$$);
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x', material_command => 'echo 0011')$$, '0011');
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x', material_command => 'exit 4')$$);
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; chmod 644 regress_mk_material.key';
SELECT regress_mk_err($$SELECT privacy.import_key('regress_x', material_file => 'regress_mk_material.key')$$);
SELECT count(*) AS no_partial_import FROM privacy.keys WHERE name = 'regress_x';

-- back to the cluster's key: rotate to it
\set ECHO none
SELECT format('ALTER SYSTEM SET privacy.master_key_file = %L', :'cluster_key') \gexec
\set ECHO all
ALTER SYSTEM SET privacy.previous_master_key_file = 'regress_mk_third.key';
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.previous_master_key_file'') = ''regress_mk_third.key'' AND current_setting(''privacy.master_key_file'') NOT LIKE ''regress\\_%'''
\ir sql/include/wait_until.psql
\c
SELECT privacy.rewrap_keys() AS rewrapped;
ALTER SYSTEM RESET privacy.previous_master_key_file;
ALTER SYSTEM RESET privacy.master_key_file;
SELECT pg_reload_conf();
\set wait_cond 'current_setting(''privacy.previous_master_key_file'') = '''' AND current_setting(''privacy.master_key_file'') NOT LIKE ''regress\\_%'''
\ir sql/include/wait_until.psql
\c
SELECT privacy.pseudonym('alice') = p AS pseudonym_same, privacy.fpe_decrypt(tb, 'regress_b') AS b_decrypts FROM regress_mk_vals;
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f regress_mk_new.key regress_mk_third.key regress_mk_material.key';

DROP TABLE regress_mk_vals;
SELECT privacy.drop_key(k) FROM unnest(ARRAY['regress_a', 'regress_b', 'regress_file', 'regress_cmd', 'regress_lit']) k;
DROP ROLE regress_mk_nobody;
DROP FUNCTION regress_mk_err(text, text, boolean);
