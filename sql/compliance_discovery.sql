-- compliance_discovery.sql: proves privacy.discover() finds every
-- personal-data column of a small demo dataset (contrib/demo, 500 customers)
-- with the expected category and no false negatives, from column names and
-- from sampled values alone (obscure names), in en/fr/de/es, and that its
-- evidence carries counts only, never a sampled value.
\set ECHO none
\set customers 500
\o /dev/null
\i contrib/demo/schema.sql
\i contrib/demo/seed.sql
\o
\set ECHO all
SELECT table_name, column_name, category, confidence, evidence, classified_as
FROM privacy.discover('cx') ORDER BY table_name::text, column_name;
-- no false negatives on the demo's personal data
SELECT t::regclass AS table_name, c AS column_name, cat AS missing_category
FROM (VALUES ('cx.customers', 'full_name', 'person_name'), ('cx.customers', 'email', 'email'),
	('cx.customers', 'phone', 'phone'), ('cx.customers', 'street', 'postal_address'),
	('cx.customers', 'city', 'postal_address'), ('cx.customers', 'date_of_birth', 'date_of_birth'),
	('cx.customers', 'card_number', 'payment_card'), ('cx.customers', 'iban', 'iban'),
	('cx.customers', 'last_ip', 'ip_address'), ('cx.tickets', 'body', 'free_text'),
	('cx.payments', 'card_number', 'payment_card')) AS e(t, c, cat)
EXCEPT
SELECT table_name, column_name, category FROM privacy.discover('cx');
-- values alone: columns whose names say nothing
CREATE SCHEMA disc;
CREATE TABLE disc.blobs (k int, c1 text, c2 text, c3 text, c4 text, c5 text, c6 date);
INSERT INTO disc.blobs
SELECT i, 'user' || i || '@example.net', privacy.fake_card('seed' || i),
	(ARRAY['GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000'])[1 + i % 2],
	'192.168.' || (i % 256) || '.' || (i * 7 % 256), 'fine', date '1960-01-01' + i * 11
FROM generate_series(1, 60) AS i;
-- multilingual names (fr, de, es), no values
CREATE TABLE disc.kunden (id int, courriel text, telefono text, geburtsdatum date, nom_de_famille text, adresse text,
	numero_tarjeta text, passwort text, diagnostico text, steuernummer text);
SELECT table_name, column_name, category, confidence, evidence FROM privacy.discover('disc') ORDER BY 1, 2;
-- findings feed coverage_gaps until the columns are protected or classified
SELECT table_name, column_name, category, source FROM privacy.coverage_gaps
WHERE table_name::text LIKE 'disc.%' ORDER BY 1, 2;
SELECT privacy.mask_column('disc.blobs', 'c1', 'privacy.mask_email(c1)');
SELECT table_name, column_name FROM privacy.coverage_gaps WHERE table_name = 'disc.blobs'::regclass ORDER BY 2;
-- evidence never contains a sampled value
SELECT count(*) AS leaking_rows FROM privacy.discover() d
WHERE d.evidence ~ '@|[0-9]{6,}|192\.168|GB82|DE89|Street';
\set VERBOSITY terse
\set ON_ERROR_STOP 0
SELECT * FROM privacy.discover('nope');
\echo :SQLSTATE
SELECT * FROM privacy.discover(NULL, 0);
\echo :SQLSTATE
\set ON_ERROR_STOP 1
SELECT privacy.unmask_column('disc.blobs', 'c1');
DROP SCHEMA disc CASCADE;
DROP SCHEMA cx CASCADE;
