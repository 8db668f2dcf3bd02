-- retention_families.sql: proves that legal holds apply to a whole table
-- family (issue 15), whichever member they were placed on, and protect
-- records, not only a predicate evaluated at purge time:
--  * a hold placed on a partition keeps the purge (partition_drop through
--    the root) from dropping that partition; its unheld rows are purged;
--    retention_status and retention_policies count it across the family;
--  * erase_subject through the root honours it;
--  * DROP TABLE, DETACH PARTITION, NO INHERIT and TRUNCATE of a member with
--    held rows (or of the table a hold was placed on) fail with 55006 until
--    the hold is released, also through DROP SCHEMA ... CASCADE; members
--    without held rows can go;
--  * a role allowed to UPDATE/DELETE cannot delete a held row, move it to
--    another partition, or update it out of its hold (positive controls:
--    unheld rows, updates that keep the row held, after release); the hold
--    triggers cannot be dropped, disabled or renamed by the owner, nor the
--    columns a hold uses dropped or renamed;
--  * new partitions get the hold triggers, detached ones lose them;
--  * a hold on an inheritance child must compile on the family root.
-- Hold ids are never printed (other files place holds too): errors naming
-- one are shown by SQLSTATE only.
CREATE ROLE fam_owner;
CREATE ROLE fam_app;
CREATE SCHEMA fam AUTHORIZATION fam_owner;
GRANT USAGE ON SCHEMA fam TO fam_app;
SET ROLE fam_owner;
CREATE TABLE fam.events (id int, customer_id int, created timestamptz NOT NULL) PARTITION BY RANGE (created);
CREATE TABLE fam.events_2000 PARTITION OF fam.events FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');
CREATE TABLE fam.events_2001 PARTITION OF fam.events FOR VALUES FROM ('2001-01-01') TO ('2002-01-01');
CREATE TABLE fam.events_2002 PARTITION OF fam.events FOR VALUES FROM ('2002-01-01') TO ('2003-01-01');
CREATE TABLE fam.events_now PARTITION OF fam.events FOR VALUES FROM ('2003-01-01') TO (MAXVALUE);
INSERT INTO fam.events VALUES (1, 1, '2000-03-01'), (2, 2, '2000-04-01'), (3, 3, '2001-03-01'),
	(4, 4, '2002-03-01'), (5, 1, now()), (6, 6, now());
GRANT SELECT, UPDATE, DELETE ON fam.events TO fam_app;
RESET ROLE;
SELECT privacy.set_retention('fam.events', 'created', '1 year');

-- a hold placed on a partition
SELECT privacy.place_hold('fam.events_2000', 'id = 1', 'litigation L-1') AS h_part \gset
SELECT active_holds FROM privacy.retention_policies WHERE table_name = 'fam.events'::regclass;
SELECT rows_expired, rows_held FROM privacy.retention_status WHERE table_name = 'fam.events'::regclass;
-- the hold triggers sit on every partition
SELECT tgrelid::regclass, count(*) FROM pg_trigger t
WHERE tgfoid = 'privacy._hold_guard()'::regprocedure AND tgrelid::regclass::text LIKE 'fam.%' GROUP BY 1 ORDER BY 1;

-- the owner cannot take the held partition (or its hold) away
SET ROLE fam_owner;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
DROP TABLE fam.events_2000;
ALTER TABLE fam.events DETACH PARTITION fam.events_2000;
TRUNCATE fam.events_2000;
TRUNCATE fam.events;
DROP TABLE fam.events;
\set VERBOSITY terse
ALTER TABLE fam.events_2000 DISABLE TRIGGER ALL;
ALTER TABLE fam.events_2000 DISABLE TRIGGER USER;
\set VERBOSITY sqlstate
SELECT format('privacy_hold_%s_delete', :h_part) AS trig \gset
ALTER TABLE fam.events_2000 DISABLE TRIGGER :"trig";
ALTER TABLE fam.events_2000 ENABLE REPLICA TRIGGER :"trig";
ALTER TRIGGER :"trig" ON fam.events_2000 RENAME TO mine;
DROP TRIGGER :"trig" ON fam.events_2000;
ALTER TABLE fam.events DROP COLUMN id CASCADE;
\set VERBOSITY terse
ALTER TABLE fam.events RENAME COLUMN id TO ident;
\set ON_ERROR_STOP 1
-- a partition without held rows can go (positive control)
TRUNCATE fam.events_2002;
RESET ROLE;

-- the purge drops the expired partition without held rows and sweeps the
-- held one: row 2 is purged, row 1 stays
SELECT method, status, rows_purged, partitions_dropped FROM privacy.purge_now('fam.events');
SELECT tableoid::regclass, id FROM fam.events ORDER BY id;
SELECT rows_expired, rows_held FROM privacy.retention_status WHERE table_name = 'fam.events'::regclass;
SELECT count(*) AS active_holds FROM privacy.legal_holds WHERE active AND table_name::text LIKE 'fam.%';

-- held rows are records: a role allowed to UPDATE and DELETE
SET ROLE fam_app;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
UPDATE fam.events SET id = 10 WHERE id = 1;
DELETE FROM fam.events WHERE id = 1;
-- moving it to another partition is a delete plus an insert
UPDATE fam.events SET created = now() WHERE id = 1;
MERGE INTO fam.events e USING (VALUES (1)) v(id) ON e.id = v.id WHEN MATCHED THEN DELETE;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
-- positive controls: an update that keeps the row held, unheld rows
UPDATE fam.events SET customer_id = 7 WHERE id = 1;
UPDATE fam.events SET customer_id = 8 WHERE id = 6;
DELETE FROM fam.events WHERE id = 6;
SELECT id, customer_id FROM fam.events ORDER BY id;
RESET ROLE;

-- red-team: the owner's BEFORE trigger that rewrites the row after the
-- hold was checked changes nothing (the hold triggers are AFTER triggers)
SET ROLE fam_owner;
CREATE FUNCTION fam.sneak() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.id := 100; RETURN NEW; END $$;
CREATE TRIGGER zz_sneak BEFORE UPDATE ON fam.events_2000 FOR EACH ROW EXECUTE FUNCTION fam.sneak();
RESET ROLE;
SET ROLE fam_app;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
UPDATE fam.events SET customer_id = 1 WHERE id = 1;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
RESET ROLE;
SET ROLE fam_owner;
DROP TRIGGER zz_sneak ON fam.events_2000;
-- nor DROP OWNED, nor a hold condition calling a function its owner could
-- redefine (42501)
CREATE FUNCTION fam.is_held(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = 1';
RESET ROLE;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
DROP OWNED BY fam_owner;
SELECT privacy.place_hold('fam.events', 'fam.is_held(id)', 'owner function');
\set VERBOSITY terse
\set ON_ERROR_STOP 1
-- a trigger of the owner named like the next hold's trigger makes
-- place_hold fail instead of standing in for the real one
SELECT format('privacy_hold_%s_delete', CASE WHEN is_called THEN last_value + 1 ELSE last_value END) AS next_trig
FROM privacy._legal_hold_id_seq \gset
SET ROLE fam_owner;
CREATE FUNCTION fam.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER :"next_trig" AFTER DELETE ON fam.events_now FOR EACH ROW EXECUTE FUNCTION fam.noop();
RESET ROLE;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
SELECT privacy.place_hold('fam.events', 'id = 5', 'decoy');
\set VERBOSITY terse
\set ON_ERROR_STOP 1
SELECT count(*) AS decoy_holds FROM privacy.legal_holds WHERE reason = 'decoy';
SET ROLE fam_owner;
DROP TRIGGER :"next_trig" ON fam.events_now;
RESET ROLE;

-- erase_subject through the root honours the hold placed on the partition
SELECT privacy.register_subject('fam.events', 'customer_id');
BEGIN;
SELECT t ->> 'table' AS table_name, t -> 'deleted' AS deleted, t -> 'held_back' AS held_back
FROM jsonb_array_elements(privacy.erase_subject('7') -> 'tables') t WHERE t ->> 'table' LIKE 'fam.%';
SELECT count(*) AS row_1_kept FROM fam.events WHERE id = 1;
ROLLBACK;
SELECT privacy.unregister_subject('fam.events');

-- a new partition gets the hold triggers; a detached one loses them
SET ROLE fam_owner;
CREATE TABLE fam.events_old PARTITION OF fam.events FOR VALUES FROM ('1990-01-01') TO ('2000-01-01');
SELECT count(*) AS triggers_on_new FROM pg_trigger WHERE tgrelid = 'fam.events_old'::regclass;
ALTER TABLE fam.events DETACH PARTITION fam.events_old;
SELECT count(*) AS triggers_on_detached FROM pg_trigger WHERE tgrelid = 'fam.events_old'::regclass;
DROP TABLE fam.events_old;
-- a detached table that gets attached again is held again
CREATE TABLE fam.events_1980 (LIKE fam.events);
INSERT INTO fam.events_1980 VALUES (1, 9, '1985-01-01');
ALTER TABLE fam.events ATTACH PARTITION fam.events_1980 FOR VALUES FROM ('1980-01-01') TO ('1990-01-01');
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
ALTER TABLE fam.events DETACH PARTITION fam.events_1980;
DELETE FROM fam.events_1980;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
RESET ROLE;

-- a schema holding a member with held rows cannot be dropped either
CREATE SCHEMA fam_other;
ALTER TABLE fam.events_1980 SET SCHEMA fam_other;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
DROP SCHEMA fam_other CASCADE;
\set VERBOSITY terse
\set ON_ERROR_STOP 1

-- released: everything is allowed again, and the triggers are gone
SELECT privacy.release_hold(:h_part);
SELECT count(*) AS hold_triggers_left FROM pg_trigger
WHERE tgfoid = 'privacy._hold_guard()'::regprocedure AND tgrelid::regclass::text LIKE 'fam%';
SET ROLE fam_app;
DELETE FROM fam.events WHERE id = 1;
RESET ROLE;
DROP SCHEMA fam_other CASCADE;

-- inheritance: a hold on a child applies to the whole family, so its
-- condition may only use the root's columns
SET ROLE fam_owner;
CREATE TABLE fam.person (id int, created timestamptz);
CREATE TABLE fam.staff (badge text) INHERITS (fam.person);
CREATE TABLE fam.guest () INHERITS (fam.person);
INSERT INTO fam.staff VALUES (1, now(), 'b1');
INSERT INTO fam.guest VALUES (1, now()), (2, now());
GRANT SELECT, UPDATE, DELETE ON fam.person, fam.staff, fam.guest TO fam_app;
RESET ROLE;
\set ON_ERROR_STOP 0
SELECT privacy.place_hold('fam.staff', 'badge = ''b1''', 'child column');
\set ON_ERROR_STOP 1
SELECT privacy.place_hold('fam.staff', 'id = 1', 'case P-1') AS h_child \gset
SET ROLE fam_app;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
DELETE FROM fam.person WHERE id = 1;
UPDATE fam.guest SET id = 3 WHERE id = 1;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
DELETE FROM fam.guest WHERE id = 2;
RESET ROLE;
-- a temporary child of a held family goes with its session, held rows or not
SET ROLE fam_owner;
CREATE TEMP TABLE fam_tmp () INHERITS (fam.person);
INSERT INTO fam_tmp VALUES (1, now());
SELECT count(*) AS held_temp_rows FROM fam.person WHERE id = 1 AND tableoid = 'fam_tmp'::regclass;
DISCARD TEMP;
RESET ROLE;
SET ROLE fam_owner;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
ALTER TABLE fam.guest NO INHERIT fam.person;
ALTER TABLE fam.staff NO INHERIT fam.person;
DROP TABLE fam.person CASCADE;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
-- a table whose holds use a column the new parent lacks cannot join it
CREATE TABLE fam.visitor (id int, created timestamptz, pass text);
RESET ROLE;
SELECT privacy.place_hold('fam.visitor', 'pass = ''p''', 'visitor pass') AS h_visitor \gset
SET ROLE fam_owner;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
ALTER TABLE fam.visitor INHERIT fam.person;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT privacy.release_hold(:h_child);
SELECT privacy.release_hold(:h_visitor);

-- the purge log of this file's runs (retention_purge lists the whole log)
DELETE FROM privacy._purge_log WHERE relid = 'fam.events'::regclass;
DROP SCHEMA fam CASCADE;
DROP ROLE fam_owner;
DROP ROLE fam_app;
SELECT count(*) AS fam_holds_left FROM privacy.legal_holds WHERE table_name::text LIKE 'fam%';
