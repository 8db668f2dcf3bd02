-- masking_writes: no real data is ever lost through masking. A masked role's
-- INSERT, UPDATE or MERGE that would write a value derived from a masked
-- column (directly, through subqueries, CTEs, joins, set operations or
-- functions) is refused with 42501 before anything is written; writes of
-- explicit values, and reads of masked columns in WHERE, keep working.
-- RETURNING shows masked values.
CREATE SCHEMA mw;
CREATE TABLE mw.account (id int PRIMARY KEY, note text, secret text UNIQUE, owner_name text);
INSERT INTO mw.account VALUES (1, 'n1', 'CANARY-' || 'D0000001', 'Ann'), (2, 'n2', 'CANARY-' || 'D0000002', 'Bob');
CREATE TABLE mw.archive (id int, secret text);
SELECT privacy.mask_column('mw.account', 'secret', 'privacy.redact(secret)');
CREATE ROLE mw_writer;
GRANT USAGE ON SCHEMA mw TO mw_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON mw.account, mw.archive TO mw_writer;
SET ROLE mw_writer;
-- refused: the masked value would replace real data
UPDATE mw.account SET secret = secret;
\echo :LAST_ERROR_SQLSTATE
UPDATE mw.account SET note = secret WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE mw.account SET note = upper(secret) || '!' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO mw.archive SELECT id, secret FROM mw.account;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO mw.archive SELECT id, s FROM (SELECT id, secret AS s FROM mw.account) sub;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO mw.archive WITH c AS (SELECT id, secret FROM mw.account) SELECT * FROM c;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO mw.archive SELECT 1, 'x' UNION ALL SELECT id, secret FROM mw.account;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO mw.archive SELECT a.id, j.secret FROM mw.account a JOIN mw.account j USING (id);
\echo :LAST_ERROR_SQLSTATE
UPDATE mw.account SET note = (SELECT max(secret) FROM mw.account);
\echo :LAST_ERROR_SQLSTATE
WITH moved AS (UPDATE mw.account SET owner_name = secret RETURNING id) SELECT count(*) FROM moved;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO mw.account VALUES (1, 'x', 'y', 'z') ON CONFLICT (id) DO UPDATE SET note = mw.account.secret;
\echo :LAST_ERROR_SQLSTATE
MERGE INTO mw.archive t USING mw.account s ON t.id = s.id
	WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.secret);
\echo :LAST_ERROR_SQLSTATE
-- allowed: explicit values, masked columns only in WHERE, EXCLUDED values
UPDATE mw.account SET note = 'reviewed' WHERE secret = privacy.redact('any') RETURNING id, note, secret;
UPDATE mw.account SET owner_name = 'Ann B.' WHERE id = 1;
INSERT INTO mw.account VALUES (3, 'n3', 'CANARY-' || 'D0000003', 'Cy') RETURNING *;
INSERT INTO mw.account VALUES (3, 'n3b', 'CANARY-' || 'D0000004', 'Cy')
	ON CONFLICT (id) DO UPDATE SET secret = EXCLUDED.secret RETURNING id, secret;
INSERT INTO mw.archive SELECT id, 'redacted copy' FROM mw.account;
DELETE FROM mw.archive WHERE id = 2 RETURNING *;
MERGE INTO mw.archive t USING mw.account s ON t.id = s.id
	WHEN MATCHED THEN UPDATE SET secret = 'merged';
-- a unique violation does not print the existing key (row security is on)
INSERT INTO mw.account VALUES (9, 'dup', 'CANARY-' || 'D0000002', 'Dup');
\echo :LAST_ERROR_SQLSTATE
-- nor does a failing check constraint print the row
RESET ROLE;
ALTER TABLE mw.account ADD CONSTRAINT note_short CHECK (length(note) < 20);
SET ROLE mw_writer;
UPDATE mw.account SET note = repeat('x', 30) WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- the real data is intact
SELECT id, note, secret LIKE 'CANARY-D000000_' AS secret_is_real, owner_name
FROM mw.account ORDER BY id;
SELECT * FROM mw.archive ORDER BY id;
DROP SCHEMA mw CASCADE;
DROP ROLE mw_writer;
