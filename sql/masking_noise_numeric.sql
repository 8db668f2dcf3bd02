-- masking_noise_numeric: noise(numeric) converts without text round trips
-- (issue 19) and still gives exactly what the text path gave, value and
-- scale: round(noise(x::float8, r)::numeric, scale(x)), which is what
-- noise(numeric) computed before (numeric_float8 and float8_numeric are
-- the text conversions it used). Compared as text over values of every
-- scale 0..30, magnitudes 1e-290..1e290, both signs, halves at the scale,
-- long digit strings (more digits than the fast path reads) and results of
-- 15 and more digits (built the slow way), for several ratios. The secret
-- is random per database, so only the number of differences is printed.
\set VERBOSITY terse
CREATE TEMP TABLE nn(x numeric);
INSERT INTO nn SELECT g::numeric / 7 FROM generate_series(-40000, 40000, 13) g;
INSERT INTO nn SELECT round(g::numeric * 1.234567, g % 31) FROM generate_series(1, 20000) g;
INSERT INTO nn SELECT -round(g::numeric / 3, g % 11) FROM generate_series(1, 5000) g;
INSERT INTO nn SELECT (g::numeric / 7) * power(10::numeric, (g % 581) - 290) FROM generate_series(1, 5000) g;
INSERT INTO nn SELECT g + 0.5 FROM generate_series(-2000, 2000) g;
INSERT INTO nn SELECT g::numeric FROM generate_series(-3000, 3000) g;
INSERT INTO nn SELECT (g::numeric * 123456789012345678) FROM generate_series(1, 2000) g;
INSERT INTO nn SELECT ('0.' || repeat(g::text, 60))::numeric FROM generate_series(1, 500) g;
INSERT INTO nn SELECT (repeat('7', 20 + g % 250) || '.' || repeat('3', g % 40))::numeric FROM generate_series(1, 500) g;
INSERT INTO nn VALUES (0), (0.000), (-0.0), (1e-20), (99999999999999.95), (0.000000000000000000000000000001);
SELECT count(*) AS values_checked,
	count(*) FILTER (WHERE privacy.noise(x, r)::text
		IS DISTINCT FROM round(privacy.noise(x::float8, r)::numeric, scale(x))::text) AS differences
FROM nn, (VALUES (0.0::float8), (0.05), (0.1), (0.5), (3), (10)) AS ratios(r);
-- The stored form too (issue 19, fpe3: the display scale is set in place instead of by
-- numeric_round): the same bytes as the text path's numeric, header layout (short or long)
-- included, for every scale 0..80, so across the short header's limit of 63.
CREATE TEMP TABLE nn_scales(x numeric);
INSERT INTO nn_scales SELECT round(g::numeric / 7, g % 81) FROM generate_series(-3000, 3000, 7) g;
INSERT INTO nn_scales SELECT round((g::numeric / 7) * power(10::numeric, (g % 41) - 20), g % 81) FROM generate_series(1, 3000) g;
INSERT INTO nn_scales SELECT round(0::numeric, g) FROM generate_series(0, 80) g;
SELECT count(*) AS stored_checked,
	count(*) FILTER (WHERE numeric_send(privacy.noise(x, r)) IS DISTINCT FROM numeric_send(round(privacy.noise(x::float8, r)::numeric, scale(x)))
		OR pg_column_size(privacy.noise(x, r)) IS DISTINCT FROM pg_column_size(round(privacy.noise(x::float8, r)::numeric, scale(x)))) AS differences
FROM nn_scales, (VALUES (0.0::float8), (0.1), (3)) AS ratios(r);
-- Scales survive: a value keeps its scale, trailing zeros included.
SELECT scale(privacy.noise(12.3400, 0.1)) AS scale_4, scale(privacy.noise(5::numeric, 0.1)) AS scale_0,
	scale(privacy.noise(0.00, 0.1)) AS zero_scale_2, privacy.noise(-0.0, 0.5)::text AS negative_zero;
-- Outside the double range: as before (huge values saturate at +-DBL_MAX, tiny ones are noise of ~0).
SELECT privacy.noise(1e400::numeric, 0.5) > 1e300 AS huge_stays_huge,
	privacy.noise(-1e400::numeric, 0.5) < -1e300 AS huge_negative_stays_negative,
	abs(privacy.noise(1e-400::numeric, 0.5)) < 1e-300 AS tiny_stays_tiny,
	privacy.noise(1e-310::numeric, 0.5) = round(privacy.noise(1e-310::float8, 0.5)::numeric, 310) AS subnormal_as_before;
