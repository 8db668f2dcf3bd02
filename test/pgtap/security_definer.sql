-- security_definer.sql: every SECURITY DEFINER function of the extension is
-- either not executable by PUBLIC (an internal helper, reached only from
-- pg_privacy's own code) or checks its caller and validates its inputs.
-- The list below is pinned: a new SECURITY DEFINER function fails the first
-- test until it is listed here with its classification, a refused call by a
-- role with no privileges (42501; _may_detokenize only reports on the
-- caller and answers false) and a call by an administrator with invalid
-- input (which must fail with the SQLSTATE pinned here, not succeed).
BEGIN;
SELECT plan(6);

SET LOCAL privacy.admin_role = 'sd_privacy_admin';
SET LOCAL privacy.auditor_role = 'sd_privacy_auditor';
SELECT privacy.setup_roles('sd_privacy_admin', 'sd_privacy_auditor');
CREATE ROLE sd_admin IN ROLE sd_privacy_admin;
CREATE ROLE sd_nobody;
CREATE SCHEMA sd;
GRANT USAGE ON SCHEMA sd TO PUBLIC;
CREATE TABLE sd.t (id int PRIMARY KEY, created timestamptz, email text, card text);
CREATE ROLE sd_owner;
ALTER TABLE sd.t OWNER TO sd_owner;

-- sig, public (executable by PUBLIC), the call a role with no privileges
-- makes, the call an administrator makes with invalid input, its SQLSTATE
CREATE TEMP TABLE secdef (sig text, public boolean, unprivileged text, invalid text, invalid_state text);
INSERT INTO secdef VALUES
	('privacy._citus_autosync()', false, $$SELECT privacy._citus_autosync()$$, NULL, NULL),
	('privacy._expired_rows(regclass)', false, $$SELECT privacy._expired_rows('sd.t')$$, NULL, NULL),
	('privacy._force_family(regclass)', false, $$SELECT privacy._force_family('sd.t')$$, NULL, NULL),
	('privacy._forget_format_versions(text)', true, $$SELECT privacy._forget_format_versions('default')$$,
	 $$SELECT privacy._forget_format_versions(NULL)$$, '22004'),
	('privacy._govern_family(regclass)', false, $$SELECT privacy._govern_family('sd.t')$$, NULL, NULL),
	('privacy._may_detokenize(text)', true, $$SELECT privacy._may_detokenize('card')$$, NULL, NULL),
	('privacy._release_row_security(regclass)', false, $$SELECT privacy._release_row_security('sd.t')$$, NULL, NULL),
	('privacy._set_format_version(text,integer)', true, $$SELECT privacy._set_format_version('card', 1)$$,
	 $$SELECT privacy._set_format_version('card', 99999)$$, '42704'),
	('privacy._store_column_policy(regclass,name,text,text)', false,
	 $$SELECT privacy._store_column_policy('sd.t', 'email', 'email', 'privacy.redact(email)')$$, NULL, NULL),
	('privacy._store_row_filter(regclass,text,text,text,regrole[])', false,
	 $$SELECT privacy._store_row_filter('sd.t', 'f', 'true', 'false', NULL)$$, NULL, NULL),
	('privacy._subject_export_plan(text)', true, $$SELECT privacy._subject_export_plan('s')$$, NULL, NULL),
	('privacy._unforce_family(regclass)', false, $$SELECT privacy._unforce_family('sd.t')$$, NULL, NULL),
	('privacy.allow_purpose(regrole,text)', true, $$SELECT privacy.allow_purpose('sd_nobody', 'p')$$,
	 $$SELECT privacy.allow_purpose(NULL, NULL)$$, '22004'),
	('privacy.bind_category(text,text)', true, $$SELECT privacy.bind_category('email', 'privacy.redact(value)')$$,
	 $$SELECT privacy.bind_category('email', NULL)$$, '22004'),
	('privacy.classify(regclass,name,text,text)', true, $$SELECT privacy.classify('sd.t', 'email', 'email')$$,
	 $$SELECT privacy.classify('sd.t', 'nope', 'email')$$, '42703'),
	('privacy.create_purpose(text,text)', true, $$SELECT privacy.create_purpose('p', 'd')$$,
	 $$SELECT privacy.create_purpose('Bad Name', 'd')$$, '22023'),
	('privacy.disallow_purpose(regrole,text)', true, $$SELECT privacy.disallow_purpose('sd_nobody', 'p')$$,
	 $$SELECT privacy.disallow_purpose('sd_nobody', 'none')$$, '42704'),
	('privacy.discover(name,integer)', true, $$SELECT privacy.discover()$$,
	 $$SELECT privacy.discover('sd', -1)$$, '22023'),
	('privacy.drop_key_version(text,integer,boolean)', true, $$SELECT privacy.drop_key_version('default', 1)$$,
	 $$SELECT privacy.drop_key_version(NULL, 1)$$, '22004'),
	('privacy.drop_retention(regclass)', true, $$SELECT privacy.drop_retention('sd.t')$$,
	 $$SELECT privacy.drop_retention(NULL)$$, '22004'),
	('privacy.drop_row_policy(regclass,text)', true, $$SELECT privacy.drop_row_policy('sd.t', 'f')$$,
	 $$SELECT privacy.drop_row_policy('sd.t', 'none')$$, '42704'),
	('privacy.drop_token_format(text)', true, $$SELECT privacy.drop_token_format('x')$$,
	 $$SELECT privacy.drop_token_format(NULL)$$, '22004'),
	('privacy.erase_subject(text,text)', true, $$SELECT privacy.erase_subject('s')$$,
	 $$SELECT privacy.erase_subject(NULL)$$, '22004'),
	('privacy.grant_consent(text[],text,timestamp with time zone)', true,
	 $$SELECT privacy.grant_consent(ARRAY['s'], 'p')$$, $$SELECT privacy.grant_consent(ARRAY['s', NULL], 'p')$$, '22004'),
	('privacy.grant_consent(text,text,timestamp with time zone)', true, $$SELECT privacy.grant_consent('s', 'p')$$,
	 $$SELECT privacy.grant_consent(NULL, NULL)$$, '22004'),
	('privacy.grant_detokenize(regrole,text)', true, $$SELECT privacy.grant_detokenize('sd_nobody', 'card')$$,
	 $$SELECT privacy.grant_detokenize(NULL, NULL)$$, '22004'),
	('privacy.grant_unmasked_category(regrole,text)', true,
	 $$SELECT privacy.grant_unmasked_category('sd_nobody', 'email')$$,
	 $$SELECT privacy.grant_unmasked_category('sd_nobody', 'nonsense')$$, '22023'),
	('privacy.grant_unmasked(regrole,regclass,name)', true, $$SELECT privacy.grant_unmasked('sd_nobody')$$,
	 $$SELECT privacy.grant_unmasked(NULL)$$, '22004'),
	('privacy.hide_expired(regclass)', true, $$SELECT privacy.hide_expired('sd.t')$$,
	 $$SELECT privacy.hide_expired('sd.t')$$, '42704'),
	('privacy.mark_not_personal(regclass,name)', true, $$SELECT privacy.mark_not_personal('sd.t', 'id')$$,
	 $$SELECT privacy.mark_not_personal('sd.t', 'nope')$$, '42703'),
	('privacy.place_hold(regclass,text,text)', true, $$SELECT privacy.place_hold('sd.t', 'true', 'r')$$,
	 $$SELECT privacy.place_hold('sd.t', 'pg_catalog.random() > 0.5', 'r')$$, '22023'),
	('privacy.purge_now(regclass)', true, $$SELECT privacy.purge_now()$$,
	 $$SELECT privacy.purge_now('sd.t')$$, '42704'),
	('privacy.register_subject(regclass,name,regclass)', true, $$SELECT privacy.register_subject('sd.t', 'email')$$,
	 $$SELECT privacy.register_subject('sd.t', 'nope')$$, '42703'),
	('privacy.release_hold(bigint)', true, $$SELECT privacy.release_hold(1)$$,
	 $$SELECT privacy.release_hold(NULL)$$, '22004'),
	('privacy.require_consent(regclass,name,text)', true, $$SELECT privacy.require_consent('sd.t', 'email', 'p')$$,
	 $$SELECT privacy.require_consent('sd.t', NULL, NULL)$$, '22004'),
	('privacy.retokenize(regclass,name,text,integer)', true, $$SELECT privacy.retokenize('sd.t', 'card')$$,
	 $$SELECT privacy.retokenize(NULL, NULL)$$, '22023'),
	('privacy.revoke_consent(text[],text)', true, $$SELECT privacy.revoke_consent(ARRAY['s'], 'p')$$,
	 $$SELECT privacy.revoke_consent(ARRAY[NULL::text], 'p')$$, '22004'),
	('privacy.revoke_consent(text,text)', true, $$SELECT privacy.revoke_consent('s', 'p')$$,
	 $$SELECT privacy.revoke_consent(NULL, NULL)$$, '22004'),
	('privacy.revoke_detokenize(regrole,text)', true, $$SELECT privacy.revoke_detokenize('sd_nobody', 'card')$$,
	 $$SELECT privacy.revoke_detokenize(NULL, NULL)$$, '22004'),
	('privacy.revoke_unmasked(regrole,regclass,name)', true, $$SELECT privacy.revoke_unmasked('sd_nobody')$$,
	 $$SELECT privacy.revoke_unmasked(NULL)$$, '22004'),
	('privacy.revoke_unmasked_category(regrole,text)', true,
	 $$SELECT privacy.revoke_unmasked_category('sd_nobody', 'email')$$,
	 $$SELECT privacy.revoke_unmasked_category('sd_nobody', 'email')$$, '42704'),
	('privacy.set_default_deny(regclass,boolean)', true, $$SELECT privacy.set_default_deny('sd.t', false)$$,
	 $$SELECT privacy.set_default_deny('sd.t', NULL)$$, '22004'),
	('privacy.set_retention(regclass,name,interval,text,name[],integer,integer)', true,
	 $$SELECT privacy.set_retention('sd.t', 'created', '1 day')$$,
	 $$SELECT privacy.set_retention('sd.t', 'email', '1 day')$$, '42804'),
	('privacy.unbind_category(text)', true, $$SELECT privacy.unbind_category('email')$$,
	 $$SELECT privacy.unbind_category('phone')$$, '42704'),
	('privacy.unclassify(regclass,name)', true, $$SELECT privacy.unclassify('sd.t', 'email')$$,
	 $$SELECT privacy.unclassify('sd.t', 'nope')$$, '42704'),
	('privacy.unmark_not_personal(regclass,name)', true, $$SELECT privacy.unmark_not_personal('sd.t', 'id')$$,
	 $$SELECT privacy.unmark_not_personal('sd.t', 'email')$$, '42704'),
	('privacy.unmask_column(regclass,name)', true, $$SELECT privacy.unmask_column('sd.t', 'email')$$,
	 $$SELECT privacy.unmask_column(NULL, NULL)$$, '22004'),
	('privacy.unregister_subject(regclass)', true, $$SELECT privacy.unregister_subject('sd.t')$$,
	 $$SELECT privacy.unregister_subject('sd.t')$$, '42704');

-- state_of(sql) runs sql and returns its SQLSTATE ('00000': it succeeded)
CREATE FUNCTION pg_temp.state_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	RETURN '00000';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.state_of(text) TO PUBLIC;

SELECT set_eq($$SELECT p.oid::regprocedure::text FROM pg_proc p
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_privacy'
	WHERE p.prosecdef$$,
	$$SELECT sig FROM secdef$$,
	'every SECURITY DEFINER function of the extension is listed (a new one must be classified here)');
SELECT set_eq($$SELECT p.oid::regprocedure::text FROM pg_proc p
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_privacy'
	WHERE p.prosecdef AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
	$$SELECT sig FROM secdef WHERE public$$,
	'exactly the listed SECURITY DEFINER functions are executable by PUBLIC (the internal writers are not)');

-- run every call as the role with no privileges, then as the administrator
CREATE TEMP TABLE outcome (sig text, who text, state text);
GRANT INSERT, SELECT ON outcome TO PUBLIC;
GRANT SELECT ON secdef TO PUBLIC;
SET LOCAL ROLE sd_nobody;
INSERT INTO outcome SELECT sig, 'nobody', pg_temp.state_of(unprivileged) FROM secdef;
SET LOCAL ROLE sd_admin;
INSERT INTO outcome SELECT sig, 'admin', pg_temp.state_of(invalid) FROM secdef WHERE invalid IS NOT NULL;
RESET ROLE;

SELECT is((SELECT string_agg(sig || ': ' || state, ', ' ORDER BY sig) FROM outcome
           WHERE who = 'nobody' AND sig <> 'privacy._may_detokenize(text)' AND state <> '42501'), NULL,
	'a role with no privileges is refused (42501) by every SECURITY DEFINER function');
SET LOCAL ROLE sd_nobody;
SELECT is(privacy._may_detokenize('card'), false, '_may_detokenize reports only the caller''s own (absent) right');
RESET ROLE;
SELECT is((SELECT string_agg(o.sig || ': ' || o.state, ', ' ORDER BY o.sig) FROM outcome o JOIN secdef s USING (sig)
           WHERE o.who = 'admin' AND o.state IS DISTINCT FROM s.invalid_state), NULL,
	'an administrator''s invalid input is refused with the pinned SQLSTATE by every public SECURITY DEFINER function');
SELECT is((SELECT count(*) FROM secdef WHERE public AND invalid IS NULL
           AND sig NOT IN ('privacy._may_detokenize(text)', 'privacy._subject_export_plan(text)')), 0::bigint,
	'every public SECURITY DEFINER function that takes policy input has an invalid-input check');

SELECT * FROM finish();
ROLLBACK;
