-- stored_expressions: masks are stored analyzed, with dependencies
-- (issue 17 part 4). Dropping what a mask uses is refused (2BP01) naming
-- the mask; CASCADE drops the stored form and the policy fails closed
-- (masked roles get an error, never raw values); renames follow.
CREATE SCHEMA se;
CREATE ROLE se_masked;
CREATE ROLE se_exempt;
GRANT USAGE ON SCHEMA se TO se_masked, se_exempt;
CREATE TABLE se.person (id int PRIMARY KEY, name text, email text, note text);
INSERT INTO se.person VALUES (1, 'Ann', 'ann@example.com', 'CANARY-' || '5E000001');
GRANT SELECT ON se.person TO se_masked, se_exempt;
CREATE FUNCTION se.hide(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN 'hidden:' || length(v);
SELECT privacy.mask_column('se.person', 'note', 'se.hide(note)');
SELECT privacy.mask_column('se.person', 'email', $$se.hide(name) || '@' || split_part(email, '@', 2)$$);
SELECT privacy.grant_unmasked('se_exempt', 'se.person');
-- the stored form: one wrapper per mask, depending on what it uses
SELECT p.column_name, p.mask_function::text, privacy._stored_expression(p.mask_function) AS stored
FROM privacy._column_policy p ORDER BY 1;
SELECT pg_describe_object(refclassid, refobjid, refobjsubid) AS uses, deptype
FROM pg_depend WHERE classid = 'pg_proc'::regclass
  AND objid = (SELECT mask_function FROM privacy._column_policy WHERE column_name = 'email')
ORDER BY 1;
SET ROLE se_masked;
SELECT * FROM se.person;
RESET ROLE;

-- (the masked column itself: AUTO, see 5)
-- 1. DROP FUNCTION of a function a mask uses: refused, naming the mask
DROP FUNCTION se.hide(text);
-- positive control: a function no mask uses drops
CREATE FUNCTION se.unused(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN v;
DROP FUNCTION se.unused(text);

-- 2. renames follow: function, referenced column, schema of the function
ALTER FUNCTION se.hide(text) RENAME TO conceal;
ALTER TABLE se.person RENAME COLUMN name TO full_name;
SELECT column_name, mask FROM privacy.column_policies ORDER BY 1;
SET ROLE se_masked;
SELECT * FROM se.person;
RESET ROLE;
-- a new backend (no cache) reads the stored tree too
\c
SET ROLE se_masked;
SELECT * FROM se.person;
RESET ROLE;

-- 3. DROP COLUMN a mask uses (not the masked column): refused
ALTER TABLE se.person DROP COLUMN full_name;

-- 4. DROP ... CASCADE: the stored form goes, the policies stay and fail
-- closed: the masked role gets an error, never raw values
DROP FUNCTION se.conceal(text) CASCADE;
SELECT column_name, mask IS NULL AS dropped, declared_mask FROM privacy.column_policies ORDER BY 1;
SET ROLE se_masked;
SELECT id FROM se.person;
SELECT note FROM se.person;
SELECT * FROM se.person;
RESET ROLE;
-- positive control: the exempt role still reads raw values
SET ROLE se_exempt;
SELECT id, full_name, email, note LIKE 'CANARY-%' AS raw_note FROM se.person;
RESET ROLE;
-- static masking refuses too
SELECT privacy.anonymize_table('se.person');
-- declaring again repairs
SELECT privacy.mask_column('se.person', 'note', 'privacy.redact(note)');
SELECT privacy.mask_column('se.person', 'email', 'privacy.mask_email(email)');
SET ROLE se_masked;
SELECT * FROM se.person;
RESET ROLE;

-- 5. DROP COLUMN of a masked column: the mask goes with it (it depends
-- AUTO on the column it masks, as a default does)
ALTER TABLE se.person DROP COLUMN note;
SELECT column_name FROM privacy.column_policies ORDER BY 1;
SELECT count(*) FROM pg_proc WHERE pronamespace = 'privacy_expr'::regnamespace;

-- 6. unmask_column drops the stored form; DROP TABLE takes the rest along
SELECT privacy.unmask_column('se.person', 'email');
SELECT count(*) FROM pg_proc WHERE pronamespace = 'privacy_expr'::regnamespace;
SELECT privacy.mask_column('se.person', 'email', 'privacy.mask_email(email)');
DROP TABLE se.person;
SELECT count(*) FROM pg_proc WHERE pronamespace = 'privacy_expr'::regnamespace;
SELECT count(*) FROM privacy._column_policy;


-- 7. row filters: the same rules
CREATE TABLE se.account (id int PRIMARY KEY, region text, balance int);
INSERT INTO se.account VALUES (1, 'eu', 10), (2, 'us', 20), (3, 'EU', 30);
GRANT SELECT ON se.account TO se_masked, se_exempt;
CREATE FUNCTION se.norm(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN lower(v);
SELECT privacy.add_row_filter('se.account', 'eu_only', $$se.norm(region) = 'eu'$$, ARRAY['se_masked']::regrole[]);
SELECT name, condition FROM privacy.row_policies WHERE table_name = 'se.account'::regclass;
SET ROLE se_masked;
SELECT id FROM se.account ORDER BY id;
RESET ROLE;
DROP FUNCTION se.norm(text);
ALTER TABLE se.account DROP COLUMN region;
ALTER FUNCTION se.norm(text) RENAME TO normalize;
ALTER TABLE se.account RENAME COLUMN region TO area;
SELECT name, condition FROM privacy.row_policies WHERE table_name = 'se.account'::regclass;
\c
SET ROLE se_masked;
SELECT id FROM se.account ORDER BY id;
RESET ROLE;
-- CASCADE: the filter fails closed (an error, not every row)
DROP FUNCTION se.normalize(text) CASCADE;
SET ROLE se_masked;
SELECT id FROM se.account ORDER BY id;
RESET ROLE;
-- positive control: a role the filter does not name reads every row
SET ROLE se_exempt;
SELECT id FROM se.account ORDER BY id;
RESET ROLE;
SELECT privacy.drop_row_policy('se.account', 'eu_only');
SET ROLE se_masked;
SELECT id FROM se.account ORDER BY id;
RESET ROLE;

-- 8. hold conditions: stored too; renames follow into purges
CREATE TABLE se.ledger (id int PRIMARY KEY, kind text, at timestamptz);
INSERT INTO se.ledger SELECT g, CASE WHEN g % 2 = 0 THEN 'Legal' ELSE 'other' END, now() - interval '400 days'
FROM generate_series(1, 6) g;
CREATE FUNCTION se.is_legal(v text) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN lower(v) = 'legal';
SELECT privacy.set_retention('se.ledger', 'at', '30 days');
SELECT privacy.place_hold('se.ledger', 'se.is_legal(kind)', 'matter 1') AS hold \gset
SELECT condition FROM privacy.legal_holds WHERE id = :hold;
-- (terse: the wrapper and trigger names carry the hold's id)
\set VERBOSITY terse
DROP FUNCTION se.is_legal(text);
\set VERBOSITY default
ALTER FUNCTION se.is_legal(text) RENAME TO legal;
SELECT condition FROM privacy.legal_holds WHERE id = :hold;
SELECT rows_purged FROM privacy.purge_now('se.ledger');
SELECT id FROM se.ledger ORDER BY id;
-- released: the stored form goes, the declared and canonical text stay
SELECT privacy.release_hold(:hold);
SELECT condition, declared_condition FROM privacy.legal_holds WHERE id = :hold;
DROP FUNCTION se.legal(text);

-- 9. red team: what a mask calls is fixed at declaration
CREATE TABLE se.secret (id int, v text);
INSERT INTO se.secret VALUES (1, 'CANARY-' || '5E000009');
GRANT SELECT ON se.secret TO se_masked;
CREATE SCHEMA se_lib;
GRANT USAGE ON SCHEMA se_lib TO PUBLIC;
CREATE FUNCTION se_lib.scrub(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN 'scrubbed';
SELECT privacy.mask_column('se.secret', 'v', 'se_lib.scrub(v)');
CREATE SCHEMA se_evil AUTHORIZATION se_masked;
SET ROLE se_masked;
-- a look-alike in the masked role's own schema, first in its search_path
CREATE FUNCTION se_evil.scrub(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN v;
SET search_path = se_evil, se_lib, public;
SELECT * FROM se.secret;
RESET search_path;
-- the stored form is out of reach: no usage on its schema
SELECT privacy_expr."mask of se.secret.v"(v) FROM se.secret;
-- CREATE OR REPLACE of the mask's function keeps its OID: only its owner may
CREATE OR REPLACE FUNCTION se_lib.scrub(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN v;
RESET ROLE;
-- renaming the schema and planting a look-alike under the old name: the
-- mask keeps calling the function it was declared with (0.1.0 re-resolved
-- its text at plan time and would have called the look-alike)
ALTER SCHEMA se_lib RENAME TO se_lib_old;
CREATE SCHEMA se_lib;
GRANT USAGE ON SCHEMA se_lib TO PUBLIC;
CREATE FUNCTION se_lib.scrub(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN v;
SET ROLE se_masked;
SELECT * FROM se.secret;
RESET ROLE;
SELECT mask FROM privacy.column_policies WHERE table_name = 'se.secret'::regclass;
-- the function's owner changing to an untrusted role: masked reads fail
-- closed (the trust check runs whenever a stored mask is loaded)
ALTER FUNCTION se_lib_old.scrub(text) OWNER TO se_masked;
SET ROLE se_masked;
SELECT * FROM se.secret;
RESET ROLE;
-- positive control: owned by a trusted role again, the mask works
ALTER FUNCTION se_lib_old.scrub(text) OWNER TO CURRENT_USER;
SET ROLE se_masked;
SELECT * FROM se.secret;
RESET ROLE;
DROP SCHEMA se_lib CASCADE;
DROP TABLE se.secret;
DROP SCHEMA se_lib_old CASCADE;
DROP SCHEMA se_evil CASCADE;

DROP SCHEMA se CASCADE;
DROP ROLE se_masked;
DROP ROLE se_exempt;
