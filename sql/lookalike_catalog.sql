-- lookalike_catalog: pg_privacy finds its catalog through the extension's
-- identity (src/pg/catalog/extension_schema.hpp: schemas and tables that
-- are members of extension pg_privacy), never by schema name (red team 5
-- F1). The library is preloaded cluster-wide; in a database where the
-- extension was never created, its owner (not a superuser) builds schemas
-- privacy and privacy_expr with look-alike catalog tables: a mask whose
-- wrapper runs SQL text (query_to_xml), one with a sublink, legal holds
-- whose condition tries to make the attacker superuser, and catalog helpers
-- that pg_privacy would run as the bootstrap superuser. None of it is
-- applied or run: every call of the attacker's code is logged in
-- public.loot, which stays empty, the victim reads its own rows raw, and
-- the attacker never becomes superuser.
-- Positive controls, in the regression database (extension installed): the
-- same statements enforce the real policies (a mask, a hold refusing
-- TRUNCATE); a hold placed by an administrator is not evaluated as a
-- superuser on a superuser's member table (42501), a hold condition changed
-- by hand to several statements is not run (55000), and a wrapper planted
-- with a sublink fails closed instead of running.
SELECT current_database() AS regress_db \gset
SELECT rolname AS bootstrap_superuser FROM pg_roles WHERE oid = 10 \gset
SET client_min_messages = warning;
CREATE ROLE regress_la_dbown;
CREATE ROLE regress_la_vic;
CREATE DATABASE regress_lookalike OWNER regress_la_dbown;
RESET client_min_messages;
\c regress_lookalike
SELECT count(*) AS pg_privacy_installed FROM pg_extension WHERE extname = 'pg_privacy';
CREATE SCHEMA vic AUTHORIZATION regress_la_vic;
-- the superuser's own tables (routine maintenance below)
CREATE TABLE public.su_staging(x int);
INSERT INTO public.su_staging VALUES (1);
CREATE TABLE public.su_scratch(x int);
INSERT INTO public.su_scratch VALUES (1);
SET ROLE regress_la_vic;
CREATE TABLE vic.data(id int, email text, secret text);
INSERT INTO vic.data VALUES (1, 'v@example.com', 'vic private secret');
CREATE TABLE vic.notes(id int, note text);
INSERT INTO vic.notes VALUES (1, 'vic note');
RESET ROLE;

-- the attacker: owner of the database, CREATE on it, nothing else
SET ROLE regress_la_dbown;
CREATE SCHEMA privacy;
CREATE SCHEMA privacy_expr;
CREATE TABLE privacy._column_policy(relid oid, column_name name, mask text, declared_mask text,
	declared_by name, declared_at timestamptz, mask_function oid);
CREATE TABLE privacy._unmasked(role oid, relid oid, column_name name);
CREATE TABLE privacy._governed_table(relid oid, by_privacy bool);
CREATE TABLE privacy._legal_hold(id bigint, relid oid, reason text, condition text,
	released_at timestamptz, placed_by name);
CREATE TABLE public.loot(curuser name, what text);
GRANT INSERT ON public.loot TO PUBLIC;
-- a "mask" that runs the attacker's SQL as every querying role
CREATE FUNCTION public.evil(v text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	INSERT INTO public.loot VALUES (current_user, 'mask saw ' || v);
	BEGIN
		INSERT INTO public.loot SELECT current_user, 'secret: ' || string_agg(secret, ',') FROM vic.data;
	EXCEPTION WHEN others THEN INSERT INTO public.loot VALUES (current_user, 'secret: denied'); END;
	RETURN v;
END $f$;
CREATE FUNCTION privacy_expr.m(email text) RETURNS text LANGUAGE sql STABLE
RETURN pg_catalog.query_to_xml('SELECT public.evil(' || pg_catalog.quote_literal(email) || ')',
	true, false, '')::text;
CREATE FUNCTION privacy_expr.n(note text) RETURNS text LANGUAGE sql STABLE
RETURN (SELECT public.evil(note));
INSERT INTO privacy._column_policy
SELECT c.oid, 'email', 'email', 'email', 'x', now(), 'privacy_expr.m(text)'::regprocedure
FROM pg_class c WHERE c.relname = 'data' AND c.relnamespace = 'vic'::regnamespace;
INSERT INTO privacy._column_policy
SELECT c.oid, 'note', 'note', 'note', 'x', now(), 'privacy_expr.n(text)'::regprocedure
FROM pg_class c WHERE c.relname = 'notes' AND c.relnamespace = 'vic'::regnamespace;
-- "legal holds" on the superuser's tables, "placed by" the bootstrap
-- superuser: their condition would run as the table's owner
CREATE FUNCTION public.evil2() RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
	INSERT INTO public.loot VALUES (current_user, 'hold condition ran');
	BEGIN
		EXECUTE 'ALTER ROLE regress_la_dbown SUPERUSER';
		INSERT INTO public.loot VALUES (current_user, 'became superuser');
	EXCEPTION WHEN others THEN INSERT INTO public.loot VALUES (current_user, 'alter role: denied'); END;
	RETURN false;
END $f$;
INSERT INTO privacy._legal_hold VALUES
	(1, 'public.su_staging'::regclass, 'x', 'public.evil2()', NULL, :'bootstrap_superuser'),
	(2, 'public.su_scratch'::regclass, 'x', 'false) IS TRUE); SELECT public.evil2(); SELECT (true', NULL,
	 :'bootstrap_superuser');
-- catalog helpers pg_privacy runs as the bootstrap superuser when a table
-- joins a held family (no superuser needs to do anything)
CREATE FUNCTION privacy._sync_hold_triggers(regclass) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
	INSERT INTO public.loot VALUES (current_user, 'catalog helper ran');
	EXECUTE 'ALTER ROLE regress_la_dbown SUPERUSER';
END $f$;
CREATE TABLE public.mine(x int);
INSERT INTO privacy._legal_hold VALUES (3, 'public.mine'::regclass, 'x', 'false', NULL, :'bootstrap_superuser');
CREATE TABLE public.mine_child() INHERITS (public.mine);
RESET ROLE;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_la_dbown';

-- the victim reads its own tables (a new session): raw, nothing of the
-- attacker's runs
\c regress_lookalike
SET ROLE regress_la_vic;
SELECT id, email, secret FROM vic.data;
SELECT id, note FROM vic.notes;
RESET ROLE;

-- the superuser's routine maintenance of its own tables
TRUNCATE public.su_staging;
DROP TABLE public.su_scratch;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_la_dbown';
SELECT curuser = 'regress_la_vic' AS as_victim, what FROM public.loot ORDER BY what;

-- the extension's own schemas are no look-alike: with the look-alikes
-- dropped, CREATE EXTENSION gives a working catalog in the same session
DROP SCHEMA privacy, privacy_expr CASCADE;
SET client_min_messages = warning;
CREATE EXTENSION pg_privacy;
RESET client_min_messages;
SELECT privacy.mask_column('vic.data', 'email', 'privacy.mask_email(email)');
SET ROLE regress_la_vic;
SELECT id, email FROM vic.data;
RESET ROLE;
-- membership is what counts, and ALTER EXTENSION ... DROP (which changes
-- only pg_depend) is seen at once: a table taken out of the extension is
-- no longer its catalog (purposes go unchecked), until the rollback
SET ROLE regress_la_vic;
SET privacy.purpose = 'nosuchpurpose';
RESET ROLE;
BEGIN;
ALTER EXTENSION pg_privacy DROP TABLE privacy._purpose;
SET ROLE regress_la_vic;
SET privacy.purpose = 'nosuchpurpose';
RESET privacy.purpose;
RESET ROLE;
ROLLBACK;
SET ROLE regress_la_vic;
SET privacy.purpose = 'nosuchpurpose';
RESET ROLE;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE regress_lookalike;
DROP ROLE regress_la_dbown, regress_la_vic;
RESET client_min_messages;

-- positive controls, with the extension installed
SET client_min_messages = warning;
SELECT privacy.setup_roles();
CREATE ROLE regress_la_reader;
CREATE ROLE regress_la_owner;
CREATE ROLE regress_la_admin IN ROLE privacy_admin;
RESET client_min_messages;
-- runs a statement, shows its SQLSTATE and message (hold ids vary)
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE stmt;
	RETURN 'done';
EXCEPTION WHEN others THEN
	RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, 'hold [0-9]+', 'hold N', 'g');
END $f$;
CREATE SCHEMA la AUTHORIZATION regress_la_owner;
CREATE TABLE la.loot(curuser name, what text);
GRANT USAGE ON SCHEMA la TO PUBLIC;
GRANT INSERT, SELECT ON la.loot TO PUBLIC;
-- a real mask: applied
CREATE TABLE la.data(id int, email text);
INSERT INTO la.data VALUES (1, 'v@example.com');
GRANT SELECT ON la.data TO regress_la_reader;
SELECT privacy.mask_column('la.data', 'email', 'privacy.mask_email(email)');
SET ROLE regress_la_reader;
SELECT id, email FROM la.data;
RESET ROLE;
-- a real hold: the superuser's TRUNCATE of its own held table is refused
CREATE TABLE la.held(id int);
INSERT INTO la.held VALUES (1);
SELECT privacy.place_hold('la.held', 'id = 1', 'case 1') AS held_id \gset
SELECT pg_temp.try('TRUNCATE la.held');
SELECT count(*) AS held_rows FROM la.held;
SELECT privacy.release_hold(:held_id);
-- a hold placed by an administrator on a family that a superuser's member
-- joins afterwards (placing it on a family that already has one is
-- refused): its condition is not run as the superuser (the statement is
-- refused)
CREATE TABLE la.fam(id int);
ALTER TABLE la.fam OWNER TO regress_la_owner;
SET ROLE regress_la_admin;
SELECT privacy.place_hold('la.fam', 'id = 1', 'case 2') AS fam_hold \gset
RESET ROLE;
CREATE TABLE la.fam_su() INHERITS (la.fam);
INSERT INTO la.fam_su VALUES (2);
SELECT pg_temp.try('TRUNCATE la.fam_su');
SELECT count(*) AS fam_su_rows FROM la.fam_su;
SELECT privacy.release_hold(:fam_hold);
SELECT pg_temp.try('TRUNCATE la.fam_su');
-- a superuser's hold whose stored condition was changed by hand to several
-- statements: not run, the statement is refused
CREATE TABLE la.tampered(id int);
INSERT INTO la.tampered VALUES (1);
CREATE FUNCTION la.evil3() RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN INSERT INTO la.loot VALUES (current_user, 'tampered hold ran'); RETURN false; END $f$;
SELECT privacy.place_hold('la.tampered', 'id = 2', 'case 3') AS tampered_hold \gset
UPDATE privacy._legal_hold SET condition = 'false) IS TRUE); SELECT la.evil3(); SELECT (true'
WHERE id = :tampered_hold;
SELECT pg_temp.try('TRUNCATE la.tampered');
SELECT pg_temp.try('DROP TABLE la.tampered');
SELECT count(*) AS tampered_rows FROM la.tampered;
-- a wrapper with a sublink planted in privacy_expr by hand: fails closed
CREATE TABLE la.notes(id int, note text);
INSERT INTO la.notes VALUES (1, 'a note');
GRANT SELECT ON la.notes TO regress_la_reader;
CREATE FUNCTION la.evil4(v text) RETURNS text LANGUAGE plpgsql STABLE AS $f$
BEGIN RETURN 'evil4 saw ' || v; END $f$;
SELECT privacy.mask_column('la.notes', 'note', 'privacy.redact(note)');
CREATE FUNCTION privacy_expr.planted(note text) RETURNS text LANGUAGE sql STABLE
RETURN (SELECT la.evil4(note));
UPDATE privacy._column_policy SET mask_function = 'privacy_expr.planted(text)'::regprocedure
WHERE relid = 'la.notes'::regclass;
\c :regress_db
SET ROLE regress_la_reader;
SELECT id, note FROM la.notes;
RESET ROLE;
SELECT what FROM la.loot ORDER BY what;

SET client_min_messages = warning;
SELECT privacy.unmask_column('la.notes', 'note');
SELECT privacy.unmask_column('la.data', 'email');
SELECT privacy.release_hold(:tampered_hold);
DROP SCHEMA la CASCADE;
DROP OWNED BY privacy_admin, privacy_auditor, regress_la_admin;
DROP ROLE regress_la_reader, regress_la_owner, regress_la_admin, privacy_admin, privacy_auditor;
RESET client_min_messages;
