-- setup.sql: a database populated under pg_privacy 0.1.0 with every kind of
-- state the extension keeps: masks, an exemption, purposes, consents, a row
-- filter, a data key and tokens, a detokenize grant, retention with a legal
-- hold, classifications and a registered subject table. Secrets are fixed so
-- that the enforcement outputs are reproducible (never in production).
SET client_min_messages = warning;
INSERT INTO privacy._masking_secret (secret) VALUES (decode(repeat('5a', 32), 'hex'));
SELECT privacy.import_key('default', decode(repeat('2b', 32), 'hex'));
CREATE SCHEMA app;
-- luhn(p) appends the Luhn check digit to the digits p
CREATE FUNCTION pg_temp.luhn(p text) RETURNS text LANGUAGE sql AS $$
	SELECT p || ((10 - sum(CASE WHEN i % 2 = 1 THEN (d * 2) / 10 + (d * 2) % 10 ELSE d END) % 10) % 10)::text
	FROM (SELECT substr(reverse(p), i, 1)::int AS d, i FROM generate_series(1, length(p)) i) x
$$;
CREATE TABLE app.customers (id int PRIMARY KEY, subject text, name text, email text, ssn text, card text, region text);
INSERT INTO app.customers
SELECT g, 'c' || g, 'Name ' || g, 'user' || g || '@example.org', lpad((g * 7919)::text, 9, '0'),
	pg_temp.luhn('411111111111' || lpad(g::text, 3, '0')), CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END
FROM generate_series(1, 20) g;
CREATE TABLE app.payments (id int PRIMARY KEY, customer_id int REFERENCES app.customers, card privacy.card_token);
INSERT INTO app.payments SELECT id, id, privacy.tokenize(card, 'card')::privacy.card_token FROM app.customers;
CREATE TABLE app.events (id int PRIMARY KEY, customer_id int, created timestamptz, note text);
INSERT INTO app.events SELECT g, g % 20 + 1, now() - g * interval '1 day', 'e' || g FROM generate_series(1, 60) g;
GRANT USAGE ON SCHEMA app TO upg_masked, upg_gated, upg_detok, upg_exempt;
GRANT SELECT ON ALL TABLES IN SCHEMA app TO upg_masked, upg_gated, upg_detok, upg_exempt;

SELECT privacy.mask_column('app.customers', 'email', 'privacy.mask_email(email)');
SELECT privacy.mask_column('app.customers', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.mask_column('app.customers', 'name', 'privacy.pseudonym(name)');
-- a mask calling a user function (issue 17 part 4: the update stores it
-- with a dependency on that function)
CREATE FUNCTION app.shorten(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN left(v, 2) || '...';
CREATE TABLE app.notes (id int PRIMARY KEY, body text);
INSERT INTO app.notes VALUES (1, 'CANARY-' || 'AB0DE001'), (2, 'CANARY-' || 'AB0DE002');
GRANT SELECT ON app.notes TO upg_masked, upg_exempt;
SELECT privacy.mask_column('app.notes', 'body', 'app.shorten(body)');
SELECT privacy.grant_unmasked('upg_exempt');
SELECT privacy.create_purpose('support', 'customer support');
SELECT privacy.allow_purpose('upg_gated', 'support');
SELECT privacy.allow_purpose('upg_masked', 'support');
SELECT privacy.require_consent('app.customers', 'subject', 'support');
SELECT count(privacy.grant_consent(subject, 'support')) AS consents FROM app.customers WHERE id % 3 = 0;
SELECT privacy.add_row_filter('app.customers', 'eu_only', $$region = 'eu'$$, ARRAY['upg_gated']::regrole[]);
SELECT privacy.grant_detokenize('upg_detok', 'card');
SELECT privacy.set_retention('app.events', 'created', '30 days');
SELECT privacy.place_hold('app.events', 'customer_id = 5', 'litigation') > 0 AS placed;
SELECT privacy.classify('app.customers', 'email', 'email');
SELECT privacy.register_subject('app.customers', 'id');
SELECT privacy.register_subject('app.payments', 'customer_id', via => 'app.customers');
