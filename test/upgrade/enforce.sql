-- enforce.sql: what each kind of role sees and may do; run on the populated
-- database after ALTER EXTENSION pg_privacy UPDATE, its output must equal
-- expected/enforce.out, which pg_privacy 0.1.0 produced on the same setup.
\pset null '(null)'
SET client_min_messages = warning;
SELECT extversion AS version FROM pg_extension WHERE extname = 'pg_privacy' \gset
-- a masked role (with a purpose: the table is consent-gated): masks in the
-- target list and in WHERE
SET ROLE upg_masked;
SET privacy.purpose = 'support';
SELECT id, name, email, ssn FROM app.customers WHERE id IN (3, 6) ORDER BY id;
SELECT count(*) AS raw_match FROM app.customers WHERE email = 'user1@example.org';
SELECT count(*) AS masked_match FROM app.customers WHERE email LIKE '%@example.org';
RESET privacy.purpose;
RESET ROLE;
-- the exempt role reads raw values
SET ROLE upg_exempt;
SELECT id, name, email, ssn FROM app.customers WHERE id IN (1, 2) ORDER BY id;
RESET ROLE;
-- consent, purpose and a row filter
SET ROLE upg_gated;
SELECT count(*) AS without_purpose FROM app.customers;
SET privacy.purpose = 'support';
SELECT id, region FROM app.customers ORDER BY id;
RESET privacy.purpose;
RESET ROLE;
-- tokens: stored, detokenized by the granted role only
SELECT id, card FROM app.payments WHERE id <= 3 ORDER BY id;
SET ROLE upg_detok;
SELECT id, privacy.detokenize(card::text, 'card') AS card FROM app.payments WHERE id <= 3 ORDER BY id;
RESET ROLE;
SET ROLE upg_masked;
\set ON_ERROR_STOP 0
\set VERBOSITY terse
SELECT privacy.detokenize(card::text, 'card') FROM app.payments WHERE id = 1;
\set VERBOSITY default
\set ON_ERROR_STOP 1
RESET ROLE;
-- the catalog as the views report it
SELECT table_name, column_name, mask FROM privacy.column_policies ORDER BY 1, 2;
SELECT table_name, time_column, keep, action FROM privacy.retention_policies ORDER BY 1;
SELECT table_name, condition, reason, active FROM privacy.legal_holds ORDER BY 1;
SELECT table_name, column_name, category FROM privacy.inventory WHERE category IS NOT NULL ORDER BY 1, 2;
-- retention: the purge deletes the expired rows the hold does not cover
SELECT rows_purged FROM privacy.purge_now('app.events');
SELECT count(*) FILTER (WHERE created < now() - interval '30 days') AS expired_left,
	count(*) FILTER (WHERE customer_id = 5) AS held, count(*) AS total FROM app.events;
-- new history rows get fresh ids (the id sequences continue after the rows
-- that already exist)
SELECT privacy.place_hold('app.events', 'customer_id = 6', 'second matter') > max(id) AS new_hold_id_is_fresh
FROM privacy._legal_hold WHERE reason = 'litigation';
SELECT privacy.grant_consent('c1', 'support') > 6 AS new_consent_id_is_fresh;
-- a mask calling a user function
SET ROLE upg_masked;
SELECT id, body FROM app.notes ORDER BY id;
RESET ROLE;
-- issue 19: no hold trigger evaluates a condition in a WHEN clause (as the
-- role running the DML); the guards carry the hold id only
SELECT count(*) AS hold_triggers_with_when FROM pg_catalog.pg_trigger t
WHERE t.tgname LIKE 'privacy\_hold\_%' AND t.tgqual IS NOT NULL;
