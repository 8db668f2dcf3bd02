-- 40_retention.sql: retention (issue 7). TTL policies per table, legal holds,
-- the purge state machine shared by the background workers and
-- privacy.purge_now(), the purge log and the SLA views.
--
-- Invariants (doc/retention.md, "Crash safety"):
--  * A run computes its cutoff once, at its start, as now() - keep; now() is
--    the start of the transaction, so the cutoff never passes now() - keep.
--  * Every batch is one statement whose WHERE clause carries the expiry test
--    and the active legal holds, read in the same transaction after taking a
--    lock that privacy.place_hold() conflicts with. A row that is not expired
--    or that is held is never deleted, whatever is killed when.
--  * Progress is stored in the purge log row in the same transaction as the
--    batch; a run that was killed is marked interrupted by the next one,
--    which starts over with a new cutoff (every step is idempotent).
--  * Row values never appear in messages: only table names and counts.
--  * Hold conditions and masks are canonical text produced from a validated
--    expression tree (never the text a user typed); values are bound as
--    parameters ($1..$3), identifiers quoted with %I / regclass output.

CREATE TABLE privacy._retention_policy (
	relid               regclass PRIMARY KEY,
	time_column         name NOT NULL,
	keep                interval NOT NULL,
	action              text NOT NULL,
	columns             name[],
	batch_size          integer,
	max_rows_per_second integer,
	declared_by         name NOT NULL,
	declared_at         timestamptz NOT NULL,
	CHECK (action IN ('delete', 'anonymize', 'nullify')),
	CHECK (batch_size IS NULL OR batch_size > 0),
	CHECK (max_rows_per_second IS NULL OR max_rows_per_second > 0)
);
COMMENT ON TABLE privacy._retention_policy IS
'retention policies: rows whose time_column is older than now() - keep are deleted, anonymized or nullified';

-- Ids come from sequences of the extension marked with
-- pg_extension_config_dump, not identity columns: pg_dump keeps the position
-- of a configuration sequence, not of an identity sequence, and a restored
-- database would otherwise hand out ids that its restored rows already use.
CREATE SEQUENCE privacy._legal_hold_id_seq;
CREATE TABLE privacy._legal_hold (
	id                 bigint NOT NULL DEFAULT pg_catalog.nextval('privacy._legal_hold_id_seq') PRIMARY KEY,
	relid              regclass NOT NULL,
	condition          text NOT NULL,
	declared_condition text NOT NULL,
	reason             text NOT NULL,
	placed_by          name NOT NULL,
	placed_at          timestamptz NOT NULL,
	released_by        name,
	released_at        timestamptz,
	condition_function regprocedure
);
COMMENT ON TABLE privacy._legal_hold IS
'legal holds: rows of relid matching condition (condition_function: its analyzed form in privacy_expr while the hold is active; condition: its canonical text when placed) are never purged while the hold is active';

CREATE SEQUENCE privacy._purge_log_id_seq;
CREATE TABLE privacy._purge_log (
	id                 bigint NOT NULL DEFAULT pg_catalog.nextval('privacy._purge_log_id_seq') PRIMARY KEY,
	relid              oid NOT NULL,
	table_name         text NOT NULL,
	via                text NOT NULL,
	status             text NOT NULL,
	started            timestamptz NOT NULL,
	finished           timestamptz,
	cutoff             timestamptz NOT NULL,
	action             text NOT NULL,
	method             text NOT NULL,
	rows               bigint NOT NULL DEFAULT 0,
	batches            integer NOT NULL DEFAULT 0,
	partitions_dropped integer NOT NULL DEFAULT 0,
	start_lsn          pg_lsn,
	wal_bytes          numeric NOT NULL DEFAULT 0,
	error              text,
	-- progress of a running run
	targets            oid[] NOT NULL,
	target_idx         integer NOT NULL DEFAULT 1,
	pos                bigint,
	pos_end            bigint,
	step_blocks        integer,
	pos_ts             timestamptz,
	slice              interval,
	pending_partition  oid,
	pending_name       text,
	pending_bound      text,
	CHECK (status IN ('running', 'done', 'failed', 'interrupted', 'skipped'))
);
CREATE INDEX ON privacy._purge_log (relid, id);
COMMENT ON TABLE privacy._purge_log IS
'one row per purge run (worker or purge_now) with its progress, counts and error';

SELECT pg_catalog.pg_extension_config_dump('privacy._retention_policy', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._legal_hold', '');
CREATE TRIGGER link_stored_expressions AFTER INSERT ON privacy._legal_hold
	FOR EACH ROW EXECUTE FUNCTION privacy._link_stored_expressions('condition_function', 'relid');
-- the purge log is history a DBA must keep across dump and restore
SELECT pg_catalog.pg_extension_config_dump('privacy._purge_log', '');
ALTER SEQUENCE privacy._legal_hold_id_seq OWNED BY privacy._legal_hold.id;
ALTER SEQUENCE privacy._purge_log_id_seq OWNED BY privacy._purge_log.id;
SELECT pg_catalog.pg_extension_config_dump('privacy._legal_hold_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('privacy._purge_log_id_seq', '');
REVOKE ALL ON privacy._retention_policy, privacy._legal_hold, privacy._purge_log FROM PUBLIC;

-- Table work on someone's behalf (issue 14): every statement pg_privacy
-- runs on a governed table - purge batches, the probes that evaluate hold
-- conditions and masks, erasure, anonymization, retokenization - goes
-- through privacy._exec_as_owner / privacy._value_as_owner: it runs as the
-- table's owner inside a security-restricted operation with search_path =
-- pg_catalog, pg_temp (src/pg/catalog/owner_exec.cpp). The SECURITY DEFINER
-- functions around them only do pg_privacy's bookkeeping (catalog reads,
-- the purge log, locks). Internal: not executable by PUBLIC, superusers
-- only.
CREATE FUNCTION privacy._exec_as_owner(tbl regclass, statement text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__exec_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._exec_as_owner(regclass, text) IS
'runs one statement pg_privacy built as the owner of tbl (security-restricted, pinned search_path); returns the rows processed';

CREATE FUNCTION privacy._exec_as_owner(tbl regclass, statement text, VARIADIC args "any")
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__exec_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._exec_as_owner(regclass, text, "any") IS
'runs one statement pg_privacy built, with parameters $1.., as the owner of tbl (security-restricted, pinned search_path); returns the rows processed';

CREATE FUNCTION privacy._value_as_owner(tbl regclass, query text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__value_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._value_as_owner(regclass, text) IS
'runs one query pg_privacy built as the owner of tbl (security-restricted, pinned search_path); returns its first value as text';

CREATE FUNCTION privacy._value_as_owner(tbl regclass, query text, VARIADIC args "any")
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__value_as_owner'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._value_as_owner(regclass, text, "any") IS
'runs one query pg_privacy built, with parameters $1.., as the owner of tbl (security-restricted, pinned search_path); returns its first value as text';

-- The retention locks: kind 1 serializes legal holds against purge batches
-- (holds exclusive, batches shared), kind 2 owns a purge run (session-level
-- for workers, transaction-level for purge_now). Their lock tag is an
-- object lock of pg_privacy's own catalog table that no SQL function can
-- request: another role cannot hold it to stall retention.
CREATE FUNCTION privacy._retention_lock(tbl regclass, kind integer, shared boolean, session boolean, wait boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__retention_lock'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retention_lock(regclass, integer, boolean, boolean, boolean) IS
'takes a retention lock of a table (kind 1: holds vs batches, kind 2: a purge run); false when it is busy and wait is false';

CREATE FUNCTION privacy._retention_unlock(tbl regclass, kind integer)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__retention_unlock'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._retention_unlock(regclass, integer) IS
'releases the session-level retention lock of a worker run (false when it was not held)';

CREATE FUNCTION privacy._analyze_hold_condition(tbl regclass, condition text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__analyze_hold_condition'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._analyze_hold_condition(regclass, text) IS
'validates a legal-hold condition (one boolean expression over the table''s columns) and returns its canonical text';

CREATE FUNCTION privacy._time_column_type_ok(tbl regclass, col name)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.atttypid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.timestamptz'::regtype,
		'pg_catalog.timestamp'::regtype, 'pg_catalog.date'::regtype]::oid[])
	FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
	  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION privacy._time_column_type_ok(regclass, name) IS
'whether a column exists and is timestamptz, timestamp or date (NULL: no such column)';

CREATE FUNCTION privacy.set_retention(tbl regclass, time_column name, keep interval, action text DEFAULT 'delete',
	columns name[] DEFAULT NULL, batch_size integer DEFAULT NULL, max_rows_per_second integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind "char";
	type_ok boolean;
	col name;
BEGIN
	PERFORM privacy._check_policy_admin('declare retention policies', tbl);
	IF tbl IS NULL OR time_column IS NULL OR keep IS NULL OR action IS NULL THEN
		RAISE EXCEPTION 'table, time column, keep and action of a retention policy must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT c.relkind INTO kind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
	IF kind IS NULL OR kind NOT IN ('r', 'p') OR tbl::oid OPERATOR(pg_catalog.<) 16384
	   OR (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	      OPERATOR(pg_catalog.=) 'privacy'::regnamespace THEN
		RAISE EXCEPTION 'cannot set a retention policy on %', tbl USING ERRCODE = 'wrong_object_type',
			DETAIL = 'Only tables and partitioned tables outside the system and pg_privacy schemas can have one.';
	END IF;
	type_ok := privacy._time_column_type_ok(tbl, time_column);
	IF type_ok IS NULL THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', time_column, tbl USING ERRCODE = 'undefined_column';
	ELSIF NOT type_ok THEN
		RAISE EXCEPTION 'column "%" of relation % is not a timestamp', time_column, tbl
			USING ERRCODE = 'datatype_mismatch', HINT = 'The time column must be timestamptz, timestamp or date.';
	END IF;
	IF keep OPERATOR(pg_catalog.<=) '0'::interval OR keep::text IN ('infinity', '-infinity') THEN
		RAISE EXCEPTION 'retention period must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF action NOT IN ('delete', 'anonymize', 'nullify') THEN
		RAISE EXCEPTION 'unknown retention action "%"', action USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The action is delete, anonymize or nullify.';
	END IF;
	IF batch_size IS NOT NULL AND batch_size OPERATOR(pg_catalog.<=) 0 OR
	   max_rows_per_second IS NOT NULL AND max_rows_per_second OPERATOR(pg_catalog.<=) 0 THEN
		RAISE EXCEPTION 'batch size and rows per second must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF action OPERATOR(pg_catalog.=) 'nullify' THEN
		IF columns IS NULL OR pg_catalog.cardinality(columns) OPERATOR(pg_catalog.=) 0 THEN
			RAISE EXCEPTION 'action nullify needs the columns to set to NULL' USING ERRCODE = 'invalid_parameter_value';
		END IF;
		FOREACH col IN ARRAY columns LOOP
			IF col IS NULL OR NOT EXISTS (
				SELECT 1 FROM pg_catalog.pg_attribute a
				WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
				  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
				RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
			END IF;
			IF col OPERATOR(pg_catalog.=) time_column THEN
				RAISE EXCEPTION 'the time column cannot be nullified' USING ERRCODE = 'invalid_parameter_value';
			END IF;
			IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
			           WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
			             AND a.attnotnull) THEN
				RAISE EXCEPTION 'column "%" of relation % is NOT NULL', col, tbl USING ERRCODE = 'invalid_parameter_value';
			END IF;
		END LOOP;
	ELSIF columns IS NOT NULL THEN
		RAISE EXCEPTION 'columns are only used by action nullify' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF action OPERATOR(pg_catalog.=) 'anonymize' AND NOT EXISTS (
		SELECT 1 FROM privacy._column_policy p WHERE p.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'table % has no masking policy to anonymize with', tbl
			USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Declare masks with privacy.mask_column() first.';
	END IF;
	INSERT INTO privacy._retention_policy AS p (relid, time_column, keep, action, columns, batch_size,
		max_rows_per_second, declared_by, declared_at)
	VALUES (tbl, time_column, keep, action, columns, batch_size, max_rows_per_second, privacy._outer_user(), now())
	ON CONFLICT (relid) DO UPDATE
		SET time_column = excluded.time_column, keep = excluded.keep, action = excluded.action,
		    columns = excluded.columns, batch_size = excluded.batch_size,
		    max_rows_per_second = excluded.max_rows_per_second, declared_by = excluded.declared_by,
		    declared_at = excluded.declared_at;
	-- a row policy hiding expired rows (privacy.hide_expired) follows the new window
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.set_retention(regclass, name, interval, text, name[], integer, integer) IS
'declares (or replaces) the retention policy of a table: rows older than keep are deleted, anonymized (masks) or nullified (columns)';

CREATE FUNCTION privacy.drop_retention(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('drop retention policies', tbl);
	IF tbl IS NULL THEN
		RAISE EXCEPTION 'table must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM privacy._retention_policy p WHERE p.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % has no retention policy', tbl USING ERRCODE = 'undefined_object';
	END IF;
	-- expired rows can no longer be hidden without a window
	DELETE FROM privacy._row_policy r
	WHERE r.relid OPERATOR(pg_catalog.=) tbl AND r.kind OPERATOR(pg_catalog.=) 'retention';
	IF FOUND THEN
		PERFORM privacy._unforce_family(tbl);
	END IF;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.drop_retention(regclass) IS 'removes the retention policy of a table';

CREATE FUNCTION privacy.place_hold(tbl regclass, condition text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	canonical text;
	hold_id bigint;
	root oid;
BEGIN
	PERFORM privacy._check_policy_admin('place legal holds', tbl);
	IF tbl IS NULL OR condition IS NULL OR reason IS NULL THEN
		RAISE EXCEPTION 'table, condition and reason of a legal hold must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.btrim(reason) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'a legal hold needs a reason' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) NOT IN ('r', 'p')
	   OR (SELECT c.relpersistence FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) OPERATOR(pg_catalog.=) 't' THEN
		RAISE EXCEPTION 'cannot place a legal hold on %', tbl USING ERRCODE = 'wrong_object_type';
	END IF;
	-- purges and erasures evaluate the hold as the table's owner: a
	-- superuser's table runs only what superusers declared (issue 14)
	IF (SELECT r.rolsuper FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
	    WHERE c.oid OPERATOR(pg_catalog.=) tbl)
	   AND NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false) THEN
		RAISE EXCEPTION 'permission denied to place legal holds on %', tbl USING ERRCODE = 'insufficient_privilege',
			DETAIL = 'The table is owned by a superuser, and pg_privacy evaluates legal holds as the table''s owner.',
			HINT = 'Make a role that is not a superuser own the table, or have a superuser place the hold.';
	END IF;
	-- the hold applies to the whole family, and a member's truncation, drop
	-- or detach evaluates it as that member's owner: a family with a
	-- superuser's member is a superuser's table (red-team 5 F3)
	IF NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false) THEN
		SELECT m.f INTO root FROM (
			SELECT privacy._family(r::regclass) AS f FROM privacy._hold_roots(tbl) AS r
			UNION SELECT privacy._family(tbl)) m
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.f::oid
		JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
		WHERE r.rolsuper ORDER BY m.f::oid LIMIT 1;
		IF root IS NOT NULL THEN
			RAISE EXCEPTION 'permission denied to place legal holds on %', tbl USING ERRCODE = 'insufficient_privilege',
				DETAIL = pg_catalog.format('Its family has a member owned by a superuser, %s, and pg_privacy evaluates legal holds as each member''s owner.', root::regclass),
				HINT = 'Make a role that is not a superuser own every table of the family, or have a superuser place the hold.';
		END IF;
		root := NULL;
	END IF;
	canonical := privacy._analyze_hold_condition(tbl, condition);
	-- the hold applies to the whole family (issue 15): its condition must
	-- compile on the family's roots, hence on every member
	FOR root IN SELECT r FROM privacy._hold_roots(tbl) AS r WHERE r OPERATOR(pg_catalog.<>) tbl::oid ORDER BY 1 LOOP
		BEGIN
			PERFORM privacy._analyze_hold_condition(root::regclass, canonical);
		EXCEPTION WHEN undefined_column THEN
			RAISE EXCEPTION 'hold condition uses a column that % does not have', root::regclass
				USING ERRCODE = 'undefined_column',
				      DETAIL = pg_catalog.format('A hold on %s applies to its whole family, whose root is %s.', tbl, root::regclass),
				      HINT = 'Use only columns of the root table in the condition.';
		END;
	END LOOP;
	-- waits for running purge batches of the family's tables and keeps new
	-- ones out until this transaction ends: a batch reads the holds after
	-- this lock (a lock no other role can take)
	PERFORM privacy._retention_lock(tbl, 1, false, false, true);
	FOR root IN SELECT p.relid::oid FROM privacy._retention_policy p
	            WHERE p.relid OPERATOR(pg_catalog.<>) tbl
	              AND EXISTS (SELECT 1 FROM privacy._hold_roots(p.relid) a
	                          WHERE a OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._hold_roots(tbl))))
	            ORDER BY 1 LOOP
		PERFORM privacy._retention_lock(root::regclass, 1, false, false, true);
	END LOOP;
	INSERT INTO privacy._legal_hold (relid, condition, declared_condition, reason, placed_by, placed_at)
	VALUES (tbl, canonical, condition, reason, privacy._outer_user(), now())
	RETURNING id INTO hold_id;
	-- the stored form: what the condition uses cannot be dropped, renames follow
	UPDATE privacy._legal_hold h
	SET condition_function = privacy._create_stored_expression(tbl, NULL, canonical, 'hold condition',
	                                                           format('hold %s of %s', hold_id, tbl))
	WHERE h.id OPERATOR(pg_catalog.=) hold_id;
	-- held rows cannot be updated out of the hold nor deleted (triggers on
	-- every member of the family)
	PERFORM privacy._sync_hold_triggers(tbl);
	RETURN hold_id;
END
$$;
COMMENT ON FUNCTION privacy.place_hold(regclass, text, text) IS
'places a legal hold: rows of the table matching condition are never purged until the hold is released; returns its id';

CREATE FUNCTION privacy.release_hold(id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tbl regclass;
	fn regprocedure;
BEGIN
	PERFORM privacy._check_policy_admin('release legal holds');
	IF release_hold.id IS NULL THEN
		RAISE EXCEPTION 'hold id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	UPDATE privacy._legal_hold h SET released_by = privacy._outer_user(), released_at = now()
	WHERE h.id OPERATOR(pg_catalog.=) release_hold.id AND h.released_at IS NULL
	RETURNING h.relid, h.condition_function INTO tbl, fn;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no active legal hold with id %', release_hold.id USING ERRCODE = 'undefined_object';
	END IF;
	-- a released hold keeps its canonical text as history, not a stored form
	UPDATE privacy._legal_hold h SET condition_function = NULL WHERE h.id OPERATOR(pg_catalog.=) release_hold.id;
	PERFORM privacy._drop_stored_expression(fn);
	PERFORM privacy._sync_hold_triggers(tbl);
END
$$;
COMMENT ON FUNCTION privacy.release_hold(bigint) IS 'releases an active legal hold';

-- Table families (issue 15). A hold applies to the whole family of the
-- table it was placed on: every table that shares a root (a top-most
-- partition or inheritance ancestor) with it, whichever member it names. Its
-- condition is validated against those roots (a partition has its root's
-- columns, an inheritance child a superset), so it compiles on every member.
-- privacy._hold_roots(tbl): the roots of tbl's family (tbl itself when it
-- has no parent; several with multiple inheritance).
CREATE FUNCTION privacy._hold_roots(tbl regclass)
RETURNS SETOF oid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE a(relid) AS (
		SELECT tbl::oid
		UNION
		SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN a ON i.inhrelid OPERATOR(pg_catalog.=) a.relid
	)
	SELECT a.relid FROM a
	WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) a.relid)
$$;
COMMENT ON FUNCTION privacy._hold_roots(regclass) IS
'the top-most partition/inheritance ancestors of a table (the table itself when it has no parent)';

-- privacy._holds_applying(tbl): the active holds that protect rows of tbl:
-- those placed on any member of a family tbl belongs to.
CREATE FUNCTION privacy._holds_applying(tbl regclass)
RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT h.id FROM privacy._legal_hold h
	WHERE h.released_at IS NULL
	  AND EXISTS (SELECT 1 FROM privacy._hold_roots(h.relid) a
	              WHERE a OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._hold_roots(tbl))))
	ORDER BY h.id
$$;
COMMENT ON FUNCTION privacy._holds_applying(regclass) IS
'ids of the active legal holds protecting rows of a table (placed on any member of its family)';

-- privacy._hold_predicate(tbl): the SQL condition a row must satisfy to be
-- purged under the active holds of tbl ('true' without holds). This is the
-- one place holds enter purge statements; subject holds across tables
-- (compliance issue) extend it. Holds placed on any member of tbl's family
-- apply (issue 15). Every condition goes through the validator again (a
-- function it calls may have changed owner since it was placed).
CREATE FUNCTION privacy._hold_predicate(tbl regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN count(*) OPERATOR(pg_catalog.=) 0 THEN 'true'
		ELSE '((' OPERATOR(pg_catalog.||) string_agg('(' OPERATOR(pg_catalog.||) privacy._analyze_hold_condition(tbl, privacy._current_expression(h.condition_function, h.condition))
			OPERATOR(pg_catalog.||) ')', ' OR ' ORDER BY h.id)
			OPERATOR(pg_catalog.||) ') IS NOT TRUE)' END
	FROM privacy._legal_hold h
	WHERE h.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._holds_applying(tbl)))
$$;
COMMENT ON FUNCTION privacy._hold_predicate(regclass) IS
'condition that excludes rows under an active legal hold of the table (canonical hold conditions only)';

-- Held rows are records, not only a predicate evaluated at purge time
-- (issue 15): while a hold is active, every ordinary table of its family
-- carries two row triggers, privacy_hold_<id>_update and
-- privacy_hold_<id>_delete, AFTER UPDATE / AFTER DELETE, on
-- privacy._hold_guard(<id>). The guard (C, issue 19) evaluates the hold's
-- stored condition, validated again when loaded, for OLD (and, for UPDATE,
-- NEW) as the table's owner inside a security-restricted operation - never
-- as the role running the statement, as a WHEN clause would. A statement
-- that deletes a held row, moves it to another partition (a delete plus an
-- insert) or updates it so that it no longer matches its hold fails with
-- 55006; a condition that no longer validates keeps every row (fail closed,
-- a WARNING naming the hold). AFTER triggers see the final row, whatever
-- BEFORE triggers did. The triggers carry no condition (pg_trigger shows
-- the hold id only), except on Citus tables, whose shards' triggers run on
-- the workers, which do not get privacy._legal_hold: there the canonical
-- condition is the trigger's second argument. Trigger and DDL guards in the
-- hooks keep them from being dropped or disabled while the hold is active
-- (src/pg/catalog/legal_holds.cpp).
CREATE FUNCTION privacy._hold_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__hold_guard'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._hold_guard() IS
'trigger: refuses deleting a row under a legal hold or updating it out of the hold (the hold''s condition evaluated as the table''s owner)';

CREATE FUNCTION privacy._hold_trigger_quals(member regclass, condition text, OUT on_update text, OUT on_delete text)
AS 'MODULE_PATHNAME', 'pg_privacy__hold_trigger_quals'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._hold_trigger_quals(regclass, text) IS
'WHEN clauses of the hold triggers of a table: the canonical hold condition on OLD (and not on NEW)';

CREATE FUNCTION privacy._hold_maintenance(active boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__hold_maintenance'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._hold_maintenance(boolean) IS
'lets privacy._sync_hold_triggers() drop hold triggers in this transaction (the hooks refuse it otherwise)';

-- privacy._sync_hold_triggers(tbl): makes the hold triggers of every
-- ordinary table of tbl's families (and of tbl's own subtree, after a
-- detach) match the active holds that apply to it. Called by place_hold,
-- release_hold and, as the bootstrap superuser, by the utility hook after a
-- table joins or leaves a family. Every condition is validated again for
-- every member (the statement fails when one no longer validates; the
-- guard, which validates again when it loads a condition, keeps every row
-- meanwhile); triggers of the older form (a WHEN clause evaluated as the
-- role running the statement) are replaced.
CREATE FUNCTION privacy._sync_hold_triggers(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	member regclass;
	wanted bigint[];
	citus boolean;
	t record;
	h record;
	condition text;
	kind text;
BEGIN
	PERFORM privacy._hold_maintenance(true);
	FOR member IN
		SELECT DISTINCT m.f FROM (
			SELECT privacy._family(r::regclass) AS f FROM privacy._hold_roots(tbl) AS r
			UNION SELECT privacy._family(tbl)) m
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.f::oid
		WHERE c.relkind OPERATOR(pg_catalog.=) 'r' ORDER BY 1
	LOOP
		wanted := ARRAY(SELECT privacy._holds_applying(member));
		citus := privacy._citus_table(member);
		FOR t IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
		         WHERE tg.tgrelid OPERATOR(pg_catalog.=) member
		           AND tg.tgfoid OPERATOR(pg_catalog.=) 'privacy._hold_guard()'::pg_catalog.regprocedure
		           AND (NOT coalesce(pg_catalog.substring(tg.tgname, '^privacy_hold_([0-9]+)_')::bigint
		                             OPERATOR(pg_catalog.=) ANY (wanted), false)
		                OR tg.tgqual IS NOT NULL OR tg.tgnargs OPERATOR(pg_catalog.<>) CASE WHEN citus THEN 2 ELSE 1 END)
		         ORDER BY 1 LOOP
			EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, member);
		END LOOP;
		FOR h IN SELECT l.id, l.condition_function, l.condition, l.placed_by
		         FROM privacy._legal_hold l
		         WHERE l.id OPERATOR(pg_catalog.=) ANY (wanted) ORDER BY l.id LOOP
			-- validated again on this member: one that no longer validates
			-- refuses the statement (its message names functions and types,
			-- never the condition's values); a hold of 0.1.0 on a column
			-- the member lacks gets its triggers, which keep every row of
			-- the member (fail closed)
			BEGIN
				condition := privacy._analyze_hold_condition(member,
					privacy._current_expression(h.condition_function, h.condition));
			EXCEPTION WHEN undefined_column THEN
				condition := NULL;
				RAISE WARNING 'legal hold % cannot be evaluated on %: its condition uses a column the table does not have', h.id, member
					USING DETAIL = 'pg_privacy keeps every row of the table that the hold applies to (fail closed) until the hold is released.',
					      HINT = 'Release the hold with privacy.release_hold() and place it again.';
			END;
			FOREACH kind IN ARRAY ARRAY['update', 'delete'] LOOP
				-- only pg_privacy can make triggers on privacy._hold_guard();
				-- a trigger of the owner with the same name makes this fail
				CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
				                      WHERE tg.tgrelid OPERATOR(pg_catalog.=) member
				                        AND tg.tgname OPERATOR(pg_catalog.=) format('privacy_hold_%s_%s', h.id, kind)
				                        AND tg.tgfoid OPERATOR(pg_catalog.=) 'privacy._hold_guard()'::pg_catalog.regprocedure);
				IF citus THEN
					-- a shard's trigger runs on a worker, which has no
					-- privacy._legal_hold: it carries the canonical condition
					-- and the hold's author (whether a superuser placed it)
					EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION privacy._hold_guard(%L, %L, %L)',
						format('privacy_hold_%s_%s', h.id, kind), upper(kind), member, h.id, coalesce(condition, 'true'), h.placed_by);
				ELSE
					EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION privacy._hold_guard(%L)',
						format('privacy_hold_%s_%s', h.id, kind), upper(kind), member, h.id);
				END IF;
			END LOOP;
		END LOOP;
	END LOOP;
	PERFORM privacy._hold_maintenance(false);
END
$$;
COMMENT ON FUNCTION privacy._sync_hold_triggers(regclass) IS
'creates and drops the hold triggers of a table''s families so that they match the active legal holds (conditions validated again, older WHEN-clause triggers replaced)';

-- privacy._check_new_parent(child, parent): called by the utility hook
-- before ALTER TABLE ... ATTACH PARTITION / INHERIT. A table that policies
-- govern (its own or inherited) cannot get a new parent: scans of that parent
-- would read its rows under the parent's policies only. The active holds of
-- the child's family must compile on the new parent's roots.
CREATE FUNCTION privacy._check_new_parent(child regclass, parent regclass)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	governed regclass;
	h record;
	root oid;
BEGIN
	SELECT f INTO governed FROM privacy._family(child) AS f WHERE privacy._is_governed(f) ORDER BY f::oid LIMIT 1;
	IF governed IS NOT NULL THEN
		RAISE EXCEPTION 'cannot make % a partition or child of %: policies govern %', child, parent, governed
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'Scans of the new parent would read its rows under the parent''s policies only.',
			      HINT = 'Declare the policies on the root of the new family; drop those of the table first (in the same transaction).';
	END IF;
	FOR h IN SELECT l.id FROM privacy._legal_hold l
	         WHERE l.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT privacy._holds_applying(child))) ORDER BY l.id LOOP
		FOR root IN SELECT r FROM privacy._hold_roots(parent) AS r ORDER BY 1 LOOP
			BEGIN
				PERFORM privacy._analyze_hold_condition(root::regclass,
					(SELECT privacy._current_expression(l.condition_function, l.condition)
					 FROM privacy._legal_hold l WHERE l.id OPERATOR(pg_catalog.=) h.id));
			EXCEPTION WHEN undefined_column THEN
				RAISE EXCEPTION 'cannot make % a partition or child of %: legal hold % uses a column that % does not have',
					child, parent, h.id, root::regclass
					USING ERRCODE = 'object_in_use',
					      HINT = 'A hold applies to the whole family; release it first.';
			END;
		END LOOP;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._check_new_parent(regclass, regclass) IS
'raises unless a table may join the family of parent (no policies govern it; its holds compile on the new roots)';

-- privacy._action_sql(tbl): for anonymize and nullify, the SET list and the
-- condition selecting rows not processed yet (so a run is idempotent).
CREATE FUNCTION privacy._action_sql(tbl regclass, OUT set_list text, OUT pending text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
BEGIN
	SELECT * INTO p FROM privacy._retention_policy r WHERE r.relid OPERATOR(pg_catalog.=) tbl;
	IF p.action OPERATOR(pg_catalog.=) 'nullify' THEN
		SELECT string_agg(format('%I = NULL', c), ', '), '(' OPERATOR(pg_catalog.||) string_agg(format('%I IS NOT NULL', c), ' OR ') OPERATOR(pg_catalog.||) ')'
		INTO set_list, pending FROM pg_catalog.unnest(p.columns) AS c;
	ELSIF p.action OPERATOR(pg_catalog.=) 'anonymize' THEN
		SELECT string_agg(format('%I = (%s)', m.column_name, m.mask), ', ' ORDER BY m.column_name),
			'(' OPERATOR(pg_catalog.||) string_agg(format('%I IS DISTINCT FROM (%s)', m.column_name, m.mask), ' OR ' ORDER BY m.column_name) OPERATOR(pg_catalog.||) ')'
		INTO set_list, pending
		FROM (SELECT x.column_name, privacy._analyze_mask(tbl, x.column_name, privacy._current_expression(x.mask_function, x.mask), true) AS mask
		      FROM privacy._column_policy x WHERE x.relid OPERATOR(pg_catalog.=) tbl) m;
		IF set_list IS NULL THEN
			RAISE EXCEPTION 'table % has no masking policy to anonymize with', tbl
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
	ELSE
		pending := 'true';
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._action_sql(regclass) IS
'SET list and not-yet-processed condition of an anonymize or nullify retention policy';

-- privacy._partition_bound(part, which): the FROM or TO value of a range
-- partition on a single column, as timestamptz (NULL: MINVALUE/MAXVALUE,
-- default partition, or not a range partition).
CREATE FUNCTION privacy._partition_bound(part regclass, which text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	spec text;
	lit text;
BEGIN
	SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) INTO spec
	FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) part;
	IF which OPERATOR(pg_catalog.=) 'to' THEN
		lit := pg_catalog.substring(spec, ' TO \(''((?:[^'']|'''')*)''\)$');
	ELSE
		lit := pg_catalog.substring(spec, '^FOR VALUES FROM \(''((?:[^'']|'''')*)''\) TO');
	END IF;
	IF lit IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN pg_catalog.replace(lit, '''''', '''')::timestamptz;
EXCEPTION WHEN data_exception THEN
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacy._partition_bound(regclass, text) IS
'lower (from) or upper (to) bound of a single-column range partition as timestamptz';

-- privacy._citus_table(tbl): is tbl a Citus table (in pg_dist_partition)?
-- False where Citus is not installed (doc/scale-out.md).
CREATE FUNCTION privacy._citus_table(tbl regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found boolean;
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid OPERATOR(pg_catalog.=) $1)'
		INTO found USING tbl;
	RETURN found;
END
$$;
COMMENT ON FUNCTION privacy._citus_table(regclass) IS
'whether a table is a Citus table (distributed, reference or Citus-managed local); false without Citus';

-- privacy._choose_method(tbl, cutoff): how a run purges the table.
--   partition_drop  range-partitioned on the time column: expired partitions
--                   are detached and dropped, the rest swept as below;
--   time_slice      an index leads with the time column and few rows are
--                   expired: batches by time slices walked with the index;
--   ctid_sweep      otherwise: batches by heap block ranges (TID range
--                   scans), no index needed, immune to scattered timestamps.
-- A Citus table (distributed, reference or Citus-managed local; listed in
-- pg_dist_partition) keeps its rows in shards: ctid ranges of the
-- coordinator's shell mean nothing there and SKIP LOCKED subqueries are
-- refused, so it is purged by time slices (doc/scale-out.md).
CREATE FUNCTION privacy._choose_method(tbl regclass, cutoff timestamptz)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
	kind "char";
	est real;
	threshold bigint;
	found_rows bigint;
BEGIN
	SELECT * INTO p FROM privacy._retention_policy r WHERE r.relid OPERATOR(pg_catalog.=) tbl;
	SELECT c.relkind, c.reltuples INTO kind, est FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
	IF kind OPERATOR(pg_catalog.=) 'p' THEN
		IF pg_catalog.pg_get_partkeydef(tbl) OPERATOR(pg_catalog.=) format('RANGE (%I)', p.time_column) THEN
			RETURN 'partition_drop';
		END IF;
		IF privacy._citus_table(tbl) THEN
			RETURN 'time_slice';
		END IF;
		RETURN 'ctid_sweep';
	END IF;
	IF privacy._citus_table(tbl) THEN
		RETURN 'time_slice';
	END IF;
	IF NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_index i
		JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
		JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) ic.relam
		JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) tbl
			AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0]
		WHERE i.indrelid OPERATOR(pg_catalog.=) tbl AND am.amname OPERATOR(pg_catalog.=) 'btree'
		  AND i.indisvalid AND i.indpred IS NULL AND a.attname OPERATOR(pg_catalog.=) p.time_column) THEN
		RETURN 'ctid_sweep';
	END IF;
	-- an index exists: walk it only when few rows are expired (a bounded probe)
	threshold := greatest(1000, (greatest(est, 0) * 0.05)::bigint);
	found_rows := privacy._value_as_owner(tbl,
		format('SELECT count(*) FROM (SELECT 1 FROM ONLY %s WHERE %I < $1 LIMIT $2) s', tbl, p.time_column),
		cutoff, threshold)::bigint;
	IF found_rows OPERATOR(pg_catalog.<) threshold THEN
		RETURN 'time_slice';
	END IF;
	RETURN 'ctid_sweep';
END
$$;
COMMENT ON FUNCTION privacy._choose_method(regclass, timestamptz) IS
'purge method of a table for a run: partition_drop, time_slice or ctid_sweep';

-- privacy._recover_partition: a run that was killed after detaching a
-- partition and before dropping it left a standalone table behind. It is
-- dropped now if it still has the same name and is still not a partition,
-- unless it holds rows under a legal hold, in which case it is re-attached.
CREATE FUNCTION privacy._recover_partition(tbl regclass, part oid, part_name text, bound text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	held boolean := false;
	hold text;
	extra text;
BEGIN
	IF part IS NULL OR NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_class c
		WHERE c.oid OPERATOR(pg_catalog.=) part AND NOT c.relispartition AND c.relkind OPERATOR(pg_catalog.=) 'r'
		  AND c.oid::regclass::text OPERATOR(pg_catalog.=) part_name) THEN
		RETURN;
	END IF;
	-- the detached table left the family: the holds of both apply to it
	hold := privacy._hold_predicate(tbl);
	extra := privacy._hold_predicate(part::regclass);
	IF extra OPERATOR(pg_catalog.<>) 'true' THEN
		hold := CASE WHEN hold OPERATOR(pg_catalog.=) 'true' THEN extra
			ELSE '(' OPERATOR(pg_catalog.||) hold OPERATOR(pg_catalog.||) ' AND ' OPERATOR(pg_catalog.||) extra OPERATOR(pg_catalog.||) ')' END;
	END IF;
	IF hold OPERATOR(pg_catalog.<>) 'true' THEN
		held := privacy._value_as_owner(part::regclass,
			format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', part::regclass, hold))::boolean;
	END IF;
	IF held THEN
		EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', tbl, part::regclass, bound);
	ELSE
		EXECUTE format('DROP TABLE %s', part::regclass);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._recover_partition(regclass, oid, text, text) IS
'finishes the partition drop of an interrupted run (re-attaches the partition if it holds rows under a legal hold)';

-- privacy._purge_start(tbl, via): begins a run (NULL when another run of
-- the table is in progress or there is no policy). Worker runs own the table
-- with a session-level retention lock (released at the end of the run, at
-- exit or when a batch fails), purge_now runs with a transaction lock.
CREATE FUNCTION privacy._purge_start(tbl regclass, via text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
	r record;
	cut timestamptz;
	run_id bigint;
	meth text;
BEGIN
	SELECT * INTO p FROM privacy._retention_policy x WHERE x.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) THEN
		RETURN NULL;
	END IF;
	IF NOT privacy._retention_lock(tbl, 2, false, via OPERATOR(pg_catalog.=) 'worker', false) THEN
		RETURN NULL;
	END IF;
	-- runs still marked running were killed: nobody else can own the table now
	FOR r IN SELECT l.id, l.pending_partition, l.pending_name, l.pending_bound FROM privacy._purge_log l
	         WHERE l.relid OPERATOR(pg_catalog.=) tbl::oid AND l.status OPERATOR(pg_catalog.=) 'running' LOOP
		PERFORM privacy._recover_partition(tbl, r.pending_partition, r.pending_name, r.pending_bound);
		UPDATE privacy._purge_log l SET status = 'interrupted', error = 'interrupted', finished = now()
		WHERE l.id OPERATOR(pg_catalog.=) r.id;
	END LOOP;
	cut := now() OPERATOR(pg_catalog.-) p.keep;
	meth := privacy._choose_method(tbl, cut);
	INSERT INTO privacy._purge_log (relid, table_name, via, status, started, cutoff, action, method, start_lsn, targets)
	VALUES (tbl, tbl::text, via, 'running', clock_timestamp(), cut, p.action, meth, pg_catalog.pg_current_wal_insert_lsn(),
		ARRAY(SELECT c.oid FROM privacy._family(tbl) f JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) f::oid
		      WHERE c.relkind OPERATOR(pg_catalog.=) 'r' ORDER BY c.oid))
	RETURNING id INTO run_id;
	RETURN run_id;
END
$$;
COMMENT ON FUNCTION privacy._purge_start(regclass, text) IS
'starts a purge run of a table with its cutoff fixed at now() - keep; NULL when the table is busy';

-- privacy._purge_finish: ends a run (status done, failed or skipped). A
-- worker run that ends done having changed nothing (no row, no partition)
-- leaves no entry: the worker checks every table each naptime, and an entry
-- per check would only grow the log and the audit log (issue 21). Runs of
-- purge_now() are always kept (an administrator asked for them). A run that
-- left a partition for the next cycle (privacy._purge_partition_deferred:
-- its error is set while it runs) ends skipped, with that error, even when
-- it changed nothing.
CREATE FUNCTION privacy._purge_finish(run_id bigint, final_status text, message text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
BEGIN
	DELETE FROM privacy._purge_log l
	WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running'
	  AND final_status OPERATOR(pg_catalog.=) 'done' AND l.via OPERATOR(pg_catalog.=) 'worker'
	  AND l.rows OPERATOR(pg_catalog.=) 0 AND l.partitions_dropped OPERATOR(pg_catalog.=) 0
	  AND l.error IS NULL
	RETURNING * INTO r;
	IF NOT FOUND THEN
		UPDATE privacy._purge_log l SET
			status = CASE WHEN final_status OPERATOR(pg_catalog.=) 'done' AND l.error IS NOT NULL THEN 'skipped' ELSE final_status END,
			error = coalesce(message, l.error), finished = clock_timestamp(),
			wal_bytes = greatest(0, pg_catalog.pg_current_wal_insert_lsn() OPERATOR(pg_catalog.-) l.start_lsn),
			pending_partition = NULL, pending_name = NULL, pending_bound = NULL
		WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running'
		RETURNING * INTO r;
	END IF;
	IF r.via OPERATOR(pg_catalog.=) 'worker' THEN
		PERFORM privacy._retention_unlock(r.relid::regclass, 2);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._purge_finish(bigint, text, text) IS
'ends a purge run and releases its table; a worker run that changed nothing leaves no purge log entry';

-- privacy._purge_step(run_id, in_transaction): one batch of a run, in the
-- caller's transaction. Returns the status ('more', 'done', 'busy', or for
-- a worker 'detach'/'finalize': run ALTER TABLE ... DETACH PARTITION
-- CONCURRENTLY/FINALIZE on pending_partition as a top-level statement, then
-- step again) and the rows purged by this batch. With in_transaction
-- (purge_now) partitions are detached with a plain DETACH.
CREATE FUNCTION privacy._purge_step(run_id bigint, in_transaction boolean, OUT status text, OUT batch_rows bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
	p privacy._retention_policy;
	target oid;
	hold text;
	extra text;
	act record;
	pred text;
	rng text;
	stmt_fast text;
	stmt_skip text;
	lo_bound timestamptz;
	hi_bound timestamptz;
	is_part boolean;
	detach_pending boolean;
	held boolean;
	detached boolean;
	n bigint := 0;
	lock_wait integer;
	batch integer;
	batch_ms integer;
	began timestamptz;
	took float8;
	nblocks bigint;
	per_page real;
	lo_tid tid;
	hi_tid tid;
	lo_ts timestamptz;
	hi_ts timestamptz;
	max_ts timestamptz;
	est real;
	old_timeout text;
	bounds timestamptz[];
	citus boolean;
BEGIN
	batch_rows := 0;
	SELECT * INTO r FROM privacy._purge_log l WHERE l.id OPERATOR(pg_catalog.=) run_id FOR UPDATE;
	IF NOT FOUND OR r.status OPERATOR(pg_catalog.<>) 'running' THEN
		status := 'done';
		RETURN;
	END IF;
	SELECT * INTO p FROM privacy._retention_policy x WHERE x.relid OPERATOR(pg_catalog.=) r.relid;
	IF NOT FOUND OR r.target_idx OPERATOR(pg_catalog.>) pg_catalog.cardinality(r.targets) THEN
		PERFORM privacy._purge_finish(run_id, 'done');
		status := 'done';
		RETURN;
	END IF;
	-- holds are read after this lock; place_hold() waits for the batch
	IF NOT privacy._retention_lock(p.relid, 1, true, false, false) THEN
		status := 'busy';
		RETURN;
	END IF;
	hold := privacy._hold_predicate(p.relid);
	act := privacy._action_sql(p.relid);
	batch := coalesce(p.batch_size, pg_catalog.current_setting('privacy.purge_batch_size')::integer);
	target := r.targets[r.target_idx];
	status := 'more';
	-- holds placed on any member of the family apply (issue 15); a
	-- partition this run detached is no longer a member: both sets apply
	IF target OPERATOR(pg_catalog.<>) p.relid::oid THEN
		extra := privacy._hold_predicate(target::regclass);
		IF extra OPERATOR(pg_catalog.<>) 'true' THEN
			hold := CASE WHEN hold OPERATOR(pg_catalog.=) 'true' THEN extra
				ELSE '(' OPERATOR(pg_catalog.||) hold OPERATOR(pg_catalog.||) ' AND ' OPERATOR(pg_catalog.||) extra OPERATOR(pg_catalog.||) ')' END;
		END IF;
	END IF;

	SELECT c.relispartition, coalesce(i.inhdetachpending, false) INTO is_part, detach_pending
	FROM pg_catalog.pg_class c
	LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid OPERATOR(pg_catalog.=) c.oid
		AND i.inhparent OPERATOR(pg_catalog.=) p.relid
	WHERE c.oid OPERATOR(pg_catalog.=) target;
	IF NOT FOUND THEN
		-- dropped meanwhile
		UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos = NULL, pos_end = NULL,
			pos_ts = NULL, slice = NULL WHERE l.id OPERATOR(pg_catalog.=) run_id;
		RETURN;
	END IF;

	-- a partition this run detached: drop it now (same transaction as the
	-- hold check), or re-attach it if a hold arrived meanwhile
	IF r.pending_partition OPERATOR(pg_catalog.=) target AND NOT is_part THEN
		held := false;
		IF hold OPERATOR(pg_catalog.<>) 'true' THEN
			held := privacy._value_as_owner(target::regclass,
				format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', target::regclass, hold))::boolean;
		END IF;
		IF held THEN
			EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', p.relid, target::regclass, r.pending_bound);
			UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL, pos = 0
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		ELSE
			EXECUTE format('DROP TABLE %s', target::regclass);
			UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
				partitions_dropped = l.partitions_dropped OPERATOR(pg_catalog.+) 1,
				target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos = NULL, pos_end = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		END IF;
		RETURN;
	END IF;

	-- first visit of a partition of a partition_drop table
	IF r.method OPERATOR(pg_catalog.=) 'partition_drop' AND r.pos IS NULL AND is_part
	   AND (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) target)
	       OPERATOR(pg_catalog.=) p.relid THEN
		IF detach_pending THEN
			-- an interrupted DETACH ... CONCURRENTLY of an earlier run
			IF in_transaction THEN
				EXECUTE format('ALTER TABLE %s DETACH PARTITION %s FINALIZE', p.relid, target::regclass);
				UPDATE privacy._purge_log l SET pending_partition = target, pending_name = target::regclass::text,
					pending_bound = (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c
					                 WHERE c.oid OPERATOR(pg_catalog.=) target)
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
			ELSE
				UPDATE privacy._purge_log l SET pending_partition = target, pending_name = target::regclass::text,
					pending_bound = (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c
					                 WHERE c.oid OPERATOR(pg_catalog.=) target)
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
				status := 'finalize';
			END IF;
			RETURN;
		END IF;
		lo_bound := privacy._partition_bound(target::regclass, 'from');
		hi_bound := privacy._partition_bound(target::regclass, 'to');
		IF lo_bound IS NOT NULL AND lo_bound OPERATOR(pg_catalog.>=) r.cutoff THEN
			-- nothing in it can be expired
			UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
			RETURN;
		END IF;
		held := false;
		IF hold OPERATOR(pg_catalog.<>) 'true' THEN
			held := privacy._value_as_owner(target::regclass,
				format('SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE NOT %s)', target::regclass, hold))::boolean;
		END IF;
		IF hi_bound IS NOT NULL AND hi_bound OPERATOR(pg_catalog.<=) r.cutoff AND NOT held
		   AND act.pending OPERATOR(pg_catalog.=) 'true' THEN
			UPDATE privacy._purge_log l SET pending_partition = target, pending_name = target::regclass::text,
				pending_bound = (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c
				                 WHERE c.oid OPERATOR(pg_catalog.=) target)
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
			IF NOT in_transaction THEN
				status := 'detach';
				RETURN;
			END IF;
			-- plain DETACH: DETACH ... CONCURRENTLY cannot run in a transaction
			-- block. It locks the parent in ACCESS EXCLUSIVE mode, and every
			-- query of the table queues behind a waiting request: each attempt
			-- waits at most privacy.purge_partition_lock_timeout, then pauses
			-- (growing) before the next; after 5 the partition's rows are
			-- deleted instead (purge_now was asked to purge now)
			old_timeout := pg_catalog.current_setting('lock_timeout');
			detached := false;
			FOR attempt IN 1..5 LOOP
				PERFORM pg_catalog.set_config('lock_timeout',
					coalesce(pg_catalog.current_setting('privacy.purge_partition_lock_timeout', true), '50ms'), true);
				BEGIN
					EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', p.relid, target::regclass);
					detached := true;
				EXCEPTION WHEN lock_not_available THEN
					detached := false;
				END;
				PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
				EXIT WHEN detached OR attempt OPERATOR(pg_catalog.=) 5;
				PERFORM pg_catalog.pg_sleep(0.1::float8 OPERATOR(pg_catalog.*) (2::float8 OPERATOR(pg_catalog.^) (attempt OPERATOR(pg_catalog.-) 1)::float8));
			END LOOP;
			IF detached THEN
				EXECUTE format('DROP TABLE %s', target::regclass);
				UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
					partitions_dropped = l.partitions_dropped OPERATOR(pg_catalog.+) 1,
					target_idx = l.target_idx OPERATOR(pg_catalog.+) 1
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
				RETURN;
			END IF;
			UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		END IF;
		-- partly expired (or holding held rows): sweep its rows
	END IF;

	pred := format('%I < $1 AND %s AND %s', p.time_column, hold, act.pending);
	citus := privacy._citus_table(target::regclass);
	IF citus AND r.method OPERATOR(pg_catalog.<>) 'time_slice' THEN
		RAISE EXCEPTION 'the % method cannot purge Citus table %', r.method, target::regclass
			USING ERRCODE = 'feature_not_supported',
			      HINT = 'Start a new run: Citus tables are purged by time slices.';
	END IF;

	IF r.method OPERATOR(pg_catalog.=) 'time_slice' THEN
		IF r.pos_ts IS NULL THEN
			bounds := privacy._value_as_owner(target::regclass,
				format('SELECT ARRAY[min(%1$I)::timestamptz, max(%1$I)::timestamptz] FROM ONLY %2$s', p.time_column, target::regclass))::timestamptz[];
			lo_ts := bounds[1];
			max_ts := bounds[2];
			SELECT c.reltuples INTO est FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
			IF lo_ts IS NULL OR lo_ts OPERATOR(pg_catalog.>=) r.cutoff THEN
				UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos_ts = NULL, slice = NULL
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
				RETURN;
			END IF;
			r.pos_ts := lo_ts;
			r.slice := greatest((max_ts OPERATOR(pg_catalog.-) lo_ts) OPERATOR(pg_catalog.*) (batch::float8 OPERATOR(pg_catalog./) greatest(est, 1)::float8),
				'1 second'::interval);
		END IF;
		lo_ts := r.pos_ts;
		hi_ts := least(r.pos_ts OPERATOR(pg_catalog.+) r.slice, r.cutoff);
		rng := format('%1$I >= $2 AND %1$I < $3', p.time_column);
	ELSE
		IF r.pos_end IS NULL THEN
			nblocks := pg_catalog.pg_relation_size(target::regclass) OPERATOR(pg_catalog./) pg_catalog.current_setting('block_size')::bigint;
			SELECT CASE WHEN c.relpages OPERATOR(pg_catalog.>) 0 AND c.reltuples OPERATOR(pg_catalog.>) 0
			            THEN c.reltuples OPERATOR(pg_catalog./) c.relpages ELSE 100 END
			INTO per_page FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
			r.pos := 0;
			r.pos_end := nblocks;
			r.step_blocks := greatest(1, (batch OPERATOR(pg_catalog./) greatest(per_page, 1))::integer);
		END IF;
		IF r.pos OPERATOR(pg_catalog.>=) r.pos_end THEN
			UPDATE privacy._purge_log l SET target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos = NULL, pos_end = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
			RETURN;
		END IF;
		lo_tid := format('(%s,0)', r.pos)::tid;
		hi_tid := format('(%s,0)', least(r.pos OPERATOR(pg_catalog.+) r.step_blocks, 4294967295))::tid;
		rng := 'ctid >= $2 AND ctid < $3';
	END IF;

	IF act.set_list IS NULL THEN
		stmt_fast := format('DELETE FROM ONLY %s WHERE %s AND %s', target::regclass, rng, pred);
		stmt_skip := format('DELETE FROM ONLY %1$s WHERE ctid = ANY (ARRAY(SELECT ctid FROM ONLY %1$s WHERE %2$s AND %3$s FOR UPDATE SKIP LOCKED)) AND %3$s',
			target::regclass, rng, pred);
	ELSE
		stmt_fast := format('UPDATE ONLY %s SET %s WHERE %s AND %s', target::regclass, act.set_list, rng, pred);
		stmt_skip := format('UPDATE ONLY %1$s SET %4$s WHERE ctid = ANY (ARRAY(SELECT ctid FROM ONLY %1$s WHERE %2$s AND %3$s FOR UPDATE SKIP LOCKED)) AND %3$s',
			target::regclass, rng, pred, act.set_list);
	END IF;

	-- Rows locked by others are skipped, not waited for: the plain statement
	-- may wait privacy.purge_lock_wait for a row lock, then the batch is
	-- redone with FOR UPDATE SKIP LOCKED (0: always SKIP LOCKED).
	SELECT max(s.setting) FILTER (WHERE s.name OPERATOR(pg_catalog.=) 'privacy.purge_lock_wait')::integer,
		max(s.setting) FILTER (WHERE s.name OPERATOR(pg_catalog.=) 'privacy.purge_batch_time')::integer
	INTO lock_wait, batch_ms
	FROM pg_catalog.pg_settings s WHERE s.name OPERATOR(pg_catalog.=) ANY ('{privacy.purge_lock_wait,privacy.purge_batch_time}'::text[]);
	lock_wait := coalesce(lock_wait, 20);
	-- a worker's batches are also bounded in time (privacy.purge_batch_time):
	-- the next batch's range shrinks or grows with the time this one took
	batch_ms := CASE WHEN in_transaction THEN 0 ELSE coalesce(batch_ms, 0) END;
	began := pg_catalog.clock_timestamp();
	IF citus THEN
		-- Citus refuses SKIP LOCKED subqueries on its tables: wait at most
		-- the lock wait (at least 1ms: 0 would wait forever) on every shard.
		-- A session setting never reaches the workers; SET LOCAL does with
		-- citus.propagate_set_commands = 'local' (doc/scale-out.md).
		PERFORM pg_catalog.set_config('citus.propagate_set_commands', 'local', true);
		old_timeout := pg_catalog.current_setting('lock_timeout');
		EXECUTE format('SET LOCAL lock_timeout = %L', greatest(lock_wait, 1)::text);
		BEGIN
			EXECUTE stmt_fast USING r.cutoff, lo_ts, hi_ts;
			GET DIAGNOSTICS n = ROW_COUNT;
		EXCEPTION WHEN lock_not_available THEN
			EXECUTE format('SET LOCAL lock_timeout = %L', old_timeout);
			RAISE EXCEPTION 'rows of Citus table % stayed locked longer than privacy.purge_lock_wait', target::regclass
				USING ERRCODE = 'lock_not_available',
				      HINT = 'The run is retried later; rows of Citus tables cannot be skipped when locked.';
		END;
		EXECUTE format('SET LOCAL lock_timeout = %L', old_timeout);
		lock_wait := -1;
	END IF;
	IF lock_wait OPERATOR(pg_catalog.>) 0 THEN
		old_timeout := pg_catalog.current_setting('lock_timeout');
		BEGIN
			PERFORM pg_catalog.set_config('lock_timeout', lock_wait::text, true);
			IF rng OPERATOR(pg_catalog.=) 'ctid >= $2 AND ctid < $3' THEN
				n := privacy._exec_as_owner(target::regclass, stmt_fast, r.cutoff, lo_tid, hi_tid);
			ELSE
				n := privacy._exec_as_owner(target::regclass, stmt_fast, r.cutoff, lo_ts, hi_ts);
			END IF;
			PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
		EXCEPTION WHEN lock_not_available THEN
			lock_wait := 0;
		END;
	END IF;
	IF lock_wait OPERATOR(pg_catalog.=) 0 THEN
		IF rng OPERATOR(pg_catalog.=) 'ctid >= $2 AND ctid < $3' THEN
			n := privacy._exec_as_owner(target::regclass, stmt_skip, r.cutoff, lo_tid, hi_tid);
		ELSE
			n := privacy._exec_as_owner(target::regclass, stmt_skip, r.cutoff, lo_ts, hi_ts);
		END IF;
	END IF;
	batch_rows := n;
	took := extract(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) began) OPERATOR(pg_catalog.*) 1000;

	IF r.method OPERATOR(pg_catalog.=) 'time_slice' THEN
		-- adapt the slice to the batch size (and to the batch time)
		IF batch_ms OPERATOR(pg_catalog.>) 0 AND took OPERATOR(pg_catalog.>) batch_ms THEN
			r.slice := greatest(r.slice OPERATOR(pg_catalog./) 2, '1 second'::interval);
		ELSIF n OPERATOR(pg_catalog.<) (batch OPERATOR(pg_catalog./) 2) AND r.slice OPERATOR(pg_catalog.<) '1 year'::interval
		   AND (batch_ms OPERATOR(pg_catalog.=) 0 OR took OPERATOR(pg_catalog.<) (batch_ms OPERATOR(pg_catalog./) 2)) THEN
			r.slice := r.slice OPERATOR(pg_catalog.*) 2;
		ELSIF n OPERATOR(pg_catalog.>) ((batch OPERATOR(pg_catalog.*) 3) OPERATOR(pg_catalog./) 2) THEN
			r.slice := greatest(r.slice OPERATOR(pg_catalog./) 2, '1 second'::interval);
		END IF;
		IF hi_ts OPERATOR(pg_catalog.>=) r.cutoff THEN
			UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
				target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, pos_ts = NULL, slice = NULL
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		ELSE
			UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
				pos_ts = hi_ts, slice = r.slice
			WHERE l.id OPERATOR(pg_catalog.=) run_id;
		END IF;
	ELSE
		r.pos := r.pos OPERATOR(pg_catalog.+) r.step_blocks;
		IF batch_ms OPERATOR(pg_catalog.>) 0 THEN
			-- the next range: scaled to the batch time (at most halved or
			-- doubled at a time), never above the batch size's
			SELECT CASE WHEN c.relpages OPERATOR(pg_catalog.>) 0 AND c.reltuples OPERATOR(pg_catalog.>) 0
			            THEN c.reltuples OPERATOR(pg_catalog./) c.relpages ELSE 100 END
			INTO per_page FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
			r.step_blocks := least(greatest(1, (batch OPERATOR(pg_catalog./) greatest(per_page, 1))::integer),
				greatest(1, (r.step_blocks::float8 OPERATOR(pg_catalog.*)
					least(2, greatest(0.5, batch_ms::float8 OPERATOR(pg_catalog./) greatest(took, 0.1))))::integer));
		END IF;
		UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
			pos = r.pos, pos_end = r.pos_end, step_blocks = r.step_blocks
		WHERE l.id OPERATOR(pg_catalog.=) run_id;
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._purge_step(bigint, boolean) IS
'one purge batch of a run in the caller''s transaction; returns the next action and the rows purged';

-- privacy._purge_detach_failed: the worker could not detach the pending
-- partition (lock timeout, default partition...): sweep its rows instead.
CREATE FUNCTION privacy._purge_detach_failed(run_id bigint)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL, pos = 0, pos_end = NULL
	WHERE l.id OPERATOR(pg_catalog.=) run_id
	  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
	                  WHERE i.inhrelid OPERATOR(pg_catalog.=) l.pending_partition AND i.inhdetachpending)
$$;
COMMENT ON FUNCTION privacy._purge_detach_failed(bigint) IS
'falls back to deleting rows when a partition of a run could not be detached';

-- privacy._purge_partition_deferred: the worker's detach of the pending
-- partition was refused for a lock in every attempt of this run. The first
-- time, the run moves on to its next target and records why in its error,
-- so that it ends skipped (privacy._purge_finish) and retention_status shows
-- the reason; the partition is still attached (or detach pending, which the
-- next run finalizes) and the next cycle tries again. When the table's
-- previous run already ended so, a lock holder must not be able to keep
-- expired rows forever: the partition's rows are deleted instead, as when a
-- detach fails (false), detach pending or not (a later run finalizes and
-- drops the empty partition).
CREATE FUNCTION privacy._purge_partition_deferred(run_id bigint, message text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
BEGIN
	SELECT * INTO r FROM privacy._purge_log l
	WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running' FOR UPDATE;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
	                            WHERE c.oid OPERATOR(pg_catalog.=) r.pending_partition AND c.relispartition) THEN
		RETURN true;
	END IF;
	IF (SELECT p.error FROM privacy._purge_log p
	     WHERE p.relid OPERATOR(pg_catalog.=) r.relid AND p.id OPERATOR(pg_catalog.<) run_id
	       AND p.status OPERATOR(pg_catalog.<>) 'running' ORDER BY p.id DESC LIMIT 1)
	     OPERATOR(pg_catalog.~~) '55P03: an expired partition was left for the next cycle%' THEN
		UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
			pos = 0, pos_end = NULL
		WHERE l.id OPERATOR(pg_catalog.=) run_id;
		RETURN false;
	END IF;
	UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
		pos = NULL, pos_end = NULL, target_idx = l.target_idx OPERATOR(pg_catalog.+) 1, error = message
	WHERE l.id OPERATOR(pg_catalog.=) run_id;
	RETURN true;
END
$$;
COMMENT ON FUNCTION privacy._purge_partition_deferred(bigint, text) IS
'leaves a partition whose lock was not available for the next cycle and records why in the run (false: deletes its rows instead, the previous run left it already)';

CREATE FUNCTION privacy.purge_now(tbl regclass DEFAULT NULL, OUT table_name regclass, OUT action text,
	OUT method text, OUT status text, OUT rows_purged bigint, OUT partitions_dropped integer, OUT batches integer)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t regclass;
	run_id bigint;
	st record;
	l privacy._purge_log;
BEGIN
	PERFORM privacy._check_policy_admin('purge tables');
	IF tbl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM privacy._retention_policy p WHERE p.relid OPERATOR(pg_catalog.=) tbl) THEN
		RAISE EXCEPTION 'table % has no retention policy', tbl USING ERRCODE = 'undefined_object';
	END IF;
	FOR t IN SELECT p.relid FROM privacy._retention_policy p
	         WHERE tbl IS NULL OR p.relid OPERATOR(pg_catalog.=) tbl ORDER BY p.relid::text LOOP
		run_id := privacy._purge_start(t, 'purge_now');
		IF run_id IS NULL THEN
			table_name := t; status := 'busy'; rows_purged := 0; partitions_dropped := 0; batches := 0;
			SELECT p.action INTO action FROM privacy._retention_policy p WHERE p.relid OPERATOR(pg_catalog.=) t;
			method := NULL;
			RETURN NEXT;
			CONTINUE;
		END IF;
		LOOP
			st := privacy._purge_step(run_id, true);
			EXIT WHEN st.status OPERATOR(pg_catalog.=) 'done';
			IF st.status OPERATOR(pg_catalog.=) 'busy' THEN
				PERFORM privacy._purge_finish(run_id, 'skipped', 'a legal hold is being placed');
				EXIT;
			END IF;
		END LOOP;
		SELECT * INTO l FROM privacy._purge_log x WHERE x.id OPERATOR(pg_catalog.=) run_id;
		table_name := t; action := l.action; method := l.method; status := l.status; rows_purged := l.rows;
		partitions_dropped := l.partitions_dropped; batches := l.batches;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.purge_now(regclass) IS
'runs the retention policies (of one table, or all) now, in the caller''s transaction, and returns what was done';

-- privacy._expired_rows(tbl): rows currently expired and still to purge
-- (not held, not processed yet) and the oldest such time.
-- SECURITY DEFINER: the counts are computed as the table's owner
-- (privacy._value_as_owner, which only the extension owner may call), for
-- every role that may read privacy.retention_status (not PUBLIC: setup_roles
-- grants it to the administrator and auditor roles); the statement is built
-- from the catalog only.
CREATE FUNCTION privacy._expired_rows(tbl regclass, OUT expired bigint, OUT oldest timestamptz, OUT held bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p privacy._retention_policy;
	act record;
	hold text;
	v text[];
BEGIN
	SELECT * INTO p FROM privacy._retention_policy x WHERE x.relid OPERATOR(pg_catalog.=) tbl;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	-- hold conditions and masks are evaluated as the table's owner; when
	-- that is refused (a superuser's table with policies other roles
	-- declared, a session with temporary objects) the counts stay unknown
	BEGIN
		hold := privacy._hold_predicate(tbl);
		act := privacy._action_sql(tbl);
		v := privacy._value_as_owner(tbl, format('SELECT ARRAY[count(*) FILTER (WHERE %3$s)::text,
			min(%1$I::timestamptz) FILTER (WHERE %3$s)::text, count(*) FILTER (WHERE NOT %3$s)::text]
			FROM %2$s WHERE %1$I < now() - $1 AND %4$s', p.time_column, tbl, hold, act.pending), p.keep)::text[];
	EXCEPTION WHEN insufficient_privilege OR object_not_in_prerequisite_state THEN
		RETURN;
	END;
	expired := v[1]::bigint;
	oldest := v[2]::timestamptz;
	held := v[3]::bigint;
END
$$;
COMMENT ON FUNCTION privacy._expired_rows(regclass) IS
'expired rows still to purge, the oldest of them, and expired rows kept by legal holds (counted as the table''s owner: holds and masks run there)';

CREATE VIEW privacy.retention_policies AS
SELECT p.relid AS table_name,
	p.time_column,
	p.keep,
	p.action,
	p.columns,
	p.batch_size,
	p.max_rows_per_second,
	(SELECT count(*) FROM privacy._holds_applying(p.relid)) AS active_holds,
	p.declared_by,
	p.declared_at
FROM privacy._retention_policy p;
COMMENT ON VIEW privacy.retention_policies IS 'every retention policy and its number of active legal holds';

CREATE VIEW privacy.legal_holds AS
SELECT h.id, h.relid AS table_name,
	CASE WHEN h.condition_function IS NULL THEN h.condition ELSE privacy._stored_expression(h.condition_function) END AS condition,
	h.declared_condition, h.reason, h.placed_by, h.placed_at,
	h.released_by, h.released_at, h.released_at IS NULL AS active
FROM privacy._legal_hold h;
COMMENT ON VIEW privacy.legal_holds IS 'every legal hold, active or released';

CREATE VIEW privacy.purge_log AS
SELECT l.id, l.relid::pg_catalog.regclass AS table_name, l.table_name AS table_name_at_run, l.started, l.finished,
	l.rows, l.action, l.error, l.status, l.method, l.via, l.cutoff, l.batches, l.partitions_dropped, l.wal_bytes
FROM privacy._purge_log l;
COMMENT ON VIEW privacy.purge_log IS 'every purge run: table, start, end, rows, action, error, method and WAL';

CREATE VIEW privacy.retention_status AS
SELECT p.relid AS table_name,
	p.action,
	e.expired AS rows_expired,
	now() OPERATOR(pg_catalog.-) e.oldest AS oldest_expired_age,
	e.held AS rows_held,
	last.started AS last_run_started,
	last.finished AS last_run_finished,
	last.status AS last_run_status,
	last.rows AS rows_purged_last_run,
	(SELECT count(*) FROM privacy._purge_log f
	 WHERE f.relid OPERATOR(pg_catalog.=) p.relid::oid AND f.status OPERATOR(pg_catalog.=) 'failed') AS errors,
	last.error AS last_error,
	coalesce(last.method, privacy._choose_method(p.relid, now() OPERATOR(pg_catalog.-) p.keep)) AS method,
	-- how late the oldest expired row is: 0 when nothing expired is left
	coalesce((now() OPERATOR(pg_catalog.-) p.keep) OPERATOR(pg_catalog.-) e.oldest, '0'::interval) AS retention_lag,
	e.expired AS backlog,
	rate.rows_per_second AS purge_rate,
	last.wal_bytes AS wal_bytes_last_run,
	CASE WHEN e.expired OPERATOR(pg_catalog.=) 0 THEN '0'::interval
	     WHEN rate.rows_per_second OPERATOR(pg_catalog.>) 0
	     THEN pg_catalog.make_interval(secs => e.expired OPERATOR(pg_catalog./) rate.rows_per_second) END AS estimated_time_to_clear
FROM privacy._retention_policy p
CROSS JOIN LATERAL privacy._expired_rows(p.relid) e
LEFT JOIN LATERAL (
	SELECT * FROM privacy._purge_log l WHERE l.relid OPERATOR(pg_catalog.=) p.relid::oid ORDER BY l.id DESC LIMIT 1) last ON true
LEFT JOIN LATERAL (
	SELECT (sum(l.rows) OPERATOR(pg_catalog./) nullif(sum(extract(epoch FROM l.finished OPERATOR(pg_catalog.-) l.started)), 0))::float8 AS rows_per_second
	FROM (SELECT * FROM privacy._purge_log l WHERE l.relid OPERATOR(pg_catalog.=) p.relid::oid
	        AND l.status OPERATOR(pg_catalog.=) 'done' AND l.rows OPERATOR(pg_catalog.>) 0 ORDER BY l.id DESC LIMIT 5) l) rate ON true;
COMMENT ON VIEW privacy.retention_status IS
'retention SLA per table: expired rows left, oldest expired age, last run, errors, method, lag, backlog, rate, WAL, time to clear';

REVOKE ALL ON privacy.retention_policies, privacy.legal_holds, privacy.purge_log, privacy.retention_status FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy._exec_as_owner(regclass, text), privacy._exec_as_owner(regclass, text, "any"),
	privacy._value_as_owner(regclass, text), privacy._value_as_owner(regclass, text, "any"),
	privacy._retention_lock(regclass, integer, boolean, boolean, boolean), privacy._retention_unlock(regclass, integer),
	privacy._analyze_hold_condition(regclass, text),
	privacy._time_column_type_ok(regclass, name),
	privacy.set_retention(regclass, name, interval, text, name[], integer, integer), privacy.drop_retention(regclass),
	privacy.place_hold(regclass, text, text), privacy.release_hold(bigint), privacy._hold_predicate(regclass),
	privacy._hold_roots(regclass), privacy._holds_applying(regclass), privacy._hold_guard(),
	privacy._hold_trigger_quals(regclass, text), privacy._hold_maintenance(boolean),
	privacy._sync_hold_triggers(regclass), privacy._check_new_parent(regclass, regclass),
	privacy._action_sql(regclass), privacy._partition_bound(regclass, text), privacy._choose_method(regclass, timestamptz),
	privacy._citus_table(regclass),
	privacy._recover_partition(regclass, oid, text, text), privacy._purge_start(regclass, text),
	privacy._purge_finish(bigint, text, text), privacy._purge_step(bigint, boolean), privacy._purge_detach_failed(bigint),
	privacy._purge_partition_deferred(bigint, text),
	privacy.purge_now(regclass), privacy._expired_rows(regclass) FROM PUBLIC;
