-- hold_reentry.sql: a hold condition whose (superuser's) function reaches
-- DML on the same table while an invalidation makes the guard prepare the
-- condition again (red-team 8 F3): the running evaluation keeps its state
-- (HoldCondition::busy), the nested guard evaluates the new one, and both
-- give the right answers. The old code freed the running state under the
-- evaluation (use after free; not observable without a memory checker, so
-- this test guards the path rather than reproducing the crash).
SET client_min_messages = warning;
CREATE ROLE regress_hr_owner;
RESET client_min_messages;
CREATE SCHEMA hr;
GRANT USAGE, CREATE ON SCHEMA hr TO regress_hr_owner;
CREATE TABLE hr.t (id int, note text);
INSERT INTO hr.t SELECT g, 'n' || g FROM generate_series(1, 50) g;
ALTER TABLE hr.t OWNER TO regress_hr_owner;
-- on rows 1, 11, 21...: (re)creates a function (an invalidation: every
-- prepared condition is stale) and deletes the next row of the same table
CREATE FUNCTION hr.side(i int) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $f$
BEGIN
	IF i % 10 = 1 THEN
		EXECUTE 'CREATE OR REPLACE FUNCTION hr.owner_fn() RETURNS int LANGUAGE sql AS ''SELECT ' || i || '''';
		DELETE FROM hr.t WHERE id = i + 1;
	END IF;
	RETURN false;
END $f$;
CREATE FUNCTION hr.cond(i int) RETURNS boolean LANGUAGE plpgsql STABLE AS $f$
BEGIN RETURN hr.side(i) OR i = 4242 OR i = 5; END $f$;
GRANT EXECUTE ON FUNCTION hr.side(int), hr.cond(int) TO regress_hr_owner;
SELECT privacy.place_hold('hr.t', 'hr.cond(id)', 'reentry') AS h \gset
DELETE FROM hr.t WHERE id % 10 = 1;
SELECT count(*) AS rows_left, bool_and(id % 10 NOT IN (1, 2)) AS deleted_with_nested FROM hr.t;
-- positive control: the held row is still refused
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
DELETE FROM hr.t WHERE id = 5;
\set ON_ERROR_STOP 1
\set VERBOSITY default
SELECT count(*) AS held_left FROM hr.t WHERE id = 5;
SELECT privacy.release_hold(:h);
DROP SCHEMA hr CASCADE;
DROP ROLE regress_hr_owner;
