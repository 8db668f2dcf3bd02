-- tokenization_type: privacy.card_token. Its input only validates (12-19
-- digits, separators dropped, must fail the Luhn check, so a real card
-- number is refused) and never tokenizes: a value read back in (cast, COPY
-- text and binary) is unchanged. The type has btree and hash opclasses
-- (index scans, hash joins, DISTINCT, GROUP BY), LEAKPROOF comparators, and
-- its input errors do not echo the value.
SET search_path = public, privacy;
SELECT privacy.create_key('default') AS default_key;

-- input: tokens are accepted (separators dropped); card numbers and junk are refused
SELECT '0109 0523 7446 1111'::privacy.card_token AS with_spaces, '0109-0523-7446-1111'::privacy.card_token AS with_dashes;
SELECT ('4111' || '111111111111')::privacy.card_token;
\echo :SQLSTATE
SELECT '12345'::privacy.card_token;
\echo :SQLSTATE
SELECT '4111x1111111111a'::privacy.card_token;
\echo :SQLSTATE
SELECT '12345678901234567890'::privacy.card_token;
\echo :SQLSTATE
SELECT ''::privacy.card_token;
\echo :SQLSTATE
-- the input cannot tell a Luhn-invalid number from a token, which is why it never tokenizes
SELECT '4111111111111112'::privacy.card_token AS accepted_unchanged;

CREATE TABLE tok_people (id int PRIMARY KEY, card text, card_tok privacy.card_token);
INSERT INTO tok_people
SELECT n, c, privacy.tokenize(c, 'card')
FROM (SELECT n, p || (10 - (SELECT sum(CASE WHEN (16 - i) % 2 = 1 THEN
		(CASE WHEN substr(p, i, 1)::int * 2 > 9 THEN substr(p, i, 1)::int * 2 - 9 ELSE substr(p, i, 1)::int * 2 END)
		ELSE substr(p, i, 1)::int END) FROM generate_series(1, 15) i) % 10) % 10 AS c
	FROM (SELECT n, (400000000000000 + n * 7919)::text AS p FROM generate_series(1, 2000) n) s) cards;
-- the column holds exactly the tokens (no second tokenization on assignment)
SELECT count(*) FILTER (WHERE card_tok::text = privacy.tokenize(card, 'card')) AS equal_tokens,
	count(*) FILTER (WHERE privacy.detokenize(card_tok, 'card') = card) AS detokenize_back, count(*) AS total
FROM tok_people;
-- a cast round trip through text changes nothing
SELECT count(*) AS changed_by_cast FROM tok_people WHERE card_tok::text::privacy.card_token <> card_tok;
UPDATE tok_people SET card_tok = card_tok::text;
SELECT count(*) FILTER (WHERE card_tok::text = privacy.tokenize(card, 'card')) AS unchanged_after_update FROM tok_people;

-- btree index
CREATE INDEX tok_people_card_tok ON tok_people (card_tok);
ANALYZE tok_people;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM tok_people WHERE card_tok = '0109052374461111';
SELECT id FROM tok_people WHERE card_tok = (SELECT card_tok FROM tok_people WHERE id = 42);
RESET enable_seqscan;
CREATE UNIQUE INDEX tok_people_card_tok_unique ON tok_people (card_tok);
SELECT count(*) FROM (SELECT DISTINCT card_tok FROM tok_people) d;

-- hash join (and merge join) on the token type
CREATE TABLE tok_orders AS SELECT id AS order_id, card_tok FROM tok_people WHERE id % 3 = 0;
ANALYZE tok_orders;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM tok_people p JOIN tok_orders o ON p.card_tok = o.card_tok;
SELECT count(*) AS hash_joined FROM tok_people p JOIN tok_orders o ON p.card_tok = o.card_tok;
RESET enable_mergejoin;
SET enable_hashjoin = off;
SELECT count(*) AS merge_joined FROM tok_people p JOIN tok_orders o ON p.card_tok = o.card_tok;
RESET enable_hashjoin;
RESET enable_nestloop;
SELECT count(*) AS groups FROM (SELECT card_tok FROM tok_people GROUP BY card_tok) g;
CREATE TABLE tok_parted (card_tok privacy.card_token) PARTITION BY HASH (card_tok);
CREATE TABLE tok_parted_0 PARTITION OF tok_parted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE tok_parted_1 PARTITION OF tok_parted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO tok_parted SELECT card_tok FROM tok_people;
SELECT count(*) > 0 AND count(*) < 2000 AS spread FROM tok_parted_0;

-- COPY out and in (text and binary): tokens come back unchanged
CREATE TEMP TABLE tok_copy (LIKE tok_people);
COPY tok_people TO '/tmp/pg_privacy_tok_people.copy';
COPY tok_copy FROM '/tmp/pg_privacy_tok_people.copy';
SELECT count(*) AS differing_after_text_copy FROM tok_people p JOIN tok_copy c USING (id) WHERE p.card_tok <> c.card_tok;
TRUNCATE tok_copy;
COPY tok_people TO '/tmp/pg_privacy_tok_people.bin' (FORMAT binary);
COPY tok_copy FROM '/tmp/pg_privacy_tok_people.bin' (FORMAT binary);
SELECT count(*) AS equal_after_binary_copy, count(*) FILTER (WHERE privacy.detokenize(c.card_tok, 'card') = c.card) AS detokenize
FROM tok_people p JOIN tok_copy c USING (id) WHERE p.card_tok = c.card_tok;
-- COPY of a real card number into the token column is refused; the message does not echo it (the
-- CONTEXT line, sent to the client that sent the row, is kept out of the server log)
COPY (SELECT 1, '4012888888881881', '4012888888881881') TO '/tmp/pg_privacy_tok_bad.copy';
\set VERBOSITY default
COPY tok_copy FROM '/tmp/pg_privacy_tok_bad.copy';
\set VERBOSITY terse
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f /tmp/pg_privacy_tok_people.copy /tmp/pg_privacy_tok_people.bin /tmp/pg_privacy_tok_bad.copy';

-- comparisons resolve to the card_token operators whatever the search_path
-- (they live in pg_catalog): an index on the column is used without schema
-- privacy on the path, and nothing falls back to comparing text
CREATE FUNCTION pg_temp.plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		RETURN NEXT regexp_replace(line, '''[0-9]+''', '''<token>''');
	END LOOP;
END $$;
SET search_path = public;
SET enable_seqscan = off;
SELECT pg_temp.plan(format('SELECT id FROM tok_people WHERE card_tok = %L', card_tok))
FROM (SELECT card_tok FROM tok_people ORDER BY id LIMIT 1) t;
SELECT o.oprnamespace::regnamespace AS schema, o.oprleft::regtype AS left_type, count(*) AS operators
FROM pg_operator o WHERE o.oprleft = 'privacy.card_token'::regtype GROUP BY 1, 2;
RESET enable_seqscan;
SET search_path = public, privacy;

-- labels: comparison and hash functions are LEAKPROOF; I/O is immutable
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof
FROM pg_proc p WHERE p.pronamespace = 'privacy'::regnamespace AND p.proname LIKE 'card_token%' ORDER BY p.proname;
SELECT opcname, amname, opcdefault FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE c.opcnamespace = 'privacy'::regnamespace ORDER BY opcname;

DROP TABLE tok_people, tok_orders, tok_parted;
SELECT privacy.drop_key('default', force => true);
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
