-- extension_cycle: the OIDs pg_privacy caches of its schema and catalog
-- tables (src/pg/catalog/extension_schema.hpp) never outlive the extension.
-- In one session (one backend, caches warm) the extension is used, dropped
-- and created again, and the API works on the new catalogs: what was
-- declared before is gone, what is declared after is enforced. A DROP
-- EXTENSION rolled back leaves everything as it was. Runs in a database of
-- its own, so the other suites keep their extension.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
CREATE DATABASE regress_ext_cycle;
CREATE ROLE regress_cycle_reader;
RESET client_min_messages;
\c regress_ext_cycle
CREATE EXTENSION pg_privacy;
CREATE TABLE cyc (id int PRIMARY KEY, email text);
GRANT SELECT ON cyc TO regress_cycle_reader;
INSERT INTO cyc VALUES (1, 'ann@example.com'), (2, 'bob@example.com');

-- first life: a mask, a consent requirement with its purpose, a key
SELECT privacy.mask_column('cyc', 'email', 'privacy.redact(email)');
SELECT privacy.create_purpose('support', 'first life');
SELECT privacy.allow_purpose('regress_cycle_reader', 'support');
SELECT privacy.require_consent('cyc', 'email', 'support');
SELECT privacy.grant_consent('ann@example.com', 'support') > 0 AS granted;
SELECT privacy.create_key('default') IS NOT NULL AS key_created;
SELECT privacy.tokenize(('4111' || '111111111111'), 'card') AS first_token \gset
SET ROLE regress_cycle_reader;
SET privacy.purpose = 'support';
SELECT id, email FROM cyc ORDER BY id;
RESET privacy.purpose;
RESET ROLE;

-- a DROP EXTENSION rolled back: everything still enforced
BEGIN;
SELECT privacy.uninstall() IS NOT NULL AS uninstalled;
DROP EXTENSION pg_privacy;
SELECT count(*) AS privacy_schemas FROM pg_namespace WHERE nspname = 'privacy';
ROLLBACK;
SET ROLE regress_cycle_reader;
SET privacy.purpose = 'support';
SELECT id, email FROM cyc ORDER BY id;
RESET privacy.purpose;
RESET ROLE;
SELECT privacy.detokenize(:'first_token', 'card') = ('4111' || '111111111111') AS round_trip;

-- the extension goes and comes back
SELECT privacy.uninstall() IS NOT NULL AS uninstalled;
DROP EXTENSION pg_privacy;
CREATE EXTENSION pg_privacy;

-- second life: nothing of the first one is enforced or known
SET ROLE regress_cycle_reader;
SELECT id, email FROM cyc ORDER BY id;
SET privacy.purpose = 'support';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS column_policies FROM privacy.column_policies;
SELECT count(*) AS row_policies FROM privacy.row_policies;
SELECT privacy.tokenize(('4111' || '111111111111'), 'card');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.detokenize(:'first_token', 'card');
\echo :LAST_ERROR_SQLSTATE

-- and what is declared now is enforced
SELECT privacy.mask_column('cyc', 'email', 'privacy.redact(email)');
SELECT privacy.create_purpose('support', 'second life');
SELECT privacy.allow_purpose('regress_cycle_reader', 'support');
SELECT privacy.require_consent('cyc', 'email', 'support');
SELECT privacy.grant_consent('bob@example.com', 'support') > 0 AS granted;
SELECT privacy.create_key('default') IS NOT NULL AS key_created;
SELECT privacy.tokenize(('4111' || '111111111111'), 'card') <> :'first_token' AS new_key_new_token;
SELECT privacy.detokenize(privacy.tokenize(('4111' || '111111111111'), 'card'), 'card')
	= ('4111' || '111111111111') AS round_trip;
SET ROLE regress_cycle_reader;
SET privacy.purpose = 'support';
SELECT id, email FROM cyc ORDER BY id;
RESET privacy.purpose;
RESET ROLE;

-- a catalog table that did not exist when the caches were filled: 0.1.0
-- has no category tables, the update creates them, and a category bound
-- afterwards in the same session masks the column it classifies
SELECT privacy.uninstall() IS NOT NULL AS uninstalled;
DROP EXTENSION pg_privacy;
CREATE EXTENSION pg_privacy VERSION '0.1.0';
SET ROLE regress_cycle_reader;
SELECT id, email FROM cyc ORDER BY id;
RESET ROLE;
ALTER EXTENSION pg_privacy UPDATE TO '0.2.0';
SELECT privacy.bind_category('email', 'privacy.mask_email(value)');
SELECT privacy.classify('cyc', 'email', 'email');
SET ROLE regress_cycle_reader;
SELECT id, email FROM cyc ORDER BY id;
RESET ROLE;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE regress_ext_cycle;
DROP ROLE regress_cycle_reader;
RESET client_min_messages;
