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
	array_to_string(ARRAY[
		'privacy._audit_policy_change() v called_on_null u - invoker -',
		'privacy._boundary_live_objects() v strict s - invoker -',
		'privacy._boundary_pg_error(text) v strict s - invoker -',
		'privacy._boundary_throw(text) v strict s - invoker -',
		'privacy._canonical_row_filter(regclass,text) s called_on_null s - invoker -',
		'privacy._check_policy_admin(text,regclass) s called_on_null s - invoker -',
		'privacy._check_row_policy_target(regclass) s called_on_null s - invoker -',
		'privacy._consent_allows(regclass,text,text) s called_on_null s - invoker -',
		'privacy._consent_changed() v called_on_null u - invoker -',
		'privacy._family(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._force_family(regclass) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy._govern_family(regclass) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy._init_masking_secret() v strict u - invoker -',
		'privacy._invalidate_keys() v called_on_null u - invoker -',
		'privacy._invalidate_policies(regclass) v called_on_null u - invoker -',
		'privacy._is_governed(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._lineage(regclass) s called_on_null s - invoker search_path=pg_catalog, pg_temp',
		'privacy._masking_secret_trigger() v called_on_null u - invoker -',
		'privacy._outer_user() s called_on_null s - invoker -',
		'privacy._release_row_security(regclass) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy._retokenize_value(text,text) v strict u - invoker -',
		'privacy._row_exempt(regclass) s strict s - invoker -',
		'privacy._store_column_policy(regclass,name,text,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy._store_row_filter(regclass,text,text,text,regrole[]) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy._token_key_version(text,text) s strict s - invoker -',
		'privacy._unforce_family(regclass) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.add_row_filter(regclass,text,text,regrole[]) v called_on_null u - invoker -',
		'privacy.allow_purpose(regrole,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.anonymize_database() v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.anonymize_table(regclass) v strict u - invoker -',
		'privacy.card_token_cmp(privacy.card_token,privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_eq(privacy.card_token,privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_ge(privacy.card_token,privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_gt(privacy.card_token,privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_hash(privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_hash_extended(privacy.card_token,bigint) i strict s leakproof invoker -',
		'privacy.card_token_in(cstring) i strict s - invoker -',
		'privacy.card_token_le(privacy.card_token,privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_lt(privacy.card_token,privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_ne(privacy.card_token,privacy.card_token) i strict s leakproof invoker -',
		'privacy.card_token_out(privacy.card_token) i strict s - invoker -',
		'privacy.card_token_recv(internal) i strict s - invoker -',
		'privacy.card_token_send(privacy.card_token) i strict s - invoker -',
		'privacy.create_key(text) v called_on_null u - invoker -',
		'privacy.create_purpose(text,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.create_token_format(text,text,text,text,integer,integer) v called_on_null u - invoker -',
		'privacy.detokenize(text,text) v strict u - invoker -',
		'privacy.disallow_purpose(regrole,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.drop_key(text) v called_on_null u - invoker -',
		'privacy.drop_row_policy(regclass,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.drop_token_format(text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.fake_card(text) s strict s - invoker -',
		'privacy.fake_city(text,text) s strict s - invoker -',
		'privacy.fake_company(text,text) s strict s - invoker -',
		'privacy.fake_email(text,text) s strict s - invoker -',
		'privacy.fake_first_name(text,text) s strict s - invoker -',
		'privacy.fake_full_name(text,text) s strict s - invoker -',
		'privacy.fake_iban(text,text) s strict s - invoker -',
		'privacy.fake_last_name(text,text) s strict s - invoker -',
		'privacy.fake_phone(text,text) s strict s - invoker -',
		'privacy.fake_street_address(text,text) s strict s - invoker -',
		'privacy.fpe_decrypt(text,text,text,bytea,text,integer) s strict s - invoker -',
		'privacy.fpe_encrypt(text,text,text,bytea,text,integer) s strict s - invoker -',
		'privacy.generalize(bigint,bigint) i strict s - invoker -',
		'privacy.generalize(date,text) i strict s - invoker -',
		'privacy.generalize(integer,integer) i strict s - invoker -',
		'privacy.generalize(numeric,numeric) i strict s - invoker -',
		'privacy.generalize(timestamp with time zone,text) i strict s - invoker -',
		'privacy.grant_consent(text,text,timestamp with time zone) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.grant_detokenize(regrole,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.grant_unmasked(regrole,regclass,name) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.import_key(text,bytea) v called_on_null u - invoker -',
		'privacy.mask_card(text) i strict s leakproof invoker -',
		'privacy.mask_card(text,integer) i strict s - invoker -',
		'privacy.mask_column(regclass,name,text) v called_on_null u - invoker -',
		'privacy.mask_email(text) i strict s leakproof invoker -',
		'privacy.mask_iban(text) i strict s leakproof invoker -',
		'privacy.mask_ip(inet) i strict s leakproof invoker -',
		'privacy.mask_ip(inet,integer,integer) i strict s - invoker -',
		'privacy.mask_phone(text) i strict s leakproof invoker -',
		'privacy.noise(bigint,double precision) s strict s - invoker -',
		'privacy.noise(double precision,double precision) s strict s - invoker -',
		'privacy.noise(integer,double precision) s strict s - invoker -',
		'privacy.noise(numeric,double precision) s strict s - invoker -',
		'privacy.partial(text,integer,text,integer) i strict s - invoker -',
		'privacy.pseudonym(text,text) s strict s - invoker -',
		'privacy.redact(text) i strict s leakproof invoker -',
		'privacy.require_consent(regclass,name,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.retokenize(regclass,name,text,integer) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.revoke_consent(text,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.revoke_detokenize(regrole,text) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.revoke_unmasked(regrole,regclass,name) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.rotate_key(text) v called_on_null u - invoker -',
		'privacy.rotate_masking_secret() v strict u - invoker -',
		'privacy.setup_roles(name,name) v called_on_null u - invoker search_path=pg_catalog, pg_temp',
		'privacy.shift_date(date,integer) s strict s - invoker -',
		'privacy.shift_date(timestamp with time zone,integer) s strict s - invoker -',
		'privacy.tokenize(text,text) s strict s - invoker -',
		'privacy.unmask_column(regclass,name) v called_on_null u - definer search_path=pg_catalog, pg_temp',
		'privacy.version() s strict s - invoker -'
	], E'\n'),
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
