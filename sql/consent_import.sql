-- consent_import: the bulk path of privacy.grant_consent(text[], ...)
-- (issue 19: privacy._grant_consents, written in C) writes exactly the
-- history rows that one scalar grant_consent(subject, ...) per distinct
-- subject writes (compared row by row, not hard-coded: standing,
-- revoked-then-regranted, expiring, expired, empty and multibyte subjects,
-- duplicates), plus one audit row whose count is the number of rows
-- written; a huge array with duplicates; NULL elements and an unknown
-- purpose change nothing (22004, 42704); an error raised mid-array (by a
-- row trigger) leaves nothing behind; statement and AFTER row triggers
-- enabled ALWAYS (as the Citus sync's are) fire once per row, a BEFORE row
-- trigger too (ordinary INSERT); session_replication_role is restored;
-- who may call it (an administrator yes, an ordinary role no, the C helper
-- nobody but superusers), read-only transactions, a serializable
-- transaction's supersede, and erase_subject revoking a subject's consents.
SET client_min_messages = warning;
SELECT privacy.setup_roles();
CREATE ROLE regress_ci_admin IN ROLE privacy_admin;
CREATE ROLE regress_ci_ordinary;
RESET client_min_messages;
SELECT privacy.create_purpose('ci_bulk', 'bulk path');
SELECT privacy.create_purpose('ci_scalar', 'scalar path');

-- one transaction, so that now() is the same for both paths
BEGIN;
-- the same starting history for both purposes: s1 standing, s2 revoked,
-- s3 standing until tomorrow, s4 expired (written directly), s9 untouched
SELECT count(privacy.grant_consent(s, p)) AS granted
FROM unnest(ARRAY['s1', 's2', 's3', 's9']) s, unnest(ARRAY['ci_bulk', 'ci_scalar']) p;
SELECT privacy.revoke_consent('s2', p), privacy.grant_consent('s3', p, now() + interval '1 day') IS NOT NULL AS granted
FROM unnest(ARRAY['ci_bulk', 'ci_scalar']) p;
INSERT INTO privacy._consent (subject, purpose, granted_at, expires_at, granted_by)
SELECT 's4', p, now() - interval '2 days', now() - interval '1 day', current_user FROM unnest(ARRAY['ci_bulk', 'ci_scalar']) p;
-- the bulk path, with duplicates, an empty and a multibyte subject
SELECT privacy.grant_consent(ARRAY['s5', 's1', 's2', 's3', 's4', '', 'Ärger', 'zoë', 's5', 's1', 'Ärger'], 'ci_bulk',
	now() + interval '30 days') AS bulk_granted;
SHOW session_replication_role;
-- the scalar path, once per distinct subject
SELECT count(privacy.grant_consent(s, 'ci_scalar', now() + interval '30 days')) AS scalar_granted
FROM (SELECT DISTINCT s FROM unnest(ARRAY['s5', 's1', 's2', 's3', 's4', '', 'Ärger', 'zoë', 's5', 's1', 'Ärger']) s) d;
-- the same history, row for row (everything but the id and the purpose)
CREATE TEMP VIEW ci_history AS
SELECT purpose, subject, granted_at, expires_at, revoked_at, granted_by, revoked_by FROM privacy._consent
WHERE purpose IN ('ci_bulk', 'ci_scalar');
SELECT count(*) AS only_bulk FROM (
	SELECT subject, granted_at, expires_at, revoked_at, granted_by, revoked_by FROM ci_history WHERE purpose = 'ci_bulk'
	EXCEPT ALL
	SELECT subject, granted_at, expires_at, revoked_at, granted_by, revoked_by FROM ci_history WHERE purpose = 'ci_scalar') x;
SELECT count(*) AS only_scalar FROM (
	SELECT subject, granted_at, expires_at, revoked_at, granted_by, revoked_by FROM ci_history WHERE purpose = 'ci_scalar'
	EXCEPT ALL
	SELECT subject, granted_at, expires_at, revoked_at, granted_by, revoked_by FROM ci_history WHERE purpose = 'ci_bulk') x;
-- what that history is (the same for both purposes)
SELECT subject, count(*) AS rows, count(*) FILTER (WHERE revoked_at IS NULL) AS standing,
       count(*) FILTER (WHERE revoked_at IS NULL AND expires_at > now()) AS standing_expiring,
       bool_and(granted_by = current_user) AS granted_by_caller,
       bool_and(revoked_by IS NULL OR revoked_by = current_user) AS revoked_by_caller
FROM ci_history WHERE purpose = 'ci_bulk' GROUP BY subject ORDER BY subject COLLATE "C";
-- one audit row, counting the rows written (never naming a subject)
SELECT action, object, value_count,
       value_count = (SELECT count(*) FROM ci_history WHERE purpose = 'ci_scalar' AND revoked_at IS NULL
                      AND expires_at > now() + interval '29 days') AS counts_rows_written,
       new_definition::jsonb ? 'expires_at' AS has_expiry, new_definition NOT LIKE '%s5%' AS no_subject
FROM privacy.audit_log WHERE object = 'purpose ci_bulk' ORDER BY action;
COMMIT;

-- a huge array: 200,000 elements, 50,000 distinct subjects
SELECT privacy.grant_consent(array_agg('h' || (n % 50000)), 'ci_bulk') AS huge FROM generate_series(1, 200000) n;
-- again: each supersedes its standing consent
SELECT privacy.grant_consent(array_agg('h' || (n % 50000)), 'ci_bulk') AS huge_again FROM generate_series(1, 200000) n;
SELECT count(*) AS rows, count(*) FILTER (WHERE revoked_at IS NULL) AS standing, count(DISTINCT subject) AS subjects
FROM privacy._consent WHERE purpose = 'ci_bulk' AND subject LIKE 'h%';
-- one standing consent per subject, found through the standing index
SET enable_seqscan = off;
SELECT count(*) AS standing_by_index FROM privacy._consent
WHERE purpose COLLATE "C" = 'ci_bulk' AND subject COLLATE "C" LIKE 'h%' AND revoked_at IS NULL;
RESET enable_seqscan;
-- a 1 MB subject is too large for the standing index even compressed
-- (54000, as for the scalar grant): nothing is recorded
SELECT privacy.grant_consent(ARRAY[repeat('x', 1000000), 'y1'], 'ci_bulk') AS huge_subject;
\echo :LAST_ERROR_SQLSTATE
-- a 100 kB subject (stored compressed, also in the standing index):
-- granted, then found and superseded by the next grant
SELECT privacy.grant_consent(ARRAY[repeat('x', 100000), 'y1'], 'ci_bulk') AS large_subject;
SELECT privacy.grant_consent(ARRAY['y2', repeat('x', 100000)], 'ci_bulk') AS large_subject_again;
SELECT length(subject) AS len, count(*) AS rows, count(*) FILTER (WHERE revoked_at IS NULL) AS standing
FROM privacy._consent WHERE purpose = 'ci_bulk' AND (subject LIKE 'x%' OR subject LIKE 'y_') GROUP BY 1 ORDER BY 1;
-- an empty array records nothing, audits nothing
SELECT privacy.grant_consent('{}'::text[], 'ci_bulk') AS empty;
-- a two-dimensional array is refused (as before: 0A000), nothing recorded
SELECT privacy.grant_consent(ARRAY[['m1', 'm2'], ['m2', 'm3']], 'ci_bulk') AS two_dims;
\echo :LAST_ERROR_SQLSTATE

CREATE TEMP TABLE ci_before AS
SELECT (SELECT count(*) FROM privacy._consent) AS history, (SELECT count(*) FROM privacy.audit_log) AS audit;
-- bad input changes nothing
SELECT privacy.grant_consent(ARRAY['n1', NULL, 'n2'], 'ci_bulk');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_consent(ARRAY['n1'], 'ci_nope');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_consent(ARRAY['n1'], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_consent(ARRAY['n1'], 'ci_bulk', now());
\echo :LAST_ERROR_SQLSTATE
-- a read-only transaction writes nothing (nor does the C helper in one)
BEGIN READ ONLY;
SELECT privacy.grant_consent(ARRAY['n1'], 'ci_bulk');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN READ ONLY;
SELECT privacy._grant_consents(ARRAY['n1'], 'ci_bulk', NULL, current_user);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- triggers on the registry enabled ALWAYS fire for the bulk path, like the
-- Citus sync's: one statement trigger call, one row trigger call per row;
-- an error one of them raises mid-array undoes the whole call
CREATE TABLE ci_fired (kind text, subject text, id bigint);
CREATE FUNCTION ci_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.subject = 'boom' THEN
		RAISE EXCEPTION 'row trigger refused a subject' USING ERRCODE = 'check_violation';
	END IF;
	INSERT INTO public.ci_fired VALUES ('row', NEW.subject, NEW.id);
	RETURN NULL;
END $$;
CREATE FUNCTION ci_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.ci_fired VALUES ('statement ' || TG_WHEN, NULL);
	RETURN NULL;
END $$;
-- with a WHEN clause, as the Citus sync's row triggers have
CREATE TRIGGER ci_row AFTER INSERT ON privacy._consent FOR EACH ROW WHEN (NEW.subject <> 'quiet')
	EXECUTE FUNCTION ci_row();
CREATE TRIGGER ci_stmt BEFORE INSERT ON privacy._consent FOR EACH STATEMENT EXECUTE FUNCTION ci_stmt();
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER ci_row;
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER ci_stmt;
SELECT privacy.grant_consent(ARRAY['t3', 't1', 'quiet', 't2', 't1'], 'ci_bulk') AS with_triggers;
-- each row trigger call saw the row as written (its id, as the Citus sync reads it)
SELECT f.kind, f.subject, f.id IS NOT DISTINCT FROM c.id AS row_id_seen
FROM ci_fired f LEFT JOIN privacy._consent c ON c.purpose = 'ci_bulk' AND c.subject = f.subject
ORDER BY f.kind, f.subject;
DELETE FROM ci_fired;
TRUNCATE ci_before;
INSERT INTO ci_before SELECT (SELECT count(*) FROM privacy._consent), (SELECT count(*) FROM privacy.audit_log);
-- 'boom' sorts between the others: rows before it were already written
SELECT privacy.grant_consent(array_agg('a' || n) || ARRAY['boom'] || array_agg('c' || n), 'ci_bulk')
FROM generate_series(1, 3000) n;
\echo :LAST_ERROR_SQLSTATE
-- nor does a superseding call: the standing t1 stays standing
SELECT privacy.grant_consent(ARRAY['t1', 'boom'], 'ci_bulk');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM privacy._consent) = history AS history_unchanged,
       (SELECT count(*) FROM privacy.audit_log) = audit AS audit_unchanged,
       (SELECT count(*) FROM ci_fired) AS fired,
       (SELECT count(*) FROM privacy._consent WHERE purpose = 'ci_bulk' AND subject = 't1' AND revoked_at IS NULL)
         AS t1_standing
FROM ci_before;
SHOW session_replication_role;
-- inside a transaction, a savepoint rolls the failed call back alone
BEGIN;
SAVEPOINT s;
SELECT privacy.grant_consent(ARRAY['u1', 'boom'], 'ci_bulk');
ROLLBACK TO SAVEPOINT s;
SHOW session_replication_role;
SELECT privacy.grant_consent(ARRAY['u1', 'u2'], 'ci_bulk') AS after_savepoint;
COMMIT;
SELECT subject, revoked_at IS NULL AS standing FROM privacy._consent WHERE purpose = 'ci_bulk' AND subject LIKE 'u%'
ORDER BY subject;
DELETE FROM ci_fired;
-- a BEFORE row trigger (enabled ALWAYS) fires too: those rows go through
-- an ordinary INSERT, with the same history
CREATE FUNCTION ci_before_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.ci_fired VALUES ('before row', NEW.subject);
	RETURN NEW;
END $$;
CREATE TRIGGER ci_before_row BEFORE INSERT ON privacy._consent FOR EACH ROW EXECUTE FUNCTION ci_before_row();
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER ci_before_row;
SELECT privacy.grant_consent(ARRAY['t2', 'v1', 'v1'], 'ci_bulk') AS with_before_row;
SELECT kind, subject FROM ci_fired ORDER BY kind, subject;
SELECT subject, count(*) AS rows, count(*) FILTER (WHERE revoked_at IS NULL) AS standing
FROM privacy._consent WHERE purpose = 'ci_bulk' AND subject IN ('t2', 'v1') GROUP BY subject ORDER BY subject;
DROP TRIGGER ci_row ON privacy._consent;
DROP TRIGGER ci_stmt ON privacy._consent;
DROP TRIGGER ci_before_row ON privacy._consent;
-- the foreign key's trigger did not fire (replica mode) but is intact:
-- the ordinary path still checks it
INSERT INTO privacy._consent (subject, purpose, granted_at, granted_by) VALUES ('x', 'ci_nope', now(), current_user);
\echo :LAST_ERROR_SQLSTATE

-- a serializable transaction supersedes through ordinary index scans
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT privacy.grant_consent(ARRAY['s5', 'h7', 'w1'], 'ci_bulk') AS serializable;
COMMIT;
SELECT subject, count(*) FILTER (WHERE revoked_at IS NULL) AS standing FROM privacy._consent
WHERE purpose = 'ci_bulk' AND subject IN ('s5', 'h7', 'w1') GROUP BY subject ORDER BY subject;

-- erasure revokes the subject's standing consents for every purpose (it
-- probes the standing index once per purpose instead of reading the
-- registry)
CREATE TABLE ci_people (email text);
INSERT INTO ci_people VALUES ('erase-me'), ('keep-me');
SELECT privacy.register_subject('ci_people', 'email');
SELECT privacy.grant_consent(ARRAY['erase-me', 'keep-me'], p) FROM unnest(ARRAY['ci_bulk', 'ci_scalar', 'ci_bulk']) p;
SELECT privacy.erase_subject('erase-me')->'consents_revoked' AS consents_revoked;
SELECT subject, purpose, count(*) AS rows, count(*) FILTER (WHERE revoked_at IS NULL) AS standing
FROM privacy._consent WHERE subject IN ('erase-me', 'keep-me') GROUP BY subject, purpose ORDER BY subject, purpose;
SELECT email FROM ci_people;
SELECT privacy.unregister_subject('ci_people');

-- who may call it: an administrator (positive control), not an ordinary
-- role; the C helper only superusers (it trusts its "who" argument)
SET ROLE regress_ci_admin;
SELECT privacy.grant_consent(ARRAY['adm1', 'adm2'], 'ci_bulk') AS by_admin;
SELECT privacy._grant_consents(ARRAY['forged'], 'ci_bulk', NULL, 'someone');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_ci_ordinary;
SELECT privacy.grant_consent(ARRAY['ord1'], 'ci_bulk');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._grant_consents(ARRAY['forged'], 'ci_bulk', NULL, 'someone');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT has_function_privilege('regress_ci_ordinary', 'privacy._grant_consents(text[], text, timestamptz, name)', 'EXECUTE')
  AS ordinary_may_execute,
       has_function_privilege('regress_ci_admin', 'privacy._grant_consents(text[], text, timestamptz, name)', 'EXECUTE')
  AS admin_may_execute;
SELECT subject, granted_by = 'regress_ci_admin' AS by_admin FROM privacy._consent
WHERE purpose = 'ci_bulk' AND subject IN ('adm1', 'adm2', 'ord1', 'forged') ORDER BY subject;

SET client_min_messages = warning;
DROP TABLE ci_fired, ci_before, ci_people;
DROP FUNCTION ci_row(), ci_stmt(), ci_before_row();
DELETE FROM privacy.audit_log WHERE object IN ('purpose ci_bulk', 'purpose ci_scalar') OR action = 'erase subject';
DELETE FROM privacy._consent WHERE purpose IN ('ci_bulk', 'ci_scalar');
DELETE FROM privacy._purpose WHERE name IN ('ci_bulk', 'ci_scalar');
DROP OWNED BY privacy_admin, privacy_auditor;
DROP ROLE regress_ci_admin, regress_ci_ordinary, privacy_admin, privacy_auditor;
RESET client_min_messages;
