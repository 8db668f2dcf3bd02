-- labels.sql: the label audit. Every function in schema privacy must carry
-- exactly the volatility, STRICT, PARALLEL, LEAKPROOF, SECURITY DEFINER and
-- configuration decided for it (STYLE.md §3.2), and every one has a comment.
-- Adding a function means adding its row here.
BEGIN;
SELECT plan(3);

SELECT is(
	(SELECT string_agg(format('%s %s %s %s %s %s %s', p.oid::regprocedure, p.provolatile,
	         CASE WHEN p.proisstrict THEN 'strict' ELSE 'called_on_null' END, p.proparallel,
	         CASE WHEN p.proleakproof THEN 'leakproof' ELSE '-' END,
	         CASE WHEN p.prosecdef THEN 'definer' ELSE 'invoker' END,
	         coalesce(array_to_string(p.proconfig, ','), '-')), E'\n' ORDER BY p.oid::regprocedure::text COLLATE "C")
	 FROM pg_proc p WHERE p.pronamespace = 'privacy'::regnamespace),
	concat_ws(E'\n',
		'privacy._action_sql(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._analyze_hold_condition(regclass,text) s strict s - invoker -',
		'privacy._boundary_live_objects() v strict s - invoker -',
		'privacy._boundary_pg_error(text) v strict s - invoker -',
		'privacy._boundary_throw(text) v strict s - invoker -',
		'privacy._check_policy_admin(text) s called_on_null s - invoker -',
		'privacy._choose_method(regclass,timestamp with time zone) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._expired_rows(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._family(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._govern_family(regclass) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._hold_predicate(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._invalidate_policies(regclass) v called_on_null u - invoker -',
		'privacy._is_governed(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._partition_bound(regclass,text) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._purge_detach_failed(bigint) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._purge_finish(bigint,text,text) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._purge_start(regclass,text) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._purge_step(bigint,boolean) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._recover_partition(regclass,oid,text,text) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._release_row_security(regclass) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._retention_lock_key(integer,regclass) i strict s - invoker search_path=pg_catalog, pg_temp',
		'privacy._store_column_policy(regclass,name,text,text) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy._time_column_type_ok(regclass,name) s strict s - invoker search_path=pg_catalog, pg_temp',
		'privacy.anonymize_database() v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.anonymize_table(regclass) v strict u - invoker -',
		'privacy.drop_retention(regclass) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.grant_unmasked(regrole,regclass,name) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.mask_column(regclass,name,text) v called_on_null u - invoker -',
		'privacy.place_hold(regclass,text,text) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.purge_now(regclass) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.redact(text) i strict s leakproof invoker -',
		'privacy.release_hold(bigint) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.revoke_unmasked(regrole,regclass,name) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.set_retention(regclass,name,interval,text,name[],integer,integer) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.unmask_column(regclass,name) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.version() s strict s - invoker -'
	),
	'every privacy function has its decided labels'
);

SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_proc p
	  WHERE p.pronamespace = 'privacy'::regnamespace
	    AND obj_description(p.oid, 'pg_proc') IS NULL$$,
	'every privacy function has a comment'
);

SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_proc p
	  WHERE p.pronamespace = 'privacy'::regnamespace AND p.prosecdef
	    AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
	'every SECURITY DEFINER function pins search_path'
);

SELECT * FROM finish();
ROLLBACK;
