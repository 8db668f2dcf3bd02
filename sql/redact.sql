-- redact: privacy.redact() returns one fixed text for every input, so it
-- reveals neither the value nor its length; NULL stays NULL (STRICT).
SELECT privacy.redact('CANARY-' || '11111111') AS short_value;
SELECT privacy.redact('') AS empty_value;
SELECT privacy.redact(NULL) IS NULL AS null_stays_null;
SELECT privacy.redact('Zoë Ångström 日本語 🙂') AS multibyte;
SELECT privacy.redact(repeat('CANARY-' || '22222222', 70000)) AS one_megabyte;
SELECT count(DISTINCT privacy.redact(repeat('x', n))) AS distinct_outputs,
	count(DISTINCT length(privacy.redact(repeat('x', n)))) AS distinct_lengths
FROM generate_series(0, 300) AS n;
-- labels: pure, strict, parallel safe and leakproof (cannot fail on data)
SELECT provolatile, proisstrict, proparallel, proleakproof
FROM pg_proc WHERE oid = 'privacy.redact(text)'::regprocedure;
