-- attacks_write.sql: the same role, now with INSERT/UPDATE/DELETE on the
-- table, tries write paths: RETURNING, row counts of guarded updates,
-- copying masked values into readable columns, constraint messages, views
-- it owns and writes through. Every attack's output must be identical in
-- both databases, and differ from the unmasked control role's.
\set ON_ERROR_STOP off
\set VERBOSITY default
\echo == write: RETURNING
UPDATE adv.person SET note = note WHERE id = 1 RETURNING *;
DELETE FROM adv.person WHERE id = 99 RETURNING ssn;
\echo == write: row counts of guarded updates
UPDATE adv.person SET note = note WHERE ssn = :'g1';
UPDATE adv.person SET note = note WHERE ssn = :'h1';
UPDATE adv.person SET note = note WHERE ssn LIKE 'ADVSECRET-A%';
DELETE FROM adv.person WHERE ssn = :'g2';
DELETE FROM adv.person WHERE ssn = :'h2';
\echo == write: copy masked values into readable places
UPDATE adv.person SET note = ssn WHERE id = 1;
UPDATE adv.person SET ssn = ssn;
INSERT INTO adv.person SELECT id + 100, name, ssn, ssn FROM adv.person;
INSERT INTO adv.person SELECT id + 100, name, 'x', 'y' FROM adv.person RETURNING id, ssn, note;
SELECT id, note FROM adv.person ORDER BY id;
\echo == write: constraint messages
INSERT INTO adv.person VALUES (200, 'Eve', 'x', 'forbidden');
INSERT INTO adv.person VALUES (1, 'dup', 'x', 'y');
INSERT INTO adv.person VALUES (1, 'dup', 'x', 'y') ON CONFLICT (id) DO UPDATE SET note = adv.person.ssn;
INSERT INTO adv.person VALUES (1, 'dup', 'x', 'y') ON CONFLICT (id) DO NOTHING;
\echo == write: MERGE
MERGE INTO adv.person t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET note = t.ssn;
MERGE INTO adv.person t USING (SELECT 1 AS id) s ON t.id = s.id AND t.ssn = :'g1' WHEN MATCHED THEN UPDATE SET note = 'm';
\echo == write: quals and check options of views the attacker owns
-- Updating through a security_barrier view turns its WHERE into a qual of
-- the base table (a leaky function there would print what it is given);
-- a WITH CHECK OPTION becomes a check of the new row (here it would refuse
-- the update exactly when the raw value is >= 'ADVSECRET-8').
CREATE FUNCTION adv_scratch.tell(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS
	$$ BEGIN RAISE NOTICE 'view qual got %', $1; RETURN true; END $$;
CREATE VIEW adv_scratch.barrier WITH (security_barrier) AS SELECT * FROM adv.person WHERE adv_scratch.tell(ssn);
UPDATE adv_scratch.barrier SET note = note WHERE id <= 3;
DELETE FROM adv_scratch.barrier WHERE note = 'no such note';
CREATE VIEW adv_scratch.below8 AS SELECT * FROM adv.person WHERE ssn LIKE '[%' OR ssn < 'ADVSECRET-8' WITH CHECK OPTION;
UPDATE adv_scratch.below8 SET note = note WHERE id = 1;
UPDATE adv_scratch.below8 SET note = note WHERE id = 2;
UPDATE adv_scratch.below8 SET note = note WHERE id = 3;
\echo == write: the real data survived
SELECT id, note FROM adv.person ORDER BY id;
\echo == end
