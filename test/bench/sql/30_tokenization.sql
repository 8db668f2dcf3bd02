-- 30_tokenization.sql: privacy.tokenize(v, 'card') over 1,000,000 card
-- numbers vs md5(v) over the same rows (target <= 2x); the set-based form
-- privacy.tokenize(text[], 'card') (the batch path, arrays of 10,000 values)
-- vs the scalar form over the same rows, and the tokenizing INSERT ... SELECT
-- both ways (issue 19). The card format
-- accepts only Luhn-valid numbers, so bench.cards holds bench.people.card
-- with its last digit replaced by the Luhn check digit (computed once here).
SELECT privacy.create_key('default') WHERE NOT EXISTS (SELECT FROM privacy.keys WHERE name = 'default');
CREATE TABLE bench.cards AS
SELECT id, left(card, 15) || (10 - (
	(substr(card, 15, 1)::int * 2) / 10 + (substr(card, 15, 1)::int * 2) % 10 + substr(card, 14, 1)::int +
	(substr(card, 13, 1)::int * 2) / 10 + (substr(card, 13, 1)::int * 2) % 10 + substr(card, 12, 1)::int +
	(substr(card, 11, 1)::int * 2) / 10 + (substr(card, 11, 1)::int * 2) % 10 + substr(card, 10, 1)::int +
	(substr(card, 9, 1)::int * 2) / 10 + (substr(card, 9, 1)::int * 2) % 10 + substr(card, 8, 1)::int +
	(substr(card, 7, 1)::int * 2) / 10 + (substr(card, 7, 1)::int * 2) % 10 + substr(card, 6, 1)::int +
	(substr(card, 5, 1)::int * 2) / 10 + (substr(card, 5, 1)::int * 2) % 10 + substr(card, 4, 1)::int +
	(substr(card, 3, 1)::int * 2) / 10 + (substr(card, 3, 1)::int * 2) % 10 + substr(card, 2, 1)::int +
	(substr(card, 1, 1)::int * 2) / 10 + (substr(card, 1, 1)::int * 2) % 10) % 10) % 10 AS card
FROM bench.people;
VACUUM ANALYZE bench.cards;
SET max_parallel_workers_per_gather = 0;
SELECT * FROM bench.ratio('tokenize card (1M rows) vs md5',
	'SELECT count(privacy.tokenize(card, ''card'')) FROM bench.cards',
	'SELECT count(md5(card)) FROM bench.cards', 3);
SELECT * FROM bench.ratio('detokenize card (100k rows) vs md5',
	'SELECT count(privacy.detokenize(t, ''card'')) FROM (SELECT privacy.tokenize(card, ''card'') AS t FROM bench.cards WHERE id <= 100000) s',
	'SELECT count(md5(md5(card))) FROM bench.cards WHERE id <= 100000', 3);
-- the batch path: the same 1M values in arrays of 10,000; the baseline
-- differs only in calling the scalar form on the unnested values
SELECT * FROM bench.ratio('tokenize(text[]) batch path vs tokenize(text), card (1M values, arrays of 10,000)',
	'SELECT count(t) FROM (SELECT array_agg(card) AS a FROM bench.cards GROUP BY id / 10000) s, unnest(privacy.tokenize(s.a, ''card'')) t',
	'SELECT count(privacy.tokenize(t, ''card'')) FROM (SELECT array_agg(card) AS a FROM bench.cards GROUP BY id / 10000) s, unnest(s.a) t', 5);
-- what the batch path costs on top of building and unnesting the arrays
SELECT * FROM bench.ratio('the same batch query vs that query without tokenize (arrays built and unnested only)',
	'SELECT count(t) FROM (SELECT array_agg(card) AS a FROM bench.cards GROUP BY id / 10000) s, unnest(privacy.tokenize(s.a, ''card'')) t',
	'SELECT count(t) FROM (SELECT array_agg(card) AS a FROM bench.cards GROUP BY id / 10000) s, unnest(s.a) t', 5);
-- a tokenizing INSERT of values that arrive as arrays (a batch insert's bind
-- parameters), 100 arrays of 10,000: the array form vs the scalar form on
-- the unnested elements
CREATE UNLOGGED TABLE bench.tok_insert (id bigint, token text);
CREATE TABLE bench.card_batches AS
SELECT array_agg(id ORDER BY id) AS ids, array_agg(card ORDER BY id) AS cards FROM bench.cards GROUP BY id / 10000;
SELECT * FROM bench.ratio('INSERT 1M card tokens from arrays of 10,000: tokenize(text[]) vs tokenize(text) per element',
	'TRUNCATE bench.tok_insert; INSERT INTO bench.tok_insert SELECT u.* FROM bench.card_batches b, unnest(b.ids, privacy.tokenize(b.cards, ''card'')) AS u',
	'TRUNCATE bench.tok_insert; INSERT INTO bench.tok_insert SELECT u.id, privacy.tokenize(u.card, ''card'') FROM bench.card_batches b, unnest(b.ids, b.cards) AS u(id, card)', 3);
SELECT * FROM bench.ratio('INSERT ... SELECT 1M card tokens from a table: grouped into arrays vs scalar form',
	'TRUNCATE bench.tok_insert; INSERT INTO bench.tok_insert SELECT b.id, b.token FROM (SELECT array_agg(id) AS ids, array_agg(card) AS cards FROM bench.cards GROUP BY id / 10000) s, unnest(s.ids, privacy.tokenize(s.cards, ''card'')) AS b(id, token)',
	'TRUNCATE bench.tok_insert; INSERT INTO bench.tok_insert SELECT id, privacy.tokenize(card, ''card'') FROM bench.cards', 3);
DROP TABLE bench.tok_insert, bench.card_batches;
RESET max_parallel_workers_per_gather;
