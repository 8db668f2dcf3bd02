-- redteam_wave2.sql: the red-team pass over the merged 0.2.0 work found
-- these; each section shows the attack refused and a positive control.
-- 1. register_subject on a system or pg_privacy table (an administrator's
--    erase_subject would then delete from it as its owner, the bootstrap
--    superuser): refused.
-- 2. a subject or token column of a type whose owner attached a cast to
--    text (export_subject and retokenize read it with pg_privacy's rights:
--    the cast's function would run as a superuser): refused at
--    registration, at use after ALTER COLUMN TYPE, and by retokenize.
-- 3. ALTER TABLE ... SET UNLOGGED on a table with held rows (a crash or a
--    failover would lose them): refused.
-- 4. privacy._export_rows called directly with other rows' ids: reads only
--    the subject's rows.
SET client_min_messages = warning;
SELECT privacy.setup_roles('regress_rt2_admin', 'regress_rt2_auditor');
RESET client_min_messages;
SET privacy.admin_role = 'regress_rt2_admin';
CREATE ROLE regress_rt2_dpo IN ROLE regress_rt2_admin;
CREATE ROLE regress_rt2_owner;
CREATE SCHEMA rt2 AUTHORIZATION regress_rt2_owner;
GRANT USAGE ON SCHEMA rt2 TO regress_rt2_dpo;
\set VERBOSITY terse

-- 1. system and pg_privacy tables
SET ROLE regress_rt2_dpo;
\set ON_ERROR_STOP 0
SELECT privacy.register_subject('pg_catalog.pg_authid', 'rolname');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.register_subject('privacy._legal_hold', 'placed_by');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.register_subject('privacy.audit_log', 'role_name');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT count(*) AS registered FROM privacy._subject_table
WHERE relid::oid < 16384 OR relid::regclass::text LIKE 'privacy.%';

-- 2. a type whose owner attached a cast to text
SET ROLE regress_rt2_owner;
CREATE TYPE rt2.ct AS (v text);
CREATE FUNCTION rt2.ct_text(rt2.ct) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	-- would record that it ran with superuser rights
	IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
		RAISE EXCEPTION 'the owner''s cast ran as a superuser';
	END IF;
	RETURN ($1).v;
END $$;
CREATE CAST (rt2.ct AS text) WITH FUNCTION rt2.ct_text(rt2.ct);
CREATE TABLE rt2.subj (person rt2.ct, email text, info text);
INSERT INTO rt2.subj VALUES (ROW('alice'), 'alice@example.org', 'x');
GRANT SELECT ON rt2.subj TO regress_rt2_dpo;
RESET ROLE;
SET ROLE regress_rt2_dpo;
\set ON_ERROR_STOP 0
SELECT privacy.register_subject('rt2.subj', 'person');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
-- positive control: a built-in subject column registers and exports
SELECT privacy.register_subject('rt2.subj', 'email');
SELECT jsonb_array_length(privacy.export_subject('alice' || '@example.org') -> 'rt2.subj') AS exported_rows;
RESET ROLE;
-- the owner changes the registered column's type afterwards: exports and
-- erasures refuse instead of running its cast
SET ROLE regress_rt2_owner;
CREATE FUNCTION rt2.to_ct(text) RETURNS rt2.ct LANGUAGE sql AS $$ SELECT ROW($1)::rt2.ct $$;
ALTER TABLE rt2.subj ALTER COLUMN email TYPE rt2.ct USING rt2.to_ct(email);
RESET ROLE;
SET ROLE regress_rt2_dpo;
\set ON_ERROR_STOP 0
SELECT privacy.export_subject('alice');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.erase_subject('alice');
\echo :LAST_ERROR_SQLSTATE
-- retokenize reads tokens with pg_privacy's rights: the same type is refused
RESET ROLE;
SELECT privacy.create_key('default') > 0 AS key_created;
SET ROLE regress_rt2_dpo;
SELECT privacy.retokenize('rt2.subj', 'person');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT rolsuper AS owner_is_superuser FROM pg_roles WHERE rolname = 'regress_rt2_owner';
SELECT privacy.drop_key('default', force => true);
SELECT privacy.unregister_subject('rt2.subj');

-- 3. SET UNLOGGED with held rows
CREATE TABLE rt2.h (id int, cust int);
ALTER TABLE rt2.h OWNER TO regress_rt2_owner;
INSERT INTO rt2.h VALUES (1, 1), (2, 2);
SELECT privacy.place_hold('rt2.h', 'cust = 1', 'litigation') > 0 AS placed;
SET ROLE regress_rt2_owner;
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
ALTER TABLE rt2.h SET UNLOGGED;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
-- positive control: a table without holds can be made unlogged
CREATE TABLE rt2.free (id int);
ALTER TABLE rt2.free SET UNLOGGED;
RESET ROLE;
SELECT relname, relpersistence FROM pg_class WHERE relname IN ('h', 'free') AND relnamespace = 'rt2'::regnamespace ORDER BY 1;
SELECT privacy.release_hold(id) IS NULL AS released FROM privacy.legal_holds WHERE table_name = 'rt2.h'::regclass AND active;

-- 4. a direct call of privacy._export_rows with row ids that are not the
--    subject's reads nothing (it used to read them past the consent filter)
CREATE TABLE rt2.c (id int, email text, note text);
ALTER TABLE rt2.c OWNER TO regress_rt2_owner;
INSERT INTO rt2.c VALUES (1, 'ann@example.org', 'a'), (2, 'bob@example.org', 'b'), (3, 'cy@example.org', 'c');
GRANT SELECT ON rt2.c TO regress_rt2_dpo;
SELECT privacy.create_purpose('regress_rt2_mail', 'mailing');
SELECT privacy.require_consent('rt2.c', 'email', 'regress_rt2_mail');
SELECT privacy.register_subject('rt2.c', 'email');
SELECT array_agg(ctid ORDER BY id) AS all_rows FROM rt2.c \gset
SET ROLE regress_rt2_dpo;
SELECT count(*) AS rows_visible_to_admin FROM rt2.c;
SELECT jsonb_array_length(privacy._export_rows('rt2.c', :'all_rows', 'nobody', '{}', '{}')) AS rows_of_an_unknown_subject;
-- positive control: the subject's own rows come back
SELECT jsonb_array_length(privacy._export_rows('rt2.c', :'all_rows', 'bob' || '@example.org', '{}', '{}')) AS rows_of_bob;
RESET ROLE;
SELECT privacy.unregister_subject('rt2.c');
SELECT privacy.drop_row_policy('rt2.c', name) FROM privacy.row_policies WHERE table_name = 'rt2.c'::regclass;
DELETE FROM privacy._purpose WHERE name = 'regress_rt2_mail';

\set VERBOSITY default
DROP SCHEMA rt2 CASCADE;
DROP OWNED BY regress_rt2_admin, regress_rt2_auditor;
DROP ROLE regress_rt2_dpo, regress_rt2_owner, regress_rt2_admin, regress_rt2_auditor;
