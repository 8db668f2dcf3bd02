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
-- DROP COLUMN of a masked column: refused too (its own mask uses it)
ALTER TABLE se.person DROP COLUMN note;

-- 4. DROP ... CASCADE: the stored form goes, the policies stay and fail
-- closed: the masked role gets an error, never raw values
DROP FUNCTION se.conceal(text) CASCADE;
SELECT column_name, mask IS NULL AS dropped, declared_mask FROM privacy.column_policies ORDER BY 1;
SET ROLE se_masked;
SELECT id FROM se.person;
SELECT note FROM se.person;
SELECT * FROM se.person;
RESET ROLE;
-- positive control: the exempt role still reads
SET ROLE se_exempt;
SELECT * FROM se.person;
RESET ROLE;
-- static masking refuses too
SELECT privacy.anonymize_table('se.person');
-- declaring again repairs
SELECT privacy.mask_column('se.person', 'note', 'privacy.redact(note)');
SELECT privacy.mask_column('se.person', 'email', 'privacy.mask_email(email)');
SET ROLE se_masked;
SELECT * FROM se.person;
RESET ROLE;

-- 5. DROP COLUMN ... CASCADE of a masked column: the mask goes with it
ALTER TABLE se.person DROP COLUMN note CASCADE;
SELECT column_name FROM privacy.column_policies ORDER BY 1;
SELECT count(*) FROM pg_proc WHERE pronamespace = 'privacy_expr'::regnamespace;

-- 6. unmask_column drops the stored form; DROP TABLE takes the rest along
SELECT privacy.unmask_column('se.person', 'email');
SELECT count(*) FROM pg_proc WHERE pronamespace = 'privacy_expr'::regnamespace;
SELECT privacy.mask_column('se.person', 'email', 'privacy.mask_email(email)');
DROP TABLE se.person;
SELECT count(*) FROM pg_proc WHERE pronamespace = 'privacy_expr'::regnamespace;
SELECT count(*) FROM privacy._column_policy;

DROP SCHEMA se CASCADE;
DROP ROLE se_masked;
DROP ROLE se_exempt;
