-- redteam_wave5_expr.sql: red-team pass 5, findings F3, F4 and F10; each
-- section shows the attack refused and a positive control.
-- F3. Built-ins that run queries, views or cursors of any role
--     (table_to_xml, schema_to_xml, database_to_xml, ...: STABLE, owned by
--     the bootstrap superuser) are refused in masks, row filters and hold
--     conditions, when declared and when a stored one is loaded, and so
--     are values coerced into a domain of an untrusted owner (its CHECK
--     constraints run any function); a hold on
--     a family with a superuser-owned member is a superuser's to place.
-- F4. A stored generated column over a masked column is masked in a
--     database that only masks (no categories, default deny or lineage):
--     redteam_wave5_lineage.sql.
-- F10. While pg_privacy's own statement runs (anonymize_table), the
--     write-back guard still refuses what the owner's triggers and rules
--     write elsewhere.
-- Runs in a database of its own: it leaves holds and policies behind.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
CREATE DATABASE regress_rt5_expr;
RESET client_min_messages;
\c regress_rt5_expr
CREATE EXTENSION pg_privacy;
SET client_min_messages = warning;
SELECT privacy.setup_roles('regress_rt5_admin', 'regress_rt5_auditor');
RESET client_min_messages;
SET privacy.admin_role = 'regress_rt5_admin';
CREATE ROLE regress_rt5_dpo IN ROLE regress_rt5_admin;
CREATE ROLE regress_rt5_owner;
CREATE ROLE regress_rt5_creator;
CREATE ROLE regress_rt5_reader;
CREATE SCHEMA rt5 AUTHORIZATION regress_rt5_owner;
GRANT USAGE ON SCHEMA rt5 TO regress_rt5_dpo, regress_rt5_creator, regress_rt5_reader;
GRANT CREATE ON SCHEMA rt5 TO regress_rt5_creator;
\set VERBOSITY terse

-- F3: the creator's view runs its function (which logs who ran it)
SET ROLE regress_rt5_creator;
CREATE TABLE rt5.ran(who text);
GRANT INSERT, SELECT ON rt5.ran TO PUBLIC;
CREATE FUNCTION rt5.spy() RETURNS int LANGUAGE plpgsql AS $$
BEGIN INSERT INTO rt5.ran VALUES (CASE WHEN current_user = session_user THEN 'session' ELSE current_user END); RETURN 1; END $$;
GRANT EXECUTE ON FUNCTION rt5.spy() TO PUBLIC;
CREATE VIEW rt5.spy_v AS SELECT rt5.spy() AS x;
GRANT SELECT ON rt5.spy_v TO PUBLIC;
RESET ROLE;
SET ROLE regress_rt5_owner;
CREATE TABLE rt5.held(id int, note text);
INSERT INTO rt5.held VALUES (1, 'a'), (2, 'b');
GRANT SELECT ON rt5.held TO regress_rt5_reader;
RESET ROLE;
SET ROLE regress_rt5_dpo;
\set ON_ERROR_STOP 0
SELECT privacy.mask_column('rt5.held', 'note',
    'pg_catalog.table_to_xml(''rt5.spy_v''::regclass, true, false, '''')::text');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('rt5.held', 'note',
    'CASE WHEN pg_catalog.schema_to_xmlschema(''rt5'', true, false, '''') IS NULL THEN note END');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('rt5.held', 'spy',
    'pg_catalog.table_to_xml_and_xmlschema(''rt5.spy_v''::regclass, true, false, '''') IS NOT NULL');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('rt5.held', 'spy',
    'pg_catalog.database_to_xmlschema(true, false, '''') IS NOT NULL');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.place_hold('rt5.held',
    'pg_catalog.table_to_xml(''rt5.spy_v''::regclass, true, false, '''') IS NULL AND id = 1', 'case 1');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.place_hold('rt5.held',
    'pg_catalog.table_to_xmlschema(''rt5.spy_v''::regclass, true, false, '''') IS NOT NULL AND id = 1', 'case 1');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
-- a domain of the creator's, whose CHECK runs its function: a cast to it,
-- or a record built of it, would run that function as each masked role
RESET ROLE;
SET ROLE regress_rt5_creator;
CREATE FUNCTION rt5.spy_check(text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO rt5.ran VALUES (CASE WHEN current_user = session_user THEN 'session' ELSE current_user END); RETURN true; END $$;
GRANT EXECUTE ON FUNCTION rt5.spy_check(text) TO PUBLIC;
CREATE DOMAIN rt5.spy_d AS text CHECK (rt5.spy_check(VALUE));
CREATE TYPE rt5.spy_c AS (v rt5.spy_d);
RESET ROLE;
SET ROLE regress_rt5_dpo;
\set ON_ERROR_STOP 0
SELECT privacy.mask_column('rt5.held', 'note', '(note::rt5.spy_d)::text');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('rt5.held', 'note',
    'CASE WHEN pg_catalog.json_populate_record(NULL::rt5.spy_c, ''{"v":"x"}'') IS NULL THEN note END');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('rt5.held', 'spy', '(note::rt5.spy_d[]) IS NOT NULL');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.place_hold('rt5.held', '(''(x)''::rt5.spy_c) IS NOT NULL AND id = 1', 'case 1');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
-- positive controls: superusers' STABLE built-ins are accepted in all three
SELECT privacy.mask_column('rt5.held', 'note', 'pg_catalog.upper(note)');
SELECT privacy.add_row_filter('rt5.held', 'ok', 'pg_catalog.length(note) > 0');
SELECT privacy.place_hold('rt5.held', 'id = 1', 'case 1') > 0 AS placed;
RESET ROLE;
SET ROLE regress_rt5_reader;
SELECT id, note FROM rt5.held ORDER BY id;
RESET ROLE;
-- a stored mask that calls table_to_xml (stored before this check; here
-- planted by a superuser) fails closed when loaded: nothing runs
DO $$
DECLARE fn regprocedure;
BEGIN
	SELECT mask_function INTO fn FROM privacy._column_policy
	WHERE relid = 'rt5.held'::regclass AND column_name = 'note';
	EXECUTE format('CREATE OR REPLACE FUNCTION privacy_expr.%I(%s) RETURNS text LANGUAGE sql STABLE '
	               'RETURN pg_catalog.table_to_xml(''rt5.spy_v''::regclass, true, false, '''')::text',
	               (SELECT proname FROM pg_proc WHERE oid = fn), pg_get_function_arguments(fn));
END $$;
SELECT privacy._invalidate_policies('rt5.held');
SET ROLE regress_rt5_reader;
\set ON_ERROR_STOP 0
SELECT id, note FROM rt5.held ORDER BY id;
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT count(*) AS creator_code_ran FROM rt5.ran;
SET ROLE regress_rt5_dpo;
SELECT privacy.unmask_column('rt5.held', 'note');
SELECT privacy.drop_row_policy('rt5.held', 'ok');
RESET ROLE;

-- F3: a family with a superuser-owned member: the administrator's hold is
-- refused (the member's truncation would evaluate it as the superuser); a
-- superuser places it
SET ROLE regress_rt5_owner;
CREATE TABLE rt5.fam(id int, region text) PARTITION BY LIST (region);
CREATE TABLE rt5.fam_eu PARTITION OF rt5.fam FOR VALUES IN ('eu');
RESET ROLE;
CREATE TABLE rt5.fam_us PARTITION OF rt5.fam FOR VALUES IN ('us');
SET ROLE regress_rt5_dpo;
\set ON_ERROR_STOP 0
SELECT privacy.place_hold('rt5.fam', 'id = 1', 'case 2');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.place_hold('rt5.fam_eu', 'id = 1', 'case 2');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT count(*) AS holds_on_fam FROM privacy.legal_holds WHERE active AND table_name::text LIKE 'rt5.fam%';
-- positive control: without the superuser's member the administrator may
DROP TABLE rt5.fam_us;
SET ROLE regress_rt5_dpo;
SELECT privacy.place_hold('rt5.fam', 'id = 1', 'case 2') > 0 AS placed;
RESET ROLE;
SELECT count(*) AS holds_on_fam FROM privacy.legal_holds WHERE active AND table_name::text LIKE 'rt5.fam%';

-- a hold condition runs only superusers' functions also when compiled
-- later (into the hold triggers of a new partition): a function given
-- away to an administrator after the hold was placed fails closed
CREATE FUNCTION rt5.is_one(int) RETURNS boolean LANGUAGE sql STABLE RETURN $1 = 1;
GRANT EXECUTE ON FUNCTION rt5.is_one(int) TO PUBLIC;
SET ROLE regress_rt5_owner;
CREATE TABLE rt5.fam2(id int, region text) PARTITION BY LIST (region);
CREATE TABLE rt5.fam2_eu PARTITION OF rt5.fam2 FOR VALUES IN ('eu');
RESET ROLE;
SET ROLE regress_rt5_dpo;
SELECT privacy.place_hold('rt5.fam2', 'rt5.is_one(id)', 'case 3') > 0 AS placed;
RESET ROLE;
ALTER FUNCTION rt5.is_one(int) OWNER TO regress_rt5_dpo;
SET ROLE regress_rt5_owner;
\set ON_ERROR_STOP 0
CREATE TABLE rt5.fam2_us PARTITION OF rt5.fam2 FOR VALUES IN ('us');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
-- positive control: owned by a superuser again, the partition is created
ALTER FUNCTION rt5.is_one(int) OWNER TO CURRENT_USER;
SET ROLE regress_rt5_owner;
CREATE TABLE rt5.fam2_us PARTITION OF rt5.fam2 FOR VALUES IN ('us');
RESET ROLE;
SELECT count(*) AS hold_triggers FROM pg_trigger WHERE tgrelid = 'rt5.fam2_us'::regclass;

-- F10: the owner of an anonymized table writes, from its trigger, the
-- masked value it reads of another governed table over the raw one
SET ROLE regress_rt5_creator;
CREATE TABLE rt5.cust(id int PRIMARY KEY, email text);
INSERT INTO rt5.cust VALUES (1, 'alice@example.com'), (2, 'bob@example.com');
GRANT SELECT, UPDATE ON rt5.cust TO regress_rt5_owner;
RESET ROLE;
SET ROLE regress_rt5_dpo;
SELECT privacy.mask_column('rt5.cust', 'email', 'privacy.mask_email(email)');
RESET ROLE;
SET ROLE regress_rt5_owner;
CREATE TABLE rt5.ta(id int, secret text);
INSERT INTO rt5.ta VALUES (1, 's1');
CREATE FUNCTION rt5.ta_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v text;
BEGIN
	SELECT email INTO v FROM rt5.cust WHERE id = 2;
	UPDATE rt5.cust SET email = v WHERE id = 2;
	RETURN NEW;
END $$;
CREATE TRIGGER ta_trg BEFORE UPDATE ON rt5.ta FOR EACH ROW EXECUTE FUNCTION rt5.ta_trg();
RESET ROLE;
SET ROLE regress_rt5_dpo;
SELECT privacy.mask_column('rt5.ta', 'secret', '''xxx''');
RESET ROLE;
\set ON_ERROR_STOP 0
-- control: the owner's own UPDATE fires the trigger: refused
SET ROLE regress_rt5_owner;
UPDATE rt5.ta SET id = id;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- the same trigger during anonymize_table: refused as well
SET ROLE regress_rt5_dpo;
SELECT privacy.anonymize_table('rt5.ta');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
\set ON_ERROR_STOP 1
SELECT id, email FROM rt5.cust ORDER BY id;
SELECT id, secret FROM rt5.ta ORDER BY id;
-- an owner's DO INSTEAD rule: its action is not pg_privacy's statement
SET ROLE regress_rt5_owner;
DROP TRIGGER ta_trg ON rt5.ta;
CREATE TABLE rt5.tb(id int, secret text);
INSERT INTO rt5.tb VALUES (1, 's1');
CREATE FUNCTION rt5.email_of(int) RETURNS text LANGUAGE plpgsql STABLE
AS $$ BEGIN RETURN (SELECT c.email FROM rt5.cust c WHERE c.id = $1); END $$;
CREATE RULE tb_instead AS ON UPDATE TO rt5.tb DO INSTEAD
	UPDATE rt5.cust SET email = rt5.email_of(1) WHERE id = 1;
RESET ROLE;
SET ROLE regress_rt5_dpo;
SELECT privacy.mask_column('rt5.tb', 'secret', '''xxx''');
\set ON_ERROR_STOP 0
SELECT privacy.anonymize_table('rt5.tb');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT id, email FROM rt5.cust ORDER BY id;
-- positive control: anonymize_table itself still writes its masked values
-- (over raw ones, the guard not in its way), the owner's trigger gone
SET ROLE regress_rt5_dpo;
SELECT privacy.anonymize_table('rt5.ta');
RESET ROLE;
SELECT id, secret FROM rt5.ta ORDER BY id;
SELECT id, email FROM rt5.cust ORDER BY id;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE regress_rt5_expr;
DROP ROLE regress_rt5_dpo, regress_rt5_owner, regress_rt5_creator, regress_rt5_reader,
    regress_rt5_admin, regress_rt5_auditor;
RESET client_min_messages;
