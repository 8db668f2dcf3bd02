-- 00_setup.sql: the SQL benchmark helpers. bench.ratio() times two queries
-- in the same session, alternating them, and reports the median of each and
-- their ratio, so machine noise affects both sides alike.
CREATE SCHEMA bench;

-- bench.time_once runs a query once and returns its duration in ms.
CREATE FUNCTION bench.time_once(query text) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
BEGIN
	t0 := clock_timestamp();
	EXECUTE query;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;

-- bench.ratio times `measured` and `baseline` reps times each (after one
-- warm-up run of each) and returns label, medians and measured/baseline,
-- with the spread: the lowest and highest ratio of one round's pair.
-- bench.goals: the goals of this run that SQL benchmarks measured
-- (bench.ratio(..., goal => '<= 2')); run-bench.sh prints them last.
CREATE TABLE bench.goals (seq serial, measure text, result text, goal text);
CREATE FUNCTION bench.ratio(label text, measured text, baseline text, reps int DEFAULT 5,
	goal text DEFAULT NULL,
	OUT benchmark text, OUT measured_ms numeric, OUT baseline_ms numeric, OUT ratio numeric,
	OUT spread text)
LANGUAGE plpgsql AS $$
DECLARE
	m double precision[] := '{}';
	b double precision[] := '{}';
BEGIN
	PERFORM bench.time_once(measured);
	PERFORM bench.time_once(baseline);
	FOR i IN 1..reps LOOP
		m := m || bench.time_once(measured);
		b := b || bench.time_once(baseline);
	END LOOP;
	benchmark := label;
	measured_ms := round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(m) x)::numeric, 1);
	baseline_ms := round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(b) x)::numeric, 1);
	ratio := round(measured_ms / nullif(baseline_ms, 0), 2);
	spread := (SELECT round(min(m[i] / nullif(b[i], 0))::numeric, 2) || '-' ||
		round(max(m[i] / nullif(b[i], 0))::numeric, 2) FROM generate_subscripts(m, 1) i);
	IF goal IS NOT NULL THEN
		INSERT INTO bench.goals (measure, result, goal) VALUES (label, ratio || ' [' || spread || ']', goal);
	END IF;
END $$;

-- bench.people: 1,000,000 rows of realistic personal data.
CREATE TABLE bench.people AS
SELECT n AS id,
	'person' || n || '@example.' || (ARRAY['com','org','net'])[1 + n % 3] AS email,
	'+44 20 ' || lpad((n % 10000)::text, 4, '0') || ' ' || lpad(((n * 7) % 10000)::text, 4, '0') AS phone,
	'4000' || lpad(((n::bigint * 2654435761) % 1000000000000)::text, 12, '0') AS card,
	'Name' || n AS full_name
FROM generate_series(1::bigint, 1000000) AS n;
ALTER TABLE bench.people ADD PRIMARY KEY (id);
VACUUM ANALYZE bench.people;
