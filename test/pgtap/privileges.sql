-- privileges.sql: what an ordinary role may and may not call, and the
-- schema's security preamble.
BEGIN;
SELECT plan(13);

CREATE ROLE tap_ordinary;

SELECT ok(NOT has_schema_privilege('public', 'privacy', 'CREATE'), 'PUBLIC cannot create objects in schema privacy');
SELECT ok(has_schema_privilege('tap_ordinary', 'privacy', 'USAGE'), 'PUBLIC may use schema privacy');
SELECT ok(has_function_privilege('tap_ordinary', 'privacy.version()', 'EXECUTE'), 'version() is public');
SELECT ok(has_function_privilege('tap_ordinary', 'privacy.redact(text)', 'EXECUTE'), 'redact() is public');
SELECT ok(NOT has_function_privilege('tap_ordinary', 'privacy._boundary_throw(text)', 'EXECUTE'),
	'test probes are not executable by PUBLIC');

SET LOCAL ROLE tap_ordinary;
SELECT throws_ok($$SELECT privacy._boundary_live_objects()$$, '42501', NULL,
	'an ordinary role calling a test probe gets 42501');
SELECT is(privacy.redact('x'), '[REDACTED]', 'an ordinary role can redact');
-- keyed masks are no oracle (issue 13): an ordinary role cannot compute
-- pseudonym('guess'), neither directly nor through the policy-only entry point
SELECT throws_ok($$SELECT privacy.pseudonym('guess')$$, '42501', NULL,
	'an ordinary role cannot call a keyed mask');
SELECT throws_ok($$SELECT privacy._mask_pseudonym('guess')$$, '42501', 'this function can only be called by a masking policy',
	'an ordinary role cannot call the policy-only entry point of a keyed mask');
RESET ROLE;
SELECT ok(NOT has_function_privilege('tap_ordinary', 'privacy.noise(bigint,double precision)', 'EXECUTE')
	AND NOT has_function_privilege('tap_ordinary', 'privacy.shift_date(date,integer)', 'EXECUTE')
	AND NOT has_function_privilege('tap_ordinary', 'privacy.fake_email(text,text)', 'EXECUTE'),
	'keyed masks are not executable by PUBLIC');
GRANT EXECUTE ON FUNCTION privacy.pseudonym(text, text) TO tap_ordinary;
SET LOCAL ROLE tap_ordinary;
SELECT is(length(privacy.pseudonym('guess')), 26, 'a role granted EXECUTE calls a keyed mask');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION privacy.pseudonym(text, text) FROM tap_ordinary;

-- the inventory of what PUBLIC may execute and read: anything new must be
-- granted on purpose (PostgreSQL grants EXECUTE to PUBLIC by default, so
-- every internal or administrative function has to be revoked explicitly)
SELECT is(
	(SELECT string_agg(f, E'\n' ORDER BY f COLLATE "C") FROM (
		SELECT p.oid::regprocedure::text AS f FROM pg_proc p
		WHERE p.pronamespace = 'privacy'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')) s),
	array_to_string(ARRAY[
		'privacy._check_policy_admin(text,regclass)',
		'privacy._citus_present()',
		'privacy._citus_purpose(text,text,bigint)',
		'privacy._consent_allows(regclass,text,text)',
		'privacy._consent_allows_carried(regclass,text,text,text)',
		'privacy._current_expression(regprocedure,text)',
		'privacy._export_rows(regclass,tid[],text,text[],text[])',
		'privacy._forget_format_versions(text)',
		'privacy._mask_fake_card(text)',
		'privacy._mask_fake_city(text,text)',
		'privacy._mask_fake_company(text,text)',
		'privacy._mask_fake_email(text,text)',
		'privacy._mask_fake_first_name(text,text)',
		'privacy._mask_fake_full_name(text,text)',
		'privacy._mask_fake_iban(text,text)',
		'privacy._mask_fake_last_name(text,text)',
		'privacy._mask_fake_phone(text,text)',
		'privacy._mask_fake_street_address(text,text)',
		'privacy._mask_noise(bigint,double precision)',
		'privacy._mask_noise(double precision,double precision)',
		'privacy._mask_noise(integer,double precision)',
		'privacy._mask_noise(numeric,double precision)',
		'privacy._mask_noise(smallint,double precision)',
		'privacy._mask_pseudonym(text,text)',
		'privacy._mask_shift_date(date,integer)',
		'privacy._mask_shift_date(timestamp with time zone,integer)',
		'privacy._mask_shift_date(timestamp without time zone,integer)',
		'privacy._may_detokenize(text)',
		'privacy._outer_user()',
		'privacy._retokenize_in_place(text,text,bigint)',
		'privacy._retokenize_needed(text,text,bigint)',
		'privacy._row_exempt(regclass)',
		'privacy._set_format_version(text,integer)',
		'privacy._stored_expression(regprocedure,boolean)',
		'privacy._subject_export_plan(text)',
		'privacy.add_row_filter(regclass,text,text,regrole[])',
		'privacy.allow_purpose(regrole,text)',
		'privacy.anonymize_database()',
		'privacy.anonymize_table(regclass)',
		'privacy.audit_wait(interval)',
		'privacy.bind_category(text,text)',
		'privacy.card_token_cmp(privacy.card_token,privacy.card_token)',
		'privacy.card_token_eq(privacy.card_token,privacy.card_token)',
		'privacy.card_token_ge(privacy.card_token,privacy.card_token)',
		'privacy.card_token_gt(privacy.card_token,privacy.card_token)',
		'privacy.card_token_hash(privacy.card_token)',
		'privacy.card_token_hash_extended(privacy.card_token,bigint)',
		'privacy.card_token_in(cstring)',
		'privacy.card_token_le(privacy.card_token,privacy.card_token)',
		'privacy.card_token_lt(privacy.card_token,privacy.card_token)',
		'privacy.card_token_ne(privacy.card_token,privacy.card_token)',
		'privacy.card_token_out(privacy.card_token)',
		'privacy.card_token_recv(internal)',
		'privacy.card_token_send(privacy.card_token)',
		'privacy.classify(regclass,name,text,text)',
		'privacy.create_key(text)',
		'privacy.create_purpose(text,text)',
		'privacy.create_token_format(text,text,text,text,integer,integer)',
		'privacy.detokenize(text,text)',
		'privacy.detokenize(text,text,integer)',
		'privacy.disallow_purpose(regrole,text)',
		'privacy.discover(name,integer)',
		'privacy.drop_key(text,boolean)',
		'privacy.drop_key_version(text,integer,boolean)',
		'privacy.drop_retention(regclass)',
		'privacy.drop_row_policy(regclass,text)',
		'privacy.drop_token_format(text)',
		'privacy.erase_subject(text,text)',
		'privacy.export_subject(text)',
		'privacy.generalize(bigint,bigint)',
		'privacy.generalize(date,text)',
		'privacy.generalize(integer,integer)',
		'privacy.generalize(numeric,numeric)',
		'privacy.generalize(timestamp with time zone,text)',
		'privacy.grant_consent(text,text,timestamp with time zone)',
		'privacy.grant_consent(text[],text,timestamp with time zone)',
		'privacy.grant_detokenize(regrole,text)',
		'privacy.grant_unmasked(regrole,regclass,name)',
		'privacy.grant_unmasked_category(regrole,text)',
		'privacy.hide_expired(regclass)',
		'privacy.import_key(text,bytea,text,text)',
		'privacy.mark_not_personal(regclass,name)',
		'privacy.mask_card(text)',
		'privacy.mask_card(text,integer)',
		'privacy.mask_column(regclass,name,text)',
		'privacy.mask_email(text)',
		'privacy.mask_iban(text)',
		'privacy.mask_ip(inet)',
		'privacy.mask_ip(inet,integer,integer)',
		'privacy.mask_phone(text)',
		'privacy.partial(text,integer,text,integer)',
		'privacy.place_hold(regclass,text,text)',
		'privacy.purge_now(regclass)',
		'privacy.redact(text)',
		'privacy.register_subject(regclass,name,regclass)',
		'privacy.release_hold(bigint)',
		'privacy.require_consent(regclass,name,text)',
		'privacy.retokenize(regclass,name,text,integer)',
		'privacy.revoke_consent(text,text)',
		'privacy.revoke_consent(text[],text)',
		'privacy.revoke_detokenize(regrole,text)',
		'privacy.revoke_unmasked(regrole,regclass,name)',
		'privacy.revoke_unmasked_category(regrole,text)',
		'privacy.rewrap_keys()',
		'privacy.rotate_key(text)',
		'privacy.rotate_masking_secret()',
		'privacy.set_default_deny(regclass,boolean)',
		'privacy.set_retention(regclass,name,interval,text,name[],integer,integer)',
		'privacy.setup_roles(name,name)',
		'privacy.unbind_category(text)',
		'privacy.unclassify(regclass,name)',
		'privacy.uninstall(text,boolean)',
		'privacy.unmark_not_personal(regclass,name)',
		'privacy.unmask_column(regclass,name)',
		'privacy.unregister_subject(regclass)',
		'privacy.version()'
	], E'\n'),
	'PUBLIC may execute exactly the public API (administrative functions check their caller themselves) and the helpers policies call'
);
SELECT is(
	(SELECT string_agg(c.oid::regclass::text, ',' ORDER BY c.relname COLLATE "C") FROM pg_class c
	 WHERE c.relnamespace = 'privacy'::regnamespace AND has_table_privilege('public', c.oid, 'SELECT')),
	'privacy.keys,privacy.token_formats',
	'PUBLIC may read only key and token-format metadata'
);

SELECT * FROM finish();
ROLLBACK;
