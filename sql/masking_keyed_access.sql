-- masking_keyed_access: the keyed masks (pseudonym, noise, shift_date,
-- fake_*) are no oracle (issue 13, class 5). A role that sees
-- pseudonym(subject) in a masked column cannot compute pseudonym('guess'):
-- the public functions are not executable by PUBLIC, and their policy-only
-- entry points privacy._mask_* refuse every call that a masking policy did
-- not place, wherever the call is written: query, view, SQL and PL/pgSQL
-- functions (simple expressions included), defaults, generated columns,
-- check constraints, index expressions, operators, aggregates, prepared
-- statements. The masked role's own queries, which the planner rewrote with
-- the entry points, still run: plain, prepared, in parallel workers, in
-- PL/pgSQL, through views, under EXPLAIN. Positive controls: a superuser
-- and a role granted EXECUTE compute the same values directly.
\set VERBOSITY terse
CREATE SCHEMA ka;
CREATE TABLE ka.subject (id int PRIMARY KEY, name text, salary int, small smallint, seen timestamp, born date);
INSERT INTO ka.subject VALUES (1, 'alice', 50000, 32000, '2024-05-17 10:00', '1980-01-02'),
	(2, 'bob', 60000, -32000, '2023-01-01 00:00', '1990-03-04');
SELECT privacy.mask_column('ka.subject', 'name', 'privacy.pseudonym(name)');
SELECT privacy.mask_column('ka.subject', 'salary', 'privacy.noise(salary, 0.2)');
SELECT privacy.mask_column('ka.subject', 'small', 'privacy.noise(small, 10)');
SELECT privacy.mask_column('ka.subject', 'seen', 'privacy.shift_date(seen, 30)');
SELECT privacy.mask_column('ka.subject', 'born', 'privacy.shift_date(born, 30)');
CREATE TABLE ka.expected AS SELECT id, privacy.pseudonym(name) AS name, privacy.noise(salary, 0.2) AS salary,
	privacy.noise(small, 10) AS small, privacy.shift_date(seen, 30) AS seen, privacy.shift_date(born, 30) AS born
FROM ka.subject;
CREATE ROLE ka_reader;
CREATE ROLE ka_granted;
GRANT USAGE, CREATE ON SCHEMA ka TO ka_reader, ka_granted;
GRANT SELECT ON ka.subject, ka.expected TO ka_reader, ka_granted;
GRANT EXECUTE ON FUNCTION privacy.pseudonym(text, text) TO ka_granted;
CREATE TABLE ka.big (id int, name text);
INSERT INTO ka.big SELECT g, 'n' || g FROM generate_series(1, 20000) g;
SELECT privacy.mask_column('ka.big', 'name', 'privacy.pseudonym(name)');
ANALYZE ka.big;
GRANT SELECT ON ka.big TO ka_reader;

SET compute_query_id = off; -- (query identifiers depend on OIDs)
SET ROLE ka_reader;
-- the masked role's queries run and show the masks
SELECT s.id, s.name = e.name AS name_masked, s.salary = e.salary AS salary_masked, s.small = e.small AS small_masked,
	s.seen = e.seen AS seen_masked, s.born = e.born AS born_masked
FROM ka.subject s JOIN ka.expected e USING (id) ORDER BY id;
SELECT count(*) FROM ka.subject WHERE name = (SELECT name FROM ka.expected WHERE id = 1);
PREPARE masked_names AS SELECT id, length(name) FROM ka.subject ORDER BY id;
EXECUTE masked_names;
EXECUTE masked_names;
DEALLOCATE masked_names;
CREATE VIEW ka.reader_view AS SELECT id, name FROM ka.subject;
SELECT count(*) FROM ka.reader_view v JOIN ka.expected e USING (id) WHERE v.name = e.name;
CREATE FUNCTION ka.first_name() RETURNS text LANGUAGE plpgsql STABLE
	AS $$ DECLARE n text; BEGIN SELECT name INTO n FROM ka.subject WHERE id = 1; RETURN n; END $$;
SELECT ka.first_name() = (SELECT name FROM ka.expected WHERE id = 1) AS plpgsql_masked;
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM ka.subject;
-- in parallel workers (the mark travels with the plan)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT count(DISTINCT name) AS distinct_pseudonyms, min(length(name)) AS len FROM ka.big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- direct calls of the public keyed masks: 42501
SELECT privacy.pseudonym('alice');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.noise(50000, 0.2);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.shift_date('1980-01-02'::date, 30);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.fake_full_name('alice');
\echo :LAST_ERROR_SQLSTATE
-- direct calls of the entry points, wherever written: 42501
SELECT privacy._mask_pseudonym('alice');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._mask_pseudonym('alice', '');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._mask_noise(50000, 0.2);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._mask_shift_date('1980-01-02'::date, 30);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._mask_fake_card('x');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM ka.subject WHERE name = privacy._mask_pseudonym('alice');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW ka.oracle_view AS SELECT privacy._mask_pseudonym('alice') AS p;
SELECT * FROM ka.oracle_view;
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION ka.oracle_sql(t text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT privacy._mask_pseudonym(t) $$;
SELECT ka.oracle_sql('alice');
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION ka.oracle_atomic(t text) RETURNS text LANGUAGE sql STABLE RETURN privacy._mask_pseudonym(t);
SELECT ka.oracle_atomic('alice');
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION ka.oracle_plpgsql(t text) RETURNS text LANGUAGE plpgsql STABLE
	AS $$ BEGIN RETURN privacy._mask_pseudonym(t); END $$;
SELECT ka.oracle_plpgsql('alice');
\echo :LAST_ERROR_SQLSTATE
DO $$ DECLARE p text; BEGIN p := privacy._mask_pseudonym('alice'); RAISE NOTICE 'got %', p; END $$;
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ka.guess_default (g text, p text DEFAULT privacy._mask_pseudonym('alice'));
INSERT INTO ka.guess_default (g) VALUES ('alice');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ka.guess_generated (g text, p text GENERATED ALWAYS AS (privacy._mask_pseudonym(g)) STORED);
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ka.guess_check (g text CHECK (privacy._mask_pseudonym(g) <> ''));
INSERT INTO ka.guess_check VALUES ('alice');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE ka.guess_index (g text);
INSERT INTO ka.guess_index VALUES ('alice');
CREATE INDEX ON ka.guess_index ((privacy._mask_pseudonym(g)));
\echo :LAST_ERROR_SQLSTATE
CREATE OPERATOR ka.#~ (FUNCTION = privacy._mask_pseudonym, LEFTARG = text, RIGHTARG = text);
SELECT 'alice' OPERATOR(ka.#~) '';
\echo :LAST_ERROR_SQLSTATE
CREATE AGGREGATE ka.oracle_agg(text) (SFUNC = privacy._mask_pseudonym, STYPE = text);
SELECT ka.oracle_agg(g) FROM (VALUES ('alice'), ('bob')) v(g);
\echo :LAST_ERROR_SQLSTATE
PREPARE oracle(text) AS SELECT privacy._mask_pseudonym($1);
EXECUTE oracle('alice');
\echo :LAST_ERROR_SQLSTATE
-- a NULL input never reaches the function (STRICT): no oracle there either
SELECT privacy._mask_pseudonym(NULL) IS NULL AS null_in_null_out;
RESET ROLE;

-- positive controls: a role granted EXECUTE, and a superuser, call the
-- public function and get what the masked column shows
SET ROLE ka_granted;
SELECT privacy.pseudonym('alice') = (SELECT name FROM ka.expected WHERE id = 1) AS granted_matches;
SELECT privacy._mask_pseudonym('alice');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT privacy.pseudonym('alice') = (SELECT name FROM ka.expected WHERE id = 1) AS superuser_matches;
SELECT privacy._mask_pseudonym('alice');
\echo :LAST_ERROR_SQLSTATE

-- a table owner allowed to declare its own policies cannot get the oracle
-- back by declaring a keyed mask on a table of its own (inserting guesses
-- and reading their pseudonyms): a declarer that is not a policy
-- administrator needs EXECUTE on what the mask calls
CREATE ROLE ka_owner;
GRANT USAGE ON SCHEMA ka TO ka_owner;
GRANT USAGE, CREATE ON SCHEMA ka TO ka_owner;
SET privacy.owners_may_declare = on;
SET ROLE ka_owner;
CREATE TABLE ka.owned (id int, secret text);
SELECT privacy.mask_column('ka.owned', 'secret', 'privacy.pseudonym(secret)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('ka.owned', 'secret', 'privacy.redact(secret)') IS NOT NULL AS unkeyed_mask_declared;
RESET ROLE;
GRANT EXECUTE ON FUNCTION privacy.pseudonym(text, text) TO ka_owner;
SET ROLE ka_owner;
SELECT privacy.mask_column('ka.owned', 'secret', 'privacy.pseudonym(secret)') IS NOT NULL AS granted_owner_declares;
RESET ROLE;
RESET privacy.owners_may_declare;
DROP TABLE ka.owned;
REVOKE EXECUTE ON FUNCTION privacy.pseudonym(text, text) FROM ka_owner;
REVOKE USAGE, CREATE ON SCHEMA ka FROM ka_owner;
DROP ROLE ka_owner;

-- who may execute what
SELECT p.oid::regprocedure AS function, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
FROM pg_proc p WHERE p.pronamespace = 'privacy'::regnamespace
	AND (p.proname IN ('noise', 'shift_date', 'pseudonym') OR p.proname LIKE 'fake%' OR p.proname LIKE '\_mask\_%')
ORDER BY p.oid::regprocedure::text COLLATE "C";

-- noise and shift_date saturate at every type's limits (issue 13, class 6):
-- the result never moves further from the value than the ratio allows (a
-- wrapped result would), and stays inside the type
SELECT count(*) FILTER (WHERE abs(privacy.noise(v, 10)::numeric - v) > 10 * abs(v::numeric) + 1) AS int8_wrapped,
	count(*) FILTER (WHERE privacy.noise(v, 10) = 9223372036854775807) > 0 AS int8_clamped_high,
	count(*) FILTER (WHERE privacy.noise(-v, 10) = -9223372036854775808) > 0 AS int8_clamped_low
FROM (SELECT 9223372036854775807 - g AS v FROM generate_series(0, 999) g) s;
SELECT abs(privacy.noise(9223372036854775806::bigint, 10)::numeric - 9223372036854775806)
	<= 10 * 9223372036854775806::numeric AS issue_repro_within_bounds;
SELECT count(*) FILTER (WHERE abs(privacy.noise(v, 10)::numeric - v) > 10 * abs(v::numeric) + 1) AS int4_wrapped,
	count(*) FILTER (WHERE privacy.noise(v, 10) = 2147483647) > 0 AS int4_clamped
FROM (SELECT 2147483647 - g AS v FROM generate_series(0, 999) g) s;
SELECT pg_typeof(privacy.noise(1::smallint, 1)) AS int2_type,
	count(*) FILTER (WHERE abs(privacy.noise(v, 10)::numeric - v) > 10 * abs(v::numeric) + 1) AS int2_wrapped,
	count(*) FILTER (WHERE privacy.noise(v, 10) = 32767) > 0 AS int2_clamped_high,
	count(*) FILTER (WHERE privacy.noise((-v)::smallint, 10) = -32768) > 0 AS int2_clamped_low
FROM (SELECT (32767 - g)::smallint AS v FROM generate_series(0, 999) g) s;
SELECT count(*) FILTER (WHERE privacy.noise(v, 10) = 'Infinity' OR privacy.noise(v, 10) = '-Infinity') AS float8_overflowed,
	count(*) FILTER (WHERE abs(privacy.noise(v, 10)::numeric - v::numeric) > 10 * abs(v::numeric) * (1 + 1e-12))
		AS float8_out_of_bounds
FROM (SELECT 1.7976931348623157e308::float8 / (1 + g * 1e-6) * sign(g - 500.5) AS v FROM generate_series(0, 999) g) s;
SELECT count(*) FILTER (WHERE abs(privacy.noise(v, 1) - v) > abs(v) * 1.000001) AS numeric_out_of_bounds
FROM (SELECT (10::numeric ^ 300) * g AS v FROM generate_series(-500, 500) g) s;
SELECT count(*) FILTER (WHERE s NOT BETWEEN '4714-11-24 BC'::date AND '5874897-12-31'::date) AS date_out_of_range,
	count(*) FILTER (WHERE abs(s - d) > 36500) AS date_too_far
FROM (SELECT d, privacy.shift_date(d, 36500) AS s FROM (
	SELECT '4714-11-24 BC'::date + g AS d FROM generate_series(0, 999) g
	UNION ALL SELECT '5874897-12-31'::date - g FROM generate_series(0, 999) g) x) y;
SELECT count(*) FILTER (WHERE s > '294276-12-31 23:59:59.999999'::timestamp OR s < '4714-11-24 00:00:00 BC'::timestamp)
		AS ts_out_of_range,
	count(*) FILTER (WHERE abs(extract(epoch FROM s - t)) > 36500 * 86400::numeric) AS ts_too_far,
	pg_typeof(min(s)) AS ts_type
FROM (SELECT t, privacy.shift_date(t, 36500) AS s FROM (
	SELECT '294276-12-31 23:59:59.999999'::timestamp - g * interval '1 day' AS t FROM generate_series(0, 999) g
	UNION ALL SELECT '4714-11-24 00:00:00 BC'::timestamp + g * interval '1 day' FROM generate_series(0, 999) g) x) y;
SET TimeZone = 'UTC';
SELECT count(*) FILTER (WHERE s > '294276-12-31 23:59:59.999999+00'::timestamptz
		OR s < '4714-11-24 00:00:00+00 BC'::timestamptz) AS tstz_out_of_range,
	count(*) FILTER (WHERE abs(extract(epoch FROM s - t)) > 36500 * 86400::numeric) AS tstz_too_far
FROM (SELECT t, privacy.shift_date(t, 36500) AS s FROM (
	SELECT '294276-12-31 23:59:59.999999+00'::timestamptz - g * interval '1 day' AS t FROM generate_series(0, 999) g
	UNION ALL SELECT '4714-11-24 00:00:00+00 BC'::timestamptz + g * interval '1 day' FROM generate_series(0, 999) g) x) y;
RESET TimeZone;
-- a smallint column masked with noise near its limits no longer fails the
-- masked role's query (the float8 result used to overflow the column: an
-- error that depended on the raw value)
CREATE TABLE ka.tiny (v smallint);
INSERT INTO ka.tiny SELECT 32767 - g FROM generate_series(0, 99) g;
SELECT privacy.mask_column('ka.tiny', 'v', 'privacy.noise(v, 10)');
GRANT SELECT ON ka.tiny TO ka_reader;
SET ROLE ka_reader;
SELECT count(*) AS rows, count(*) FILTER (WHERE v BETWEEN -32768 AND 32767) AS in_range FROM ka.tiny;
RESET ROLE;
-- the same for every narrower column type a noised value is coerced to:
-- numeric(p, s), real, and integers noised through a wider type (masks
-- declared as noise(c::integer, ...)); the mask saturates at the column's
-- limits instead of failing for some raw values and not others
CREATE TABLE ka.narrow (id int, a numeric(6,2), b numeric(3,-2), c numeric(2,3), r real, s smallint, i int);
INSERT INTO ka.narrow VALUES (1, 9999.99, 99900, 0.099, 3.4e38, 32767, 2147483647),
	(2, -9999.99, -99900, -0.099, -3.4e38, -32768, -2147483648), (3, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO ka.narrow SELECT 10 + g, 9999.99 - g, 99900 - 100 * g, 0.099, 3.4e38, 32767 - g, 2147483647 - g
FROM generate_series(0, 199) g;
SELECT privacy.mask_column('ka.narrow', c, format('privacy.noise(%I, 10)', c)) FROM unnest('{a,b,c,r}'::text[]) c;
SELECT privacy.mask_column('ka.narrow', 's', 'privacy.noise(s::integer, 10)'),
	privacy.mask_column('ka.narrow', 'i', 'privacy.noise(i::bigint, 10)');
GRANT SELECT ON ka.narrow TO ka_reader;
SET ROLE ka_reader;
SELECT count(*) AS rows, count(a) AS a, count(b) AS b, count(c) AS c, count(r) AS r, count(s) AS s, count(i) AS i,
	count(*) FILTER (WHERE a IN (9999.99, -9999.99)) > 0 AS a_saturates,
	count(*) FILTER (WHERE s IN (32767, -32768)) > 0 AS s_saturates
FROM ka.narrow;
SELECT id, a IS NULL AND b IS NULL AND c IS NULL AND r IS NULL AND s IS NULL AND i IS NULL AS null_stays_null
FROM ka.narrow WHERE id = 3;
RESET ROLE;

-- pg_privacy's own table work applies keyed masks as the table's owner, who
-- may not EXECUTE them (nobody may by default): anonymizing erasure,
-- anonymize_table and retention's anonymize action call them through the
-- policy entry points, as the planner does
CREATE ROLE ka_owner;
GRANT USAGE ON SCHEMA ka TO ka_owner;
CREATE TABLE ka.people (id int PRIMARY KEY, subject text, email text, amount numeric(6,2), seen timestamptz);
ALTER TABLE ka.people OWNER TO ka_owner;
INSERT INTO ka.people VALUES (1, 's1', 'a@example.com', 12.50, now() - interval '10 days'),
	(2, 's2', 'b@example.com', 9999.99, now() - interval '10 days'), (3, 's3', 'c@example.com', 3.00, now());
SELECT privacy.mask_column('ka.people', 'email', 'privacy.pseudonym(email)'),
	privacy.mask_column('ka.people', 'amount', 'privacy.noise(amount, 0.5)');
SELECT privacy.register_subject('ka.people', 'subject');
SELECT bool_or(has_function_privilege('ka_owner', p.oid, 'EXECUTE')) AS owner_may_execute
FROM pg_proc p WHERE p.pronamespace = 'privacy'::regnamespace AND p.proname IN ('pseudonym', 'noise');
SELECT privacy.erase_subject('s1', 'anonymize') -> 'tables' -> 0 -> 'anonymized' AS anonymized;
SELECT id, email = privacy.pseudonym('a@example.com') AS pseudonymized, amount BETWEEN -9999.99 AND 9999.99 AS in_range
FROM ka.people WHERE id = 1;
SELECT privacy.set_retention('ka.people', 'seen', '1 day', 'anonymize');
SELECT privacy.purge_now('ka.people') IS NOT NULL AS purged;
SELECT id, email LIKE '%@example.com' AS raw FROM ka.people ORDER BY id;
SELECT privacy.anonymize_table('ka.people') AS anonymized_rows;
SELECT count(*) FILTER (WHERE email LIKE '%@example.com') AS raw_left, count(*) FILTER (WHERE amount > 9999.99) AS overflow
FROM ka.people;
-- the owner still cannot call the keyed masks itself
SET ROLE ka_owner;
SELECT privacy.pseudonym('guess@example.com');
RESET ROLE;
SELECT privacy.drop_retention('ka.people');
-- later files list the purge log
DELETE FROM privacy._purge_log WHERE relid = 'ka.people'::regclass::oid;

DROP SCHEMA ka CASCADE;
DROP OWNED BY ka_reader, ka_granted, ka_owner;
DROP ROLE ka_reader, ka_granted, ka_owner;
