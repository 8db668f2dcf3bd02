-- hold_owner_eval.sql: legal-hold conditions are evaluated by pg_privacy's C
-- row trigger as the table's owner inside SECURITY_RESTRICTED_OPERATION,
-- not by PostgreSQL as the role running the DML (issue 19, holds):
--  * a role with other privileges than the owner (no SELECT on the table a
--    litigation function reads) deletes unheld rows and is refused held
--    ones; before, the trigger's WHEN clause ran the condition with that
--    role's rights and failed (42501). Positive control: the owner gets the
--    same answers;
--  * the triggers carry no condition (pg_trigger: no WHEN clause, the hold
--    id as their only argument);
--  * a condition runs only as the owner: it shows current_user = the owner
--    whoever deletes; on a table that became a superuser's under a hold an
--    administrator placed, it never runs (fail closed: every row held, a
--    WARNING naming the hold);
--  * a stored condition that no longer validates (a function it calls given
--    to a role that is not a superuser; a condition changed by hand) keeps
--    every row (fail closed) with a WARNING that names the hold only, also
--    for TRUNCATE; once repaired the table works again (invalidation);
--  * families (a partitioned root), cross-partition moves, TRUNCATE, and a
--    purge skipping held rows through the same guard.
-- Hold ids are shown only through psql variables; the marker value 4242
-- written in the conditions never appears in a message.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
CREATE DATABASE regress_hold_owner;
RESET client_min_messages;
\c regress_hold_owner
CREATE EXTENSION pg_privacy;
SET client_min_messages = warning;
SELECT privacy.setup_roles('regress_ho_admin', 'regress_ho_auditor');
RESET client_min_messages;
SET privacy.admin_role = 'regress_ho_admin';
CREATE ROLE regress_ho_dpo IN ROLE regress_ho_admin;
CREATE ROLE regress_ho_owner;
CREATE ROLE regress_ho_clerk;
CREATE SCHEMA ho AUTHORIZATION regress_ho_owner;
GRANT USAGE ON SCHEMA ho TO regress_ho_dpo, regress_ho_clerk;
-- a superuser's function that shows who runs the condition
CREATE FUNCTION ho.runner_is_owner(int) RETURNS boolean LANGUAGE plpgsql STABLE
AS $f$BEGIN RAISE NOTICE 'condition ran as the owner: %', current_user = 'regress_ho_owner'; RETURN $1 = 4242; END$f$;
SET ROLE regress_ho_owner;
CREATE TABLE ho.lit (case_id int);
INSERT INTO ho.lit VALUES (2), (4), (4242);
CREATE TABLE ho.cases (id int, note text, created timestamptz NOT NULL DEFAULT now() - interval '10 days');
INSERT INTO ho.cases (id, note) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'), (4242, 'x');
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ho.cases TO regress_ho_clerk;
GRANT SELECT ON ho.cases TO regress_ho_dpo;
RESET ROLE;
-- a superuser's litigation function reading a table only the owner reads
CREATE FUNCTION ho.litigated(int) RETURNS boolean LANGUAGE sql STABLE
AS 'SELECT EXISTS (SELECT 1 FROM ho.lit WHERE lit.case_id = $1)';

SET ROLE regress_ho_dpo;
SELECT privacy.place_hold('ho.cases', 'ho.litigated(id)', 'matter M-1') AS h1 \gset
RESET ROLE;
-- the triggers carry the hold id only: no condition in pg_trigger
SELECT t.tgname ~ '^privacy_hold_[0-9]+_(update|delete)$' AS named, t.tgqual IS NULL AS no_when,
       t.tgnargs, pg_catalog.encode(t.tgargs, 'escape') = :'h1' || '\000' AS only_the_hold_id
FROM pg_trigger t WHERE t.tgrelid = 'ho.cases'::regclass ORDER BY t.tgname;

-- the clerk cannot read ho.lit; the condition runs as the owner, who can
SET ROLE regress_ho_clerk;
SELECT count(*) FROM ho.lit;
DELETE FROM ho.cases WHERE id = 1;
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 2;
UPDATE ho.cases SET id = 20 WHERE id = 2;
\set ON_ERROR_STOP 1
\set VERBOSITY default
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 4;
\set ON_ERROR_STOP 1
-- an update that keeps the row held is fine
UPDATE ho.cases SET note = 'B' WHERE id = 2;
RESET ROLE;
-- positive control: the owner gets the same answers
SET ROLE regress_ho_owner;
DELETE FROM ho.cases WHERE id = 3;
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 4;
\set ON_ERROR_STOP 1
\set VERBOSITY default
RESET ROLE;
SELECT id FROM ho.cases ORDER BY id;

-- TRUNCATE (statement level) looks for held rows as the owner too
SET ROLE regress_ho_clerk;
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
TRUNCATE ho.cases;
\set ON_ERROR_STOP 1
\set VERBOSITY default
RESET ROLE;

-- the purge (as the owner) keeps the held rows and deletes the others
SELECT privacy.set_retention('ho.cases', 'created', '1 day');
SELECT rows_purged FROM privacy.purge_now('ho.cases');
SELECT id FROM ho.cases ORDER BY id;

-- who runs a condition: the owner, whoever deletes
SELECT privacy.release_hold(:h1);
SET ROLE regress_ho_dpo;
SELECT privacy.place_hold('ho.cases', 'ho.runner_is_owner(id)', 'matter M-2') AS h2 \gset
RESET ROLE;
SET ROLE regress_ho_clerk;
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 2;
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT id FROM ho.cases ORDER BY id;

-- a table that became a superuser's under an administrator's hold: the
-- condition never runs as the superuser (no NOTICE), every row is kept
ALTER TABLE ho.cases OWNER TO CURRENT_USER;
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 4;
\set ON_ERROR_STOP 1
ALTER TABLE ho.cases OWNER TO regress_ho_owner;
-- back with its owner: the condition runs again (as the owner)
DELETE FROM ho.cases WHERE id = 4;
SELECT privacy.release_hold(:h2);

-- tampered stored conditions keep every row (fail closed), the WARNING
-- names the hold only
SET ROLE regress_ho_dpo;
SELECT privacy.place_hold('ho.cases', 'ho.litigated(id) AND id = 4242', 'matter M-3') AS h3 \gset
RESET ROLE;
INSERT INTO ho.cases (id, note) VALUES (7, 'g'), (8, 'h');
DELETE FROM ho.cases WHERE id = 7;
-- (a) a function the condition calls now belongs to a role that is not a
-- superuser (who could redefine it)
ALTER FUNCTION ho.litigated(int) OWNER TO regress_ho_dpo;
SET ROLE regress_ho_clerk;
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 8;
TRUNCATE ho.cases;
\set ON_ERROR_STOP 1
RESET ROLE;
ALTER FUNCTION ho.litigated(int) OWNER TO CURRENT_USER;
-- repaired: the unheld row can go again (the cached condition was dropped)
SET ROLE regress_ho_clerk;
DELETE FROM ho.cases WHERE id = 8;
RESET ROLE;
INSERT INTO ho.cases (id, note) VALUES (9, 'i');
-- (b) the stored form replaced by hand with text that is not one expression
UPDATE privacy._legal_hold SET condition_function = NULL,
	condition = 'id = 4242) OR (true' WHERE id = :h3;
SET ROLE regress_ho_clerk;
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 9;
\set ON_ERROR_STOP 1
RESET ROLE;
-- (c) a condition calling a function nobody trusted, written by hand
CREATE FUNCTION ho.untrusted(int) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT $1 = 4242';
ALTER FUNCTION ho.untrusted(int) OWNER TO regress_ho_dpo;
UPDATE privacy._legal_hold SET condition = 'ho.untrusted(id)' WHERE id = :h3;
SET ROLE regress_ho_clerk;
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 9;
\set ON_ERROR_STOP 1
RESET ROLE;
-- releasing the broken hold frees the rows
SELECT privacy.release_hold(:h3);
DELETE FROM ho.cases WHERE id = 9;

-- the condition resolves names with pg_privacy's search_path, not with the
-- one of the role running the statement: a temporary pg_class of the
-- clerk's, first in its search_path, does not unhold the row
SET ROLE regress_ho_dpo;
SELECT privacy.place_hold('ho.cases', 'pg_catalog.to_regclass(note) = ''pg_catalog.pg_class''::pg_catalog.regclass', 'matter M-5') AS h5 \gset
RESET ROLE;
INSERT INTO ho.cases (id, note) VALUES (10, 'pg_class'), (11, 'pg_proc');
SET ROLE regress_ho_clerk;
CREATE TEMP TABLE pg_class (x int);
SET search_path = pg_temp, pg_catalog;
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
DELETE FROM ho.cases WHERE id = 10;
\set ON_ERROR_STOP 1
\set VERBOSITY default
DELETE FROM ho.cases WHERE id = 11;
RESET search_path;
DROP TABLE pg_temp.pg_class;
RESET ROLE;
SELECT privacy.release_hold(:h5);
DELETE FROM ho.cases WHERE id = 10;

-- families: a hold on a partitioned root, evaluated on each partition as
-- its owner; moves to another partition are deletes
SET ROLE regress_ho_owner;
CREATE TABLE ho.parts (id int, part int) PARTITION BY LIST (part);
CREATE TABLE ho.parts_1 PARTITION OF ho.parts FOR VALUES IN (1);
CREATE TABLE ho.parts_2 PARTITION OF ho.parts FOR VALUES IN (2);
INSERT INTO ho.parts VALUES (2, 1), (3, 1), (4, 2), (5, 2);
GRANT SELECT, UPDATE, DELETE ON ho.parts, ho.parts_2 TO regress_ho_clerk;
RESET ROLE;
SET ROLE regress_ho_dpo;
SELECT privacy.place_hold('ho.parts', 'ho.litigated(id)', 'matter M-4') AS h4 \gset
RESET ROLE;
SELECT t.tgrelid::regclass AS member, count(*) AS guards, bool_and(t.tgqual IS NULL) AS no_when
FROM pg_trigger t WHERE t.tgname LIKE 'privacy\_hold\_%' AND t.tgrelid::regclass::text LIKE 'ho.parts%'
GROUP BY 1 ORDER BY 1;
SET ROLE regress_ho_clerk;
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
DELETE FROM ho.parts WHERE id = 2;
UPDATE ho.parts SET part = 2 WHERE id = 2;
DELETE FROM ho.parts_2 WHERE id = 4;
\set ON_ERROR_STOP 1
\set VERBOSITY default
DELETE FROM ho.parts WHERE id IN (3, 5);
UPDATE ho.parts SET part = 1 WHERE id = 4 AND false;
RESET ROLE;
SELECT tableoid::regclass AS member, id FROM ho.parts ORDER BY id;
SELECT privacy.release_hold(:h4);

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE regress_hold_owner;
DROP ROLE regress_ho_dpo, regress_ho_owner, regress_ho_clerk, regress_ho_admin, regress_ho_auditor;
RESET client_min_messages;
