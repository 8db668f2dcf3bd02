-- export_families: export_subject and erase_subject on table families and
-- changed tables (red-team wave 5 F2, F5, F11, F12b).
--  F2   a partitioned and an inherited registered table hold several
--       subjects: every partition's first row has the row id (0,1), yet
--       each export has exactly that subject's rows (the superuser sees
--       every row of the family: positive control).
--  F5   a superuser's registered table with a column whose type (directly,
--       or as an array element, domain base or composite field), or its
--       cast to json's function, belongs to another role is refused: that
--       role's cast to json would run with the exporter's rights (it made
--       itself superuser). The same type in a table of that role (positive
--       control) is exported, its cast run as the owner.
--  F11  a BYPASSRLS privacy administrator exports a table with the owner's
--       restrictive policy; an administrator without BYPASSRLS is refused.
--  F12b a registered table its owner turns into a view is reported as an
--       error; every other table is still exported and erased.
SET client_min_messages = warning;
SELECT privacy.setup_roles();
CREATE ROLE regress_xf_admin IN ROLE privacy_admin;
CREATE ROLE regress_xf_bypass BYPASSRLS IN ROLE privacy_admin;
CREATE ROLE regress_xf_owner;
RESET client_min_messages;
CREATE SCHEMA xf;
GRANT USAGE ON SCHEMA xf TO PUBLIC;
GRANT CREATE ON SCHEMA xf TO regress_xf_owner;

-- F2: families owned by a role that is not a superuser
SET ROLE regress_xf_owner;
CREATE TABLE xf.visits (email text, region text, note text) PARTITION BY LIST (region);
CREATE TABLE xf.visits_eu PARTITION OF xf.visits FOR VALUES IN ('eu');
CREATE TABLE xf.visits_us PARTITION OF xf.visits FOR VALUES IN ('us');
INSERT INTO xf.visits VALUES ('ann' || '@example.org', 'eu', 'ann visit'), ('bo' || '@example.org', 'us', 'bo visit'),
	('bo' || '@example.org', 'eu', 'bo second visit');
CREATE TABLE xf.notes (email text, note text);
CREATE TABLE xf.notes_child (extra text) INHERITS (xf.notes);
INSERT INTO xf.notes VALUES ('cy' || '@example.org', 'cy parent note');
INSERT INTO xf.notes_child VALUES ('ann' || '@example.org', 'ann child note', 'x');
GRANT SELECT ON xf.visits, xf.notes TO regress_xf_admin, regress_xf_bypass;
RESET ROLE;
SELECT privacy.register_subject('xf.visits', 'email');
SELECT privacy.register_subject('xf.notes', 'email');
-- the row ids repeat across the members of each family
SELECT ctid, tableoid::regclass AS member, note FROM xf.visits ORDER BY note;
SELECT ctid, tableoid::regclass AS member, note FROM xf.notes ORDER BY note;
SET ROLE regress_xf_admin;
SELECT jsonb_pretty(privacy.export_subject('ann' || '@example.org'));
SELECT jsonb_pretty(privacy.export_subject('bo' || '@example.org'));
SELECT jsonb_pretty(privacy.export_subject('cy' || '@example.org'));
RESET ROLE;
-- positive control: the superuser reads every row of each family
SELECT count(*) AS visits_rows FROM xf.visits;
SELECT count(*) AS notes_rows FROM xf.notes;
-- a direct call with a forged row-id list reads only the subject's rows
SET ROLE regress_xf_admin;
SELECT privacy._export_rows('xf.visits', '{"(0,1)","(0,2)"}', 'ann' || '@example.org', '{}', '{}') AS forged_ids;
RESET ROLE;

-- F11: the owner's restrictive policy applies to an administrator without
-- BYPASSRLS (refused, as before) and not to a BYPASSRLS administrator
SET ROLE regress_xf_owner;
ALTER TABLE xf.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY xf_notes_all ON xf.notes FOR SELECT USING (true);
CREATE POLICY xf_notes_hide ON xf.notes AS RESTRICTIVE FOR SELECT USING (note <> 'cy parent note');
RESET ROLE;
SET ROLE regress_xf_admin;
\set ON_ERROR_STOP 0
SELECT privacy.export_subject('cy' || '@example.org') -> 'xf.notes';
\set ON_ERROR_STOP 1
RESET ROLE;
SET ROLE regress_xf_bypass;
SELECT count(*) AS notes_rows_read_directly FROM xf.notes;
SELECT privacy.export_subject('cy' || '@example.org') -> 'xf.notes' AS notes_exported_by_bypassrls;
RESET ROLE;
SET ROLE regress_xf_owner;
DROP POLICY xf_notes_all ON xf.notes;
DROP POLICY xf_notes_hide ON xf.notes;
ALTER TABLE xf.notes DISABLE ROW LEVEL SECURITY;
RESET ROLE;

-- F5: a type of regress_xf_owner whose cast to json tries to make its owner
-- superuser and to read pg_privacy's consent registry, and records who ran it
SET ROLE regress_xf_owner;
CREATE TYPE xf.level AS ENUM ('low', 'high');
CREATE DOMAIN xf.level_d AS xf.level;
CREATE TYPE xf.level_pair AS (a int, l xf.level);
CREATE TABLE xf.probe (ran_as name, outcome text);
GRANT INSERT ON xf.probe TO PUBLIC;
CREATE FUNCTION xf.level_json(v xf.level) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		EXECUTE 'ALTER ROLE regress_xf_owner SUPERUSER';
		INSERT INTO xf.probe VALUES (current_user, 'became superuser');
	EXCEPTION WHEN insufficient_privilege THEN
		INSERT INTO xf.probe VALUES (current_user, 'ALTER ROLE denied');
	END;
	BEGIN
		PERFORM count(*) FROM privacy._consent;
		INSERT INTO xf.probe VALUES (current_user, 'consent read');
	EXCEPTION WHEN insufficient_privilege THEN
		INSERT INTO xf.probe VALUES (current_user, 'consent denied');
	END;
	RETURN to_json(v::text);
END $$;
CREATE CAST (xf.level AS json) WITH FUNCTION xf.level_json(xf.level);
-- positive control: the same type in the role's own table
CREATE TABLE xf.own_levels (email text, lvl xf.level);
INSERT INTO xf.own_levels VALUES ('ann' || '@example.org', 'high');
GRANT SELECT ON xf.own_levels TO regress_xf_admin;
RESET ROLE;
-- superusers' tables using that type: directly, as array element, through a
-- domain, as a composite's field
CREATE TABLE xf.su_levels (email text, lvl xf.level);
CREATE TABLE xf.su_level_arrays (email text, lvls xf.level[]);
CREATE TABLE xf.su_level_domains (email text, lvl xf.level_d);
CREATE TABLE xf.su_level_pairs (email text, p xf.level_pair);
INSERT INTO xf.su_levels VALUES ('ann' || '@example.org', 'high');
GRANT SELECT ON xf.su_levels, xf.su_level_arrays, xf.su_level_domains, xf.su_level_pairs TO regress_xf_admin;
SELECT privacy.register_subject('xf.own_levels', 'email');
SET client_min_messages = warning;
SELECT privacy.register_subject('xf.su_levels', 'email');
RESET client_min_messages;
SET ROLE regress_xf_admin;
\set ON_ERROR_STOP 0
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.su_levels';
RESET ROLE;
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.su_levels';
\set ON_ERROR_STOP 1
SELECT privacy.unregister_subject('xf.su_levels');
\set ON_ERROR_STOP 0
SELECT privacy.register_subject('xf.su_level_arrays', 'email');
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.su_level_arrays';
SELECT privacy.unregister_subject('xf.su_level_arrays');
SELECT privacy.register_subject('xf.su_level_domains', 'email');
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.su_level_domains';
SELECT privacy.unregister_subject('xf.su_level_domains');
SELECT privacy.register_subject('xf.su_level_pairs', 'email');
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.su_level_pairs';
SELECT privacy.unregister_subject('xf.su_level_pairs');
-- a superuser's type whose cast to json uses the role's function
CREATE TYPE xf.su_level AS ENUM ('low', 'high');
SET ROLE regress_xf_owner;
CREATE FUNCTION xf.su_level_json(v xf.su_level) RETURNS json LANGUAGE sql AS $$ SELECT xf.level_json(v::text::xf.level) $$;
RESET ROLE;
CREATE CAST (xf.su_level AS json) WITH FUNCTION xf.su_level_json(xf.su_level);
CREATE TABLE xf.su_borrowed (email text, lvl xf.su_level);
GRANT SELECT ON xf.su_borrowed TO regress_xf_admin;
SELECT privacy.register_subject('xf.su_borrowed', 'email');
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.su_borrowed';
SELECT privacy.unregister_subject('xf.su_borrowed');
\set ON_ERROR_STOP 1
-- the positive control: the owner's table is exported, its cast run as the
-- owner (denied both), never as the administrator or the superuser
SET ROLE regress_xf_admin;
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.own_levels' AS own_levels_by_admin;
RESET ROLE;
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.own_levels' AS own_levels_by_superuser;
SELECT CASE WHEN ran_as = 'regress_xf_owner' THEN 'the owner' WHEN ran_as = current_user THEN '(superuser)' ELSE ran_as::text END AS ran_as,
	outcome, count(*) > 0 AS ran
FROM xf.probe GROUP BY 1, 2 ORDER BY 1, 2;
SELECT rolsuper AS owner_is_superuser FROM pg_roles WHERE rolname = 'regress_xf_owner';
-- a superuser's table with types of superusers only is exported as before
CREATE TABLE xf.su_plain (email text, n int[], r int4range);
INSERT INTO xf.su_plain VALUES ('ann' || '@example.org', '{1,2}', '[1,3)');
GRANT SELECT ON xf.su_plain TO regress_xf_admin;
SELECT privacy.register_subject('xf.su_plain', 'email');
SET ROLE regress_xf_admin;
SELECT privacy.export_subject('ann' || '@example.org') -> 'xf.su_plain' AS su_plain_by_admin;
RESET ROLE;
SELECT privacy.unregister_subject('xf.own_levels');
SELECT privacy.unregister_subject('xf.su_plain');

-- F12b: the owner turns its (empty) registered table into a view
SET ROLE regress_xf_owner;
CREATE TABLE xf.xv (email text PRIMARY KEY, info text);
GRANT SELECT ON xf.xv TO regress_xf_admin;
CREATE TABLE xf.xv_child (email text CONSTRAINT xv_child_fk REFERENCES xf.xv, info text);
RESET ROLE;
SELECT privacy.register_subject('xf.xv', 'email');
SELECT privacy.register_subject('xf.xv_child', 'email', via => 'xf.xv');
-- (the foreign key and key go first, and VACUUM clears the table's
-- trigger flag: a table with triggers or indexes cannot become a view; the
-- child's rows would then be found by reading the view, which is not read)
SET ROLE regress_xf_owner;
ALTER TABLE xf.xv_child DROP CONSTRAINT xv_child_fk;
ALTER TABLE xf.xv DROP CONSTRAINT xv_pkey;
VACUUM xf.xv;
CREATE RULE "_RETURN" AS ON SELECT TO xf.xv DO INSTEAD SELECT n.email, n.note AS info FROM xf.notes n;
RESET ROLE;
SELECT relkind FROM pg_class WHERE oid = 'xf.xv'::regclass;
SET ROLE regress_xf_admin;
SELECT jsonb_pretty(privacy.export_subject('ann' || '@example.org'));
SELECT privacy._export_rows('xf.xv', '{}', 'ann' || '@example.org', '{}', '{}') AS direct_read_of_view;
RESET ROLE;
SELECT jsonb_pretty(privacy.erase_subject('bo' || '@example.org'));
SELECT count(*) AS bo_rows_left FROM xf.visits WHERE email = 'bo' || '@example.org';
SELECT count(*) AS ann_rows_left FROM xf.visits WHERE email = 'ann' || '@example.org';

SELECT privacy.unregister_subject('xf.xv_child');
SELECT privacy.unregister_subject('xf.xv');
SELECT privacy.unregister_subject('xf.notes');
SELECT privacy.unregister_subject('xf.visits');
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
SET client_min_messages = warning;
DROP SCHEMA xf CASCADE;
DROP OWNED BY privacy_admin, privacy_auditor, regress_xf_admin, regress_xf_bypass, regress_xf_owner;
DROP ROLE regress_xf_admin, regress_xf_bypass, regress_xf_owner, privacy_admin, privacy_auditor;
RESET client_min_messages;
