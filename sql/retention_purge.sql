-- retention_purge.sql: proves privacy.purge_now() applies each action to
-- exactly the expired rows that no active legal hold covers, in batches:
-- delete (ctid_sweep without an index, time_slice with one), anonymize
-- (the table's masks, applied once), nullify (the listed columns only);
-- released holds let rows go; expired range partitions are detached and
-- dropped whole unless they hold held rows, the partly expired partition is
-- swept; and the views report counts, methods and errors.
SET client_min_messages = warning;

-- delete, no index: ctid_sweep, several batches
CREATE TABLE ret_del (id int, created timestamptz, note text);
INSERT INTO ret_del SELECT g, now() - (g % 100) * interval '1 day', 'n' || g FROM generate_series(1, 5000) g;
INSERT INTO ret_del VALUES (-1, NULL, 'no time');
ANALYZE ret_del;
SELECT privacy.set_retention('ret_del', 'created', '30 days', batch_size => 500);
SELECT privacy.place_hold('ret_del', 'id % 1000 = 77', 'litigation 1') AS hold_id \gset
SELECT rows_expired, rows_held, method FROM privacy.retention_status WHERE table_name = 'ret_del'::regclass;
SELECT table_name, action, method, status, rows_purged, batches > 1 AS batched FROM privacy.purge_now('ret_del');
SELECT count(*) FILTER (WHERE created < now() - interval '30 days') AS expired_left,
	count(*) FILTER (WHERE created >= now() - interval '30 days') AS unexpired,
	count(*) FILTER (WHERE id % 1000 = 77) AS held, count(*) FILTER (WHERE created IS NULL) AS no_time
FROM ret_del;
SELECT rows_expired, rows_held, rows_purged_last_run, last_run_status, errors, method, backlog,
	retention_lag = '0'::interval AS no_lag FROM privacy.retention_status WHERE table_name = 'ret_del'::regclass;
-- a second run finds nothing; releasing the hold frees its expired rows
SELECT rows_purged FROM privacy.purge_now('ret_del');
SELECT privacy.release_hold(:hold_id);
SELECT rows_purged FROM privacy.purge_now('ret_del');
SELECT count(*) AS rows_left, count(*) FILTER (WHERE created < now() - interval '30 days') AS expired_left FROM ret_del;

-- delete with an index and few expired rows: time_slice
CREATE TABLE ret_idx (id int, created timestamp);
CREATE INDEX ON ret_idx (created);
INSERT INTO ret_idx SELECT g, now() - (g % 100) * interval '1 day' FROM generate_series(1, 20000) g;
ANALYZE ret_idx;
SELECT privacy.set_retention('ret_idx', 'created', '97 days', batch_size => 100);
SELECT method, rows_purged, batches > 1 AS batched FROM privacy.purge_now('ret_idx');
SELECT count(*) FILTER (WHERE created < now() - interval '97 days') AS expired_left, count(*) AS rows_left FROM ret_idx;

-- anonymize: the table's masks, applied to expired unheld rows only, once
CREATE TABLE ret_anon (id int, created date, email text, name text);
INSERT INTO ret_anon SELECT g, current_date - g * 10, 'user' || g || '@example.org', 'Name ' || g FROM generate_series(1, 10) g;
SELECT privacy.mask_column('ret_anon', 'email', 'privacy.redact(email)');
SELECT privacy.set_retention('ret_anon', 'created', '45 days', 'anonymize');
SELECT privacy.place_hold('ret_anon', 'id = 8', 'subject request') > 0 AS placed;
SELECT action, method, rows_purged FROM privacy.purge_now('ret_anon');
SELECT id, email, name FROM ret_anon ORDER BY id;
SELECT rows_purged AS second_run FROM privacy.purge_now('ret_anon');
SELECT rows_expired, rows_held FROM privacy.retention_status WHERE table_name = 'ret_anon'::regclass;

-- nullify: only the listed columns of expired unheld rows
CREATE TABLE ret_null (id int, created timestamptz, phone text, city text, note text);
INSERT INTO ret_null SELECT g, now() - g * interval '10 days', 'p' || g, 'c' || g, 'n' || g FROM generate_series(1, 6) g;
SELECT privacy.set_retention('ret_null', 'created', '25 days', 'nullify', '{phone,city}');
SELECT privacy.place_hold('ret_null', 'note = ''n5''', 'audit') > 0 AS placed;
SELECT action, rows_purged FROM privacy.purge_now('ret_null');
SELECT id, phone, city, note FROM ret_null ORDER BY id;

-- partitions by the time column: expired ones dropped whole, the held one
-- kept, the partly expired one swept
CREATE TABLE ret_part (id int, created timestamptz NOT NULL) PARTITION BY RANGE (created);
-- the bounds depend on today's date, so they are made in a DO block: nothing
-- date-dependent reaches the expected output
DO $$
BEGIN
	FOR i IN 0..5 LOOP
		EXECUTE format('CREATE TABLE ret_part_%s PARTITION OF ret_part FOR VALUES FROM (%L) TO (%L)', i,
			date_trunc('day', now()) - (i + 1) * interval '10 days' + interval '1 day',
			date_trunc('day', now()) - i * interval '10 days' + interval '1 day');
	END LOOP;
END
$$;
INSERT INTO ret_part SELECT g, now() - (g % 55) * interval '1 day' FROM generate_series(1, 5500) g;
SELECT privacy.set_retention('ret_part', 'created', '25 days', batch_size => 200);
SELECT privacy.place_hold('ret_part', 'id = 54', 'keep one') > 0 AS placed;
SELECT method, rows_purged > 0 AS swept, partitions_dropped FROM privacy.purge_now('ret_part');
SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'ret\_part\_%' ORDER BY 1;
SELECT count(*) FILTER (WHERE created < now() - interval '25 days') AS expired_left,
	count(*) FILTER (WHERE id = 54) AS held, count(*) FILTER (WHERE created >= now() - interval '25 days') AS unexpired
FROM ret_part;

-- the purge log: one row per run, no errors, finished
SELECT table_name::text, action, method, status, error IS NULL AS ok, finished >= started AS finished
FROM privacy.purge_log ORDER BY id;

-- a hold condition cannot be broken: the column it uses cannot be dropped
-- while the hold is active (the hold's triggers depend on it; issue 15), not
-- even with CASCADE, so the purge keeps working and keeps the held row
CREATE TABLE ret_err (id int, created timestamptz, tag text);
INSERT INTO ret_err SELECT g, now() - interval '60 days', 't' FROM generate_series(1, 10) g;
SELECT privacy.set_retention('ret_err', 'created', '1 day');
SELECT privacy.place_hold('ret_err', 'tag = ''x''', 'r') > 0 AS placed;
\set ON_ERROR_STOP 0
\set VERBOSITY terse
\set VERBOSITY sqlstate
ALTER TABLE ret_err DROP COLUMN tag;
ALTER TABLE ret_err DROP COLUMN tag CASCADE;
\set VERBOSITY terse
\set ON_ERROR_STOP 1
INSERT INTO ret_err VALUES (11, now() - interval '60 days', 'x');
SELECT status, rows_purged FROM privacy.purge_now('ret_err');
SELECT id, tag FROM ret_err;

-- tables under active holds cannot be dropped: release the holds first
SELECT count(*) AS released FROM (SELECT privacy.release_hold(id) FROM privacy.legal_holds WHERE active) r;
DROP TABLE ret_del, ret_idx, ret_anon, ret_null, ret_part, ret_err;
SELECT count(*) AS policies_left FROM privacy.retention_policies;
