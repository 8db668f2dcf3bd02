-- row_policies_scale: consent read from the registry with the statement's
-- snapshot. Point lookups probe the index, scans build a set once per
-- execution: both give the same rows, serial and parallel plans agree,
-- revocation and expiry apply to both, and nothing is cached across
-- statements (prepared statements and new statements see each change).
-- The set-based API records history and one audit row per call.
CREATE SCHEMA cs;
CREATE TABLE cs.people (id int PRIMARY KEY, subject text, score int NOT NULL);
INSERT INTO cs.people SELECT n, 's' || (n % 400), n % 7 FROM generate_series(1, 2000) n;
INSERT INTO cs.people VALUES (2001, NULL, 0), (2002, 'Ärger', 1), (2003, 'zoë', 2);
CREATE ROLE cs_reader;
CREATE ROLE cs_nopurpose;
GRANT USAGE ON SCHEMA cs TO cs_reader, cs_nopurpose;
GRANT SELECT ON cs.people TO cs_reader, cs_nopurpose;
SELECT privacy.create_purpose('cs_mkt', 'scale test');
SELECT privacy.create_purpose('cs_other', 'another purpose');
SELECT privacy.allow_purpose('cs_reader', 'cs_mkt');
SELECT privacy.allow_purpose('cs_reader', 'cs_other');
SELECT privacy.require_consent('cs.people', 'subject', 'cs_mkt');

-- bulk grant: duplicates count once; the even subjects and two non-ASCII ones
SELECT privacy.grant_consent(array_agg('s' || n) || ARRAY['s0', 's2', 'Ärger', 'zoë'], 'cs_mkt')
FROM generate_series(0, 398, 2) n;
SELECT count(*) AS history, count(*) FILTER (WHERE revoked_at IS NULL) AS standing,
       count(DISTINCT granted_by = current_user) AS one_grantor
FROM privacy._consent WHERE purpose = 'cs_mkt';
SELECT action, object, value_count, new_definition::jsonb->'subjects' AS subjects
FROM privacy.audit_log WHERE action LIKE '% consent' AND object = 'purpose cs_mkt' ORDER BY action;
-- a second grant supersedes the standing consent, which stays in the history
SELECT privacy.grant_consent(ARRAY['s0', 's2'], 'cs_mkt', now() + interval '1 day');
SELECT count(*) AS history, count(*) FILTER (WHERE revoked_at IS NULL) AS standing
FROM privacy._consent WHERE purpose = 'cs_mkt';
SELECT subject, revoked_at IS NULL AS standing, expires_at IS NOT NULL AS expires
FROM privacy._consent WHERE purpose = 'cs_mkt' AND subject IN ('s0', 's2') ORDER BY subject, id;
-- bad input changes nothing
SELECT privacy.grant_consent(ARRAY['s1', NULL], 'cs_mkt');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_consent(NULL::text[], 'cs_mkt');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_consent(ARRAY['s1'], 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_consent(ARRAY['s1'], 'cs_mkt', now() - interval '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.revoke_consent(ARRAY['s0', NULL], 'cs_mkt');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS history, count(*) FILTER (WHERE revoked_at IS NULL) AS standing
FROM privacy._consent WHERE purpose = 'cs_mkt';
-- an empty call records nothing
SELECT privacy.grant_consent('{}'::text[], 'cs_mkt');
SELECT count(*) AS audit_rows FROM privacy.audit_log WHERE action LIKE '% consent' AND object = 'purpose cs_mkt';
-- the single-subject signatures still resolve from literals
SELECT privacy.revoke_consent('no such subject', 'cs_mkt');

-- a consent that stood once but has expired (written directly) lets nothing through
INSERT INTO privacy._consent (subject, purpose, granted_at, expires_at, granted_by)
VALUES ('s1', 'cs_mkt', now() - interval '2 days', now() - interval '1 day', current_user);

-- the same rows whether consent is probed row by row or read as a set
SET ROLE cs_reader;
SET privacy.purpose = 'cs_mkt';
SELECT count(*) AS scan FROM cs.people;
CREATE TEMP TABLE lookups (id int, visible boolean);
DO $$
DECLARE
	i int;
	n bigint;
BEGIN
	FOR i IN 1..2003 LOOP
		SELECT count(*) INTO n FROM cs.people WHERE id = i;
		INSERT INTO lookups VALUES (i, n > 0);
	END LOOP;
END
$$;
SELECT count(*) FILTER (WHERE visible) AS by_lookups FROM lookups;
SELECT count(*) AS disagreements
FROM lookups l FULL JOIN (SELECT id FROM cs.people) p USING (id)
WHERE l.visible IS DISTINCT FROM (p.id IS NOT NULL);
SELECT id, subject FROM cs.people WHERE id IN (1, 2, 400, 2001, 2002, 2003) ORDER BY id;
-- a registry too large for the set (work_mem): scans probe every row, same rows
RESET ROLE;
SELECT privacy.grant_consent(array_agg('unrelated' || n), 'cs_mkt') FROM generate_series(1, 3000) n;
SET ROLE cs_reader;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT count(*) AS scan_probing FROM cs.people;
RESET work_mem;
RESET hash_mem_multiplier;

-- parallel plans give the serial answer
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT count(*) FROM cs.people;
SELECT count(*) AS parallel_scan, sum(score) AS parallel_sum FROM cs.people;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS serial_scan, sum(score) AS serial_sum FROM cs.people;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- prepared statements (generic plans too) see a revocation at their next execution
SET plan_cache_mode = force_generic_plan;
PREPARE gated_count AS SELECT count(*) FROM cs.people;
PREPARE gated_one(int) AS SELECT id FROM cs.people WHERE id = $1;
EXECUTE gated_count;
EXECUTE gated_one(2);
RESET ROLE;
SELECT privacy.revoke_consent(ARRAY['s2', 's4', 's4', 'never granted'], 'cs_mkt');
SET ROLE cs_reader;
EXECUTE gated_count;
EXECUTE gated_one(2);
-- and a grant at theirs
RESET ROLE;
SELECT privacy.grant_consent(ARRAY['s3'], 'cs_mkt');
SET ROLE cs_reader;
EXECUTE gated_count;
EXECUTE gated_one(3);
RESET plan_cache_mode;
-- inside one transaction, a revocation applies to the next statement; a
-- cursor opened before it keeps the state of its snapshot, like its rows
RESET ROLE;
BEGIN;
SET LOCAL ROLE cs_reader;
DECLARE before_revoke CURSOR FOR SELECT id FROM cs.people WHERE id IN (6, 7, 8, 10, 12) ORDER BY id;
FETCH 1 FROM before_revoke;
RESET ROLE;
SELECT privacy.revoke_consent(ARRAY['s8', 's10'], 'cs_mkt');
SET LOCAL ROLE cs_reader;
SELECT id FROM cs.people WHERE id IN (6, 7, 8, 10, 12) ORDER BY id;
FETCH ALL FROM before_revoke;
COMMIT;
SELECT action, object, value_count FROM privacy.audit_log WHERE action LIKE '% consent' AND object = 'purpose cs_mkt' ORDER BY action, value_count;

-- another usable purpose: the requirement does not apply; no purpose: nothing
SET ROLE cs_reader;
SET privacy.purpose = 'cs_other';
SELECT count(*) AS other_purpose FROM cs.people;
RESET privacy.purpose;
SELECT count(*) AS no_purpose FROM cs.people;
SET ROLE cs_nopurpose;
SELECT count(*) AS no_purpose FROM cs.people;
SET privacy.purpose = 'cs_mkt';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS no_purpose FROM cs.people;
-- a gated role cannot record consent or allow itself purposes
SET ROLE cs_reader;
SELECT privacy.grant_consent(ARRAY['s1', 's5'], 'cs_mkt');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.revoke_consent(ARRAY['s1'], 'cs_mkt');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.allow_purpose('cs_nopurpose', 'cs_mkt');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO privacy._consent (subject, purpose, granted_at, granted_by) VALUES ('s1', 'cs_mkt', now(), 'x');
\echo :LAST_ERROR_SQLSTATE
-- positive control: the administrator's bulk grant shows the row at once
RESET ROLE;
SELECT privacy.grant_consent(ARRAY['s1'], 'cs_mkt');
SET ROLE cs_reader;
SET privacy.purpose = 'cs_mkt';
SELECT id FROM cs.people WHERE id = 1;
RESET ROLE;

-- a point lookup is one descent of the standing btree by (purpose,
-- subject); a sequential scan expected to read more rows than probes
-- would pay for (the gated scan, consent_scan.cpp) reads the purpose's range
-- once into its set at its start, without probing (scan counters within one
-- transaction: pending statistics are flushed only when idle)
BEGIN;
SELECT pg_stat_get_xact_numscans('privacy._consent_standing'::regclass) AS btree0 \gset
SET LOCAL ROLE cs_reader;
SET LOCAL privacy.purpose = 'cs_mkt';
SELECT id FROM cs.people WHERE id = 1;
RESET ROLE;
SELECT pg_stat_get_xact_numscans('privacy._consent_standing'::regclass) - :btree0 AS lookup_probes;
SET LOCAL ROLE cs_reader;
SELECT count(*) AS scan FROM cs.people;
RESET ROLE;
SELECT pg_stat_get_xact_numscans('privacy._consent_standing'::regclass) - :btree0 - 1 AS scan_probes_and_set;
-- and the reads released their locks on the registry (a gated role cannot
-- hold them from an idle transaction and block its maintenance)
SELECT count(*) AS registry_locks FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation'
  AND relation IN ('privacy._consent'::regclass, 'privacy._consent_standing'::regclass);
COMMIT;

-- two standing rows for one subject (direct DML): the later expiry wins,
-- in the set (a scan) as in a probe (a point lookup), whichever row came first
INSERT INTO privacy._consent (subject, purpose, granted_at, expires_at, granted_by)
VALUES ('s7', 'cs_mkt', now() - interval '2 days', now() - interval '1 day', current_user),
       ('s7', 'cs_mkt', now(), NULL, current_user),
       ('s9', 'cs_mkt', now(), NULL, current_user),
       ('s9', 'cs_mkt', now() - interval '2 days', now() - interval '1 day', current_user),
       ('s11', 'cs_mkt', now() - interval '2 days', now() - interval '1 day', current_user),
       ('s11', 'cs_mkt', now() - interval '3 days', now() - interval '1 hour', current_user);
SET ROLE cs_reader;
SET privacy.purpose = 'cs_mkt';
SELECT count(*) FILTER (WHERE subject = 's7') AS s7, count(*) FILTER (WHERE subject = 's9') AS s9,
       count(*) FILTER (WHERE subject = 's11') AS s11
FROM cs.people;
SELECT id FROM cs.people WHERE id = 7;
SELECT id FROM cs.people WHERE id = 9;
SELECT id FROM cs.people WHERE id = 11;
RESET ROLE;

-- no consent state is kept by a backend between statements
SELECT count(*) AS consent_contexts FROM pg_backend_memory_contexts WHERE name LIKE '%consent%';

-- the bulk grant checks its purpose once and skips the foreign key's
-- per-row check for its own INSERT only: replica mode is over when it
-- returns (also when it is called inside a transaction), and a direct
-- insert of a consent for a purpose that does not exist still fails on the
-- key (positive control: the same insert for an existing purpose works)
BEGIN;
SELECT privacy.grant_consent(ARRAY['s40', 's41', 's40'], 'cs_mkt') AS granted;
SHOW session_replication_role;
COMMIT;
SHOW session_replication_role;
SELECT count(*) AS standing FROM privacy._consent
WHERE subject IN ('s40', 's41') AND purpose = 'cs_mkt' AND revoked_at IS NULL;
INSERT INTO privacy._consent (subject, purpose, granted_at, granted_by) VALUES ('s42', 'cs_no_such', now(), 'x');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO privacy._consent (subject, purpose, granted_at, granted_by) VALUES ('s42', 'cs_mkt', now(), 'x');
-- the supersede step of a second bulk grant finds each standing consent
-- through the index and keeps one standing row per subject
SELECT privacy.grant_consent(ARRAY['s40', 's42', 's43'], 'cs_mkt') AS granted;
SELECT subject, count(*) FILTER (WHERE revoked_at IS NULL) AS standing, count(*) AS history
FROM privacy._consent WHERE subject IN ('s40', 's41', 's42', 's43') AND purpose = 'cs_mkt'
GROUP BY subject ORDER BY subject;

DROP TABLE lookups;
DROP SCHEMA cs CASCADE;
DELETE FROM privacy._consent WHERE purpose = 'cs_mkt';
SELECT privacy.disallow_purpose('cs_reader', 'cs_mkt');
SELECT privacy.disallow_purpose('cs_reader', 'cs_other');
DROP ROLE cs_reader, cs_nopurpose;
