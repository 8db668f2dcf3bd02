-- pg_privacy--0.1.0--0.2.0.sql: ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'.
-- Every change this release makes to SQL objects, in the order the parts
-- (src/sql/parts) would create them; an updated database must equal a fresh
-- 0.2.0 install (test/upgrade checks it).
\echo Use "ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'" to load this file. \quit

-- issue 14: privileged execution. Table work on someone's behalf runs as the
-- table's owner, restricted (privacy._exec_as_owner/_value_as_owner); one
-- validator for masks, filters and hold conditions; internal writers not
-- executable by PUBLIC; retention locks no other role can take.
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

CREATE FUNCTION privacy._analyze_mask(tbl regclass, col name, mask text, table_work boolean)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy__analyze_mask'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._analyze_mask(regclass, name, text, boolean) IS
'validates a mask of a column (the rules of privacy.mask_column, trust check included) and returns its canonical text';

CREATE FUNCTION privacy._erasure_condition(tbl regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN s.via IS NULL
		THEN pg_catalog.format('%I::text OPERATOR(pg_catalog.=) $1', s.subject_column)
		ELSE pg_catalog.format('%I OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text($2 OPERATOR(pg_catalog.->) %L))::%s[])',
		                       s.subject_column, s.via::oid::text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) s.via_column,
		                       pg_catalog.format_type(a.atttypid, a.atttypmod)) END
	FROM privacy._subject_table s
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) s.relid AND a.attname OPERATOR(pg_catalog.=) s.subject_column
	WHERE s.relid OPERATOR(pg_catalog.=) tbl
$$;
COMMENT ON FUNCTION privacy._erasure_condition(regclass) IS
'condition selecting a subject''s rows of one registered table ($1 subject, $2 values of the parent''s subject rows)';

CREATE OR REPLACE FUNCTION privacy._store_column_policy(tbl regclass, col name, canonical text, declared text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	matview regclass;
BEGIN
	PERFORM privacy._check_policy_admin('declare masking policies', tbl);
	-- whoever calls it, the text must be a valid canonical mask
	IF privacy._analyze_mask(tbl, col, canonical, false) IS DISTINCT FROM canonical THEN
		RAISE EXCEPTION 'mask is not in canonical form' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Declare masks with privacy.mask_column().';
	END IF;
	INSERT INTO privacy._column_policy AS p (relid, column_name, mask, declared_mask, declared_by, declared_at)
	VALUES (tbl, col, canonical, declared, privacy._outer_user(), now())
	ON CONFLICT (relid, column_name) DO UPDATE
		SET mask = excluded.mask, declared_mask = excluded.declared_mask,
		    declared_by = excluded.declared_by, declared_at = excluded.declared_at;

	PERFORM privacy._govern_family(tbl);

	-- A materialized view keeps what its query returned when refreshed.
	FOR matview IN
		SELECT DISTINCT r.ev_class::regclass
		FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_rewrite r ON r.oid OPERATOR(pg_catalog.=) d.objid
		JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.ev_class
		WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
		  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
		  AND d.refobjid OPERATOR(pg_catalog.=) ANY (SELECT f::oid FROM privacy._family(tbl) AS f)
		  AND c.relkind OPERATOR(pg_catalog.=) 'm'
	LOOP
		RAISE WARNING 'materialized view % stores values of %.% computed before this mask', matview, tbl, col
			USING HINT = 'Refresh it as a masked role, mask its columns too, or restrict who can read it.';
	END LOOP;

	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy._store_column_policy(regclass, name, text, text) IS
'stores a validated masking policy and turns on row security for the table family';

COMMENT ON FUNCTION privacy.anonymize_table(regclass) IS
'static masking: rewrites every masked column of the table with its mask in one UPDATE, run as the table''s owner; returns the row count';

CREATE OR REPLACE FUNCTION privacy.place_hold(tbl regclass, condition text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	canonical text;
	hold_id bigint;
BEGIN
	PERFORM privacy._check_policy_admin('place legal holds', tbl);
	IF tbl IS NULL OR condition IS NULL OR reason IS NULL THEN
		RAISE EXCEPTION 'table, condition and reason of a legal hold must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.btrim(reason) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'a legal hold needs a reason' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) NOT IN ('r', 'p') THEN
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
	canonical := privacy._analyze_hold_condition(tbl, condition);
	-- waits for running purge batches of the table and keeps new ones out
	-- until this transaction ends: a batch reads the holds after this lock
	PERFORM privacy._retention_lock(tbl, 1, false, false, true);
	INSERT INTO privacy._legal_hold (relid, condition, declared_condition, reason, placed_by, placed_at)
	VALUES (tbl, canonical, condition, reason, privacy._outer_user(), now())
	RETURNING id INTO hold_id;
	RETURN hold_id;
END
$$;
COMMENT ON FUNCTION privacy.place_hold(regclass, text, text) IS
'places a legal hold: rows of the table matching condition are never purged until the hold is released; returns its id';

CREATE OR REPLACE FUNCTION privacy._hold_predicate(tbl regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN count(*) OPERATOR(pg_catalog.=) 0 THEN 'true'
		ELSE '((' OPERATOR(pg_catalog.||) string_agg('(' OPERATOR(pg_catalog.||) privacy._analyze_hold_condition(tbl, h.condition)
			OPERATOR(pg_catalog.||) ')', ' OR ' ORDER BY h.id)
			OPERATOR(pg_catalog.||) ') IS NOT TRUE)' END
	FROM privacy._legal_hold h
	WHERE h.relid OPERATOR(pg_catalog.=) tbl AND h.released_at IS NULL
$$;
COMMENT ON FUNCTION privacy._hold_predicate(regclass) IS
'condition that excludes rows under an active legal hold of the table (canonical hold conditions only)';

CREATE OR REPLACE FUNCTION privacy._action_sql(tbl regclass, OUT set_list text, OUT pending text)
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
		FROM (SELECT x.column_name, privacy._analyze_mask(tbl, x.column_name, x.mask, true) AS mask
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

CREATE OR REPLACE FUNCTION privacy._choose_method(tbl regclass, cutoff timestamptz)
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
		RETURN 'ctid_sweep';
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

CREATE OR REPLACE FUNCTION privacy._recover_partition(tbl regclass, part oid, part_name text, bound text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	held boolean := false;
	hold text;
BEGIN
	IF part IS NULL OR NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_class c
		WHERE c.oid OPERATOR(pg_catalog.=) part AND NOT c.relispartition AND c.relkind OPERATOR(pg_catalog.=) 'r'
		  AND c.oid::regclass::text OPERATOR(pg_catalog.=) part_name) THEN
		RETURN;
	END IF;
	hold := privacy._hold_predicate(tbl);
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

CREATE OR REPLACE FUNCTION privacy._purge_start(tbl regclass, via text)
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

CREATE OR REPLACE FUNCTION privacy._purge_finish(run_id bigint, final_status text, message text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
BEGIN
	UPDATE privacy._purge_log l SET status = final_status, error = message, finished = clock_timestamp(),
		wal_bytes = greatest(0, pg_catalog.pg_current_wal_insert_lsn() OPERATOR(pg_catalog.-) l.start_lsn),
		pending_partition = NULL, pending_name = NULL, pending_bound = NULL
	WHERE l.id OPERATOR(pg_catalog.=) run_id AND l.status OPERATOR(pg_catalog.=) 'running'
	RETURNING * INTO r;
	IF r.via OPERATOR(pg_catalog.=) 'worker' THEN
		PERFORM privacy._retention_unlock(r.relid::regclass, 2);
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._purge_finish(bigint, text, text) IS 'ends a purge run and releases its table';

CREATE OR REPLACE FUNCTION privacy._purge_step(run_id bigint, in_transaction boolean, OUT status text, OUT batch_rows bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r privacy._purge_log;
	p privacy._retention_policy;
	target oid;
	hold text;
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
	n bigint := 0;
	lock_wait integer;
	batch integer;
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
			IF in_transaction THEN
				-- plain DETACH: DETACH ... CONCURRENTLY cannot run in a transaction block
				old_timeout := pg_catalog.current_setting('lock_timeout');
				PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
				EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', p.relid, target::regclass);
				PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
				EXECUTE format('DROP TABLE %s', target::regclass);
				UPDATE privacy._purge_log l SET pending_partition = NULL, pending_name = NULL, pending_bound = NULL,
					partitions_dropped = l.partitions_dropped OPERATOR(pg_catalog.+) 1,
					target_idx = l.target_idx OPERATOR(pg_catalog.+) 1
				WHERE l.id OPERATOR(pg_catalog.=) run_id;
			ELSE
				status := 'detach';
			END IF;
			RETURN;
		END IF;
		-- partly expired (or holding held rows): sweep its rows
	END IF;

	pred := format('%I < $1 AND %s AND %s', p.time_column, hold, act.pending);

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
	SELECT s.setting::integer INTO lock_wait FROM pg_catalog.pg_settings s WHERE s.name OPERATOR(pg_catalog.=) 'privacy.purge_lock_wait';
	lock_wait := coalesce(lock_wait, 20);
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

	IF r.method OPERATOR(pg_catalog.=) 'time_slice' THEN
		-- adapt the slice to the batch size
		IF n OPERATOR(pg_catalog.<) (batch OPERATOR(pg_catalog./) 2) AND r.slice OPERATOR(pg_catalog.<) '1 year'::interval THEN
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
		UPDATE privacy._purge_log l SET rows = l.rows OPERATOR(pg_catalog.+) n, batches = l.batches OPERATOR(pg_catalog.+) 1,
			pos = r.pos OPERATOR(pg_catalog.+) r.step_blocks, pos_end = r.pos_end, step_blocks = r.step_blocks
		WHERE l.id OPERATOR(pg_catalog.=) run_id;
	END IF;
END
$$;
COMMENT ON FUNCTION privacy._purge_step(bigint, boolean) IS
'one purge batch of a run in the caller''s transaction; returns the next action and the rows purged';

CREATE OR REPLACE FUNCTION privacy._expired_rows(tbl regclass, OUT expired bigint, OUT oldest timestamptz, OUT held bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
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

CREATE OR REPLACE FUNCTION privacy.retokenize(tbl regclass, col name, format text DEFAULT 'card', batch_size integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	moved bigint := 0;
	n bigint;
	newest integer;
	key text;
	coltype text;
	rels oid[];
	ids tid[];
	olds text[];
	news text[];
BEGIN
	PERFORM privacy._check_policy_admin('retokenize');
	IF tbl IS NULL OR col IS NULL OR format IS NULL OR batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'table, column, format and a positive batch size are required'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT f.key_name INTO key FROM privacy._token_format f WHERE f.name = format AND f.kind = 'card';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token format "%" does not carry key versions', format
			USING ERRCODE = 'feature_not_supported',
			HINT = 'Only card formats are versioned; other formats always use the first key version.';
	END IF;
	SELECT max(k.version) INTO newest FROM privacy._key k WHERE k.name = key;
	IF newest IS NULL THEN
		RAISE EXCEPTION 'data key "%" does not exist', key USING ERRCODE = 'undefined_object';
	END IF;
	SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO coltype FROM pg_catalog.pg_attribute a
	WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	LOOP
		-- reading tokens runs no code of the table's (no triggers, no row
		-- security for the extension owner)
		EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(s.tableoid), pg_catalog.array_agg(s.ctid), '
		               'pg_catalog.array_agg(s.v), pg_catalog.array_agg(privacy._retokenize_value(s.v, $1)) '
		               'FROM (SELECT tableoid, ctid, %1$I::text AS v FROM %2$s WHERE %1$I IS NOT NULL '
		               'AND privacy._token_key_version(%1$I::text, $1) OPERATOR(pg_catalog.<>) $2 LIMIT $3) s', col, tbl)
			INTO rels, ids, olds, news USING format, newest, batch_size;
		EXIT WHEN ids IS NULL;
		n := privacy._exec_as_owner(tbl, pg_catalog.format('UPDATE %1$s t SET %2$I = v.new::%3$s '
		               'FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]), pg_catalog.unnest($2::pg_catalog.tid[]), '
		               'pg_catalog.unnest($3::text[]), pg_catalog.unnest($4::text[])) AS v(rel, id, old, new) '
		               'WHERE t.tableoid OPERATOR(pg_catalog.=) v.rel AND t.ctid OPERATOR(pg_catalog.=) v.id '
		               'AND t.%2$I::text OPERATOR(pg_catalog.=) v.old', tbl, col, coltype),
			rels, ids, olds, news);
		EXIT WHEN n = 0;
		moved := moved + n;
	END LOOP;
	RETURN moved;
END
$$;
COMMENT ON FUNCTION privacy.retokenize(regclass, name, text, integer) IS
'moves the tokens of a column to the newest version of the format''s key, in batches; returns how many moved';

CREATE OR REPLACE FUNCTION privacy.erase_subject(subject text, mode text DEFAULT 'delete')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	h record;
	vc record;
	pred text;
	keep text;
	set_list text;
	affected bigint;
	held bigint;
	holds jsonb;
	tables jsonb := '[]';
	purpose text;
	revoked integer := 0;
	report jsonb;
	links jsonb := '{}';
	refs jsonb := '{}';
BEGIN
	PERFORM privacy._check_policy_admin('erase data subjects');
	IF subject IS NULL OR mode IS NULL THEN
		RAISE EXCEPTION 'subject and mode must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF mode OPERATOR(pg_catalog.<>) ALL (ARRAY['delete', 'anonymize']) THEN
		RAISE EXCEPTION 'unknown erasure mode "%"', mode USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use delete or anonymize.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._subject_table) THEN
		RAISE EXCEPTION 'no subject table is registered' USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Register tables with privacy.register_subject().';
	END IF;

	-- parents first: the subject's rows of each table, and the values of its
	-- columns that registered children reference
	FOR t IN SELECT s.relid, s.depth, privacy._erasure_condition(s.relid) AS pred
	         FROM privacy._subject_tables() s ORDER BY s.depth, s.relid::text LOOP
		FOR vc IN SELECT DISTINCT x.via_column FROM privacy._subject_table x
		         WHERE x.via OPERATOR(pg_catalog.=) t.relid ORDER BY 1 LOOP
			links := links OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
				t.relid::oid::text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) vc.via_column,
				coalesce(privacy._value_as_owner(t.relid, pg_catalog.format(
					'SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT %I::text)) FROM %s WHERE %s',
					vc.via_column, t.relid, t.pred), subject, links, refs)::jsonb, '[]'::jsonb));
		END LOOP;
	END LOOP;

	FOR t IN SELECT s.relid, s.depth, privacy._erasure_condition(s.relid) AS pred
	         FROM privacy._subject_tables() s ORDER BY s.depth DESC, s.relid::text LOOP
		pred := t.pred;
		-- held rows: active holds of the table, and (when deleting) rows still
		-- referenced by kept rows of registered children
		holds := '[]';
		held := 0;
		FOR h IN SELECT lh.id, lh.reason, lh.condition FROM privacy._legal_hold lh
		         WHERE lh.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(t.relid))
		           AND lh.released_at IS NULL ORDER BY lh.id LOOP
			affected := privacy._value_as_owner(t.relid, pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND (%s)',
				t.relid, pred, privacy._analyze_hold_condition(t.relid, h.condition)), subject, links, refs)::bigint;
			IF affected OPERATOR(pg_catalog.>) 0 THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('hold_id', h.id, 'reason', h.reason, 'rows', affected);
			END IF;
		END LOOP;
		SELECT pg_catalog.concat_ws(' AND ', NULLIF(privacy._hold_predicate(t.relid), 'true'),
			pg_catalog.string_agg(pg_catalog.format('NOT (%I OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT pg_catalog.jsonb_array_elements_text($3 OPERATOR(pg_catalog.->) %L))::%s[]))',
			                                        ch.via_column, ch.relid::oid::text,
			                                        (SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
			                                         WHERE a.attrelid OPERATOR(pg_catalog.=) t.relid AND a.attname OPERATOR(pg_catalog.=) ch.via_column)),
			                      ' AND ' ORDER BY ch.relid::text))
		INTO keep
		FROM privacy._subject_table ch
		WHERE ch.via OPERATOR(pg_catalog.=) t.relid AND mode OPERATOR(pg_catalog.=) 'delete';
		IF keep OPERATOR(pg_catalog.<>) '' THEN
			held := privacy._value_as_owner(t.relid, pg_catalog.format('SELECT count(*) FROM %s WHERE (%s) AND NOT (%s)', t.relid, pred, keep),
				subject, links, refs)::bigint;
			IF held OPERATOR(pg_catalog.>) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
			                                 FROM pg_catalog.jsonb_array_elements(holds) x) THEN
				holds := holds OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('reason', 'referenced by held rows of a child table',
					'rows', held OPERATOR(pg_catalog.-) (SELECT coalesce(sum((x OPERATOR(pg_catalog.->>) 'rows')::bigint), 0)
					                                     FROM pg_catalog.jsonb_array_elements(holds) x));
			END IF;
			pred := '(' OPERATOR(pg_catalog.||) pred OPERATOR(pg_catalog.||) ') AND ' OPERATOR(pg_catalog.||) keep;
		END IF;
		IF mode OPERATOR(pg_catalog.=) 'delete' THEN
			affected := privacy._exec_as_owner(t.relid, pg_catalog.format('DELETE FROM %s WHERE %s', t.relid, pred),
				subject, links, refs);
			tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'deleted', affected,
				'held_back', held, 'holds', holds);
		ELSE
			SELECT pg_catalog.string_agg(pg_catalog.format('%I = (%s)', m.column_name, privacy._analyze_mask(t.relid, m.column_name, m.mask, true)),
			                             ', ' ORDER BY m.column_name)
			INTO set_list FROM privacy._column_policy m
			WHERE m.relid::oid OPERATOR(pg_catalog.=) ANY (SELECT privacy._lineage(t.relid));
			IF set_list IS NULL THEN
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', 0,
					'held_back', held, 'holds', holds, 'note', 'no masking policy: rows kept unchanged');
			ELSE
				-- the masks are canonical for the pinned search_path and read
				-- raw values: the UPDATE is planned unmasked, and runs (with
				-- everything it fires) as the table's owner
				affected := privacy._exec_as_owner(t.relid, pg_catalog.format('UPDATE %s SET %s WHERE %s', t.relid, set_list, pred),
					subject, links, refs);
				tables := tables OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('table', t.relid::text, 'anonymized', affected,
					'held_back', held, 'holds', holds);
			END IF;
		END IF;
		-- the values of this table's subject rows that are still there keep
		-- the parent rows they reference
		IF mode OPERATOR(pg_catalog.=) 'delete' AND t.depth OPERATOR(pg_catalog.>) 0 THEN
			refs := refs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::oid::text,
				coalesce(privacy._value_as_owner(t.relid, pg_catalog.format(
					'SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT %I::text)) FROM %s WHERE %s',
					(SELECT x.subject_column FROM privacy._subject_table x WHERE x.relid OPERATOR(pg_catalog.=) t.relid),
					t.relid, t.pred), subject, links, refs)::jsonb, '[]'::jsonb));
		END IF;
	END LOOP;

	FOR purpose IN SELECT DISTINCT c.purpose FROM privacy._consent c
	               WHERE c.subject OPERATOR(pg_catalog.=) erase_subject.subject AND c.revoked_at IS NULL ORDER BY 1 LOOP
		IF privacy.revoke_consent(erase_subject.subject, purpose) THEN
			revoked := revoked OPERATOR(pg_catalog.+) 1;
		END IF;
	END LOOP;

	report := pg_catalog.jsonb_build_object('mode', mode, 'tables', tables, 'consents_revoked', revoked);
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, new_definition)
	VALUES (now(), privacy._outer_user(), session_user, 'erase subject',
	        'subject ' OPERATOR(pg_catalog.||) privacy.pseudonym(subject, 'erasure'), report::text);
	RETURN report;
END
$$;
COMMENT ON FUNCTION privacy.erase_subject(text, text) IS
'deletes or anonymizes a subject''s rows in every registered table (children first), keeping rows under legal holds; revokes consents; audited under a pseudonym';

DROP FUNCTION privacy._retention_lock_key(integer, regclass);
REVOKE ALL ON FUNCTION privacy._exec_as_owner(regclass, text), privacy._exec_as_owner(regclass, text, "any"),
	privacy._value_as_owner(regclass, text), privacy._value_as_owner(regclass, text, "any"),
	privacy._retention_lock(regclass, integer, boolean, boolean, boolean), privacy._retention_unlock(regclass, integer),
	privacy._analyze_mask(regclass, name, text, boolean), privacy._erasure_condition(regclass),
	privacy._store_column_policy(regclass, name, text, text), privacy._store_row_filter(regclass, text, text, text, regrole[])
	FROM PUBLIC;
