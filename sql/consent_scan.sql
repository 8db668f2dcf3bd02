-- consent_scan: the consent-gated scan (a CustomScan for sequential scans of
-- consent-gated tables, issue 19). It must let exactly the rows through that
-- the function privacy._consent_allows lets through (compared row by row
-- with an index path, which still evaluates the function), before any other
-- qual, in serial and parallel plans, with revocation visible at the next
-- statement; UPDATE and DELETE reach only what it lets through.
CREATE SCHEMA gs;
CREATE COLLATION gs.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE gs.people (id int PRIMARY KEY, subject text, note text, score int NOT NULL);
INSERT INTO gs.people SELECT n, 'p' || (n % 300), 'note ' || n, n % 5 FROM generate_series(1, 3000) n;
-- NULL, non-ASCII, case variants, prefixes, a compressed (TOASTed) subject
-- that consents, and one that equals it but for its last character
INSERT INTO gs.people VALUES (3001, NULL, 'null subject', 0), (3002, 'Ärger', 'x', 1),
	(3003, 'ÄRGER', 'x', 1), (3004, 'p1', 'x', 1), (3005, 'p1 ', 'x', 1), (3006, 'p', 'x', 1),
	(3007, repeat('z', 2500), 'long', 1), (3008, repeat('z', 2499) || 'y', 'long', 1),
	(3009, repeat('q', 200000), 'huge', 1);
ALTER TABLE gs.people ALTER COLUMN subject SET STORAGE MAIN;
CREATE TABLE gs.ci_people (id int PRIMARY KEY, subject text COLLATE gs.ci);
INSERT INTO gs.ci_people VALUES (1, 'Ann'), (2, 'ANN'), (3, 'ann'), (4, 'Bob'), (5, NULL);
CREATE TABLE gs.char_people (id int PRIMARY KEY, subject char(8), n int);
INSERT INTO gs.char_people VALUES (1, 'p2', 1), (2, 'p3', 1), (3, 'p2 ', 1), (4, NULL, 1);
CREATE TABLE gs.int_people (id int PRIMARY KEY, subject int);
INSERT INTO gs.int_people SELECT n, n FROM generate_series(1, 50) n;
CREATE TABLE gs.parts (id int, subject varchar(20)) PARTITION BY RANGE (id);
CREATE TABLE gs.parts_1 PARTITION OF gs.parts FOR VALUES FROM (0) TO (1000);
CREATE TABLE gs.parts_2 PARTITION OF gs.parts FOR VALUES FROM (1000) TO (2000);
INSERT INTO gs.parts SELECT n, 'p' || (n % 300) FROM generate_series(0, 1999) n;
ANALYZE gs.people, gs.ci_people, gs.char_people, gs.int_people, gs.parts;
CREATE ROLE gs_reader;
CREATE ROLE gs_writer;
GRANT USAGE ON SCHEMA gs TO gs_reader, gs_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA gs TO gs_reader, gs_writer;
GRANT UPDATE, DELETE ON gs.people TO gs_writer;
SELECT privacy.create_purpose('gs_mkt', 'gated scan test');
SELECT privacy.allow_purpose('gs_reader', 'gs_mkt');
SELECT privacy.allow_purpose('gs_writer', 'gs_mkt');
SELECT privacy.require_consent(t, 'subject', 'gs_mkt')
FROM unnest(ARRAY['gs.people', 'gs.ci_people', 'gs.char_people', 'gs.int_people', 'gs.parts']::regclass[]) t;
SELECT privacy.grant_consent(array_agg('p' || n) || ARRAY['Ärger', 'Ann', 'p2', '7', repeat('z', 2500)], 'gs_mkt')
FROM generate_series(0, 298, 2) n;

-- the purpose is most of the registry: sets read the registry's heap in
-- order (statistics say so; the index path is compared further down)
ANALYZE privacy._consent;

-- a leaky function: it prints every value it is given
CREATE FUNCTION gs.leak(v text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
$$BEGIN RAISE NOTICE 'leak saw %', left(v, 12); RETURN true; END$$;
GRANT EXECUTE ON FUNCTION gs.leak(text) TO gs_reader;

SET ROLE gs_reader;
SET privacy.purpose = 'gs_mkt';
-- the plan: the gate in the scan, other quals after it
EXPLAIN (COSTS OFF) SELECT count(*) FROM gs.people WHERE score = 1;
SELECT count(*) AS visible, count(*) FILTER (WHERE subject IS NULL) AS null_subjects,
       count(*) FILTER (WHERE length(subject) > 100) AS long_subjects FROM gs.people;
-- the same rows as the function (an index path evaluates the function)
CREATE TEMP TABLE via_scan AS SELECT id FROM gs.people;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM gs.people WHERE id > 0;
CREATE TEMP TABLE via_function AS SELECT id FROM gs.people WHERE id > 0;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*) AS disagreements FROM via_scan s FULL JOIN via_function f USING (id)
WHERE s.id IS NULL OR f.id IS NULL;
SELECT id, left(subject, 6) AS subject FROM gs.people WHERE id > 3000 ORDER BY id;
-- the index path of a set (the purpose a small share of the registry)
RESET ROLE;
SELECT privacy.create_purpose('gs_other', 'another purpose');
SELECT privacy.grant_consent(array_agg('o' || n), 'gs_other') > 0 AS granted FROM generate_series(1, 5000) n;
ANALYZE privacy._consent;
SET ROLE gs_reader;
CREATE TEMP TABLE via_index_set AS SELECT id FROM gs.people;
SELECT count(*) AS index_set_disagreements FROM via_index_set s FULL JOIN via_function f USING (id)
WHERE s.id IS NULL OR f.id IS NULL;
DROP TABLE via_index_set;
-- every subject colliding in the set (same hash: one chain, exact byte
-- comparisons decide): still the function's rows, serial and parallel
RESET ROLE;
SET privacy.debug_consent_collisions = on;
SET ROLE gs_reader;
CREATE TEMP TABLE via_collisions AS SELECT id FROM gs.people;
SET parallel_setup_cost = 0;
SET min_parallel_table_scan_size = 0;
SET force_parallel_mode = on;
CREATE TEMP TABLE via_collisions_parallel AS SELECT id FROM gs.people;
RESET force_parallel_mode;
RESET min_parallel_table_scan_size;
RESET parallel_setup_cost;
SELECT (SELECT count(*) FROM via_collisions c FULL JOIN via_function f USING (id)
        WHERE c.id IS NULL OR f.id IS NULL) AS serial_disagreements,
       (SELECT count(*) FROM via_collisions_parallel c FULL JOIN via_function f USING (id)
        WHERE c.id IS NULL OR f.id IS NULL) AS parallel_disagreements,
       (SELECT count(*) FROM via_collisions) AS visible;
RESET ROLE;
RESET privacy.debug_consent_collisions;
SET ROLE gs_reader;

-- the gate runs before any user qual: the leaky function sees only
-- consenting subjects (the first three are printed)
SELECT count(*) FROM gs.people WHERE gs.leak(subject) AND id IN (1, 2, 3, 4, 3001, 3003, 3008, 3009);
RESET ROLE;
-- positive control: a role the gate lets everything through (the
-- superuser) has the function print the other subjects too
SELECT count(*) FROM gs.people WHERE gs.leak(subject) AND id IN (1, 2, 3, 4, 3001, 3003, 3008, 3009);
SET ROLE gs_reader;

-- non-deterministic collation: consent compares subjects bytewise, as the
-- function does ('Ann' consents, 'ANN' and 'ann' do not)
EXPLAIN (COSTS OFF) SELECT * FROM gs.ci_people;
SELECT * FROM gs.ci_people ORDER BY id;
SELECT * FROM gs.ci_people WHERE subject = 'ann' ORDER BY id;
-- char(n): the column's text value (trailing blanks removed), as the function
SELECT id FROM gs.char_people ORDER BY id;
-- a non-text subject through its text form
SELECT id FROM gs.int_people ORDER BY id;
-- tuple shapes the page-at-a-time reading must handle: NULLs before the
-- subject, a varlena before it, and a subject column added after the rows
-- (the old rows carry its default, 'p2', without storing it)
RESET ROLE;
CREATE TABLE gs.shapes (n int PRIMARY KEY, pre text);
INSERT INTO gs.shapes SELECT n, CASE WHEN n % 3 = 0 THEN NULL ELSE repeat('x', n % 50) END
FROM generate_series(1, 600) n;
ALTER TABLE gs.shapes ADD COLUMN subject text DEFAULT 'p2';
INSERT INTO gs.shapes SELECT n, CASE WHEN n % 3 = 0 THEN NULL ELSE 'y' END, 'p' || (n % 7)
FROM generate_series(601, 1200) n;
GRANT SELECT ON gs.shapes TO gs_reader;
SELECT privacy.require_consent('gs.shapes', 'subject', 'gs_mkt');
SET ROLE gs_reader;
CREATE TEMP TABLE shapes_scan AS SELECT n FROM gs.shapes;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
CREATE TEMP TABLE shapes_function AS SELECT n FROM gs.shapes WHERE n > 0;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT (SELECT count(*) FROM shapes_scan) AS visible,
       (SELECT count(*) FROM shapes_scan s FULL JOIN shapes_function f USING (n)
        WHERE s.n IS NULL OR f.n IS NULL) AS disagreements;
DROP TABLE shapes_scan, shapes_function;
-- partitions: each partition's scan is gated, also one whose subject is
-- at another position (a dropped column, columns in another order)
RESET ROLE;
CREATE TABLE gs.parts_3 (pad int, subject varchar(20), id int);
ALTER TABLE gs.parts_3 DROP COLUMN pad;
INSERT INTO gs.parts_3 (id, subject) SELECT n, 'p' || (n % 300) FROM generate_series(2000, 2599) n;
ALTER TABLE gs.parts ATTACH PARTITION gs.parts_3 FOR VALUES FROM (2000) TO (3000);
ANALYZE gs.parts_3;
SET ROLE gs_reader;
SELECT count(*) AS parts_3_visible, count(*) FILTER (WHERE subject::text ~ '[13579]$') AS refused_seen
FROM gs.parts WHERE id >= 2000;
EXPLAIN (COSTS OFF) SELECT count(*) FROM gs.parts;
SELECT count(*) AS parts_visible FROM gs.parts;

-- parallel plans: the leader's set is shared with the workers, and the
-- answer is the serial one
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF) SELECT count(*), sum(score) FROM gs.people;
SELECT count(*) AS parallel_count, sum(score) AS parallel_sum FROM gs.people;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS serial_count, sum(score) AS serial_sum FROM gs.people;
SET max_parallel_workers_per_gather = 2;
-- a set too large for work_mem: every row probes the index; same answer
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT count(*) AS probing_count FROM gs.people;
RESET work_mem;
RESET hash_mem_multiplier;

-- revocation is visible at the next statement: parallel, prepared, cursors
PREPARE gated_count AS SELECT count(*) FROM gs.people;
EXECUTE gated_count;
BEGIN;
DECLARE before_revoke CURSOR FOR SELECT id FROM gs.people WHERE id IN (2, 4, 6) ORDER BY id;
RESET ROLE;
SELECT privacy.revoke_consent('p4', 'gs_mkt');
SET ROLE gs_reader;
-- a cursor keeps its snapshot (and consent state), a new one sees the change
DECLARE after_revoke CURSOR FOR SELECT id FROM gs.people WHERE id IN (2, 4, 6) ORDER BY id;
FETCH ALL FROM before_revoke;
FETCH ALL FROM after_revoke;
COMMIT;
-- scrollable and held cursors over the gated scan
EXPLAIN (COSTS OFF) SELECT id FROM gs.people WHERE id + 0 < 7;
BEGIN;
DECLARE back SCROLL CURSOR FOR SELECT id FROM gs.people WHERE id + 0 < 7;
FETCH 3 FROM back;
FETCH BACKWARD 2 FROM back;
DECLARE held CURSOR WITH HOLD FOR SELECT id FROM gs.people WHERE id + 0 < 9;
COMMIT;
FETCH ALL FROM held;
CLOSE held;
EXECUTE gated_count;
SELECT count(*) AS parallel_after_revoke FROM gs.people;
SELECT count(*) FILTER (WHERE subject = 'p4') AS p4_rows FROM gs.people;
RESET ROLE;
SELECT privacy.grant_consent('p4', 'gs_mkt') IS NOT NULL AS granted;
SET ROLE gs_reader;
SELECT count(*) FILTER (WHERE subject = 'p4') AS p4_rows_again FROM gs.people;
EXECUTE gated_count;
DEALLOCATE gated_count;
RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- no purpose declared: nothing; another purpose: not restricted by this one
RESET privacy.purpose;
SELECT count(*) AS no_purpose FROM gs.people;
RESET ROLE;

-- UPDATE and DELETE through the gate reach only consenting rows
SET ROLE gs_writer;
SET privacy.purpose = 'gs_mkt';
EXPLAIN (COSTS OFF) UPDATE gs.people SET note = 'touched' WHERE score = 2;
UPDATE gs.people SET note = 'touched' WHERE score = 2;
DELETE FROM gs.people WHERE score = 3 AND subject IN ('p3', 'p6', 'p9');
-- WHERE CURRENT OF through a cursor over the gated scan
BEGIN;
DECLARE c CURSOR FOR SELECT id, subject FROM gs.people WHERE id BETWEEN 1 AND 10;
FETCH c;
UPDATE gs.people SET note = 'current' WHERE CURRENT OF c;
COMMIT;
RESET ROLE;
RESET privacy.purpose;
SELECT count(*) FILTER (WHERE note = 'touched') AS touched,
       count(*) FILTER (WHERE note = 'touched' AND subject ~ '^p[0-9]*[13579]$') AS touched_refusing,
       count(*) FILTER (WHERE score = 3 AND subject IN ('p3', 'p6', 'p9')) AS left_of_deleted,
       count(*) FILTER (WHERE score = 3 AND subject = 'p6') AS consenting_left,
       (SELECT id FROM gs.people WHERE note = 'current') AS current_id
FROM gs.people;

DROP TABLE via_scan, via_function, via_collisions, via_collisions_parallel;
DROP SCHEMA gs CASCADE;
DELETE FROM privacy._consent WHERE purpose IN ('gs_mkt', 'gs_other');
DELETE FROM privacy._purpose WHERE name = 'gs_other';
SELECT privacy.disallow_purpose('gs_reader', 'gs_mkt');
SELECT privacy.disallow_purpose('gs_writer', 'gs_mkt');
DROP ROLE gs_reader, gs_writer;
