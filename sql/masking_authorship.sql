-- masking_authorship: who wrote an expression decides whether it sees raw
-- values (doc/security-model.md). A masked role reads masked values through
-- code fired inside a foreign-key cascade (also through a plan cached
-- there), through row-security policies it writes on its own tables, and
-- through the quals and check options of views it owns and writes through;
-- an unmasked control role running the same attacks sees raw values (the
-- attacks work). A table's own policies keep seeing raw values, foreign keys
-- on masked columns are still enforced on raw values, and pg_privacy's
-- one-statement suspension (anonymize_table) does not extend to the
-- triggers it fires. The secrets are canaries; raw values are only ever
-- compared, never printed.
CREATE SCHEMA ma;
CREATE ROLE ma_owner;
CREATE ROLE ma_reader;
CREATE ROLE ma_writer;
CREATE ROLE ma_control;
CREATE TABLE ma.person (id int PRIMARY KEY, name text, ssn text, note text);
INSERT INTO ma.person VALUES
	(1, 'Ann', 'CANARY-' || 'A1A1A1A1', 'n1'),
	(2, 'Bea', 'CANARY-' || 'B2B2B2B2', 'n2'),
	(3, 'Cid', 'CANARY-' || 'C3C3C3C3', 'n3');
ALTER TABLE ma.person OWNER TO ma_owner;
SELECT privacy.mask_column('ma.person', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.grant_unmasked('ma_control');
-- the raw values, for comparisons made as the (unmasked) superuser
CREATE TABLE ma.truth AS SELECT string_agg(ssn, ',' ORDER BY id) AS all_ssn FROM ma.person;
CREATE SCHEMA ma_scratch;
GRANT USAGE ON SCHEMA ma TO ma_owner, ma_reader, ma_writer, ma_control;
GRANT USAGE, CREATE ON SCHEMA ma_scratch TO ma_reader, ma_writer, ma_control;
GRANT SELECT ON ma.person TO ma_reader, ma_writer, ma_control;
GRANT UPDATE, DELETE ON ma.person TO ma_writer, ma_control;
-- what attack code saw, written by the attackers' own functions
CREATE TABLE ma_scratch.seen (who text, what text, v text);
GRANT INSERT ON ma_scratch.seen TO ma_reader, ma_writer, ma_control;
CREATE VIEW ma_scratch.verdict AS
	SELECT who, what, bool_or(position(t.all_ssn IN s.v) > 0 OR s.v IN (SELECT ssn FROM ma.person)) AS saw_raw,
	       count(*) AS observations
	FROM ma_scratch.seen s, ma.truth t GROUP BY who, what ORDER BY who, what;

-- 1. code fired inside a foreign-key cascade -----------------------------
-- The attacker's trigger on its own temporary table runs inside the RI
-- action of ON DELETE CASCADE (PostgreSQL's no-force-row-security context);
-- its statements, and the plan they leave in the function's cache, are
-- masked.
CREATE FUNCTION ma_scratch.peek() RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN RETURN (SELECT string_agg(ssn, ',' ORDER BY id) FROM ma.person); END $$;
CREATE FUNCTION ma_scratch.on_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
	INSERT INTO ma_scratch.seen VALUES (current_user, 'cascade trigger', ma_scratch.peek());
	FOR r IN SELECT ssn FROM ma.person LOOP
		INSERT INTO ma_scratch.seen VALUES (current_user, 'cascade trigger row', r.ssn);
	END LOOP;
	RETURN OLD;
END $$;
SET ROLE ma_reader;
CREATE TEMP TABLE parent (id int PRIMARY KEY);
CREATE TEMP TABLE child (id int REFERENCES parent ON DELETE CASCADE);
CREATE TRIGGER spy BEFORE DELETE ON child FOR EACH ROW EXECUTE FUNCTION ma_scratch.on_cascade();
INSERT INTO parent VALUES (1), (2);
INSERT INTO child VALUES (1), (2);
DELETE FROM parent;
-- the plan cached inside the cascade, used again outside it
INSERT INTO ma_scratch.seen VALUES (current_user, 'cached plan, called later', ma_scratch.peek());
SELECT ma_scratch.peek() = '[REDACTED],[REDACTED],[REDACTED]' AS later_call_masked;
DROP TABLE child, parent;
RESET ROLE;
SET ROLE ma_control;
CREATE TEMP TABLE parent (id int PRIMARY KEY);
CREATE TEMP TABLE child (id int REFERENCES parent ON DELETE CASCADE);
CREATE TRIGGER spy BEFORE DELETE ON child FOR EACH ROW EXECUTE FUNCTION ma_scratch.on_cascade();
INSERT INTO parent VALUES (1);
INSERT INTO child VALUES (1);
DELETE FROM parent;
INSERT INTO ma_scratch.seen VALUES (current_user, 'cached plan, called later', ma_scratch.peek());
DROP TABLE child, parent;
RESET ROLE;
SELECT * FROM ma_scratch.verdict;
TRUNCATE ma_scratch.seen;

-- 2. foreign keys on masked columns are enforced on raw values ----------
-- Both tables belong to ma_owner, who is masked on them: the foreign key's
-- own queries (check, cascade, restrict) still compare raw keys. (The keys
-- are not canaries: the owner is not subject to row security, so the server
-- log shows them in the restrict violation's DETAIL.)
CREATE TABLE ma.account (ssn text PRIMARY KEY, name text);
CREATE TABLE ma.account_note (id int, ssn text REFERENCES ma.account (ssn) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE ma.account_hold (ssn text REFERENCES ma.account (ssn));
INSERT INTO ma.account VALUES ('key-' || 'dee', 'Dee'), ('key-' || 'eve', 'Eve');
ALTER TABLE ma.account OWNER TO ma_owner;
ALTER TABLE ma.account_note OWNER TO ma_owner;
ALTER TABLE ma.account_hold OWNER TO ma_owner;
SELECT privacy.mask_column('ma.account', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.mask_column('ma.account_note', 'ssn', 'privacy.redact(ssn)');
-- terse: the owner is not subject to row security, so key DETAIL lines
-- would show its raw keys
\set VERBOSITY terse
SET ROLE ma_owner;
SELECT ssn, name FROM ma.account ORDER BY name;
INSERT INTO ma.account_note VALUES (1, 'key-' || 'dee'), (2, 'key-' || 'eve');
INSERT INTO ma.account_note VALUES (3, 'no such key');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ma.account_hold VALUES ('key-' || 'eve');
UPDATE ma.account SET ssn = 'key-' || 'dee2' WHERE name = 'Dee';
DELETE FROM ma.account WHERE name = 'Eve';
\echo :LAST_ERROR_SQLSTATE
-- an RI-shaped query of the owner's own, outside a foreign key, is masked
SELECT 1 AS shaped_hit FROM ONLY ma.account x WHERE ssn = 'key-' || 'eve' FOR KEY SHARE OF x;
RESET ROLE;
SELECT n.id, n.ssn = a.ssn AS follows_parent, a.name FROM ma.account_note n JOIN ma.account a USING (ssn) ORDER BY n.id;
DELETE FROM ma.account_hold;
SET ROLE ma_owner;
DELETE FROM ma.account WHERE name = 'Eve';
RESET ROLE;
SELECT count(*) AS notes_left FROM ma.account_note;
\set VERBOSITY default

-- 3. row-security policies written on the attacker's own tables ---------
-- A policy whose sublink reads the governed table is an equality oracle and
-- a cast of an aggregate echoes values in the error: both see masked values.
SET ROLE ma_reader;
CREATE TABLE ma_scratch.guess_r (g text);
INSERT INTO ma_scratch.guess_r VALUES ('CANARY-' || 'A1A1A1A1'), ('CANARY-' || 'B2B2B2B2'), ('wrong');
ALTER TABLE ma_scratch.guess_r ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY oracle ON ma_scratch.guess_r USING (EXISTS (SELECT 1 FROM ma.person p WHERE p.ssn = guess_r.g));
CREATE POLICY fill ON ma_scratch.guess_r FOR INSERT WITH CHECK (true);
SELECT count(*) AS oracle_hits FROM ma_scratch.guess_r;
CREATE TABLE ma_scratch.echo_r (x int);
INSERT INTO ma_scratch.echo_r VALUES (1);
ALTER TABLE ma_scratch.echo_r ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY echo ON ma_scratch.echo_r USING ((SELECT string_agg(ssn, ',') FROM ma.person)::int > x);
SELECT * FROM ma_scratch.echo_r;
-- WITH CHECK: the insert would be refused exactly when the guess is right
CREATE TABLE ma_scratch.check_r (g text);
ALTER TABLE ma_scratch.check_r ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY rd ON ma_scratch.check_r FOR SELECT USING (true);
CREATE POLICY wr ON ma_scratch.check_r FOR INSERT
	WITH CHECK (NOT EXISTS (SELECT 1 FROM ma.person p WHERE p.ssn = check_r.g));
INSERT INTO ma_scratch.check_r VALUES ('CANARY-' || 'A1A1A1A1');
INSERT INTO ma_scratch.check_r VALUES ('wrong');
SELECT count(*) AS accepted FROM ma_scratch.check_r;
RESET ROLE;
SET ROLE ma_control;
CREATE TABLE ma_scratch.guess_c (g text);
INSERT INTO ma_scratch.guess_c VALUES ('CANARY-' || 'A1A1A1A1'), ('CANARY-' || 'B2B2B2B2'), ('wrong');
ALTER TABLE ma_scratch.guess_c ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY oracle ON ma_scratch.guess_c USING (EXISTS (SELECT 1 FROM ma.person p WHERE p.ssn = guess_c.g));
SELECT count(*) AS oracle_hits FROM ma_scratch.guess_c;
CREATE TABLE ma_scratch.echo_c (x int);
INSERT INTO ma_scratch.echo_c VALUES (1);
ALTER TABLE ma_scratch.echo_c ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY echo ON ma_scratch.echo_c USING ((SELECT string_agg(ssn, ',') FROM ma.person)::int > x);
DO $$ BEGIN PERFORM * FROM ma_scratch.echo_c;
EXCEPTION WHEN invalid_text_representation THEN
	RAISE NOTICE 'control error shows raw values: %', position((SELECT string_agg(ssn, ',') FROM ma.person) IN SQLERRM) > 0;
END $$;
RESET ROLE;

-- 4. views the attacker owns, written through --------------------------
-- A security_barrier view's WHERE and a view's WITH CHECK OPTION become
-- quals and checks of the base table: both are masked.
CREATE FUNCTION ma_scratch.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS
	$$ BEGIN INSERT INTO ma_scratch.seen VALUES (current_user, 'view qual', $1); RETURN true; END $$;
SET ROLE ma_writer;
CREATE VIEW ma_scratch.sb_w WITH (security_barrier) AS SELECT * FROM ma.person WHERE ma_scratch.leak(ssn);
CREATE VIEW ma_scratch.sb2_w WITH (security_barrier) AS SELECT * FROM ma_scratch.sb_w WHERE ma_scratch.leak(ssn || '');
CREATE VIEW ma_scratch.chk_w AS SELECT * FROM ma.person WHERE ssn LIKE '[%' OR ssn < 'CANARY-B' WITH CHECK OPTION;
UPDATE ma_scratch.sb_w SET note = note;
UPDATE ma_scratch.sb2_w SET note = note;
DELETE FROM ma_scratch.sb_w WHERE note = 'none';
UPDATE ma_scratch.chk_w SET note = note WHERE id = 1 RETURNING id;
UPDATE ma_scratch.chk_w SET note = note WHERE id = 2 RETURNING id;
UPDATE ma_scratch.chk_w SET note = note WHERE id = 3 RETURNING id;
RESET ROLE;
SET ROLE ma_control;
CREATE VIEW ma_scratch.sb_c WITH (security_barrier) AS SELECT * FROM ma.person WHERE ma_scratch.leak(ssn);
CREATE VIEW ma_scratch.chk_c AS SELECT * FROM ma.person WHERE ssn LIKE '[%' OR ssn < 'CANARY-B' WITH CHECK OPTION;
UPDATE ma_scratch.sb_c SET note = note;
-- for the control the view's condition depends on raw values
UPDATE ma_scratch.chk_c SET note = note WHERE id = 1 RETURNING id;
UPDATE ma_scratch.chk_c SET note = note WHERE id = 2 RETURNING id;
RESET ROLE;
SELECT * FROM ma_scratch.verdict;
TRUNCATE ma_scratch.seen;

-- 5. the table's own policies keep raw values ---------------------------
-- The owner's restrictive policy filters on the raw ssn (it hides Bea), its
-- UPDATE check refuses Cid's row on the raw ssn, and both still hold when
-- the statement also carries the quals of a view the attacker owns (those
-- stay masked).
SET ROLE ma_owner;
CREATE POLICY hide_b ON ma.person AS RESTRICTIVE USING (ssn NOT LIKE 'CANARY-B%');
CREATE POLICY keep_c ON ma.person AS RESTRICTIVE FOR UPDATE WITH CHECK (ssn NOT LIKE 'CANARY-C%');
RESET ROLE;
SET ROLE ma_reader;
SELECT id, ssn FROM ma.person ORDER BY id;
RESET ROLE;
SET ROLE ma_writer;
UPDATE ma_scratch.sb_w SET note = note WHERE id IN (1, 2) RETURNING id, ssn;
UPDATE ma.person SET note = 'x' WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
UPDATE ma_scratch.sb_w SET note = 'y' WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM ma_scratch.verdict;
TRUNCATE ma_scratch.seen;
DROP POLICY hide_b ON ma.person;
DROP POLICY keep_c ON ma.person;

-- 6. pg_privacy's own suspension covers one statement -------------------
-- anonymize_table writes masked values with masking suspended; a trigger
-- the table's owner attached reads another governed table meanwhile, and
-- that read is masked for the role it runs as: the (masked) table owner,
-- since pg_privacy runs table work as the owner (issue 14).
CREATE ROLE ma_admin;
SET privacy.admin_role = 'ma_admin';
CREATE TABLE ma.legacy (id int, ssn text);
INSERT INTO ma.legacy VALUES (1, 'CANARY-' || '0A0A0A0A');
ALTER TABLE ma.legacy OWNER TO ma_owner;
SELECT privacy.mask_column('ma.legacy', 'ssn', 'privacy.redact(ssn)');
CREATE FUNCTION ma.legacy_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO ma_scratch.seen VALUES (current_user, 'trigger during anonymize', ma_scratch.peek());
	RETURN NEW;
END $$;
CREATE TRIGGER audit BEFORE UPDATE ON ma.legacy FOR EACH ROW EXECUTE FUNCTION ma.legacy_audit();
GRANT USAGE ON SCHEMA ma TO ma_admin;
GRANT USAGE ON SCHEMA ma_scratch TO ma_admin, ma_owner;
GRANT SELECT, UPDATE ON ma.legacy TO ma_admin;
GRANT SELECT ON ma.person TO ma_admin;
GRANT INSERT ON ma_scratch.seen TO ma_admin, ma_owner;
SET ROLE ma_admin;
SELECT privacy.anonymize_table('ma.legacy') AS rows_anonymized;
RESET ROLE;
SELECT ssn FROM ma.legacy;
SELECT * FROM ma_scratch.verdict;
RESET privacy.admin_role;

-- 7. needs_fmgr under invalidation churn --------------------------------
-- Set-returning SQL functions are created, replaced and called while their
-- pg_proc entries are invalidated over and over (the answer cache is
-- dropped by every pg_proc invalidation); every call is masked.
DO $$
DECLARE i int;
BEGIN
	FOR i IN 0..3 LOOP
		EXECUTE format('CREATE FUNCTION ma_scratch.srf_%s() RETURNS SETOF text LANGUAGE sql STABLE AS %L',
			i, 'SELECT ssn FROM ma.person');
	END LOOP;
	FOR i IN 1..40 LOOP
		EXECUTE format('CREATE OR REPLACE FUNCTION ma_scratch.srf_%s() RETURNS SETOF text LANGUAGE sql STABLE AS %L',
			i % 4, 'SELECT ssn FROM ma.person WHERE id > ' || (i % 3));
		EXECUTE format('ALTER FUNCTION ma_scratch.srf_%s() COST %s', (i + 1) % 4, 100 + i);
	END LOOP;
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ma_scratch TO ma_reader;
SET ROLE ma_reader;
CREATE FUNCTION ma_scratch.churn() RETURNS TABLE (calls int, masked int) LANGUAGE plpgsql AS $$
DECLARE i int; v text; n int := 0; m int := 0;
BEGIN
	FOR i IN 1..40 LOOP
		EXECUTE format('CREATE OR REPLACE FUNCTION ma_scratch.mine_%s() RETURNS SETOF text LANGUAGE sql STABLE AS %L',
			i % 5, 'SELECT ssn FROM ma.person');
		FOR v IN EXECUTE format('SELECT * FROM ma_scratch.mine_%s() UNION ALL SELECT * FROM ma_scratch.srf_%s()', i % 5, i % 4)
		LOOP
			n := n + 1;
			IF v = '[REDACTED]' THEN m := m + 1; END IF;
		END LOOP;
	END LOOP;
	RETURN QUERY SELECT n, m;
END $$;
SELECT calls > 0 AS called, calls = masked AS all_masked FROM ma_scratch.churn();
RESET ROLE;

DROP SCHEMA ma_scratch CASCADE;
DROP SCHEMA ma CASCADE;
SELECT privacy.revoke_unmasked('ma_control');
DROP ROLE ma_owner, ma_reader, ma_writer, ma_control, ma_admin;
