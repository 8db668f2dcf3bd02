-- hold_settings.sql: which rows a legal hold covers does not depend on the
-- settings of the session that evaluates its condition (red-team 8 F1).
-- Hold conditions are parsed, written (canonical text) and evaluated under
-- fixed settings (TimeZone UTC, DateStyle ISO, MDY, IntervalStyle postgres,
-- extra_float_digits 1, default_text_search_config pg_catalog.simple,
-- lc_time/lc_numeric/lc_monetary C, ...), whoever runs the DML, TRUNCATE or
-- placement:
--  * a clerk who may delete rows sets TimeZone and deletes a row held by
--    made_at::date = '2024-03-01' (timestamptz): refused in every zone (was
--    deleted in America/Los_Angeles); an UPDATE moving it out of the hold
--    likewise. Positive control: the row of another day is deleted;
--  * DateStyle and default_text_search_config of the DML session
--    (at::text LIKE ..., to_tsvector(body) @@ ...): refused under both;
--  * TRUNCATE by the owner in another TimeZone: refused (was truncated);
--  * a timestamptz literal without a zone in a condition is read as UTC,
--    and a date in the order MDY, whatever the placing session's TimeZone
--    and DateStyle (Asia/Tokyo, SQL, DMY: '01/03/2024' is January 3rd): the
--    canonical text shows them ISO, with their offset. Before, the literal
--    was read in the placing session's settings and written in them (a
--    text other sessions read differently).
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
CREATE DATABASE regress_hold_settings;
RESET client_min_messages;
\c regress_hold_settings
CREATE EXTENSION pg_privacy;
SET client_min_messages = warning;
SELECT privacy.setup_roles('regress_hs_admin', 'regress_hs_auditor');
RESET client_min_messages;
SET privacy.admin_role = 'regress_hs_admin';
CREATE ROLE regress_hs_dpo IN ROLE regress_hs_admin;
CREATE ROLE regress_hs_owner;
CREATE ROLE regress_hs_clerk;
CREATE SCHEMA hs AUTHORIZATION regress_hs_owner;
GRANT USAGE ON SCHEMA hs TO regress_hs_dpo, regress_hs_clerk;
SET ROLE regress_hs_owner;
CREATE TABLE hs.calls (id int PRIMARY KEY, made_at timestamptz, body text);
INSERT INTO hs.calls VALUES (1, '2024-03-01 00:30:00+00', 'just after midnight UTC'),
                            (2, '2024-03-01 12:00:00+00', 'noon'),
                            (3, '2024-03-02 12:00:00+00', 'not held'),
                            (4, '2024-03-02 12:00:00+00', 'not held');
CREATE TABLE hs.notes (id int PRIMARY KEY, at timestamp, body text);
INSERT INTO hs.notes VALUES (1, '2024-03-01 10:00', 'fraud reported'), (2, '2024-03-05 10:00', 'nothing'),
                            (3, '2024-03-05 10:00', 'nothing');
GRANT SELECT, UPDATE, DELETE ON hs.calls, hs.notes TO regress_hs_clerk;
GRANT SELECT ON hs.calls, hs.notes TO regress_hs_dpo;
RESET ROLE;

SET ROLE regress_hs_dpo;
SET TimeZone = 'UTC';
SELECT privacy.place_hold('hs.calls', $$made_at::date = '2024-03-01'$$, 'calls of 1 March') AS h1 \gset
SELECT privacy.place_hold('hs.notes', $$to_tsvector(body) @@ to_tsquery('fraud')$$, 'fraud case') AS h2 \gset
SELECT privacy.place_hold('hs.notes', $$at::text LIKE '2024-03-01%'$$, 'day case') AS h3 \gset
RESET TimeZone;
RESET ROLE;

-- the guard: refused in UTC (positive control) and in every other zone
SET ROLE regress_hs_clerk;
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
SET TimeZone = 'UTC';
DELETE FROM hs.calls WHERE id = 1;
SET TimeZone = 'America/Los_Angeles';
DELETE FROM hs.calls WHERE id = 1;
UPDATE hs.calls SET body = 'moved' WHERE id = 1;
UPDATE hs.calls SET made_at = '2024-02-29 23:30:00+00' WHERE id = 1;
SET TimeZone = 'Pacific/Kiritimati';
DELETE FROM hs.calls WHERE id = 2;
SET TimeZone = 'America/Los_Angeles';
-- DateStyle and text search configuration of the DML session
SET DateStyle = 'SQL, DMY';
SET default_text_search_config = 'pg_catalog.english';
SET IntervalStyle = 'sql_standard';
DELETE FROM hs.notes WHERE id = 1;
\set ON_ERROR_STOP 1
\set VERBOSITY default
-- positive controls: unheld rows go in any settings
DELETE FROM hs.calls WHERE id = 3;
DELETE FROM hs.notes WHERE id = 2;
RESET DateStyle;
RESET default_text_search_config;
RESET IntervalStyle;
RESET TimeZone;
RESET ROLE;
SELECT id, body FROM hs.calls ORDER BY id;
SELECT id, body FROM hs.notes ORDER BY id;

-- TRUNCATE by the owner in another zone (CheckFamilyHolds -> RowsMatch)
SET ROLE regress_hs_owner;
SET TimeZone = 'America/Los_Angeles';
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
TRUNCATE hs.calls;
SET DateStyle = 'SQL, DMY';
TRUNCATE hs.notes;
\set ON_ERROR_STOP 1
\set VERBOSITY default
RESET DateStyle;
RESET TimeZone;
RESET ROLE;
SELECT count(*) AS calls_left FROM hs.calls;
SELECT count(*) AS notes_left FROM hs.notes;

-- a literal without a zone is UTC, whatever the placing session's settings
SET ROLE regress_hs_dpo;
SET TimeZone = 'Asia/Tokyo';
SET DateStyle = 'SQL, DMY';
SELECT privacy.place_hold('hs.calls', $$made_at >= '01/03/2024 00:00' AND made_at < '2024-03-01 01:00'$$, 'first hour') AS h4 \gset
SELECT condition FROM privacy.legal_holds WHERE id = :h4;
RESET DateStyle;
RESET TimeZone;
RESET ROLE;
SELECT privacy.release_hold(:h1);
-- row 1 (00:30 UTC) is held by h4 alone now, row 2 is not
SET ROLE regress_hs_clerk;
SET TimeZone = 'Asia/Tokyo';
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
DELETE FROM hs.calls WHERE id = 1;
\set ON_ERROR_STOP 1
\set VERBOSITY default
DELETE FROM hs.calls WHERE id = 2;
RESET TimeZone;
RESET ROLE;
SELECT id FROM hs.calls ORDER BY id;
SELECT privacy.release_hold(:h2);
SELECT privacy.release_hold(:h3);
SELECT privacy.release_hold(:h4);

-- purges (red-team reproduction 35): purge_now() from a Los Angeles session
-- filters held rows in its own settings (the residual, retention.md "Fixed
-- settings"), but the guard refuses the row the hold covers in UTC: the run
-- fails and the row stays (it was purged before). Positive control: from a
-- UTC session the held rows are skipped and the others purged.
SET ROLE regress_hs_owner;
CREATE TABLE hs.calls3 (id int PRIMARY KEY, made_at timestamptz, body text);
INSERT INTO hs.calls3 VALUES (1, '2024-03-01 00:30:00+00', 'held (in UTC)'), (2, '2024-03-01 12:00:00+00', 'held'),
                             (3, '2024-02-20 12:00:00+00', 'expired, not held');
RESET ROLE;
SET ROLE regress_hs_dpo;
SELECT privacy.set_retention('hs.calls3', 'made_at', '30 days');
SELECT privacy.place_hold('hs.calls3', $$made_at::date = '2024-03-01'$$, 'calls of 1 March') AS h5 \gset
SET TimeZone = 'America/Los_Angeles';
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
SELECT table_name, status, rows_purged FROM privacy.purge_now('hs.calls3');
\set ON_ERROR_STOP 1
\set VERBOSITY default
RESET ROLE;
SELECT id FROM hs.calls3 ORDER BY id;
SET ROLE regress_hs_dpo;
SET TimeZone = 'UTC';
SELECT table_name, status, rows_purged FROM privacy.purge_now('hs.calls3');
RESET TimeZone;
RESET ROLE;
SELECT id FROM hs.calls3 ORDER BY id;
SELECT privacy.release_hold(:h5);

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE regress_hold_settings;
DROP ROLE regress_hs_dpo, regress_hs_owner, regress_hs_clerk, regress_hs_admin, regress_hs_auditor;
RESET client_min_messages;
