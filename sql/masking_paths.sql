-- masking_paths: a masked role sees the mask wherever its statement reads a
-- masked column: select list, WHERE, JOIN, GROUP BY, HAVING, ORDER BY,
-- DISTINCT, window functions, aggregates, subqueries, CTEs, set operations,
-- LATERAL, whole-row references, RETURNING, views (including views owned by
-- an exempt role), SQL functions (string, BEGIN ATOMIC, set-returning),
-- PL/pgSQL, cursors, CREATE TABLE AS, SELECT INTO, COPY and EXPLAIN. The
-- secrets are canaries: any leak also fails the canary scan.
CREATE SCHEMA mp;
CREATE TABLE mp.person (id int PRIMARY KEY, name text, ssn text, email text, country text);
INSERT INTO mp.person VALUES
	(1, 'Ann', 'CANARY-' || 'AAAA0001', 'ann@example.com', 'US'),
	(2, 'Bea', 'CANARY-' || 'BBBB0002', NULL, 'FR'),
	(3, 'Cid', 'CANARY-' || 'CCCC0003', 'cid@example.org', 'US');
CREATE TABLE mp.orders (id int, person_id int, total int);
INSERT INTO mp.orders VALUES (10, 1, 100), (11, 1, 50), (12, 3, 70);
SELECT privacy.mask_column('mp.person', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.mask_column('mp.person', 'email',
	$$CASE WHEN country = 'US' THEN 'us@masked.invalid' ELSE 'eu@masked.invalid' END$$);
CREATE ROLE mp_masked;
GRANT USAGE ON SCHEMA mp TO mp_masked;
GRANT SELECT ON ALL TABLES IN SCHEMA mp TO mp_masked;
-- objects owned by the (exempt) superuser
CREATE VIEW mp.person_v AS SELECT id, ssn, email FROM mp.person;
CREATE VIEW mp.person_sb WITH (security_barrier) AS SELECT id, ssn FROM mp.person WHERE id < 3;
CREATE VIEW mp.person_inv WITH (security_invoker) AS SELECT id, ssn FROM mp.person;
CREATE FUNCTION mp.ssn_of(int) RETURNS text LANGUAGE sql STABLE AS 'SELECT ssn FROM mp.person WHERE id = $1';
CREATE FUNCTION mp.people() RETURNS SETOF mp.person LANGUAGE sql STABLE AS 'SELECT * FROM mp.person';
CREATE FUNCTION mp.ssns() RETURNS SETOF text LANGUAGE sql STABLE BEGIN ATOMIC SELECT ssn FROM mp.person ORDER BY id; END;
CREATE FUNCTION mp.ssn_pl(int) RETURNS text LANGUAGE plpgsql STABLE AS
	$$ DECLARE r text; BEGIN SELECT ssn INTO r FROM mp.person WHERE id = $1; RETURN r; END $$;
GRANT SELECT ON mp.person_v, mp.person_sb, mp.person_inv TO mp_masked;

-- EXPLAIN below must not print query identifiers (they hash OIDs)
SET compute_query_id = off;
SET ROLE mp_masked;
-- target list and WHERE
SELECT * FROM mp.person ORDER BY id;
SELECT count(*) AS matches FROM mp.person WHERE ssn = 'CANARY-' || 'AAAA0001';
SELECT count(*) AS prefix_matches FROM mp.person WHERE ssn LIKE 'CANARY%';
SELECT count(*) AS range_matches FROM mp.person WHERE ssn > 'CANARY-B';
SELECT id FROM mp.person WHERE email = 'us@masked.invalid' ORDER BY id;
SELECT id FROM mp.person WHERE email IS NULL;
-- joins, grouping, ordering, distinct, having, aggregates, windows
SELECT p.id, o.total FROM mp.person p JOIN mp.orders o ON o.person_id = p.id AND p.ssn <> '' ORDER BY o.id;
SELECT a.id, b.id FROM mp.person a JOIN mp.person b USING (ssn) ORDER BY 1, 2;
SELECT email, count(*) FROM mp.person GROUP BY email ORDER BY email;
SELECT ssn, count(*) FROM mp.person GROUP BY ssn HAVING count(*) > 1;
SELECT DISTINCT ssn FROM mp.person;
SELECT id FROM mp.person ORDER BY ssn, id;
SELECT min(ssn), max(ssn), string_agg(ssn, ',' ORDER BY id) FROM mp.person;
SELECT id, lag(ssn) OVER (ORDER BY id), rank() OVER (ORDER BY ssn) FROM mp.person ORDER BY id;
-- subqueries, CTEs, set operations, LATERAL
SELECT (SELECT ssn FROM mp.person WHERE id = 1) AS scalar_sub;
SELECT id FROM mp.person WHERE ssn IN (SELECT ssn FROM mp.person WHERE id = 2) ORDER BY id;
SELECT EXISTS (SELECT 1 FROM mp.person WHERE ssn LIKE '%0001') AS exists_sub;
WITH c AS (SELECT id, ssn FROM mp.person) SELECT * FROM c WHERE id = 1;
WITH RECURSIVE r(n, s) AS (SELECT 1, (SELECT ssn FROM mp.person WHERE id = 1) UNION ALL SELECT n + 1, s FROM r WHERE n < 2)
SELECT * FROM r;
SELECT ssn FROM mp.person WHERE id = 1 UNION SELECT ssn FROM mp.person WHERE id = 2;
SELECT ssn FROM mp.person INTERSECT SELECT 'CANARY-' || 'AAAA0001';
SELECT o.id, l.s FROM mp.orders o, LATERAL (SELECT p.ssn AS s FROM mp.person p WHERE p.id = o.person_id) l ORDER BY o.id;
-- whole-row references, JSON, casts to text
SELECT p FROM mp.person p ORDER BY id;
SELECT row_to_json(p) FROM mp.person p WHERE id = 1;
SELECT p::text FROM mp.person p WHERE id = 2;
SELECT to_jsonb(p) ->> 'ssn' AS json_ssn FROM mp.person p WHERE id = 3;
SELECT o.id, p FROM mp.orders o LEFT JOIN mp.person p ON p.id = o.person_id + 100 ORDER BY o.id;
SELECT o.id, (p.*) IS NULL AS null_row FROM mp.orders o LEFT JOIN mp.person p ON p.id = o.person_id + 100 ORDER BY o.id;
-- the rebuilt row is cast to the relation's row type, so it keeps its type
-- when the plan is deparsed to SQL (Citus sends it to the shards as text)
EXPLAIN (VERBOSE, COSTS OFF) SELECT p FROM mp.person p;
SELECT hashtext(ssn) = hashtext(privacy.redact('x')) AS hash_of_mask FROM mp.person WHERE id = 1;
-- views: owned by an exempt role, security_barrier, security_invoker
SELECT * FROM mp.person_v ORDER BY id;
SELECT * FROM mp.person_sb ORDER BY id;
SELECT * FROM mp.person_inv WHERE ssn <> 'x' ORDER BY id;
-- functions
SELECT mp.ssn_of(1);
SELECT id, ssn FROM mp.people() ORDER BY id;
SELECT * FROM mp.ssns();
SELECT mp.ssn_pl(2);
-- cursors, CREATE TABLE AS, SELECT INTO, COPY
BEGIN;
DECLARE cur CURSOR FOR SELECT id, ssn FROM mp.person ORDER BY id;
FETCH 2 FROM cur;
COMMIT;
CREATE TEMP TABLE copied AS SELECT * FROM mp.person;
SELECT id, ssn, email FROM copied ORDER BY id;
SELECT ssn INTO TEMP copied2 FROM mp.person WHERE id = 3;
SELECT * FROM copied2;
COPY mp.person TO STDOUT;
COPY mp.person (id, ssn) TO STDOUT;
COPY (SELECT ssn FROM mp.person WHERE id = 2) TO STDOUT;
-- EXPLAIN shows the mask, never data
EXPLAIN (COSTS OFF, VERBOSE) SELECT ssn FROM mp.person WHERE email LIKE 'a%';
-- errors caused by the masked role's query show the mask, not the value
SELECT ssn::int FROM mp.person WHERE id = 1;
DROP TABLE copied, copied2;
RESET ROLE;

-- the superuser is exempt
SELECT count(*) AS superuser_sees_raw FROM mp.person WHERE ssn LIKE 'CANARY-%';
-- an exempt role (and its members) see raw values
CREATE ROLE mp_exempt;
CREATE ROLE mp_member IN ROLE mp_exempt;
GRANT USAGE ON SCHEMA mp TO mp_exempt, mp_member;
GRANT SELECT ON mp.person TO mp_exempt, mp_member;
SELECT privacy.grant_unmasked('mp_exempt', 'mp.person');
SET ROLE mp_member;
SELECT count(*) AS member_sees_raw FROM mp.person WHERE ssn LIKE 'CANARY-%';
RESET ROLE;
-- NOINHERIT membership does not carry the exemption (has_privs_of_role)
ALTER ROLE mp_member NOINHERIT;
SET ROLE mp_member;
SELECT count(*) AS noinherit_member_sees_raw FROM mp.person WHERE ssn LIKE 'CANARY-%';
RESET ROLE;
-- through a view the querying role decides too: the exempt role sees raw
-- values where the masked role (above) saw the mask
GRANT SELECT ON mp.person_v TO mp_exempt;
SET ROLE mp_exempt;
SELECT count(*) AS exempt_role_raw_through_view FROM mp.person_v WHERE ssn LIKE 'CANARY-%';
RESET ROLE;

DROP SCHEMA mp CASCADE;
DROP ROLE mp_masked, mp_member, mp_exempt;
