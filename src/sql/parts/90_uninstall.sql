-- 90_uninstall.sql: privacy.uninstall() (issue 21): removes everything
-- pg_privacy added to the database's own tables, so that
-- DROP EXTENSION pg_privacy succeeds and leaves every table readable.
--
-- What pg_privacy adds outside its schema, and what uninstall does with it:
--   * row security: ENABLE (privacy._governed_table.rls_enabled_by_privacy)
--     and FORCE (force_rls_by_privacy) are undone only where pg_privacy
--     turned them on; where the table has row-security policies of its own
--     (pg_policy) both are kept, since the owner's policies rely on them;
--   * the write-back guard trigger "~pg_privacy_writeback_guard" and the
--     legal-hold triggers "privacy_hold_<id>_<kind>";
--   * privacy.card_token columns (the type belongs to the extension) and
--     the indexes on them (their operator classes too);
--   * text columns holding tokens (classified with a token format): they do
--     not block DROP EXTENSION, but their keys go with it.
-- Policies are removed through the public API (unmask_column,
-- drop_row_policy, drop_retention, release_hold), so every removal is
-- audited like any other; the uninstall itself is recorded in
-- privacy.audit_log and in the server log before anything is changed.
--
-- Superusers only: it lifts every protection, may detokenize every column,
-- and alters tables of every owner. It is atomic: any error rolls all of it
-- back. Every check that can refuse runs before the first change.
CREATE FUNCTION privacy.uninstall(tokens text DEFAULT 'refuse', release_holds boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext oid;
	card regtype := 'privacy.card_token'::pg_catalog.regtype;
	r record;
	n bigint;
	converted integer := 0;
	detokenized bigint := 0;
	kept text[] := '{}';
	ids tid[];
	chunk tid[];
	olds text[];
	news text[];
	report jsonb;
BEGIN
	-- who: a superuser, as the session's role and as the current user (not
	-- from inside another role's SECURITY DEFINER function), and not inside
	-- a security-restricted operation (code running for a table owner)
	IF NOT coalesce((SELECT a.rolsuper FROM pg_catalog.pg_roles a
	                 WHERE a.rolname OPERATOR(pg_catalog.=) privacy._outer_user()), false)
	   OR NOT coalesce((SELECT a.rolsuper FROM pg_catalog.pg_roles a
	                    WHERE a.rolname OPERATOR(pg_catalog.=) CURRENT_USER), false) THEN
		RAISE EXCEPTION 'permission denied to uninstall pg_privacy'
			USING ERRCODE = 'insufficient_privilege',
			      DETAIL = 'Uninstalling removes every masking, row and retention policy and legal hold, and can detokenize every token column.',
			      HINT = 'Only superusers can run privacy.uninstall(), like DROP EXTENSION pg_privacy.';
	END IF;
	PERFORM privacy._check_policy_admin('uninstall pg_privacy');
	IF tokens IS NULL OR tokens OPERATOR(pg_catalog.<>) ALL (ARRAY['detokenize', 'text', 'refuse']) THEN
		RAISE EXCEPTION 'invalid value for tokens'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Pass tokens => ''detokenize'' (token columns get their plaintext back), ''text'' (they keep the tokens, as text) or ''refuse''.';
	END IF;
	IF release_holds IS NULL THEN
		RAISE EXCEPTION 'release_holds must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT e.oid INTO ext FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_privacy';

	-- the token columns: card_token columns of tables (converted to text),
	-- and the columns classified with a token format (detokenized with
	-- tokens => 'detokenize'), each table that stores rows once
	IF pg_catalog.to_regclass('pg_temp._privacy_uninstall_col') IS NOT NULL THEN
		DROP TABLE pg_temp._privacy_uninstall_col;
	END IF;
	CREATE TEMPORARY TABLE pg_temp._privacy_uninstall_col (
		relid regclass, attname name, format text, alter_type boolean, store boolean) ON COMMIT DROP;
	INSERT INTO pg_temp._privacy_uninstall_col
	SELECT a.attrelid::regclass, a.attname, 'card', a.attinhcount OPERATOR(pg_catalog.=) 0,
	       c.relkind OPERATOR(pg_catalog.=) 'r'
	FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
	WHERE a.atttypid OPERATOR(pg_catalog.=) card AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
	  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::"char"[])
	  AND c.relnamespace OPERATOR(pg_catalog.<>) 'privacy'::pg_catalog.regnamespace;
	INSERT INTO pg_temp._privacy_uninstall_col
	SELECT DISTINCT m.f, k.column_name, k.token_format, false, true
	FROM privacy._classification k, LATERAL privacy._family(k.relid) AS m(f)
	JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) m.f::oid
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
	WHERE k.token_format IS NOT NULL AND c.relkind OPERATOR(pg_catalog.=) 'r'
	  AND a.attname OPERATOR(pg_catalog.=) k.column_name AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
	  AND a.atttypid OPERATOR(pg_catalog.<>) card
	  AND NOT EXISTS (SELECT FROM pg_temp._privacy_uninstall_col u
	                  WHERE u.relid OPERATOR(pg_catalog.=) m.f AND u.attname OPERATOR(pg_catalog.=) k.column_name);

	-- 1. refusals, before anything changes
	IF tokens OPERATOR(pg_catalog.=) 'refuse' AND EXISTS (SELECT FROM pg_temp._privacy_uninstall_col) THEN
		SELECT pg_catalog.string_agg(pg_catalog.format('%s.%I', u.relid, u.attname), ', ' ORDER BY u.relid::text, u.attname)
		INTO STRICT r FROM (SELECT DISTINCT relid, attname FROM pg_temp._privacy_uninstall_col) u;
		RAISE EXCEPTION 'token columns remain'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = pg_catalog.format('Columns holding tokens: %s. Their keys are dropped with the extension.', r.string_agg),
			      HINT = 'Choose privacy.uninstall(tokens => ''detokenize'') to store the plaintext back, or tokens => ''text'' to keep the tokens as text.';
	END IF;
	IF NOT release_holds AND EXISTS (SELECT FROM privacy._legal_hold h WHERE h.released_at IS NULL) THEN
		RAISE EXCEPTION 'active legal holds remain'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = pg_catalog.format('%s legal holds are active; without pg_privacy nothing keeps their rows from being deleted.',
			                                 (SELECT pg_catalog.count(*) FROM privacy._legal_hold h WHERE h.released_at IS NULL)),
			      HINT = 'Release them with privacy.uninstall(release_holds => true), after making sure the rows are kept by other means.';
	END IF;
	-- the tokens are read (cast to text) with the caller's rights: only
	-- built-in types, whose casts no role can redefine (a type's owner could
	-- attach a cast to text that runs its own code), as for retokenize
	SELECT pg_catalog.string_agg(pg_catalog.format('%s.%I (%s)', u.relid, u.attname, a.atttypid::regtype), ', '
	                             ORDER BY u.relid::text, u.attname)
	INTO r
	FROM pg_temp._privacy_uninstall_col u
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid AND a.attname OPERATOR(pg_catalog.=) u.attname
	WHERE tokens OPERATOR(pg_catalog.=) 'detokenize' AND a.atttypid OPERATOR(pg_catalog.>=) 16384
	  AND a.atttypid OPERATOR(pg_catalog.<>) card;
	IF r.string_agg IS NOT NULL THEN
		RAISE EXCEPTION 'token columns of types that are not built-in cannot be detokenized'
			USING ERRCODE = 'feature_not_supported',
			      DETAIL = pg_catalog.format('Columns: %s.', r.string_agg),
			      HINT = 'Have the owner change them to text first, or choose tokens => ''text''.';
	END IF;
	-- detokenizing puts plaintext where the table's owner (and whoever it
	-- lets read the table) reads it: only into tables whose owner may
	-- detokenize the format already. Otherwise a role that copied tokens
	-- into a table of its own would get their plaintext.
	IF tokens OPERATOR(pg_catalog.=) 'detokenize' THEN
		SELECT pg_catalog.string_agg(pg_catalog.format('%s.%I (owner %s, format %s)', u.relid, u.attname,
		                                               c.relowner::regrole::text, u.format), ', ' ORDER BY u.relid::text, u.attname)
		INTO r
		FROM pg_temp._privacy_uninstall_col u JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) u.relid::oid
		WHERE u.store
		  AND NOT (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) c.relowner)
		  AND NOT EXISTS (SELECT FROM privacy._detokenize_grant g
		                  WHERE g.format OPERATOR(pg_catalog.=) u.format
		                    AND pg_catalog.pg_has_role(c.relowner, g.role::oid, 'USAGE'));
		IF r.string_agg IS NOT NULL THEN
			RAISE EXCEPTION 'the owners of some token columns may not detokenize them'
				USING ERRCODE = 'insufficient_privilege',
				      DETAIL = pg_catalog.format('Columns: %s.', r.string_agg),
				      HINT = 'Grant the owner the format with privacy.grant_detokenize(owner, format) first, or choose tokens => ''text''.';
		END IF;
	END IF;
	-- changing a column's type re-validates the CHECK constraints that use
	-- it as the role running ALTER TABLE (here: a superuser); the table
	-- owner's constraints must not run with superuser rights
	SELECT pg_catalog.string_agg(pg_catalog.format('%I on %s', k.conname, u.relid), ', ' ORDER BY u.relid::text, k.conname)
	INTO r
	FROM pg_temp._privacy_uninstall_col u
	JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid AND a.attname OPERATOR(pg_catalog.=) u.attname
	JOIN pg_catalog.pg_constraint k ON k.conrelid OPERATOR(pg_catalog.=) a.attrelid
	WHERE tokens OPERATOR(pg_catalog.<>) 'refuse' AND a.atttypid OPERATOR(pg_catalog.=) card
	  AND k.contype OPERATOR(pg_catalog.=) 'c' AND k.convalidated
	  AND a.attnum OPERATOR(pg_catalog.=) ANY (k.conkey);
	IF r.string_agg IS NOT NULL THEN
		RAISE EXCEPTION 'card_token columns are used by check constraints'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = pg_catalog.format('Constraints: %s. Changing the column type would evaluate them with superuser rights.', r.string_agg),
			      HINT = 'Have the table''s owner drop them before privacy.uninstall() and add them again afterwards.';
	END IF;
	-- objects of the database that use the extension and that uninstall does
	-- not remove (views, functions, defaults, columns of other relations...)
	-- would make DROP EXTENSION fail: named here, nothing changed
	WITH members(classid, objid) AS (
		SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
		WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
		  AND d.refobjid OPERATOR(pg_catalog.=) ext AND d.deptype OPERATOR(pg_catalog.=) 'e'
		UNION ALL
		SELECT 'pg_catalog.pg_type'::regclass::oid, t.oid FROM pg_catalog.pg_type t WHERE t.typelem OPERATOR(pg_catalog.=) card
	), dependents AS (
		SELECT DISTINCT d.classid, d.objid, d.objsubid
		FROM pg_catalog.pg_depend d JOIN members m ON d.refclassid OPERATOR(pg_catalog.=) m.classid
		                                           AND d.refobjid OPERATOR(pg_catalog.=) m.objid
		WHERE d.deptype OPERATOR(pg_catalog.=) 'n'
		  AND NOT EXISTS (SELECT FROM members x WHERE x.classid OPERATOR(pg_catalog.=) d.classid
		                                          AND x.objid OPERATOR(pg_catalog.=) d.objid)
		  -- objects that go with the extension itself (the stored policy
		  -- expressions of schema privacy_expr)
		  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend p
		                  WHERE p.classid OPERATOR(pg_catalog.=) d.classid AND p.objid OPERATOR(pg_catalog.=) d.objid
		                    AND p.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
		                    AND p.refobjid OPERATOR(pg_catalog.=) ext
		                    AND p.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'e']::"char"[]))
		  -- parts of the extension's own objects (triggers, indexes, defaults)
		  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend p JOIN members x
		                  ON p.refclassid OPERATOR(pg_catalog.=) x.classid AND p.refobjid OPERATOR(pg_catalog.=) x.objid
		                  WHERE p.classid OPERATOR(pg_catalog.=) d.classid AND p.objid OPERATOR(pg_catalog.=) d.objid
		                    AND p.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::"char"[]))
	)
	SELECT pg_catalog.string_agg(x.what, ', ' ORDER BY x.what) INTO r
	FROM (SELECT DISTINCT CASE WHEN d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
	                           THEN (SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, w.ev_class, 0)
	                                 FROM pg_catalog.pg_rewrite w WHERE w.oid OPERATOR(pg_catalog.=) d.objid)
	                           ELSE pg_catalog.pg_describe_object(d.classid, d.objid, 0) END AS what
	      FROM dependents d
	      WHERE NOT (
	        -- the guard and hold triggers: removed below
	        (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_trigger'::regclass
	         AND EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.oid OPERATOR(pg_catalog.=) d.objid
	                     AND t.tgfoid OPERATOR(pg_catalog.=) ANY (ARRAY['privacy._writeback_guard()'::regprocedure,
	                                                                  'privacy._hold_guard()'::regprocedure]::oid[])))
	        -- card_token columns of tables and their indexes: converted below
	        OR (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass AND tokens OPERATOR(pg_catalog.<>) 'refuse'
	            AND (EXISTS (SELECT FROM pg_temp._privacy_uninstall_col u JOIN pg_catalog.pg_attribute a
	                         ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid AND a.attname OPERATOR(pg_catalog.=) u.attname
	                         WHERE u.format OPERATOR(pg_catalog.=) 'card' AND a.attrelid OPERATOR(pg_catalog.=) d.objid
	                           AND a.attnum OPERATOR(pg_catalog.=) d.objsubid)
	                 OR EXISTS (SELECT FROM pg_catalog.pg_index i JOIN pg_temp._privacy_uninstall_col u
	                            ON u.relid::oid OPERATOR(pg_catalog.=) i.indrelid AND u.format OPERATOR(pg_catalog.=) 'card'
	                            WHERE i.indexrelid OPERATOR(pg_catalog.=) d.objid)))
	        -- with tokens => 'refuse' there are no card_token columns (refused above)
	      )) x;
	IF r.string_agg IS NOT NULL THEN
		RAISE EXCEPTION 'objects outside the extension use it'
			USING ERRCODE = 'dependent_objects_still_exist',
			      DETAIL = pg_catalog.format('Objects: %s.', r.string_agg),
			      HINT = 'Drop or change them first (privacy.uninstall() removes only what pg_privacy added); nothing was changed.';
	END IF;

	-- 2. recorded before the first change (the audit log goes with the
	-- extension: the server log keeps the LOG line)
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, new_definition)
	VALUES (now(), privacy._outer_user(), session_user, 'uninstall', 'extension pg_privacy',
	        pg_catalog.jsonb_build_object('tokens', tokens, 'release_holds', release_holds)::text);
	RAISE LOG 'pg_privacy: uninstall started by role "%" in database "%" (tokens => %, release_holds => %)',
		privacy._outer_user(), pg_catalog.current_database(), tokens, release_holds;

	-- 3. row security the table's owner relies on stays: where the table has
	-- row-security policies of its own, ENABLE and FORCE are kept
	FOR r IN SELECT g.relid FROM privacy._governed_table g
	         WHERE (g.rls_enabled_by_privacy OR g.force_rls_by_privacy)
	           AND EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) g.relid::oid)
	         ORDER BY g.relid::text LOOP
		UPDATE privacy._governed_table g SET rls_enabled_by_privacy = false, force_rls_by_privacy = false
		WHERE g.relid OPERATOR(pg_catalog.=) r.relid;
		kept := kept OPERATOR(pg_catalog.||) r.relid::text;
		RAISE NOTICE 'row level security of % stays enabled: the table has row-security policies of its own', r.relid;
	END LOOP;

	-- 4. policies, through the API (each removal audited)
	FOR r IN SELECT h.id FROM privacy._legal_hold h WHERE h.released_at IS NULL ORDER BY h.id LOOP
		PERFORM privacy.release_hold(r.id);
	END LOOP;
	FOR r IN SELECT p.relid FROM privacy._retention_policy p ORDER BY p.relid::text LOOP
		PERFORM privacy.drop_retention(r.relid);
	END LOOP;
	FOR r IN SELECT p.relid, p.name FROM privacy._row_policy p ORDER BY p.relid::text, p.name LOOP
		PERFORM privacy.drop_row_policy(r.relid, r.name);
	END LOOP;
	FOR r IN SELECT p.relid, p.column_name FROM privacy._column_policy p ORDER BY p.relid::text, p.column_name LOOP
		PERFORM privacy.unmask_column(r.relid, r.column_name);
	END LOOP;
	-- what is left of pg_privacy on tables (a family member left behind, a
	-- trigger of an older version): undone the same way
	FOR r IN SELECT g.relid, g.rls_enabled_by_privacy, g.force_rls_by_privacy FROM privacy._governed_table g
	         ORDER BY g.relid::text LOOP
		IF r.force_rls_by_privacy THEN
			EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', r.relid);
		END IF;
		IF r.rls_enabled_by_privacy THEN
			EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', r.relid);
		END IF;
		DELETE FROM privacy._governed_table g WHERE g.relid OPERATOR(pg_catalog.=) r.relid;
	END LOOP;
	PERFORM privacy._hold_maintenance(true);
	FOR r IN SELECT t.tgname, t.tgrelid::regclass AS tbl FROM pg_catalog.pg_trigger t
	         JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
	         WHERE t.tgfoid OPERATOR(pg_catalog.=) ANY (ARRAY['privacy._writeback_guard()'::regprocedure,
	                                                         'privacy._hold_guard()'::regprocedure]::oid[])
	           AND c.relnamespace OPERATOR(pg_catalog.<>) 'privacy'::pg_catalog.regnamespace
	         ORDER BY 2, 1 LOOP
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', r.tgname, r.tbl);
	END LOOP;
	PERFORM privacy._hold_maintenance(false);
	FOR r IN SELECT e.evtname FROM pg_catalog.pg_event_trigger e
	         JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
	                                    AND d.objid OPERATOR(pg_catalog.=) e.evtfoid
	         WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass
	           AND d.refobjid OPERATOR(pg_catalog.=) ext AND d.deptype OPERATOR(pg_catalog.=) 'e'
	           AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend x
	                           WHERE x.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_event_trigger'::regclass
	                             AND x.objid OPERATOR(pg_catalog.=) e.oid AND x.deptype OPERATOR(pg_catalog.=) 'e')
	         ORDER BY 1 LOOP
		EXECUTE pg_catalog.format('DROP EVENT TRIGGER %I', r.evtname);
	END LOOP;

	-- 5. token columns. card_token becomes text (a binary-compatible change:
	-- no rewrite; indexes are rebuilt as their owner, by PostgreSQL); with
	-- tokens => 'detokenize' the plaintext of every token is then written
	-- back by an UPDATE run as the table's owner (restricted, its triggers
	-- with its rights), each row exactly once (the rows are listed first)
	IF tokens OPERATOR(pg_catalog.<>) 'refuse' THEN
		FOR r IN SELECT u.relid, u.attname FROM pg_temp._privacy_uninstall_col u
		         WHERE u.format OPERATOR(pg_catalog.=) 'card' AND u.alter_type ORDER BY u.relid::text, u.attname LOOP
			EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I TYPE text', r.relid, r.attname);
			converted := converted OPERATOR(pg_catalog.+) 1;
		END LOOP;
	END IF;
	IF tokens OPERATOR(pg_catalog.=) 'detokenize' THEN
		FOR r IN SELECT u.relid, u.attname, u.format,
		                pg_catalog.format_type(a.atttypid, a.atttypmod) AS coltype
		         FROM pg_temp._privacy_uninstall_col u
		         JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) u.relid::oid
		                                       AND a.attname OPERATOR(pg_catalog.=) u.attname
		         WHERE u.store ORDER BY u.relid::text, u.attname LOOP
			EXECUTE pg_catalog.format('LOCK TABLE ONLY %s IN EXCLUSIVE MODE', r.relid);
			EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid ORDER BY ctid) FROM ONLY %s WHERE %I IS NOT NULL',
			                          r.relid, r.attname) INTO ids;
			CONTINUE WHEN ids IS NULL;
			FOR i IN 0 .. (pg_catalog.array_length(ids, 1) OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 10000 LOOP
				chunk := ids[i OPERATOR(pg_catalog.*) 10000 OPERATOR(pg_catalog.+) 1 : (i OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.*) 10000];
				EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(ctid), pg_catalog.array_agg(%1$I::text), '
				                          'pg_catalog.array_agg(privacy.detokenize(%1$I::text, $2)) '
				                          'FROM ONLY %2$s WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)', r.attname, r.relid)
					INTO chunk, olds, news USING chunk, r.format;
				n := privacy._exec_as_owner(r.relid, pg_catalog.format('UPDATE ONLY %1$s t SET %2$I = v.new::%3$s '
				               'FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.tid[]), pg_catalog.unnest($2::text[]), '
				               'pg_catalog.unnest($3::text[])) AS v(id, old, new) '
				               'WHERE t.ctid OPERATOR(pg_catalog.=) v.id AND t.%2$I::text OPERATOR(pg_catalog.=) v.old',
				               r.relid, r.attname, r.coltype), chunk, olds, news);
				detokenized := detokenized OPERATOR(pg_catalog.+) n;
			END LOOP;
		END LOOP;
	END IF;

	-- the detokenizations above are recorded by the audit writer, in its
	-- own transactions, from the queue: wait until they are in the log, so
	-- that none is lost with it and DROP EXTENSION does not meet the writer
	IF detokenized OPERATOR(pg_catalog.>) 0 AND NOT privacy.audit_wait('30 seconds') THEN
		RAISE WARNING 'some detokenizations are not in privacy.audit_log yet'
			USING HINT = 'Run SELECT privacy.audit_wait(); before DROP EXTENSION pg_privacy.';
	END IF;
	report := pg_catalog.jsonb_build_object('tokens', tokens, 'card_columns_converted', converted,
	                                        'values_detokenized', detokenized, 'row_security_kept', kept);
	INSERT INTO privacy.audit_log (logged_at, role_name, session_role, action, object, new_definition)
	VALUES (now(), privacy._outer_user(), session_user, 'uninstalled', 'extension pg_privacy', report::text);
	RAISE LOG 'pg_privacy: uninstalled by role "%" in database "%": %', privacy._outer_user(),
		pg_catalog.current_database(), report::text;
	RETURN report;
END
$$;
COMMENT ON FUNCTION privacy.uninstall(text, boolean) IS
'removes every policy, legal hold, trigger and row-security setting pg_privacy added and converts card_token columns (tokens => detokenize | text | refuse), so that DROP EXTENSION pg_privacy succeeds (superuser only)';
GRANT EXECUTE ON FUNCTION privacy.uninstall(text, boolean) TO PUBLIC;
