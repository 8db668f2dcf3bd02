
-- ---------------------------------------------------------------------------
-- Scale-out on Citus (doc/scale-out.md). Masking policies of Citus tables
-- are enforced on the shards, where the rows are read; every node needs the
-- same policies, keyed by schema-qualified names (OIDs differ per node).
-- privacy.citus_sync_policies(), on the coordinator, copies the masking
-- policies, exemptions and governed-table state of every Citus table to
-- every active primary worker, translated by name; the workers apply them
-- with privacy._citus_apply_policies(). Without Citus it does nothing.

-- privacy._citus_apply_policies(payload): replaces this node's masking state
-- of the Citus tables named in payload by payload's (run on the workers).
CREATE FUNCTION privacy._citus_apply_policies(payload jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	tbl regclass;
	n integer := 0;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can apply synchronized policies' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF payload IS NULL OR pg_catalog.jsonb_typeof(payload) OPERATOR(pg_catalog.<>) 'object' THEN
		RAISE EXCEPTION 'policy payload must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR t IN SELECT x.value OPERATOR(pg_catalog.->>) 'relid' AS relid, x.value AS v
	         FROM pg_catalog.jsonb_array_elements(payload OPERATOR(pg_catalog.->) 'tables') x LOOP
		tbl := pg_catalog.to_regclass(t.relid);
		IF tbl IS NULL OR NOT privacy._citus_table(tbl) THEN
			CONTINUE;
		END IF;
		DELETE FROM privacy._column_policy c WHERE c.relid OPERATOR(pg_catalog.=) tbl;
		DELETE FROM privacy._unmasked u WHERE u.relid OPERATOR(pg_catalog.=) tbl;
		DELETE FROM privacy._governed_table g WHERE g.relid OPERATOR(pg_catalog.=) tbl;
		INSERT INTO privacy._governed_table (relid, rls_enabled_by_privacy, force_rls_by_privacy)
		SELECT tbl, (t.v OPERATOR(pg_catalog.->>) 'rls_enabled_by_privacy')::boolean,
		       (t.v OPERATOR(pg_catalog.->>) 'force_rls_by_privacy')::boolean
		WHERE t.v OPERATOR(pg_catalog.?) 'rls_enabled_by_privacy';
		INSERT INTO privacy._column_policy (relid, column_name, mask, declared_mask, declared_by, declared_at)
		SELECT tbl, c.column_name, c.mask, c.declared_mask, c.declared_by, c.declared_at
		FROM pg_catalog.jsonb_to_recordset(t.v OPERATOR(pg_catalog.->) 'columns')
		     AS c(column_name name, mask text, declared_mask text, declared_by name, declared_at timestamptz);
		INSERT INTO privacy._unmasked (role, relid, column_name, granted_by, granted_at)
		SELECT pg_catalog.to_regrole(u.role), tbl, u.column_name, u.granted_by, u.granted_at
		FROM pg_catalog.jsonb_to_recordset(t.v OPERATOR(pg_catalog.->) 'exemptions')
		     AS u(role text, column_name name, granted_by name, granted_at timestamptz)
		WHERE pg_catalog.to_regrole(u.role) IS NOT NULL;
		PERFORM privacy._invalidate_policies(tbl);
		n := n OPERATOR(pg_catalog.+) 1;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION privacy._citus_apply_policies(jsonb) IS
'replaces this node''s masking policies, exemptions and governed state of the Citus tables in a payload from privacy.citus_sync_policies()';
REVOKE ALL ON FUNCTION privacy._citus_apply_policies(jsonb) FROM PUBLIC;

CREATE FUNCTION privacy.citus_sync_policies()
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	payload jsonb;
	result record;
	nodes integer := 0;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can synchronize policies to the Citus workers' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN 0;
	END IF;
	-- every Citus table, governed or not (a table no longer governed loses
	-- its state on the workers too)
	EXECUTE $q$SELECT pg_catalog.jsonb_build_object('tables', coalesce(pg_catalog.jsonb_agg(
		pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
		'relid', d.logicalrelid::text,
		'rls_enabled_by_privacy', g.rls_enabled_by_privacy,
		'force_rls_by_privacy', g.force_rls_by_privacy)) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
		'columns', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('column_name', c.column_name,
				'mask', c.mask, 'declared_mask', c.declared_mask, 'declared_by', c.declared_by,
				'declared_at', c.declared_at)), '[]')
			FROM privacy._column_policy c WHERE c.relid OPERATOR(pg_catalog.=) d.logicalrelid),
		'exemptions', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('role', u.role::text,
				'column_name', u.column_name, 'granted_by', u.granted_by, 'granted_at', u.granted_at)), '[]')
			FROM privacy._unmasked u WHERE u.relid OPERATOR(pg_catalog.=) d.logicalrelid))), '[]'))
	FROM pg_catalog.pg_dist_partition d
	LEFT JOIN privacy._governed_table g ON g.relid OPERATOR(pg_catalog.=) d.logicalrelid$q$
	INTO payload;
	-- the workers' own Citus must not propagate what they change locally
	FOR result IN EXECUTE format('SELECT r.nodename, r.nodeport, r.success, r.result FROM pg_catalog.run_command_on_workers(%L) r',
		format('SET citus.enable_ddl_propagation = off; SELECT privacy._citus_apply_policies(%L)', payload)) LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not synchronize policies to worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure', DETAIL = result.result;
		END IF;
		nodes := nodes OPERATOR(pg_catalog.+) 1;
	END LOOP;
	RETURN nodes;
END
$$;
COMMENT ON FUNCTION privacy.citus_sync_policies() IS
'copies the masking policies and exemptions of every Citus table to every Citus worker, by name; returns the number of workers (0 without Citus)';
REVOKE ALL ON FUNCTION privacy.citus_sync_policies() FROM PUBLIC;
