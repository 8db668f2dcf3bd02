-- tokenization_rotation (issue 20): key versions never collide and every
-- format rotates.
--  * card tokens carry (version - 1) mod 9: rotate_key refuses a version
--    whose slot a live version still holds (55000 with a hint), so a token
--    made under version 1 can never detokenize with version 10; the test
--    rotates past the 9 slots (retokenize, then drop_key_version frees the
--    slot) and checks every old token after every step;
--  * non-card formats record the version they use: rotate_key leaves them
--    alone, retokenize moves every column classified with the format (the
--    one named must be) and the format itself in one transaction, each
--    token exactly once; detokenize(token,
--    format, key_version) reads tokens whose version is kept in a column;
--  * drop_key_version: never the newest (55006), not a version a format
--    still uses unless force (55006), unknown version 42704, NULLs 22004,
--    admins only (42501);
--  * raw FPE refuses a token format's tweak (42501) for every format of the
--    key, in both directions, and audits fpe_decrypt like detokenize.
SET client_min_messages = warning;
CREATE ROLE regress_rot_nobody;
RESET client_min_messages;
SELECT privacy.audit_wait() AS audit_drained;
DELETE FROM privacy.audit_log;

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
-- card(i): a Luhn-valid 16-digit number
CREATE FUNCTION pg_temp.card(i int) RETURNS text LANGUAGE sql AS $$
	SELECT p || ((10 - sum(CASE WHEN (15 - k) % 2 = 0 THEN (CASE WHEN substr(p, k, 1)::int * 2 > 9
		THEN substr(p, k, 1)::int * 2 - 9 ELSE substr(p, k, 1)::int * 2 END) ELSE substr(p, k, 1)::int END) % 10) % 10)::text
	FROM (SELECT '4' || lpad((i * 7919 + 12345)::text, 14, '0') AS p) s, generate_series(1, 15) AS k GROUP BY p
$$;

SELECT privacy.create_key('default') AS v1;
SELECT count(*) AS luhn_valid_samples FROM generate_series(1, 20) i
WHERE privacy.tokenize(pg_temp.card(i), 'card') IS NOT NULL;
-- rot_cards keeps the tokens of every version side by side
CREATE TABLE rot_cards (value text, made_with int, token text);
-- wrong(): how many stored tokens do not detokenize to their own value
CREATE FUNCTION pg_temp.wrong() RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FILTER (WHERE privacy.detokenize(token, 'card') IS DISTINCT FROM value) FROM rot_cards
$$;
INSERT INTO rot_cards SELECT pg_temp.card(i), 1, privacy.tokenize(pg_temp.card(i), 'card') FROM generate_series(1, 20) i;
-- non-card tokens: an SSN column and a copy, both classified with the format later
CREATE TABLE rot_people (id int, ssn text, ssn_v int);
INSERT INTO rot_people SELECT i, privacy.tokenize(lpad((i * 104729)::text, 9, '0'), 'ssn'), 1 FROM generate_series(1, 20) i;
CREATE TABLE rot_ssn_plain AS SELECT id, lpad((id * 104729)::text, 9, '0') AS value FROM rot_people;
CREATE TABLE rot_ssn_copy AS SELECT id, ssn FROM rot_people;
CREATE TABLE rot_ssn_before AS SELECT id, ssn FROM rot_people; -- neither passed nor classified: not moved
SELECT privacy.classify('rot_ssn_copy', 'ssn', 'national_id', token_format => 'ssn');

-- versions 2..9: each one tokenizes the same cards; every token, old and new, detokenizes to its own value
DO $$
BEGIN
	FOR v IN 2..9 LOOP
		PERFORM privacy.rotate_key('default');
		INSERT INTO rot_cards SELECT value, v, privacy.tokenize(value, 'card') FROM rot_cards WHERE made_with = 1;
	END LOOP;
END $$;
SELECT max(version) AS newest, count(*) AS versions FROM privacy.keys WHERE name = 'default';
SELECT made_with, count(DISTINCT token) AS distinct_tokens,
	bool_and(privacy._token_key_version(token, 'card') = made_with) AS carries_version
FROM rot_cards GROUP BY made_with ORDER BY made_with;
SELECT pg_temp.wrong() AS wrong_after_v9;
-- version 10 would share slot 0 with the live version 1: refused, nothing changes
SELECT pg_temp.err($$SELECT privacy.rotate_key('default')$$);
SELECT pg_temp.err($$SELECT privacy.import_key('default', '\x000102030405060708090A0B0C0D0E0F')$$, '000102030405');
SELECT max(version) AS still_newest FROM privacy.keys WHERE name = 'default';
SELECT pg_temp.wrong() AS wrong_after_refusal;

-- non-card formats did not move with rotate_key: same tokens, still version 1
SELECT name, key_version FROM privacy.token_formats WHERE key_name = 'default' ORDER BY name;
SELECT count(*) FILTER (WHERE privacy.tokenize(s.value, 'ssn') = p.ssn) AS ssn_unchanged,
	count(*) FILTER (WHERE privacy.detokenize(p.ssn, 'ssn') = s.value) AS ssn_detokenize
FROM rot_people p JOIN rot_ssn_plain s USING (id);

-- drop_key_version: the newest, an unknown version, NULLs and non-admins are refused
SELECT pg_temp.err($$SELECT privacy.drop_key_version('default', 9)$$);
SELECT pg_temp.err($$SELECT privacy.drop_key_version('default', 42)$$);
SELECT pg_temp.err($$SELECT privacy.drop_key_version('regress_no_key', 1)$$);
SELECT pg_temp.err($$SELECT privacy.drop_key_version('default', NULL)$$);
GRANT SELECT ON rot_people TO regress_rot_nobody;
SET ROLE regress_rot_nobody;
SELECT pg_temp.err($$SELECT privacy.drop_key_version('default', 1)$$);
SELECT pg_temp.err($$SELECT privacy.detokenize(ssn, 'ssn', 1) FROM rot_people$$);
RESET ROLE;
-- version 1 is still used by the non-card formats: refused without force
SELECT pg_temp.err($$SELECT privacy.drop_key_version('default', 1)$$);

-- a column not classified with the format is refused (it could hold another
-- format's tokens, and the next move would miss it)
SELECT pg_temp.err($$SELECT privacy.retokenize('rot_people', 'ssn', 'ssn')$$);
SELECT privacy.classify('rot_people', 'ssn', 'national_id', token_format => 'ssn');

-- every token moves exactly once: a partitioned table whose partition is
-- classified as well (reached twice) and an inheritance child; a view over
-- the tokens is refused (its rows live elsewhere), and so is REPEATABLE READ
CREATE TABLE rot_part (id int, ssn text) PARTITION BY RANGE (id);
CREATE TABLE rot_part_1 PARTITION OF rot_part FOR VALUES FROM (1) TO (11);
CREATE TABLE rot_part_2 PARTITION OF rot_part FOR VALUES FROM (11) TO (21);
CREATE TABLE rot_child () INHERITS (rot_ssn_copy);
INSERT INTO rot_part SELECT id, privacy.tokenize(value, 'ssn') FROM rot_ssn_plain;
INSERT INTO rot_child SELECT id, privacy.tokenize(value, 'ssn') FROM rot_ssn_plain;
SELECT privacy.classify('rot_part', 'ssn', 'national_id', token_format => 'ssn');
SELECT privacy.classify('rot_part_1', 'ssn', 'national_id', token_format => 'ssn');
CREATE VIEW rot_view AS SELECT id, ssn FROM rot_people;
SELECT privacy.classify('rot_view', 'ssn', 'national_id', token_format => 'ssn');
SELECT pg_temp.err($$SELECT privacy.retokenize('rot_people', 'ssn', 'ssn')$$);
SELECT privacy.unclassify('rot_view', 'ssn');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.err($$SELECT privacy.retokenize('rot_people', 'ssn', 'ssn')$$);
ROLLBACK;
-- a BEFORE UPDATE trigger of a table that returns NULL for some rows
-- (they would keep tokens of the version the format no longer records):
-- refused (55000) and nothing moves, the format's version included (fpe3)
CREATE FUNCTION pg_temp.skip_even() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.id % 2 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$;
CREATE TRIGGER skip_even BEFORE UPDATE ON rot_ssn_copy FOR EACH ROW EXECUTE FUNCTION pg_temp.skip_even();
SELECT pg_temp.err($$SELECT privacy.retokenize('rot_people', 'ssn', 'ssn')$$);
SELECT name, key_version FROM privacy.token_formats WHERE name = 'ssn';
SELECT count(*) FILTER (WHERE p.ssn = b.ssn) AS unchanged FROM rot_people p JOIN rot_ssn_before b USING (id);
DROP TRIGGER skip_even ON rot_ssn_copy;
-- retokenize moves a non-card format: every column classified with the
-- format, and the format's version, in one transaction
SELECT privacy.retokenize('rot_people', 'ssn', 'ssn') AS ssn_moved;
SELECT name, key_version FROM privacy.token_formats WHERE name = 'ssn';
SELECT count(*) FILTER (WHERE p.ssn <> b.ssn) AS changed, count(*) FILTER (WHERE p.ssn = c.ssn) AS same_as_copy,
	count(*) FILTER (WHERE privacy.detokenize(p.ssn, 'ssn') = s.value) AS moved_detokenize,
	count(*) FILTER (WHERE privacy.tokenize(s.value, 'ssn') = p.ssn) AS new_tokens_equal_moved
FROM rot_people p JOIN rot_ssn_plain s USING (id) JOIN ONLY rot_ssn_copy c USING (id) JOIN rot_ssn_before b USING (id);
SELECT count(*) FILTER (WHERE privacy.detokenize(c.ssn, 'ssn') = s.value) AS classified_copy_moved_too
FROM ONLY rot_ssn_copy c JOIN rot_ssn_plain s USING (id);
SELECT (SELECT count(*) FROM rot_part p JOIN rot_ssn_plain s USING (id) WHERE privacy.detokenize(p.ssn, 'ssn') = s.value) AS partitions_moved_once,
	(SELECT count(*) FROM rot_child c JOIN rot_ssn_plain s USING (id) WHERE privacy.detokenize(c.ssn, 'ssn') = s.value) AS child_moved_once;
-- moving again changes nothing (the format records where it is)
SELECT privacy.retokenize('rot_people', 'ssn', 'ssn') AS ssn_moved_again;
-- tokens kept elsewhere (an export, a column nobody classified) stay at
-- version 1: read them with their version (a version column) while it lives
SELECT count(*) FILTER (WHERE privacy.detokenize(b.ssn, 'ssn', 1) = s.value) AS explicit_version_reads,
	count(*) FILTER (WHERE privacy.detokenize(p.ssn, 'ssn', 9) = s.value) AS explicit_newest_reads
FROM rot_ssn_before b JOIN rot_ssn_plain s USING (id) JOIN rot_people p USING (id);

-- free slot 0: move the card tokens to version 9, then shred version 1
-- (the other non-card formats hold no tokens here: force)
SELECT privacy.retokenize('rot_cards', 'token') AS cards_moved;
SELECT DISTINCT privacy._token_key_version(token, 'card') AS cards_at FROM rot_cards;
SELECT pg_temp.wrong() AS wrong_after_retokenize;
SET client_min_messages = error;
SELECT privacy.drop_key_version('default', 1, force => true);
RESET client_min_messages;
SELECT version FROM privacy.keys WHERE name = 'default' ORDER BY version;
-- now version 10 fits slot 0; version 11 would share slot 1 with version 2
SELECT privacy.rotate_key('default') AS v10;
SELECT pg_temp.err($$SELECT privacy.rotate_key('default')$$);
INSERT INTO rot_cards SELECT value, 10, privacy.tokenize(value, 'card') FROM rot_cards WHERE made_with = 1;
SELECT made_with, bool_and(privacy._token_key_version(token, 'card') = CASE made_with WHEN 10 THEN 10 ELSE 9 END) AS version_ok
FROM rot_cards WHERE made_with IN (1, 10) GROUP BY made_with ORDER BY made_with;
SELECT pg_temp.wrong() AS wrong_after_v10;
-- explicit versions must match the token's slot
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'card', 10) FROM rot_cards WHERE made_with = 9$$);
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'card', 1) FROM rot_cards WHERE made_with = 9$$);
SELECT count(*) AS explicit_card_reads FROM rot_cards
WHERE made_with = 10 AND privacy.detokenize(token, 'card', 10) = value;
-- round 2: everything to 10, versions 2..9 shredded, rotate up to 18;
-- 19 needs version 10 gone: move to 18, shred 10, then 19 fits
-- batches read a table forward from where the last one ended (a TID
-- range): besides the UPDATE of each batch (which may scan a table this
-- small) the only full scans are the final ones that look for rows written
-- behind the forward pass; a read from the first page per batch (quadratic
-- on large tables) made one more full scan per batch: 159 here, 84 now
CREATE TABLE rot_many AS SELECT r.token FROM rot_cards r, generate_series(1, 40) g WHERE r.made_with = 9;
SELECT count(*) AS rows_to_move FROM rot_many;
BEGIN;
SELECT seq_scan AS scans0 FROM pg_stat_xact_user_tables WHERE relid = 'rot_many'::regclass \gset
SELECT privacy.retokenize('rot_many', 'token', batch_size => 10) AS many_moved;
SELECT seq_scan - :scans0 < 120 AS no_full_read_per_batch FROM pg_stat_xact_user_tables WHERE relid = 'rot_many'::regclass;
COMMIT;
SELECT count(*) AS at_10 FROM rot_many WHERE privacy._token_key_version(token, 'card') = 10;
DROP TABLE rot_many;
SELECT privacy.retokenize('rot_cards', 'token') AS cards_moved_to_10;
SELECT privacy.retokenize('rot_people', 'ssn', 'ssn') AS ssn_moved_to_10;
SET client_min_messages = error;
SELECT count(privacy.drop_key_version('default', v, force => true)) AS shredded FROM generate_series(2, 9) v;
RESET client_min_messages;
DO $$ BEGIN FOR v IN 11..18 LOOP PERFORM privacy.rotate_key('default'); END LOOP; END $$;
SELECT pg_temp.err($$SELECT privacy.rotate_key('default')$$);
SELECT pg_temp.wrong() AS wrong_at_18;
SELECT privacy.retokenize('rot_cards', 'token') AS cards_moved_to_18;
SELECT privacy.retokenize('rot_people', 'ssn', 'ssn') AS ssn_moved_to_18;
SET client_min_messages = error;
SELECT privacy.drop_key_version('default', 10, force => true);
RESET client_min_messages;
SELECT privacy.rotate_key('default') AS v19;
SELECT min(version), max(version), count(*) FROM privacy.keys WHERE name = 'default';
INSERT INTO rot_cards SELECT value, 19, privacy.tokenize(value, 'card') FROM rot_cards WHERE made_with = 1;
SELECT privacy._token_key_version(token, 'card') AS version, count(*) FROM rot_cards GROUP BY 1 ORDER BY 1;
SELECT pg_temp.wrong() AS wrong_after_v19;
SELECT count(*) FILTER (WHERE privacy.detokenize(p.ssn, 'ssn') = s.value) AS ssn_still_detokenize
FROM rot_people p JOIN rot_ssn_plain s USING (id);

-- raw FPE cannot read or forge a format's tokens: every format name of the
-- key is a reserved tweak, in both directions; other tweaks and FF3-1 work
CREATE TABLE rot_raw AS SELECT 'card'::text AS f UNION ALL SELECT name FROM privacy.token_formats WHERE key_name = 'default';
SELECT f, pg_temp.err(format($$SELECT privacy.fpe_decrypt('0123456789', 'default', tweak => %L::bytea)$$, f)) AS decrypt,
	pg_temp.err(format($$SELECT privacy.fpe_encrypt('0123456789', 'default', tweak => %L::bytea)$$, f)) AS encrypt
FROM (SELECT DISTINCT f FROM rot_raw) s ORDER BY f;
-- the attack of the issue: an SSN token's digits under tweak 'ssn'
SELECT pg_temp.err($$SELECT privacy.fpe_decrypt(replace(ssn, '-', ''), 'default', tweak => 'ssn', key_version => 10) FROM rot_people LIMIT 1$$);
SELECT privacy.fpe_decrypt(privacy.fpe_encrypt('0123456789', 'default', tweak => 'ssnx'), 'default', tweak => 'ssnx') AS other_tweak,
	privacy.fpe_decrypt(privacy.fpe_encrypt('0123456789', 'default', tweak => '\x73736e0000000a', mode => 'ff3-1'), 'default',
	                    tweak => '\x73736e0000000a', mode => 'ff3-1') AS ff3_1;
-- a format's name on another key is an ordinary tweak there
SELECT privacy.create_key('regress_raw');
SELECT privacy.fpe_decrypt(privacy.fpe_encrypt('0123456789', 'regress_raw', tweak => 'ssn'), 'regress_raw', tweak => 'ssn') AS ssn_tweak_other_key;
-- fpe_decrypt is audited (one row per statement and key) and refused in read-only transactions
SELECT privacy.audit_wait() AS audit_drained;
DELETE FROM privacy.audit_log;
SELECT count(privacy.fpe_decrypt(lpad(i::text, 10, '0'), 'regress_raw')) FROM generate_series(1, 3) i;
SELECT privacy.audit_wait() AS audit_drained;
SELECT action, format, value_count FROM privacy.audit_log WHERE value_count IS NOT NULL ORDER BY format;
BEGIN READ ONLY;
SELECT pg_temp.err($$SELECT privacy.fpe_decrypt('0123456789', 'regress_raw')$$);
ROLLBACK;
-- a PARALLEL SAFE wrapper cannot move detokenize or fpe_decrypt into a
-- parallel worker, whose audit counts would be lost (0A000); positive
-- control: the same calls without parallelism work and are audited
CREATE FUNCTION pg_temp.raw_w(v text) RETURNS text LANGUAGE plpgsql PARALLEL SAFE AS $$ BEGIN RETURN privacy.fpe_decrypt(v, 'regress_raw'); END $$;
CREATE FUNCTION pg_temp.detok_w(v text) RETURNS text LANGUAGE plpgsql PARALLEL SAFE AS $$ BEGIN RETURN privacy.detokenize(v, 'ssn'); END $$;
CREATE TABLE rot_par AS SELECT lpad(i::text, 10, '0') AS v, privacy.tokenize(lpad(i::text, 9, '0'), 'ssn') AS s FROM generate_series(1, 50) i;
SELECT privacy.audit_wait() AS audit_drained;
DELETE FROM privacy.audit_log;
BEGIN;
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_leader_participation = off;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT pg_temp.err($$SELECT count(pg_temp.raw_w(v)) FROM rot_par$$);
SELECT pg_temp.err($$SELECT count(pg_temp.detok_w(s)) FROM rot_par$$);
ROLLBACK;
SELECT count(pg_temp.raw_w(v)) AS raw_serial, count(pg_temp.detok_w(s)) AS detokenized_serial FROM rot_par;
SELECT privacy.audit_wait() AS audit_drained;
SELECT format, value_count FROM privacy.audit_log WHERE value_count IS NOT NULL ORDER BY format;
DROP TABLE rot_par;
SELECT privacy.drop_key('regress_raw');

-- a new custom format starts on its key's newest version, so shredding
-- older versions does not touch it
SELECT privacy.create_key('regress_fmt');
SELECT privacy.rotate_key('regress_fmt'), privacy.rotate_key('regress_fmt');
SELECT privacy.create_token_format('regress_ref', '0123456789ABCDEF', 'regress_fmt');
SELECT name, key_version FROM privacy.token_formats WHERE name = 'regress_ref';
SELECT privacy.tokenize('00AB12CD', 'regress_ref') AS t \gset
SET client_min_messages = error;
SELECT privacy.drop_key_version('regress_fmt', 1), privacy.drop_key_version('regress_fmt', 2);
RESET client_min_messages;
SELECT privacy.detokenize(:'t', 'regress_ref') AS still_reads;
SELECT privacy.drop_token_format('regress_ref');
SELECT count(*) AS version_row_left FROM privacy._token_format_version WHERE format = 'regress_ref';
SET client_min_messages = error;
SELECT privacy.drop_key('regress_fmt');
RESET client_min_messages;

-- drop_key forgets the format versions: a key created again starts at version 1
SET client_min_messages = error;
SELECT privacy.drop_key('default', force => true);
RESET client_min_messages;
SELECT count(*) AS format_versions_left FROM privacy._token_format_version;
SELECT privacy.create_key('default') AS recreated;
SELECT name, key_version FROM privacy.token_formats WHERE name IN ('card', 'ssn') ORDER BY name;
SELECT privacy.detokenize(privacy.tokenize('123-45-6789', 'ssn'), 'ssn') AS ssn_round_trip;

-- clean up
SELECT privacy.unclassify('rot_ssn_copy', 'ssn'), privacy.unclassify('rot_part', 'ssn'), privacy.unclassify('rot_part_1', 'ssn'),
	privacy.unclassify('rot_people', 'ssn');
DROP VIEW rot_view;
DROP TABLE rot_part, rot_child, rot_cards, rot_people, rot_ssn_plain, rot_ssn_copy, rot_ssn_before, rot_raw;
SET client_min_messages = error;
SELECT privacy.drop_key('default', force => true);
RESET client_min_messages;
SELECT privacy.audit_wait() AS audit_drained;
DELETE FROM privacy.audit_log;
DROP ROLE regress_rot_nobody;
