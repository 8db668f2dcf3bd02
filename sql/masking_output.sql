-- masking_output: a SELECT that only returns masked columns (bare columns of
-- its target list) is planned unmasked and masked at its output by one plan
-- node with masks compiled once per backend and column (issue 19). It returns
-- what the substituted masks return (privacy.output_masking off), in every
-- shape it takes: column lists, implicit joins, LIMIT, ORDER BY other
-- columns, NULLs, keyed masks, prepared statements, cursors, PL/pgSQL,
-- nested statements, CREATE TABLE AS. Shapes that compute on a masked
-- column keep the substitution. The compiled masks follow EXECUTE
-- privileges (a cached plan no longer names the mask's functions), role
-- memberships and policy changes. Raw values are only tested, never shown.
-- its own database: the test revokes EXECUTE on a function of the extension
SELECT current_database() AS regress_db \gset
CREATE DATABASE masking_output;
\c masking_output
SET client_min_messages = warning;
CREATE EXTENSION pg_privacy;
RESET client_min_messages;
CREATE SCHEMA mo;
CREATE TABLE mo.t (id int PRIMARY KEY, email text, phone text, score int, note text);
INSERT INTO mo.t VALUES (1, 'CANARY-' || 'AB01@example.com', '+44 20 7946 0001', 57, 'n1'),
	(2, 'CANARY-' || 'AB02@example.com', NULL, 83, 'n2'),
	(3, NULL, '+44 20 7946 0003', NULL, 'n3');
SELECT privacy.mask_column('mo.t', 'email', 'privacy.redact(email)');
SELECT privacy.mask_column('mo.t', 'phone', $$left(phone, 3) || '*******'$$);
SELECT privacy.mask_column('mo.t', 'score', '(score / 10) * 10');
CREATE TABLE mo.k (id int PRIMARY KEY, name text);
INSERT INTO mo.k VALUES (1, 'CANARY-' || 'AB03'), (2, NULL);
SELECT privacy.mask_column('mo.k', 'name', 'privacy.pseudonym(name)');
CREATE TABLE mo.expected_k AS SELECT id, privacy.pseudonym(name) AS name FROM mo.k;
CREATE ROLE mo_reader;
CREATE ROLE mo_other;
CREATE ROLE mo_exempt_group;
SELECT privacy.grant_unmasked('mo_exempt_group', 'mo.t');
GRANT USAGE ON SCHEMA mo TO mo_reader, mo_other;
GRANT SELECT ON mo.t, mo.k, mo.expected_k TO mo_reader;
GRANT SELECT ON mo.t TO mo_other;
GRANT UPDATE (note) ON mo.t TO mo_reader;
-- the email as a statement returns it, tested by the caller's function
CREATE FUNCTION mo.email_of(int) RETURNS text LANGUAGE plpgsql STABLE AS
	$$ DECLARE v text; BEGIN SELECT email INTO v FROM mo.t WHERE id = $1; RETURN v; END $$;
CREATE FUNCTION mo.email_is_raw(int) RETURNS boolean LANGUAGE sql STABLE AS
	$$ SELECT mo.email_of($1) LIKE 'CANARY-%' $$;
CREATE FUNCTION mo.name_matches(int) RETURNS boolean LANGUAGE plpgsql STABLE AS
	$$ DECLARE v text; BEGIN SELECT name INTO v FROM mo.k WHERE id = $1;
	RETURN v IS NOT DISTINCT FROM (SELECT name FROM mo.expected_k WHERE id = $1); END $$;
GRANT EXECUTE ON FUNCTION mo.email_of(int), mo.email_is_raw(int), mo.name_matches(int) TO mo_reader;
SET compute_query_id = off; -- (query identifiers depend on OIDs)

-- the same statements with the substitution, then at the output
SET privacy.output_masking = off;
SET ROLE mo_reader;
SELECT * FROM mo.t ORDER BY id;
SELECT phone, id, email FROM mo.t WHERE id = 2;
SELECT t.email, k.id FROM mo.t t, mo.k k WHERE t.id = k.id ORDER BY k.id LIMIT 1;
SELECT mo.email_of(1), mo.name_matches(1) AS keyed, mo.name_matches(2) AS keyed_null;
RESET ROLE;
SET privacy.output_masking = on;
SET ROLE mo_reader;
SELECT * FROM mo.t ORDER BY id;
SELECT phone, id, email FROM mo.t WHERE id = 2;
SELECT t.email, k.id FROM mo.t t, mo.k k WHERE t.id = k.id ORDER BY k.id LIMIT 1;
SELECT mo.email_of(1), mo.name_matches(1) AS keyed, mo.name_matches(2) AS keyed_null;
-- a statement masked at its output running another one on the same column
SELECT email, mo.email_of(2) AS nested FROM mo.t WHERE id = 1;
-- CREATE TABLE AS; cursors keep the substitution (WHERE CURRENT OF)
CREATE TEMP TABLE got AS SELECT id, name FROM mo.k;
SELECT g.id, g.name IS NOT DISTINCT FROM e.name AS keyed_copy FROM got g JOIN mo.expected_k e USING (id) ORDER BY g.id;
BEGIN;
DECLARE c CURSOR FOR SELECT id, email, score FROM mo.t ORDER BY id;
FETCH 2 FROM c;
CLOSE c;
DECLARE s SCROLL CURSOR FOR SELECT id, email FROM mo.t ORDER BY id;
FETCH LAST FROM s;
FETCH PRIOR FROM s;
-- a cursor without SCROLL: backward fetches and WHERE CURRENT OF still work
DECLARE u CURSOR FOR SELECT id, email FROM mo.t WHERE id >= 2;
FETCH NEXT FROM u;
FETCH NEXT FROM u;
FETCH PRIOR FROM u;
UPDATE mo.t SET note = 'n2 seen' WHERE CURRENT OF u;
COMMIT;
SELECT id, note FROM mo.t ORDER BY id;
-- shapes that compute on a masked column keep the substitution
SELECT count(*) FROM mo.t WHERE email LIKE 'CANARY-%';
SELECT email FROM mo.t ORDER BY email, id LIMIT 1;
SELECT t FROM mo.t t WHERE id = 1;
RESET ROLE;
-- another table's row-security policy reading a masked column sees it
-- masked when a statement returns that column too
CREATE TABLE mo.b (id int, owner_email text);
INSERT INTO mo.b SELECT id, email FROM mo.t;
ALTER TABLE mo.b ENABLE ROW LEVEL SECURITY;
CREATE POLICY b_owner ON mo.b USING (EXISTS (SELECT 1 FROM mo.t x WHERE x.email = b.owner_email));
GRANT SELECT ON mo.b TO mo_reader;
SET ROLE mo_reader;
SELECT t.email, b.id FROM mo.t t, mo.b b WHERE t.id = b.id ORDER BY b.id;
RESET ROLE;
SELECT count(*) AS rows_for_superuser FROM mo.b;
SET ROLE mo_reader;
-- EXPLAIN plans with the substitution (it prints the masks); a generic plan
-- made outside EXPLAIN shows the node and the columns it masks
EXPLAIN (VERBOSE, COSTS OFF) SELECT email, score FROM mo.t WHERE id = 1;
SET plan_cache_mode = force_generic_plan;
PREPARE lookup(int) AS SELECT email, score FROM mo.t WHERE id = $1;
EXECUTE lookup(1);
EXPLAIN (COSTS OFF) EXECUTE lookup(1);
RESET ROLE;

-- EXECUTE on a mask's function revoked while the plan and the compiled
-- mask are cached: refused at the next execution, as with the substitution
REVOKE EXECUTE ON FUNCTION privacy.redact(text) FROM PUBLIC;
SET ROLE mo_reader;
EXECUTE lookup(1);
\echo :LAST_ERROR_SQLSTATE
SELECT mo.email_of(1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET privacy.output_masking = off;
SET ROLE mo_reader;
SELECT email FROM mo.t WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET privacy.output_masking = on;
-- one compiled form serves every role; each role's EXECUTE is checked
GRANT EXECUTE ON FUNCTION privacy.redact(text) TO mo_reader;
SET ROLE mo_reader;
EXECUTE lookup(1);
RESET ROLE;
SET ROLE mo_other;
SELECT email FROM mo.t WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION privacy.redact(text) FROM mo_reader;
GRANT EXECUTE ON FUNCTION privacy.redact(text) TO PUBLIC;
SET ROLE mo_other;
SELECT email FROM mo.t WHERE id = 1;
RESET ROLE;
SET ROLE mo_reader;
EXECUTE lookup(1);
RESET ROLE;

-- exemption through role membership, granted and revoked under cached plans
GRANT mo_exempt_group TO mo_reader;
SET ROLE mo_reader;
SELECT mo.email_is_raw(1) AS raw_when_exempt;
RESET ROLE;
REVOKE mo_exempt_group FROM mo_reader;
SET ROLE mo_reader;
SELECT mo.email_is_raw(1) AS raw_after_revoke;
EXECUTE lookup(1);
RESET ROLE;

-- a policy removed and declared again with another mask
SELECT privacy.unmask_column('mo.t', 'email');
SET ROLE mo_reader;
SELECT mo.email_is_raw(1) AS raw_without_policy;
RESET ROLE;
SELECT privacy.mask_column('mo.t', 'email', $$'x' || right(email, 4)$$);
SET ROLE mo_reader;
EXECUTE lookup(1);
SELECT mo.email_of(1);
RESET ROLE;

DEALLOCATE ALL;
RESET plan_cache_mode;
\c :regress_db
DROP DATABASE masking_output;
DROP ROLE mo_reader, mo_other, mo_exempt_group;
