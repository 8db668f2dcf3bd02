-- 10_masking.sql: masking functions vs built-ins of similar work, 1M rows.
SELECT * FROM bench.ratio('redact(email) vs lower(email)',
	'SELECT count(privacy.redact(email)) FROM bench.people',
	'SELECT count(lower(email)) FROM bench.people');
