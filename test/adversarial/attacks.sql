-- attacks.sql: what a masked role with SELECT tries in order to learn the
-- secrets. Run (without echo) as adv_masked against two databases holding
-- different secrets; each "\echo == attack" line starts one attack, whose
-- output (rows, row counts, errors, notices) must be identical in both.
-- The same file runs as an unmasked control role with the same privileges
-- (sections marked [row security]: one that also bypasses row security),
-- and there every attack's output must differ from the masked role's: the
-- attack works when nothing stops it.
-- The guesses include the secrets of rows 1, 2 and 4 of both databases;
-- row 3's secret is never typed, so it must never appear in any output.
\set ON_ERROR_STOP off
\set VERBOSITY default
INSERT INTO adv.guesses VALUES (:'g1'), (:'g2'), (:'g4'), (:'h1'), (:'h2'), (:'h4');

\echo == attack: direct read
SELECT * FROM adv.person ORDER BY id;
\echo == attack: equality guesses
SELECT g.g = p.ssn AS hit, count(*) FROM adv.person p CROSS JOIN adv.guesses g GROUP BY 1 ORDER BY 1;
\echo == attack: where equality
SELECT id FROM adv.person WHERE ssn = :'g1' OR ssn = :'h1' ORDER BY id;
\echo == attack: LIKE prefix search
SELECT c, (SELECT count(*) FROM adv.person WHERE ssn LIKE 'ADVSECRET-' || c || '%') FROM unnest(string_to_array('0 1 2 3 4 5 6 7 8 9 A B C D E F', ' ')) c ORDER BY c;
\echo == attack: range binary search
SELECT count(*) FILTER (WHERE ssn < 'ADVSECRET-8'), count(*) FILTER (WHERE ssn >= 'ADVSECRET-8'), count(*) FILTER (WHERE ssn BETWEEN 'ADVSECRET-0' AND 'ADVSECRET-7') FROM adv.person;
\echo == attack: join with guesses
SELECT count(*) FROM adv.person p JOIN adv.guesses g ON g.g = p.ssn;
SELECT count(*) FROM adv.person p WHERE p.ssn IN (SELECT g FROM adv.guesses);
\echo == attack: grouping and ordering
SELECT ssn, count(*) FROM adv.person GROUP BY ssn ORDER BY 1;
SELECT id FROM adv.person ORDER BY ssn, id;
SELECT id, rank() OVER (ORDER BY ssn), row_number() OVER (PARTITION BY ssn ORDER BY id) FROM adv.person ORDER BY id;
SELECT count(DISTINCT ssn), min(ssn), max(ssn), string_agg(ssn, ',' ORDER BY ssn) FROM adv.person;
\echo == attack: derived values
SELECT id, length(ssn), md5(ssn), ssn::bytea, ascii(substr(ssn, 8, 1)), hashtext(ssn) FROM adv.person ORDER BY id;
\echo == attack: whole-row and JSON
SELECT p FROM adv.person p ORDER BY id;
SELECT p::text, row_to_json(p), to_jsonb(p) FROM adv.person p ORDER BY id;
SELECT json_agg(p ORDER BY id) FROM adv.person p;
SELECT hstore_like FROM (SELECT array_agg(p.* ORDER BY id)::text AS hstore_like FROM adv.person p) s;
\echo == attack: error-message echoes
SELECT ssn::int FROM adv.person WHERE id = 1;
SELECT ssn::inet FROM adv.person WHERE id = 1;
SELECT to_date(ssn, 'YYYY') FROM adv.person WHERE id = 1;
SELECT 1 / (CASE WHEN ssn LIKE 'ADVSECRET-' || substr(:'g1', 11, 1) || '%' THEN 0 ELSE 1 END) FROM adv.person;
SELECT ssn::json FROM adv.person WHERE id = 2;
SELECT regexp_match('x', ssn) FROM adv.person WHERE id = 3;
\echo == attack: COPY
COPY adv.person TO STDOUT;
COPY adv.person (ssn) TO STDOUT WITH (FORMAT csv);
COPY (SELECT ssn FROM adv.person ORDER BY id) TO STDOUT;
\echo == attack: views, own views, functions
SELECT * FROM adv.person_view ORDER BY id;
CREATE VIEW adv_scratch.mine AS SELECT id, ssn FROM adv.person;
SELECT * FROM adv_scratch.mine ORDER BY id;
CREATE VIEW adv_scratch.oracle AS SELECT id FROM adv.person WHERE ssn LIKE 'ADVSECRET-%';
SELECT count(*) FROM adv_scratch.oracle;
SELECT adv.ssn_of(2);
SELECT * FROM adv.all_people() ORDER BY id;
CREATE FUNCTION adv_scratch.leaky(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS $$ BEGIN RAISE NOTICE 'seen %', $1; RETURN true; END $$;
SELECT id FROM adv.person WHERE adv_scratch.leaky(ssn) ORDER BY id;
SELECT id FROM adv.person_view WHERE adv_scratch.leaky(ssn) ORDER BY id;
CREATE FUNCTION adv_scratch.srf() RETURNS SETOF text LANGUAGE sql STABLE AS 'SELECT ssn FROM adv.person ORDER BY id';
SELECT * FROM adv_scratch.srf();
CREATE FUNCTION adv_scratch.atomic() RETURNS SETOF text LANGUAGE sql STABLE BEGIN ATOMIC SELECT ssn FROM adv.person ORDER BY id; END;
SELECT * FROM adv_scratch.atomic();
DO $$ DECLARE r record; BEGIN FOR r IN SELECT ssn FROM adv.person ORDER BY id LOOP RAISE NOTICE 'plpgsql sees %', r.ssn; END LOOP; END $$;
\echo == attack: prepared statements and cursors
PREPARE p1(text) AS SELECT count(*) FROM adv.person WHERE ssn = $1;
EXECUTE p1(:'g1');
EXECUTE p1(:'h1');
SET plan_cache_mode = force_generic_plan;
PREPARE p2 AS SELECT ssn FROM adv.person ORDER BY id;
EXECUTE p2;
EXECUTE p2;
RESET plan_cache_mode;
BEGIN;
DECLARE c CURSOR FOR SELECT ssn FROM adv.person ORDER BY id;
FETCH ALL FROM c;
COMMIT;
\echo == attack: CTEs, subqueries, set operations, LATERAL
WITH s AS (SELECT ssn FROM adv.person) SELECT * FROM s ORDER BY 1;
WITH RECURSIVE r(n, s) AS (SELECT 1, min(ssn) FROM adv.person UNION ALL SELECT n + 1, s FROM r WHERE n < 2) SELECT * FROM r;
SELECT (SELECT ssn FROM adv.person WHERE id = 1), EXISTS (SELECT 1 FROM adv.person WHERE ssn = :'g1');
SELECT ssn FROM adv.person INTERSECT SELECT g FROM adv.guesses;
SELECT g FROM adv.guesses EXCEPT SELECT ssn FROM adv.person ORDER BY 1;
SELECT g.g, l.n FROM adv.guesses g, LATERAL (SELECT count(*) AS n FROM adv.person p WHERE p.ssn = g.g) l ORDER BY 1;
\echo == attack: partitions
SELECT * FROM adv.events;
SELECT * FROM adv.events_1;
SELECT count(*) FROM adv.events_1 WHERE secret = :'g4' OR secret = :'h4';
\echo == attack: statistics [row security]
SELECT attname, null_frac, avg_width, n_distinct, most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE schemaname = 'adv' ORDER BY tablename, attname;
SELECT statistics_name, most_common_vals FROM pg_stats_ext WHERE schemaname = 'adv';
SELECT count(*) FROM pg_statistic;
\echo == attack: EXPLAIN
EXPLAIN (COSTS OFF) SELECT * FROM adv.person WHERE ssn = :'g1';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM adv.person WHERE ssn = :'g1';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM adv.person WHERE ssn = :'h1';
EXPLAIN (VERBOSE, COSTS OFF) SELECT ssn FROM adv.person;
\echo == attack: consent-gated rows without a purpose [row security]
SELECT * FROM adv.contact ORDER BY id;
SELECT count(*) FROM adv.contact;
\echo == attack: consent-gated rows under a purpose [row security]
SET privacy.purpose = 'adv';
SELECT * FROM adv.contact ORDER BY id;
SELECT count(*), min(secret), max(secret), string_agg(subject, ',' ORDER BY id) FROM adv.contact;
SELECT id FROM adv.contact WHERE secret = :'g1' OR secret = :'h1' OR subject = :'g2' OR subject = :'h2';
SELECT c, (SELECT count(*) FROM adv.contact WHERE secret LIKE 'ADVSECRET-' || c || '%') FROM unnest(string_to_array('0 1 2 3 4 5 6 7 8 9 A B C D E F', ' ')) c ORDER BY c;
SELECT id FROM adv.contact WHERE adv_scratch.leaky(secret) ORDER BY id;
SELECT id FROM adv.contact WHERE adv_scratch.leaky(subject) OR 1 / (CASE WHEN secret LIKE 'ADVSECRET-%' THEN 0 ELSE 1 END) = 1 ORDER BY id;
SELECT count(*) FROM adv.contact c JOIN adv.guesses g ON g.g = c.secret;
SELECT secret::int FROM adv.contact;
COPY adv.contact TO STDOUT;
COPY (SELECT * FROM adv.contact ORDER BY id) TO STDOUT;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM adv.contact WHERE secret = :'g1';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM adv.contact WHERE secret = :'h1';
CREATE VIEW adv_scratch.contacts AS SELECT * FROM adv.contact;
SELECT * FROM adv_scratch.contacts ORDER BY id;
BEGIN;
DECLARE cc CURSOR FOR SELECT secret FROM adv.contact ORDER BY id;
FETCH ALL FROM cc;
COMMIT;
SELECT subject, purpose FROM privacy.consents ORDER BY 1, 2;
SELECT privacy.grant_consent(:'g1', 'adv');
SELECT privacy.grant_consent(:'h1', 'adv');
SELECT privacy.drop_row_policy('adv.contact', 'consent:adv');
SELECT id FROM adv.contact ORDER BY id;
\echo == attack: consent-gated rows under a purpose the role may not declare [row security]
SET privacy.purpose = 'other';
SHOW privacy.purpose;
SELECT id FROM adv.contact ORDER BY id;
RESET privacy.purpose;
SELECT id FROM adv.contact ORDER BY id;
\echo == attack: a trigger fired inside a foreign-key cascade
-- PostgreSQL runs the cascade's DELETE in its no-force-row-security state;
-- whatever that DELETE fires (here a trigger on the attacker's own temporary
-- table) is the attacker's code and sees masked values, and the plan it
-- leaves in the function's cache stays masked when called again later.
CREATE TEMP TABLE cascade_parent (id int PRIMARY KEY);
CREATE TEMP TABLE cascade_child (id int REFERENCES cascade_parent ON DELETE CASCADE);
CREATE FUNCTION adv_scratch.every_ssn() RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN RETURN (SELECT string_agg(ssn, ',' ORDER BY id) FROM adv.person); END $$;
CREATE FUNCTION adv_scratch.in_cascade() RETURNS trigger LANGUAGE plpgsql AS
	$$ BEGIN RAISE NOTICE 'during the cascade: %', adv_scratch.every_ssn(); RETURN OLD; END $$;
CREATE TRIGGER in_cascade BEFORE DELETE ON cascade_child FOR EACH ROW EXECUTE FUNCTION adv_scratch.in_cascade();
INSERT INTO cascade_parent VALUES (1);
INSERT INTO cascade_child VALUES (1);
DELETE FROM cascade_parent;
SELECT adv_scratch.every_ssn() AS after_the_cascade;
\echo == attack: policies the attacker writes on its own tables
-- A policy may hold a sublink over the governed table: as a filter it is an
-- equality oracle, as a cast of an aggregate it echoes values in its error,
-- as an INSERT check it refuses exactly the right guesses.
CREATE TABLE adv_scratch.probe (g text);
INSERT INTO adv_scratch.probe SELECT g FROM adv.guesses;
ALTER TABLE adv_scratch.probe ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_hits ON adv_scratch.probe USING (EXISTS (SELECT 1 FROM adv.person p WHERE p.ssn = probe.g));
SELECT count(*) AS oracle_hits FROM adv_scratch.probe;
CREATE TABLE adv_scratch.echo (x int);
INSERT INTO adv_scratch.echo VALUES (1);
ALTER TABLE adv_scratch.echo ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY echo_all ON adv_scratch.echo USING ((SELECT string_agg(ssn, ',' ORDER BY id) FROM adv.person)::int > x);
SELECT * FROM adv_scratch.echo;
CREATE TABLE adv_scratch.gate (g text);
ALTER TABLE adv_scratch.gate ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY gate_read ON adv_scratch.gate FOR SELECT USING (true);
CREATE POLICY gate_miss ON adv_scratch.gate FOR INSERT WITH CHECK (NOT EXISTS (SELECT 1 FROM adv.person p WHERE p.ssn = gate.g));
DO $$ DECLARE r record; BEGIN
	FOR r IN SELECT g FROM adv.guesses ORDER BY g LOOP
		BEGIN INSERT INTO adv_scratch.gate VALUES (r.g); EXCEPTION WHEN insufficient_privilege THEN NULL; END;
	END LOOP;
END $$;
SELECT count(*) AS accepted FROM adv_scratch.gate;
\echo == attack: categories, new columns, derived data
SELECT id, email, token, email_upper FROM adv.member ORDER BY id;
SELECT count(*) AS token_hits FROM adv.member WHERE token LIKE 'ADVSECRET%' OR email_upper LIKE 'ADVSECRET%';
SELECT id FROM adv.member ORDER BY email_upper, token, id;
SELECT * FROM adv.member_copy ORDER BY id;
SELECT * FROM adv.member_mv ORDER BY id;
SELECT tablename, attname, most_common_vals::text, histogram_bounds::text FROM pg_stats
WHERE schemaname = 'adv' AND tablename IN ('member', 'member_copy', 'member_mv') ORDER BY 1, 2;
COPY adv.member TO STDOUT;
CREATE TABLE adv_scratch.mine AS SELECT m.*, upper(m.token) AS t2 FROM adv.member m;
SELECT * FROM adv_scratch.mine ORDER BY id;
SELECT privacy.mark_not_personal('adv.member', 'token');
SELECT privacy.set_default_deny('adv.member', false);
SELECT privacy.grant_unmasked_category('adv_masked', 'email');
\echo == attack: catalog and settings
SELECT * FROM privacy._column_policy;
SELECT * FROM privacy.column_policies;
SET privacy.masking = off;
SELECT * FROM adv.person ORDER BY id;
SET search_path = adv_scratch, privacy, public;
CREATE FUNCTION adv_scratch.redact(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1';
SELECT ssn FROM adv.person ORDER BY id;
RESET search_path;
SELECT privacy.unmask_column('adv.person', 'ssn');
SELECT privacy.grant_unmasked('adv_masked');
\echo == end
