-- categories: classification drives protection (issue 18).
--  1. A protection bound to a category masks every column classified with
--     it, for every role that is not exempt (positive control: an exempt
--     role and a category-exempt role read raw values); a column's own mask
--     wins; bindings are validated like masks (shape, volatile, untrusted
--     functions, search_path) and fit every classified column.
--  2. Default deny: a column added to a governed table is NULL (text:
--     redacted) for masked roles until classified or marked not personal;
--     columns present at governance are not touched; opt-out per table;
--     coverage_gaps and effective_access show it.
--  3. Lineage: a generated column over a protected column, and CREATE TABLE
--     AS / SELECT INTO / CREATE MATERIALIZED VIEW built by an exempt role
--     from protected columns, are masked for masked roles; untraced paths
--     (INSERT ... SELECT into an existing table) are documented, not masked.
SET client_min_messages = warning;
SELECT privacy.setup_roles();
CREATE ROLE regress_cat_reader;
CREATE ROLE regress_cat_exempt;
CREATE ROLE regress_cat_email_ok;
CREATE ROLE regress_cat_owner;
RESET client_min_messages;

CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN st || ' ' || msg;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

CREATE TABLE cat_people (id int PRIMARY KEY, email text, phone text, note text);
INSERT INTO cat_people VALUES (1, 'alice@example.com', '+33 6 12 34 56 78', 'likes tea'),
                              (2, 'bob@example.org', '+44 7700 900123', NULL);
GRANT SELECT, INSERT, UPDATE ON cat_people TO regress_cat_reader, regress_cat_exempt, regress_cat_email_ok;

-- 1. bindings -------------------------------------------------------------
-- malformed bindings are refused, nothing stored
SELECT pg_temp.try($$SELECT privacy.bind_category('email', 'privacy.mask_email(email)')$$) AS other_column;
SELECT pg_temp.try($$SELECT privacy.bind_category('email', 'lower(value) FROM cat_people')$$) AS clauses;
SELECT pg_temp.try($$SELECT privacy.bind_category('email', '(SELECT value)')$$) AS subquery;
SELECT pg_temp.try($$SELECT privacy.bind_category('nonsense', 'privacy.redact(value)')$$) AS unknown_category;
SELECT pg_temp.try($$SELECT privacy.bind_category('email', NULL)$$) AS null_mask;
SELECT pg_temp.try($$SELECT privacy.bind_category('email', 'privacy.mask_email(U&"\0076alue")')$$) AS escaped_value;
-- checked before any column is classified: no untrusted function, no
-- protection that returns the column unchanged
CREATE ROLE regress_cat_untrusted;
CREATE FUNCTION public.cat_leak(t text) RETURNS text LANGUAGE sql STABLE AS 'SELECT t';
ALTER FUNCTION public.cat_leak(text) OWNER TO regress_cat_untrusted;
SELECT pg_temp.try($$SELECT privacy.bind_category('phone', 'public.cat_leak(value)')$$) AS untrusted;
SELECT pg_temp.try($$SELECT privacy.bind_category('phone', 'value')$$) AS unchanged;
DROP FUNCTION public.cat_leak(text);
DROP ROLE regress_cat_untrusted;
SELECT count(*) AS bindings FROM privacy.category_bindings;

-- classified first, bound afterwards: the binding must fit the column
SELECT privacy.classify('cat_people', 'email', 'email');
SELECT pg_temp.try($$SELECT privacy.bind_category('email', 'privacy.noise(value, 0.1)')$$) AS wrong_type;
SELECT pg_temp.try($$SELECT privacy.bind_category('email', 'mask_email(value)')$$) AS unqualified;
SELECT pg_temp.try($$SELECT privacy.bind_category('email', 'value || random()::text')$$) AS volatile;
SELECT privacy.bind_category('email', 'privacy.mask_email(value)');
SELECT privacy.bind_category('phone', 'privacy.mask_phone(value)');
-- bound first, classified afterwards
SELECT privacy.classify('cat_people', 'phone', 'phone');
SELECT category, mask, classified_columns FROM privacy.category_bindings ORDER BY 1;

SET ROLE regress_cat_reader;
SELECT id, email, phone, note FROM cat_people ORDER BY id;
SELECT count(*) AS where_raw_match FROM cat_people WHERE email = 'alice@example.com';
RESET ROLE;
-- positive controls: an exempt role, a category exemption (email only)
SELECT privacy.grant_unmasked('regress_cat_exempt', 'cat_people');
SELECT privacy.grant_unmasked_category('regress_cat_email_ok', 'email');
SET ROLE regress_cat_exempt;
SELECT id, email, phone FROM cat_people ORDER BY id;
SET ROLE regress_cat_email_ok;
SELECT id, email, phone FROM cat_people ORDER BY id;
SELECT count(*) AS where_raw_match FROM cat_people WHERE email = 'alice@example.com';
RESET ROLE;
-- every path: a view, COPY, a prepared statement run by an exempt role first
CREATE VIEW cat_people_v AS SELECT id, email FROM cat_people;
GRANT SELECT ON cat_people_v TO regress_cat_reader, regress_cat_exempt;
PREPARE cat_q AS SELECT email FROM cat_people WHERE id = 1;
SET ROLE regress_cat_exempt;
EXECUTE cat_q;
SET ROLE regress_cat_reader;
EXECUTE cat_q;
SELECT email FROM cat_people_v ORDER BY id;
COPY cat_people (id, email) TO STDOUT;
RESET ROLE;
DEALLOCATE cat_q;
DROP VIEW cat_people_v;
-- the write-back guard applies to category-masked columns
SET ROLE regress_cat_reader;
SELECT pg_temp.try($$UPDATE cat_people SET email = privacy.mask_email(email) WHERE id = 1$$) AS writeback;
RESET ROLE;
-- a column's own mask wins over its category
SELECT privacy.mask_column('cat_people', 'phone', 'privacy.redact(phone)');
SET ROLE regress_cat_reader;
SELECT id, phone FROM cat_people ORDER BY id;
RESET ROLE;
SELECT privacy.unmask_column('cat_people', 'phone');
-- unbinding lifts the protection (the classification stays)
SELECT privacy.unbind_category('phone');
SET ROLE regress_cat_reader;
SELECT id, phone FROM cat_people ORDER BY id;
RESET ROLE;
SELECT privacy.bind_category('phone', 'privacy.mask_phone(value)');
SELECT pg_temp.try($$SELECT privacy.revoke_unmasked_category('regress_cat_reader', 'email')$$) AS revoke_missing;
-- only administrators bind or exempt
SET ROLE regress_cat_reader;
SELECT pg_temp.try($$SELECT privacy.bind_category('email', 'privacy.redact(value)')$$) AS not_admin_bind;
SELECT pg_temp.try($$SELECT privacy.grant_unmasked_category('regress_cat_reader', 'email')$$) AS not_admin_grant;
RESET ROLE;

-- 2. default deny ---------------------------------------------------------
-- cat_people is governed: id and note (there before) stay readable
ALTER TABLE cat_people ADD COLUMN ssn text, ADD COLUMN score int;
UPDATE cat_people SET ssn = '123-45-678' || id, score = 700 + id;
SET ROLE regress_cat_reader;
SELECT id, note, ssn, score FROM cat_people ORDER BY id;
SELECT count(*) AS where_raw_match FROM cat_people WHERE score = 701;
RESET ROLE;
SET ROLE regress_cat_exempt;
SELECT id, ssn, score FROM cat_people ORDER BY id;
RESET ROLE;
SELECT table_name, column_name, category, source FROM privacy.coverage_gaps
WHERE table_name = 'cat_people'::regclass ORDER BY 2;
SELECT role_name, column_name, access, protected_by, codebook_exposure FROM privacy.effective_access
WHERE table_name = 'cat_people'::regclass AND role_name LIKE 'regress_cat_%' AND column_name IN ('ssn', 'score', 'email')
ORDER BY 1, 2;
-- renaming a denied column is refused (it would escape its record)
SELECT pg_temp.try($$ALTER TABLE cat_people RENAME COLUMN ssn TO ssn2$$) AS rename_denied;
-- classified: the category decides (national_id unbound: raw); marked not personal: raw
SELECT privacy.classify('cat_people', 'ssn', 'national_id');
SELECT privacy.mark_not_personal('cat_people', 'score');
SELECT pg_temp.try($$SELECT privacy.mark_not_personal('cat_people', 'email')$$) AS classified_column;
SET ROLE regress_cat_reader;
SELECT id, ssn, score FROM cat_people ORDER BY id;
RESET ROLE;
SELECT privacy.unmark_not_personal('cat_people', 'score');
SET ROLE regress_cat_reader;
SELECT id, score FROM cat_people ORDER BY id;
RESET ROLE;
-- opt-out per table
SELECT privacy.set_default_deny('cat_people', false);
SET ROLE regress_cat_reader;
SELECT id, score FROM cat_people ORDER BY id;
RESET ROLE;
SELECT column_name, source FROM privacy.coverage_gaps WHERE table_name = 'cat_people'::regclass ORDER BY 1;
SELECT privacy.set_default_deny('cat_people', true);
-- a typed table gets its new columns from ALTER TYPE ... ADD ATTRIBUTE
CREATE TYPE cat_person_t AS (id int, email text);
CREATE TABLE cat_typed OF cat_person_t;
INSERT INTO cat_typed VALUES (1, 'x@example.com');
GRANT SELECT ON cat_typed TO regress_cat_reader;
SELECT privacy.classify('cat_typed', 'email', 'other');
ALTER TYPE cat_person_t ADD ATTRIBUTE secret text CASCADE;
UPDATE cat_typed SET secret = 'typed secret';
-- and a parent nobody governs whose child is governed
CREATE TABLE cat_parent (id int, a text);
CREATE TABLE cat_child () INHERITS (cat_parent);
INSERT INTO cat_child VALUES (1, 'a');
GRANT SELECT ON cat_parent, cat_child TO regress_cat_reader;
SELECT privacy.classify('cat_child', 'a', 'other');
ALTER TABLE cat_parent ADD COLUMN b text;
UPDATE cat_parent SET b = 'added through the parent';
SET ROLE regress_cat_reader;
SELECT * FROM cat_typed;
SELECT * FROM cat_child;
SELECT * FROM cat_parent;
RESET ROLE;
DROP TABLE cat_typed, cat_child, cat_parent;
DROP TYPE cat_person_t;
-- a table nobody governs: new columns are plain
CREATE TABLE cat_plain (id int);
ALTER TABLE cat_plain ADD COLUMN extra text;
INSERT INTO cat_plain VALUES (1, 'visible');
GRANT SELECT ON cat_plain TO regress_cat_reader;
SET ROLE regress_cat_reader;
SELECT * FROM cat_plain;
RESET ROLE;
-- a table owner who may not declare policies cannot mark its own column
CREATE TABLE cat_owned (id int, secret text);
ALTER TABLE cat_owned OWNER TO regress_cat_owner;
SELECT privacy.classify('cat_owned', 'id', 'other');
ALTER TABLE cat_owned ADD COLUMN extra text;
SET ROLE regress_cat_owner;
SELECT pg_temp.try($$SELECT privacy.mark_not_personal('cat_owned', 'extra')$$) AS owner_mark;
RESET ROLE;
-- positive control: with privacy.owners_may_declare an owner may (it can
-- change its table anyway); but it cannot classify into a keyed protection
-- it may not execute itself (the protection would be an oracle)
SELECT privacy.bind_category('credentials', 'privacy.pseudonym(value)');
SET privacy.owners_may_declare = on;
SET ROLE regress_cat_owner;
SELECT pg_temp.try($$SELECT privacy.mark_not_personal('cat_owned', 'extra')$$) AS owner_mark_allowed;
SELECT pg_temp.try($$SELECT privacy.classify('cat_owned', 'secret', 'credentials')$$) AS owner_keyed_oracle;
SELECT pg_temp.try($$SELECT privacy.bind_category('credentials', 'privacy.redact(value)')$$) AS owner_bind;
RESET ROLE;
RESET privacy.owners_may_declare;
SELECT privacy.unbind_category('credentials');

-- 3. lineage --------------------------------------------------------------
-- a generated column over a category-protected column: its protection
ALTER TABLE cat_people ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;
SELECT privacy.mark_not_personal('cat_people', 'email_lower');
-- and over an explicitly masked column: NULL
CREATE TABLE cat_gen (id int, email text, email_len int GENERATED ALWAYS AS (length(email)) STORED,
                      email_lower text GENERATED ALWAYS AS (lower(email)) STORED);
INSERT INTO cat_gen (id, email) VALUES (1, 'Carol@Example.com');
GRANT SELECT ON cat_gen TO regress_cat_reader, regress_cat_exempt;
SELECT privacy.mask_column('cat_gen', 'email', 'privacy.mask_email(email)');
SELECT privacy.grant_unmasked('regress_cat_exempt', 'cat_gen', 'email');
SET ROLE regress_cat_reader;
SELECT id, email, email_lower FROM cat_people ORDER BY id;
SELECT email, email_len, email_lower FROM cat_gen;
SELECT count(*) AS where_raw_match FROM cat_gen WHERE email_lower = 'carol@example.com';
RESET ROLE;
SET ROLE regress_cat_exempt;
SELECT email, email_len, email_lower FROM cat_gen;
RESET ROLE;
-- CREATE TABLE AS, SELECT INTO and a materialized view built by an exempt
-- role (here the superuser) from protected columns
CREATE TABLE cat_copy AS SELECT id, email, upper(phone) AS phone_up, note, id * 2 AS twice FROM cat_people;
SELECT p.id, j.email AS joined INTO cat_into FROM cat_people p JOIN (SELECT id, email FROM cat_people) j USING (id);
CREATE MATERIALIZED VIEW cat_mv AS
	WITH e AS (SELECT email FROM cat_people) SELECT count(*) AS n, max(email) AS last_email FROM e;
CREATE VIEW cat_v AS SELECT id, email AS contact FROM cat_people;
CREATE TABLE cat_via_view AS SELECT id, contact FROM cat_v;
CREATE TABLE cat_gen_copy AS SELECT id, email_len FROM cat_gen;
GRANT SELECT ON cat_copy, cat_into, cat_mv, cat_via_view, cat_gen_copy TO regress_cat_reader, regress_cat_exempt;
SELECT table_name, column_name, category FROM privacy.inventory
WHERE table_name::text IN ('cat_copy', 'cat_into', 'cat_mv', 'cat_via_view', 'cat_gen_copy') ORDER BY 1, 2;
SET ROLE regress_cat_reader;
SELECT * FROM cat_copy ORDER BY id;
SELECT * FROM cat_into ORDER BY id;
SELECT * FROM cat_mv;
SELECT * FROM cat_via_view ORDER BY id;
SELECT * FROM cat_gen_copy;
RESET ROLE;
-- a materialized view has no row security: no statistics are collected
-- for its protected columns (pg_stats would show raw values to readers)
ANALYZE cat_mv;
ANALYZE cat_copy;
SET ROLE regress_cat_reader;
SELECT tablename, attname, most_common_vals IS NOT NULL AS has_values FROM pg_stats
WHERE tablename IN ('cat_mv', 'cat_copy') ORDER BY 1, 2;
RESET ROLE;
SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'cat_mv'::regclass AND attnum > 0 ORDER BY attnum;
-- a temporary table of the same name does not hide the new table from lineage
CREATE TEMP TABLE cat_shadow (x int);
CREATE TABLE cat_shadow AS SELECT email FROM cat_people;
SELECT relid, column_name, source_column FROM privacy._derived_column WHERE relid::text LIKE '%cat_shadow';
DROP TABLE public.cat_shadow, pg_temp.cat_shadow;
-- positive control: the roles the sources exempt
SET ROLE regress_cat_email_ok;
SELECT pg_temp.try($$SELECT * FROM cat_copy$$) AS no_grant;
RESET ROLE;
GRANT SELECT ON cat_copy TO regress_cat_email_ok;
SET ROLE regress_cat_email_ok;
SELECT id, email, phone_up FROM cat_copy ORDER BY id;
RESET ROLE;
SET ROLE regress_cat_exempt;
SELECT * FROM cat_gen_copy;
RESET ROLE;
-- static masking writes what masked roles see; generated columns are
-- recomputed from their anonymized sources
CREATE TABLE cat_static (id int, email text, email_lower text GENERATED ALWAYS AS (lower(email)) STORED);
INSERT INTO cat_static (id, email) VALUES (1, 'Dan@Example.com');
SELECT privacy.classify('cat_static', 'email', 'email');
ALTER TABLE cat_static ADD COLUMN extra text, ADD COLUMN n int;
UPDATE cat_static SET extra = 'unclassified', n = 7;
SELECT privacy.anonymize_table('cat_static');
SELECT * FROM cat_static;
DROP TABLE cat_static;
-- a copy whose source is dropped stays masked (nobody can tell whom the
-- source masked any more); the exempt role of the source loses raw access
CREATE TABLE cat_src (id int, secret text);
INSERT INTO cat_src VALUES (1, 'source secret');
SELECT privacy.mask_column('cat_src', 'secret', 'privacy.redact(secret)');
CREATE TABLE cat_der AS SELECT id, secret FROM cat_src;
GRANT SELECT ON cat_src, cat_der TO regress_cat_reader, regress_cat_exempt;
SELECT privacy.grant_unmasked('regress_cat_exempt', 'cat_src');
SET ROLE regress_cat_exempt;
SELECT * FROM cat_der;
RESET ROLE;
DROP TABLE cat_src;
SET ROLE regress_cat_reader;
SELECT * FROM cat_der;
SET ROLE regress_cat_exempt;
SELECT * FROM cat_der;
RESET ROLE;
DROP TABLE cat_der;
-- not traced (documented): INSERT ... SELECT into an existing table
CREATE TABLE cat_sink (id int, email text);
GRANT SELECT ON cat_sink TO regress_cat_reader;
INSERT INTO cat_sink SELECT id, email FROM cat_people;
SET ROLE regress_cat_reader;
SELECT count(*) AS untraced_raw_rows FROM cat_sink WHERE email LIKE '%@example.%';
RESET ROLE;
-- dropping a table forgets its rows
DROP TABLE cat_copy;
SELECT count(*) AS leftover FROM privacy._derived_column WHERE relid::text = 'cat_copy';
SELECT count(*) AS leftover FROM privacy._classification WHERE relid::text = 'cat_copy';

-- clean up
-- system catalogs and pg_privacy's own tables cannot be classified or
-- marked (a category's guard trigger would go on them; red team, F6)
SELECT pg_temp.try($$SELECT privacy.classify('pg_catalog.pg_authid', 'rolpassword', 'credentials')$$) AS catalog_classified;
SELECT pg_temp.try($$SELECT privacy.mark_not_personal('privacy._purge_log', 'table_name')$$) AS own_table_marked;
SELECT count(*) AS stored FROM privacy._classification WHERE relid::oid < 16384;
DROP MATERIALIZED VIEW cat_mv;
DROP VIEW cat_v;
DROP TABLE cat_into, cat_via_view, cat_gen_copy, cat_sink, cat_gen, cat_plain, cat_owned, cat_people;
SELECT privacy.unbind_category('email');
SELECT privacy.unbind_category('phone');
SELECT privacy.revoke_unmasked_category('regress_cat_email_ok', 'email');
SELECT count(*) AS leftover FROM privacy._new_column;
DROP ROLE regress_cat_reader, regress_cat_exempt, regress_cat_email_ok, regress_cat_owner;
