-- ---------------------------------------------------------------------------
-- Scale-out on Citus (doc/scale-out.md). Policies of Citus tables are
-- enforced on the shards, where the rows are read; every node needs the same
-- policy state, keyed by schema-qualified names (OIDs differ per node).
-- privacy.citus_sync_policies(), on the coordinator, copies that state to
-- every active primary worker; catalog triggers do it at commit of every
-- transaction that changes it. Without Citus nothing is sent.
--
-- What travels (the payload, built by privacy._citus_payload()):
--   per Citus table: masks, exemptions, governed state, row policies
--     (consent requirements, filters, hiding expired rows) and retention
--     policies; exemptions for every table (relid NULL);
--   for the whole database: purposes, who may declare them, the consent
--     registry, token formats and their key versions, detokenize grants,
--     data keys (wrapped under the master key, which every node shares) and
--     the masking secret row as it is stored (see doc/scale-out.md).
-- Rows are compared as jsonb (fixed TimeZone, IntervalStyle, bytea_output):
-- a worker deletes the rows the coordinator no longer has and inserts the
-- new ones, so an unchanged catalog is not rewritten.

-- privacy._citus_present(): whether Citus's metadata exists here (the WHEN
-- of the propagation triggers: one syscache lookup per changed row).
CREATE FUNCTION privacy._citus_present()
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__citus_present'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._citus_present() IS
'whether Citus''s metadata exists in this database';

-- privacy._citus_changed() (BEFORE statement trigger of the policy
-- catalogs) and privacy._citus_take_change(): this transaction changed
-- policy state since the last push (held in backend memory).
CREATE FUNCTION privacy._citus_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__citus_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_changed() IS
'trigger: notes that the transaction changes pg_privacy policy state (pushed to the Citus workers at commit)';
REVOKE ALL ON FUNCTION privacy._citus_changed() FROM PUBLIC;

CREATE FUNCTION privacy._citus_take_change()
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__citus_take_change'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_take_change() IS
'whether this transaction changed policy state since its last push to the Citus workers (and forgets it)';
REVOKE ALL ON FUNCTION privacy._citus_take_change() FROM PUBLIC;

-- privacy._citus_consent_changed() (row trigger of privacy._consent) and
-- privacy._citus_take_consent_ids(): the ids of the consent rows this
-- transaction wrote since the last push (backend memory; NULL when more
-- than a million): a consent change sends those rows, not the registry.
CREATE FUNCTION privacy._citus_consent_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__citus_consent_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_consent_changed() IS
'trigger: notes the consent rows the transaction writes (pushed to the Citus workers at commit, instead of the whole registry)';
REVOKE ALL ON FUNCTION privacy._citus_consent_changed() FROM PUBLIC;

CREATE FUNCTION privacy._citus_take_consent_ids()
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'pg_privacy__citus_take_consent_ids'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._citus_take_consent_ids() IS
'the ids of the consent rows this transaction wrote since its last push to the Citus workers (NULL: too many), and forgets them';
REVOKE ALL ON FUNCTION privacy._citus_take_consent_ids() FROM PUBLIC;

-- privacy._citus_sync_state: the generation of the policy state this node
-- holds. The coordinator counts one up at every push; a worker stores the
-- generation of the state it applied. Shard queries carry the generation of
-- the node that planned them (citus_purpose.hpp): a worker that holds
-- another one (it missed a change while it was down or disabled, or was
-- added later) refuses them until privacy.citus_sync_policies() ran, and a
-- worker that never received a state refuses non-superusers its shards of
-- tables under row security, also when queried directly.
CREATE TABLE privacy._citus_sync_state (
	id         boolean PRIMARY KEY DEFAULT true CHECK (id),
	generation bigint NOT NULL,
	synced_at  timestamptz NOT NULL
);
COMMENT ON TABLE privacy._citus_sync_state IS
'the generation of the Citus policy state this node holds (privacy.citus_sync_policies)';
REVOKE ALL ON privacy._citus_sync_state FROM PUBLIC;

-- privacy._citus_payload(consent_ids): this node's policy state, by name, in
-- a canonical order (nodes in sync have equal payloads). With consent_ids,
-- only those consent rows (an incremental push: the consents one
-- transaction wrote), listed under "consent_ids".
CREATE FUNCTION privacy._citus_payload(consent_ids bigint[] DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET IntervalStyle = 'postgres'
SET bytea_output = 'hex'
AS $$
DECLARE
	payload jsonb;
BEGIN
	SELECT pg_catalog.jsonb_build_object(
		-- stored expressions travel as the text they read as now (the
		-- workers keep no stored form: they analyze the text, issue 17)
		'column_policy', (SELECT coalesce(pg_catalog.jsonb_agg(x.j ORDER BY x.j::text), '[]')
			FROM (SELECT (pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.-) 'mask_function')
			             OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('mask',
			                 coalesce(privacy._stored_expression(c.mask_function), c.mask)) AS j
			      FROM privacy._column_policy c WHERE privacy._citus_table(c.relid)) x),
		'unmasked', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(u) ORDER BY pg_catalog.to_jsonb(u)::text), '[]')
			FROM privacy._unmasked u WHERE u.relid IS NULL OR privacy._citus_table(u.relid)),
		'governed_table', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(g) ORDER BY pg_catalog.to_jsonb(g)::text), '[]')
			FROM privacy._governed_table g WHERE privacy._citus_table(g.relid)),
		'retention_policy', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) ORDER BY pg_catalog.to_jsonb(r)::text), '[]')
			FROM privacy._retention_policy r WHERE privacy._citus_table(r.relid)),
		'purpose', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p) ORDER BY pg_catalog.to_jsonb(p)::text), '[]') FROM privacy._purpose p),
		'purpose_role', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p) ORDER BY pg_catalog.to_jsonb(p)::text), '[]') FROM privacy._purpose_role p),
		'row_policy', (SELECT coalesce(pg_catalog.jsonb_agg(x.j ORDER BY x.j::text), '[]')
			FROM (SELECT (pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.-) 'condition_function')
			             OPERATOR(pg_catalog.||) CASE WHEN r.condition_function IS NULL THEN '{}'::pg_catalog.jsonb
			                 ELSE pg_catalog.jsonb_build_object('condition',
			                     coalesce(privacy._stored_expression(r.condition_function), r.condition)) END AS j
			      FROM privacy._row_policy r WHERE privacy._citus_table(r.relid)) x),
		'consent', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY pg_catalog.to_jsonb(c)::text), '[]') FROM privacy._consent c
			WHERE consent_ids IS NULL OR c.id OPERATOR(pg_catalog.=) ANY (consent_ids)),
		'token_format', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY pg_catalog.to_jsonb(f)::text), '[]') FROM privacy._token_format f),
		'token_format_version', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) ORDER BY pg_catalog.to_jsonb(f)::text), '[]')
			FROM privacy._token_format_version f),
		'detokenize_grant', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) ORDER BY pg_catalog.to_jsonb(d)::text), '[]')
			FROM privacy._detokenize_grant d),
		'key', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(k) ORDER BY pg_catalog.to_jsonb(k)::text), '[]') FROM privacy._key k),
		'masking_secret', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s) ORDER BY pg_catalog.to_jsonb(s)::text), '[]') FROM privacy._masking_secret s),
		-- classification-driven protection (issue 18): the bindings and
		-- exemptions of every category, the classifications, new columns,
		-- default-deny switches and lineage of Citus tables
		'category_binding', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY pg_catalog.to_jsonb(b)::text), '[]') FROM privacy._category_binding b),
		'category_unmasked', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(u) ORDER BY pg_catalog.to_jsonb(u)::text), '[]') FROM privacy._category_unmasked u),
		'classification', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY pg_catalog.to_jsonb(c)::text), '[]')
			FROM privacy._classification c WHERE privacy._citus_table(c.relid)),
		'not_personal', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(n) ORDER BY pg_catalog.to_jsonb(n)::text), '[]')
			FROM privacy._not_personal n WHERE privacy._citus_table(n.relid)),
		'new_column', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(n) ORDER BY pg_catalog.to_jsonb(n)::text), '[]')
			FROM privacy._new_column n WHERE privacy._citus_table(n.relid)),
		'default_deny_off', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) ORDER BY pg_catalog.to_jsonb(d)::text), '[]')
			FROM privacy._default_deny_off d WHERE privacy._citus_table(d.relid)),
		'derived_column', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(d) ORDER BY pg_catalog.to_jsonb(d)::text), '[]')
			FROM privacy._derived_column d WHERE privacy._citus_table(d.relid) AND privacy._citus_table(d.source_relid)),
		-- the synchronization generation (shard queries carry the planning
		-- node's; a worker enforces only the state of that generation)
		'generation', (SELECT coalesce(pg_catalog.max(g.generation), 0) FROM privacy._citus_sync_state g))
	INTO payload;
	IF consent_ids IS NOT NULL THEN
		payload := payload OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('consent_ids', pg_catalog.to_jsonb(consent_ids));
	END IF;
	RETURN payload;
END
$$;
COMMENT ON FUNCTION privacy._citus_payload(bigint[]) IS
'the policy state privacy.citus_sync_policies() copies to the Citus workers, by name (wrapped keys, the masking secret row as stored)';
REVOKE ALL ON FUNCTION privacy._citus_payload(bigint[]) FROM PUBLIC;

-- privacy._citus_replace(tbl, rows, scope): makes the rows of catalog table
-- tbl within scope (an SQL condition over alias t) equal to rows: deletes
-- those not among rows, inserts the rows it lacks (a row whose key another
-- row outside the scope holds is left out). Rows are compared as jsonb.
CREATE FUNCTION privacy._citus_replace(tbl regclass, rows jsonb, scope text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET IntervalStyle = 'postgres'
SET bytea_output = 'hex'
AS $$
DECLARE
	deleted bigint;
	inserted bigint;
BEGIN
	IF rows IS NULL OR pg_catalog.jsonb_typeof(rows) OPERATOR(pg_catalog.<>) 'array' THEN
		RAISE EXCEPTION 'synchronized rows of % must be a JSON array', tbl USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- anti-joins on the jsonb images (hashable: large registries do not
	-- compare every row with every other)
	EXECUTE format('DELETE FROM %s t WHERE (%s) AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements($1) x '
		'WHERE x OPERATOR(pg_catalog.=) pg_catalog.to_jsonb(t))', tbl, scope) USING rows;
	GET DIAGNOSTICS deleted = ROW_COUNT;
	EXECUTE format('INSERT INTO %s SELECT r.* FROM pg_catalog.jsonb_populate_recordset(NULL::%s, $1) r '
		'WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.=) pg_catalog.to_jsonb(r)) '
		'ON CONFLICT DO NOTHING', tbl, tbl, tbl) USING rows;
	GET DIAGNOSTICS inserted = ROW_COUNT;
	RETURN deleted OPERATOR(pg_catalog.+) inserted;
END
$$;
COMMENT ON FUNCTION privacy._citus_replace(regclass, jsonb, text) IS
'makes the rows of a pg_privacy catalog table within a scope equal to synchronized rows (deletes the missing, inserts the new)';
REVOKE ALL ON FUNCTION privacy._citus_replace(regclass, jsonb, text) FROM PUBLIC;

-- privacy._citus_apply_policies(payload): replaces this node's state by the
-- coordinator's (run on the workers).
CREATE FUNCTION privacy._citus_apply_policies(payload jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	changed bigint := 0;
	n bigint;
	failed_table text;
	failed_constraint text;
	citus_rows constant text := 'privacy._citus_table(t.relid)';
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can apply synchronized policies' USING ERRCODE = 'insufficient_privilege';
	END IF;
	-- the statement calling this holds the payload: neither a slow run nor
	-- an error may log it (for this session, a Citus connection); Citus
	-- must not propagate the local changes
	PERFORM pg_catalog.set_config('log_min_duration_statement', '-1', false);
	PERFORM pg_catalog.set_config('log_min_error_statement', 'panic', false);
	PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
	IF payload IS NULL OR pg_catalog.jsonb_typeof(payload) OPERATOR(pg_catalog.<>) 'object'
	   OR NOT payload OPERATOR(pg_catalog.?&) ARRAY['column_policy', 'unmasked', 'governed_table', 'retention_policy',
	       'purpose', 'purpose_role', 'row_policy', 'consent', 'token_format', 'token_format_version',
	       'detokenize_grant', 'key', 'masking_secret', 'category_binding', 'category_unmasked', 'classification',
	       'not_personal', 'new_column', 'default_deny_off', 'derived_column', 'generation'] THEN
		RAISE EXCEPTION 'policy payload must be a JSON object from privacy.citus_sync_policies()'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- one apply at a time on this node, ordered by this lock: a push from a
	-- policy change waits for it; the maintenance worker's apply (which
	-- names the generation it saw here, "expect") never waits and applies
	-- only over that generation, so it never writes an older state over a
	-- push that reached this node after it looked
	IF payload OPERATOR(pg_catalog.?) 'expect' THEN
		LOCK TABLE privacy._citus_sync_state IN SHARE ROW EXCLUSIVE MODE NOWAIT;
		IF coalesce((SELECT g.generation FROM privacy._citus_sync_state g), -1)
		   OPERATOR(pg_catalog.<>) (payload OPERATOR(pg_catalog.->>) 'expect')::bigint THEN
			RAISE EXCEPTION 'the policy generation of this node changed since the maintenance read it'
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
	ELSE
		LOCK TABLE privacy._citus_sync_state IN SHARE ROW EXCLUSIVE MODE;
	END IF;
	-- a failing row is never echoed: the error says which table and
	-- constraint refused it, not the values (they may be consent subjects
	-- or secrets)
	BEGIN
		-- purposes first (consents and row policies refer to them); removed
		-- purposes last
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._purpose', payload OPERATOR(pg_catalog.->) 'purpose', 'false');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._purpose_role', payload OPERATOR(pg_catalog.->) 'purpose_role', 'true');
		IF payload OPERATOR(pg_catalog.?) 'consent_ids' THEN
			-- incremental: only the consent rows one transaction wrote, on
			-- top of the state of generation "base", which this node must
			-- hold (otherwise the coordinator sends the whole state)
			IF coalesce((SELECT g.generation FROM privacy._citus_sync_state g), 0)
			   OPERATOR(pg_catalog.<>) (payload OPERATOR(pg_catalog.->>) 'base')::bigint THEN
				RAISE EXCEPTION 'this node does not hold the base of an incremental policy push'
					USING ERRCODE = 'object_not_in_prerequisite_state';
			END IF;
			DELETE FROM privacy._consent c WHERE c.id OPERATOR(pg_catalog.=) ANY (ARRAY(
				SELECT pg_catalog.jsonb_array_elements_text(payload OPERATOR(pg_catalog.->) 'consent_ids')::bigint));
			GET DIAGNOSTICS n = ROW_COUNT;
			changed := changed OPERATOR(pg_catalog.+) n;
			INSERT INTO privacy._consent SELECT r.* FROM pg_catalog.jsonb_populate_recordset(NULL::privacy._consent,
				payload OPERATOR(pg_catalog.->) 'consent') r;
			GET DIAGNOSTICS n = ROW_COUNT;
			changed := changed OPERATOR(pg_catalog.+) n;
		ELSE
			changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._consent', payload OPERATOR(pg_catalog.->) 'consent', 'true');
		END IF;
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._row_policy', payload OPERATOR(pg_catalog.->) 'row_policy', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._retention_policy', payload OPERATOR(pg_catalog.->) 'retention_policy', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._governed_table', payload OPERATOR(pg_catalog.->) 'governed_table', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._column_policy', payload OPERATOR(pg_catalog.->) 'column_policy', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._unmasked', payload OPERATOR(pg_catalog.->) 'unmasked',
			't.relid IS NULL OR ' OPERATOR(pg_catalog.||) citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._key', payload OPERATOR(pg_catalog.->) 'key', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._token_format', payload OPERATOR(pg_catalog.->) 'token_format', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._token_format_version', payload OPERATOR(pg_catalog.->) 'token_format_version', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._detokenize_grant', payload OPERATOR(pg_catalog.->) 'detokenize_grant', 'true');
		IF pg_catalog.jsonb_array_length(payload OPERATOR(pg_catalog.->) 'masking_secret') OPERATOR(pg_catalog.=) 1 THEN
			changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._masking_secret', payload OPERATOR(pg_catalog.->) 'masking_secret', 'true');
		END IF;
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._category_binding', payload OPERATOR(pg_catalog.->) 'category_binding', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._category_unmasked', payload OPERATOR(pg_catalog.->) 'category_unmasked', 'true');
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._classification', payload OPERATOR(pg_catalog.->) 'classification', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._not_personal', payload OPERATOR(pg_catalog.->) 'not_personal', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._new_column', payload OPERATOR(pg_catalog.->) 'new_column', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._default_deny_off', payload OPERATOR(pg_catalog.->) 'default_deny_off', citus_rows);
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._derived_column', payload OPERATOR(pg_catalog.->) 'derived_column',
			'privacy._citus_table(t.relid) AND privacy._citus_table(t.source_relid)');
		-- purposes the coordinator no longer has
		changed := changed OPERATOR(pg_catalog.+) privacy._citus_replace('privacy._purpose', payload OPERATOR(pg_catalog.->) 'purpose', 'true');
		IF changed OPERATOR(pg_catalog.>) 0 THEN
			PERFORM privacy._invalidate_policies(NULL);
		END IF;
		-- the generation this state belongs to (shard queries carrying
		-- another one are refused here)
		INSERT INTO privacy._citus_sync_state AS s (id, generation, synced_at)
		VALUES (true, (payload OPERATOR(pg_catalog.->>) 'generation')::bigint, pg_catalog.now())
		ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, synced_at = excluded.synced_at;
		PERFORM privacy._invalidate_policies('privacy._citus_sync_state');
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS failed_table = TABLE_NAME, failed_constraint = CONSTRAINT_NAME;
		RAISE EXCEPTION 'could not apply synchronized policies: table %, constraint % (SQLSTATE %)',
			coalesce(nullif(failed_table, ''), '-'), coalesce(nullif(failed_constraint, ''), '-'), SQLSTATE
			USING ERRCODE = SQLSTATE;
	END;
	RETURN changed::integer;
END
$$;
COMMENT ON FUNCTION privacy._citus_apply_policies(jsonb) IS
'replaces this node''s policy state of the Citus tables and the database-wide policy state by a payload from privacy.citus_sync_policies()';
REVOKE ALL ON FUNCTION privacy._citus_apply_policies(jsonb) FROM PUBLIC;

-- privacy._citus_push(incremental): sends the payload to every active
-- primary worker (from the coordinator); returns the number of workers.
-- Incremental (the push at commit of a change): the consent rows the
-- transaction wrote instead of the whole registry, applied by workers that
-- hold the previous generation; the whole state when one does not.
CREATE FUNCTION privacy._citus_push(incremental boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	payload jsonb;
	command text;
	result record;
	nodes integer := 0;
	consent_ids bigint[];
	base bigint;
	stale boolean := false;
BEGIN
	-- the consents written since the last push (NULL: too many to list)
	consent_ids := privacy._citus_take_consent_ids();
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN 0;
	END IF;
	-- every worker must be reachable before any applies the state: a
	-- worker that applied a push whose transaction then fails here holds a
	-- generation the coordinator never committed and refuses shard queries
	-- until the next push (fails closed, but needlessly)
	FOR result IN SELECT r.nodename, r.nodeport, r.success FROM pg_catalog.run_command_on_workers('SELECT 1') r LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not synchronize policies to worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure', DETAIL = 'The worker cannot be reached.',
				      HINT = 'Retry when it is back, or remove it with citus_disable_node and run privacy.citus_sync_policies() when it returns.';
		END IF;
	END LOOP;
	-- a new generation: shard queries planned before it (cached plans
	-- carry it) are planned again, and a worker that misses this push
	-- refuses shard queries of the new one until it is synchronized
	base := coalesce((SELECT g.generation FROM privacy._citus_sync_state g), 0);
	INSERT INTO privacy._citus_sync_state AS s (id, generation, synced_at) VALUES (true, 1, pg_catalog.now())
	ON CONFLICT (id) DO UPDATE SET generation = s.generation OPERATOR(pg_catalog.+) 1, synced_at = pg_catalog.now();
	PERFORM privacy._invalidate_policies('privacy._citus_sync_state');
	IF incremental AND consent_ids IS NOT NULL THEN
		payload := privacy._citus_payload(consent_ids) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('base', base);
		command := format('SELECT privacy._citus_apply_policies(%L)', payload);
		FOR result IN SELECT r.success FROM pg_catalog.run_command_on_workers(command) r LOOP
			stale := stale OR NOT result.success;
			nodes := nodes OPERATOR(pg_catalog.+) 1;
		END LOOP;
		IF NOT stale THEN
			RETURN nodes;
		END IF;
		nodes := 0;
		-- a worker that did not hold the base (or failed): the whole state
	END IF;
	payload := privacy._citus_payload();
	-- one statement (run_command_on_workers reports on the first statement
	-- of a command only). The payload holds consent subjects and wrapped
	-- secrets: it is passed as a variable, so that no error context here
	-- quotes it, and the worker's function keeps it out of its log
	command := format('SELECT privacy._citus_apply_policies(%L)', payload);
	FOR result IN SELECT r.nodename, r.nodeport, r.success, r.result
		FROM pg_catalog.run_command_on_workers(command) r LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not synchronize policies to worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure',
				      DETAIL = pg_catalog.left(pg_catalog.regexp_replace(result.result, '\s+', ' ', 'g'), 200);
		END IF;
		nodes := nodes OPERATOR(pg_catalog.+) 1;
	END LOOP;
	RETURN nodes;
END
$$;
COMMENT ON FUNCTION privacy._citus_push(boolean) IS
'sends the coordinator''s policy state to every active primary Citus worker; returns the number of workers';
REVOKE ALL ON FUNCTION privacy._citus_push(boolean) FROM PUBLIC;

CREATE FUNCTION privacy.citus_sync_policies()
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can synchronize policies to the Citus workers' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN privacy._citus_push();
END
$$;
COMMENT ON FUNCTION privacy.citus_sync_policies() IS
'copies the policy state (masks, exemptions, row policies, purposes, consents, formats, wrapped keys, masking secret) to every Citus worker, by name; returns the number of workers (0 without Citus)';
REVOKE ALL ON FUNCTION privacy.citus_sync_policies() FROM PUBLIC;

-- privacy.citus_audit_log(since): the audit log of every node, read on the
-- coordinator. Detokenizations run on the workers are first moved into the
-- coordinator's log (privacy.citus_collect_audit(), until nothing is left to
-- move); each row names the node that ran it ('coordinator', or the
-- worker's host:port). The workers' other records (the policy changes the
-- synchronization applied there) are read where they are.
CREATE FUNCTION privacy.citus_audit_log(since timestamptz DEFAULT '-infinity')
RETURNS TABLE (node text, logged_at timestamptz, role_name name, session_role name, action text, format text,
	value_count bigint, object text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result record;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can read the audit log of every node' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF since IS NULL THEN
		RAISE EXCEPTION 'since must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NOT NULL THEN
		-- the last run deletes on the workers what the one before copied
		WHILE privacy.citus_collect_audit() OPERATOR(pg_catalog.>) 0 LOOP
		END LOOP;
	END IF;
	RETURN QUERY SELECT CASE WHEN a.object OPERATOR(pg_catalog.~~) 'citus node %' AND a.action OPERATOR(pg_catalog.=) 'detokenize'
		THEN pg_catalog.substr(a.object, 12) ELSE 'coordinator' END, a.logged_at, a.role_name, a.session_role, a.action,
		a.format, a.value_count, a.object
	FROM privacy.audit_log a WHERE a.logged_at OPERATOR(pg_catalog.>=) since;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN;
	END IF;
	FOR result IN EXECUTE format('SELECT r.nodename, r.nodeport, r.success, r.result FROM pg_catalog.run_command_on_workers(%L) r',
		format('SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(a)), ''[]'') FROM privacy.audit_log a '
		       'WHERE a.logged_at OPERATOR(pg_catalog.>=) %L::timestamptz AND a.action OPERATOR(pg_catalog.<>) ''detokenize''', since)) LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not read the audit log of worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure';
		END IF;
		RETURN QUERY SELECT result.nodename OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) result.nodeport,
			a.logged_at, a.role_name, a.session_role, a.action, a.format, a.value_count, a.object
		FROM pg_catalog.jsonb_populate_recordset(NULL::privacy.audit_log, result.result::jsonb) a;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.citus_audit_log(timestamptz) IS
'the audit log of the coordinator (with the detokenizations of the Citus workers moved into it first) and the other records of every worker, with the node that ran each';
REVOKE ALL ON FUNCTION privacy.citus_audit_log(timestamptz) FROM PUBLIC;

-- privacy.citus_policy_status(): for every active primary worker, whether
-- its policy state equals the coordinator's (payloads compared by digest).
-- A worker out of sync enforces a different policy on its shards than the
-- compliance views of the coordinator report: privacy.citus_sync_policies()
-- brings it back.
CREATE FUNCTION privacy.citus_policy_status()
RETURNS TABLE (node text, in_sync boolean)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mine text;
	result record;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can compare the policy state of the Citus nodes' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN;
	END IF;
	mine := pg_catalog.md5(privacy._citus_payload()::text);
	FOR result IN SELECT r.nodename, r.nodeport, r.success, r.result
		FROM pg_catalog.run_command_on_workers('SELECT pg_catalog.md5(privacy._citus_payload()::text)') r LOOP
		IF NOT result.success THEN
			RAISE EXCEPTION 'could not read the policy state of worker %:%', result.nodename, result.nodeport
				USING ERRCODE = 'connection_failure';
		END IF;
		node := result.nodename OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) result.nodeport;
		in_sync := result.result OPERATOR(pg_catalog.=) mine;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy.citus_policy_status() IS
'for every Citus worker, whether its policy state (masks, exemptions, row policies, purposes, consents, formats, keys, masking secret) equals the coordinator''s';
REVOKE ALL ON FUNCTION privacy.citus_policy_status() FROM PUBLIC;

-- privacy._citus_autosync(): deferred trigger of the policy catalogs: at
-- commit of a transaction that changed them on the coordinator, sends the
-- state to the workers once (a worker that cannot be reached makes the
-- commit fail). On workers and without Citus it does nothing.
CREATE FUNCTION privacy._citus_autosync()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	is_coordinator boolean;
BEGIN
	-- once per change: the first deferred event of a transaction pushes the
	-- state after all its statements (or, with SET CONSTRAINTS IMMEDIATE,
	-- after each changing statement); the other events return here
	IF NOT privacy._citus_take_change() OR pg_catalog.to_regclass('pg_catalog.pg_dist_local_group') IS NULL THEN
		RETURN NULL;
	END IF;
	EXECUTE 'SELECT coalesce(min(groupid) OPERATOR(pg_catalog.=) 0, false) FROM pg_catalog.pg_dist_local_group'
		INTO is_coordinator;
	IF is_coordinator THEN
		PERFORM privacy._citus_push(true);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION privacy._citus_autosync() IS
'deferred trigger: at commit of a change to a policy catalog on the Citus coordinator, copies the policy state to every worker';
REVOKE ALL ON FUNCTION privacy._citus_autosync() FROM PUBLIC;

DO $do$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['_column_policy', '_unmasked', '_governed_table', '_retention_policy', '_purpose',
		'_purpose_role', '_row_policy', '_consent', '_token_format', '_token_format_version', '_detokenize_grant',
		'_key', '_masking_secret', '_category_binding', '_category_unmasked', '_classification', '_not_personal',
		'_new_column', '_default_deny_off', '_derived_column'] LOOP
		EXECUTE format('CREATE TRIGGER citus_changed BEFORE INSERT OR UPDATE OR DELETE ON privacy.%I '
			'FOR EACH STATEMENT WHEN (privacy._citus_present()) EXECUTE FUNCTION privacy._citus_changed()', t);
		EXECUTE format('CREATE CONSTRAINT TRIGGER citus_sync AFTER INSERT OR UPDATE OR DELETE ON privacy.%I '
			'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (privacy._citus_present()) '
			'EXECUTE FUNCTION privacy._citus_autosync()', t);
	END LOOP;
END
$do$;
CREATE TRIGGER citus_consent AFTER INSERT OR UPDATE OR DELETE ON privacy._consent
	FOR EACH ROW WHEN (privacy._citus_present()) EXECUTE FUNCTION privacy._citus_consent_changed();
-- they also fire for the bulk grant's INSERT, which runs in replica mode
-- (grant_consent(text[], ...)): the rows it writes must reach the workers
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER citus_consent;
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER citus_changed;
ALTER TABLE privacy._consent ENABLE ALWAYS TRIGGER citus_sync;

-- privacy._citus_purpose(purpose, proof, generation): the marker carrying
-- the purpose a session declares, and the policy generation of the planning
-- node, in the statements Citus sends to the shards: the planner adds it to
-- every query level reading a Citus table pg_privacy governs, and the node
-- planning a shard query checks it (the proof: a keyed hash of the purpose
-- and the role, under the masking secret every node shares; the generation:
-- the one it holds) and binds the statement's consent checks to it. Always
-- true.
CREATE FUNCTION privacy._citus_purpose(purpose text, proof text, generation bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__citus_purpose'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._citus_purpose(text, text, bigint) IS
'marker: the purpose a session declares and the policy generation, carried in the statements Citus sends to the shards (always true)';
GRANT EXECUTE ON FUNCTION privacy._citus_purpose(text, text, bigint) TO PUBLIC;

-- privacy._consent_allows_carried(tbl, purpose, subject, declared): the
-- consent check of a shard query bound to the purpose carried to this node
-- (placed by the planner only; a call written by a user reads the session's
-- setting, like privacy._consent_allows).
CREATE FUNCTION privacy._consent_allows_carried(tbl regclass, purpose text, subject text, declared text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy__consent_allows_carried'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._consent_allows_carried(regclass, text, text, text) IS
'row-policy helper: privacy._consent_allows for the purpose a statement carried to this Citus node';
GRANT EXECUTE ON FUNCTION privacy._consent_allows_carried(regclass, text, text, text) TO PUBLIC;

-- Detokenizations on the Citus workers, collected into the coordinator's
-- audit log. A detokenization is recorded by the node that runs it (outside
-- the disclosing transaction, issue 14); privacy.citus_collect_audit(), on
-- the coordinator, moves the workers' records into the coordinator's
-- privacy.audit_log (object: 'citus node <host>:<port>'), exactly once:
--   1. the worker deletes the records whose keys the coordinator recorded
--      as collected in an earlier, committed run; the coordinator then
--      drops those keys;
--   2. the coordinator reads the worker's remaining records (key: xmin and
--      ctid of the row, unique while the row exists) and, in its own
--      transaction, inserts those whose key it has not recorded, recording
--      the keys.
-- A record reaches the coordinator's log only together with its key, and
-- the key is dropped only after the worker deleted the record: a failure at
-- any point (a worker down, a rolled-back run) neither loses nor duplicates
-- a record; the next run finishes the move.
CREATE TABLE privacy._citus_audit_collected (
	node    text NOT NULL,
	row_key text NOT NULL,
	PRIMARY KEY (node, row_key)
);
COMMENT ON TABLE privacy._citus_audit_collected IS
'keys of Citus worker audit records already copied into the coordinator''s audit log and not yet deleted on the worker (privacy.citus_collect_audit)';
REVOKE ALL ON privacy._citus_audit_collected FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('privacy._citus_audit_collected', '');

-- privacy._citus_audit_rows(max_rows): this node's detokenization records,
-- oldest first, each with its key (run on the workers).
CREATE FUNCTION privacy._citus_audit_rows(max_rows integer)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect audit records' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN (SELECT coalesce(pg_catalog.jsonb_agg(x.j ORDER BY x.logged_at, x.k), '[]')
		FROM (SELECT a.logged_at, a.xmin::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) a.ctid::text AS k,
		             pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('row_key',
		                 a.xmin::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) a.ctid::text) AS j
		      FROM privacy.audit_log a WHERE a.action OPERATOR(pg_catalog.=) 'detokenize'
		      ORDER BY a.logged_at LIMIT max_rows) x);
END
$$;
COMMENT ON FUNCTION privacy._citus_audit_rows(integer) IS
'this Citus node''s detokenization records with their keys, for privacy.citus_collect_audit() on the coordinator';
REVOKE ALL ON FUNCTION privacy._citus_audit_rows(integer) FROM PUBLIC;

-- privacy._citus_audit_forget(keys): deletes this node's detokenization
-- records that the coordinator collected (run on the workers).
CREATE FUNCTION privacy._citus_audit_forget(keys text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	deleted bigint;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect audit records' USING ERRCODE = 'insufficient_privilege';
	END IF;
	DELETE FROM privacy.audit_log a WHERE a.action OPERATOR(pg_catalog.=) 'detokenize'
		AND (a.xmin::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) a.ctid::text) OPERATOR(pg_catalog.=) ANY (keys);
	GET DIAGNOSTICS deleted = ROW_COUNT;
	RETURN deleted;
END
$$;
COMMENT ON FUNCTION privacy._citus_audit_forget(text[]) IS
'deletes this Citus node''s detokenization records that the coordinator collected';
REVOKE ALL ON FUNCTION privacy._citus_audit_forget(text[]) FROM PUBLIC;

-- privacy._citus_run_on(node, port, command): command on one worker
-- (Citus's master_run_on_worker); raises when it fails there.
CREATE FUNCTION privacy._citus_run_on(node text, port integer, command text)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result record;
BEGIN
	EXECUTE 'SELECT r.success, r.result FROM pg_catalog.master_run_on_worker(ARRAY[$1], ARRAY[$2], ARRAY[$3], false) r'
		INTO result USING node, port, command;
	IF result.success IS NOT TRUE THEN
		RAISE EXCEPTION 'could not run a pg_privacy command on worker %:%', node, port
			USING ERRCODE = 'connection_failure';
	END IF;
	RETURN result.result;
END
$$;
COMMENT ON FUNCTION privacy._citus_run_on(text, integer, text) IS
'runs a pg_privacy command on one Citus worker; raises when it fails there';
REVOKE ALL ON FUNCTION privacy._citus_run_on(text, integer, text) FROM PUBLIC;

-- privacy._citus_collect_audit_node(node_name, node_port, max_rows): steps
-- 1 and 2 above for one worker, in the caller's transaction, under the
-- collection lock; returns the number of records copied.
CREATE FUNCTION privacy._citus_collect_audit_node(node_name text, node_port integer, max_rows integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	node_label text := node_name OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) node_port;
	keys text[];
	rows jsonb;
	n bigint;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect the audit records of the Citus workers' USING ERRCODE = 'insufficient_privilege';
	END IF;
	-- one run at a time (held already by both callers)
	LOCK TABLE privacy._citus_audit_collected IN SHARE ROW EXCLUSIVE MODE;
	-- 1. records copied by an earlier run: deleted on the worker, then
	-- their keys here
	SELECT pg_catalog.array_agg(c.row_key) INTO keys FROM privacy._citus_audit_collected c
		WHERE c.node OPERATOR(pg_catalog.=) node_label;
	IF keys IS NOT NULL THEN
		PERFORM privacy._citus_run_on(node_name, node_port,
			pg_catalog.format('SELECT privacy._citus_audit_forget(%L::text[])', keys));
		DELETE FROM privacy._citus_audit_collected c WHERE c.node OPERATOR(pg_catalog.=) node_label;
	END IF;
	-- 2. the records left: copied here with their keys
	rows := privacy._citus_run_on(node_name, node_port,
		pg_catalog.format('SELECT privacy._citus_audit_rows(%s)', max_rows))::jsonb;
	WITH fresh AS (
		SELECT r.logged_at, r.role_name, r.session_role, r.action, r.format, r.value_count, x.row_key
		FROM pg_catalog.jsonb_array_elements(rows) e,
		     pg_catalog.jsonb_populate_record(NULL::privacy.audit_log, e.value) r,
		     LATERAL (SELECT e.value OPERATOR(pg_catalog.->>) 'row_key' AS row_key) x
		WHERE NOT EXISTS (SELECT 1 FROM privacy._citus_audit_collected c
		                  WHERE c.node OPERATOR(pg_catalog.=) node_label
		                    AND c.row_key OPERATOR(pg_catalog.=) x.row_key)),
	keyed AS (
		INSERT INTO privacy._citus_audit_collected (node, row_key) SELECT node_label, f.row_key FROM fresh f)
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, format, value_count, object)
	SELECT f.logged_at, f.role_name, f.session_role, f.action, f.format, f.value_count,
	       'citus node ' OPERATOR(pg_catalog.||) node_label
	FROM fresh f;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION privacy._citus_collect_audit_node(text, integer, integer) IS
'moves the detokenization records of one Citus worker into the coordinator''s audit log, exactly once (for privacy.citus_collect_audit and the maintenance worker)';
REVOKE ALL ON FUNCTION privacy._citus_collect_audit_node(text, integer, integer) FROM PUBLIC;

CREATE FUNCTION privacy.citus_collect_audit(max_rows integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	w record;
	collected bigint := 0;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can collect the audit records of the Citus workers' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF max_rows IS NULL OR max_rows OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'max_rows must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN 0;
	END IF;
	-- one run at a time (the keys of a node are read and written below)
	LOCK TABLE privacy._citus_audit_collected IN SHARE ROW EXCLUSIVE MODE;
	FOR w IN EXECUTE 'SELECT node_name, node_port FROM pg_catalog.master_get_active_worker_nodes() ORDER BY 1, 2' LOOP
		collected := collected OPERATOR(pg_catalog.+)
			privacy._citus_collect_audit_node(w.node_name::text, w.node_port::integer, max_rows);
	END LOOP;
	RETURN collected;
END
$$;
COMMENT ON FUNCTION privacy.citus_collect_audit(integer) IS
'moves the detokenization records of every Citus worker into the coordinator''s audit log, exactly once; returns the number of records copied';
REVOKE ALL ON FUNCTION privacy.citus_collect_audit(integer) FROM PUBLIC;

-- privacy._citus_maintain(max_rows): what the Citus maintenance worker
-- (src/pg/workers/citus_maintenance.cpp) runs on the coordinator every
-- privacy.citus_maintenance_interval. For every active primary worker:
-- whether it can be reached ('unreachable': skipped, retried next time);
-- the policy state copied to it when it does not hold the coordinator's
-- generation ('synchronized'); its detokenization records moved into the
-- coordinator's log ('collected', as privacy.citus_collect_audit). Each
-- node's work is a subtransaction: one node failing leaves the others
-- done. Takes no lock a policy change waits for: the collection lock is
-- taken with NOWAIT (a manual collection running: no collection this
-- time). Returns nothing on a worker node and without Citus.
CREATE FUNCTION privacy._citus_maintain(max_rows integer DEFAULT 10000)
RETURNS TABLE (node text, action text, n bigint)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	w record;
	label text;
	is_coordinator boolean;
	mine bigint;
	theirs bigint;
	payload jsonb;
	collect boolean := true;
	got bigint;
BEGIN
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
		RAISE EXCEPTION 'only a superuser can run the Citus maintenance' USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_local_group') IS NULL
	   OR pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
		RETURN;
	END IF;
	EXECUTE 'SELECT coalesce(min(groupid) OPERATOR(pg_catalog.=) 0, false) FROM pg_catalog.pg_dist_local_group'
		INTO is_coordinator;
	IF NOT is_coordinator THEN
		RETURN;
	END IF;
	BEGIN
		LOCK TABLE privacy._citus_audit_collected IN SHARE ROW EXCLUSIVE MODE NOWAIT;
	EXCEPTION WHEN lock_not_available THEN
		collect := false;
	END;
	mine := coalesce((SELECT g.generation FROM privacy._citus_sync_state g), 0);
	FOR w IN EXECUTE 'SELECT node_name::text AS node_name, node_port::integer AS node_port '
		'FROM pg_catalog.master_get_active_worker_nodes() ORDER BY 1, 2' LOOP
		label := w.node_name OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) w.node_port;
		node := label;
		-- the generation it holds (-1: none); a node down is skipped
		BEGIN
			theirs := privacy._citus_run_on(w.node_name, w.node_port,
				'SELECT coalesce((SELECT g.generation FROM privacy._citus_sync_state g), -1)')::bigint;
		EXCEPTION WHEN OTHERS THEN
			action := 'unreachable';
			n := NULL;
			RETURN NEXT;
			CONTINUE;
		END;
		action := 'reachable';
		n := theirs;
		RETURN NEXT;
		IF theirs OPERATOR(pg_catalog.<>) mine THEN
			-- the whole state, as citus_sync_policies sends it, without a new
			-- generation (the other workers hold this one); built once, in one
			-- snapshot with the generation it carries
			IF payload IS NULL THEN
				payload := privacy._citus_payload();
				mine := (payload OPERATOR(pg_catalog.->>) 'generation')::bigint;
			END IF;
			IF theirs OPERATOR(pg_catalog.<>) mine THEN
				BEGIN
					-- the payload is passed as a variable: no error context here
					-- quotes it
					-- applied only over the generation read above (a push that
					-- reached the node since is not overwritten); never waits
					PERFORM privacy._citus_run_on(w.node_name, w.node_port,
						pg_catalog.format('SELECT privacy._citus_apply_policies(%L)',
							payload OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('expect', theirs)));
					action := 'synchronized';
					n := mine;
				EXCEPTION WHEN OTHERS THEN
					action := 'synchronization failed';
					n := NULL;
				END;
				RETURN NEXT;
			END IF;
		END IF;
		IF collect THEN
			BEGIN
				got := privacy._citus_collect_audit_node(w.node_name, w.node_port, max_rows);
				IF got OPERATOR(pg_catalog.>) 0 THEN
					action := 'collected';
					n := got;
					RETURN NEXT;
				END IF;
			EXCEPTION WHEN OTHERS THEN
				action := 'audit collection failed';
				n := NULL;
				RETURN NEXT;
			END;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION privacy._citus_maintain(integer) IS
'Citus maintenance on the coordinator: moves the workers'' detokenization records into the audit log and copies the policy state to reachable workers that do not hold its generation; one row per node and action';
REVOKE ALL ON FUNCTION privacy._citus_maintain(integer) FROM PUBLIC;
