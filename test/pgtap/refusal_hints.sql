-- refusal_hints.sql (issue 21): refusals a DBA meets first say how to fix
-- them. "purpose does not exist" (42704) names create_purpose in every
-- function that raises it; setup_roles() and uninstall() refuse a role that
-- is not a superuser with 42501 and a hint (not PostgreSQL's bare
-- "permission denied for function"); setup_roles grants no oracle (tokenize,
-- fpe_encrypt, keyed masks); detokenize names the administrator
-- role that can grant it. Positive controls: the same calls succeed for a
-- caller that may make them.
BEGIN;
SELECT plan(14);

SET LOCAL client_min_messages = warning;
CREATE ROLE rh_plain;
CREATE ROLE rh_reader;
CREATE TABLE public.rh_t (id int, subject text);
GRANT SELECT ON public.rh_t TO rh_plain;

-- hint_of(sql, role): "SQLSTATE: hint" of the error sql raises as role
CREATE FUNCTION pg_temp.hint_of(stmt text, r text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	state text;
	hint text;
BEGIN
	IF r IS NOT NULL THEN
		EXECUTE format('SET LOCAL ROLE %I', r);
	END IF;
	BEGIN
		EXECUTE stmt;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
		RESET ROLE;
		RETURN state || ': ' || hint;
	END;
	RESET ROLE;
	RETURN 'ok';
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.hint_of(text, text) TO PUBLIC;

SELECT is(pg_temp.hint_of($$SELECT privacy.allow_purpose('rh_plain', 'rh_none')$$),
	'42704: Create it first with privacy.create_purpose(name, description).', 'allow_purpose: a missing purpose names create_purpose');
SELECT is(pg_temp.hint_of($$SELECT privacy.grant_consent('s1', 'rh_none')$$),
	'42704: Create it first with privacy.create_purpose(name, description).', 'grant_consent: a missing purpose names create_purpose');
SELECT is(pg_temp.hint_of($$SELECT privacy.grant_consent(ARRAY['s1'], 'rh_none')$$),
	'42704: Create it first with privacy.create_purpose(name, description).', 'grant_consent(text[]): a missing purpose names create_purpose');
SELECT is(pg_temp.hint_of($$SELECT privacy.require_consent('public.rh_t', 'subject', 'rh_none')$$),
	'42704: Create it first with privacy.create_purpose(name, description).', 'require_consent: a missing purpose names create_purpose');
SELECT privacy.create_purpose('rh_some', 'a purpose');
SELECT is(pg_temp.hint_of($$SELECT privacy.grant_consent('s1', 'rh_some')$$), 'ok',
	'positive control: consent to an existing purpose is recorded');

SELECT is(pg_temp.hint_of($$SELECT privacy.setup_roles('rh_a', 'rh_b')$$, 'rh_plain'),
	'42501: Only superusers can create the privacy roles.', 'setup_roles refuses a plain role with a hint');
SELECT ok(NOT EXISTS (SELECT FROM pg_roles WHERE rolname IN ('rh_a', 'rh_b')), 'and creates nothing');
SELECT is(pg_temp.hint_of($$SELECT privacy.setup_roles('rh_a', 'rh_b')$$), 'ok',
	'positive control: a superuser sets the roles up');

-- setup_roles grants the internal helpers of the views, never an oracle:
-- tokenize, fpe_encrypt and the keyed masks compute with secrets
SELECT is((SELECT string_agg(p.proname || ':' || has_function_privilege(r, p.oid, 'EXECUTE'), ',' ORDER BY p.proname, r)
	FROM pg_proc p, unnest(ARRAY['rh_a', 'rh_b']) r
	WHERE p.oid IN ('privacy.tokenize(text,text)'::regprocedure, 'privacy.pseudonym(text,text)'::regprocedure,
	                'privacy.fpe_encrypt(text,text,text,bytea,text,integer)'::regprocedure)),
	'fpe_encrypt:false,fpe_encrypt:false,pseudonym:false,pseudonym:false,tokenize:false,tokenize:false',
	'setup_roles grants neither role tokenize, fpe_encrypt or a keyed mask');
SELECT ok(has_function_privilege('rh_b', 'privacy._token_key_version(text,text)', 'EXECUTE'),
	'positive control: setup_roles grants the auditor role the internal helpers');

SELECT is(pg_temp.hint_of($$SELECT privacy.uninstall()$$, 'rh_plain'),
	'42501: Only superusers can run privacy.uninstall(), like DROP EXTENSION pg_privacy.',
	'uninstall refuses a plain role with a hint');
SELECT is(pg_temp.hint_of($$SELECT privacy.uninstall(tokens => 'all')$$),
	'22023: Pass tokens => ''detokenize'' (token columns get their plaintext back), ''text'' (they keep the tokens, as text) or ''refuse''.',
	'uninstall refuses an unknown tokens option with a hint');

SELECT privacy.create_key('default') WHERE NOT EXISTS (SELECT FROM privacy.keys WHERE name = 'default');
SELECT alike(pg_temp.hint_of(format('SELECT privacy.detokenize(%L, ''ssn'')', privacy.tokenize('123456789', 'ssn')), 'rh_reader'),
	'42501: A superuser or a member of role "%" (another member, for a role it belongs to) can grant it with privacy.grant_detokenize().',
	'detokenize names the administrator role that can grant it');
SELECT privacy.grant_detokenize('rh_reader', 'ssn');
SELECT is(pg_temp.hint_of(format('SELECT privacy.detokenize(%L, ''ssn'')', privacy.tokenize('123456789', 'ssn')), 'rh_reader'),
	'ok', 'positive control: after the grant it detokenizes');

SELECT * FROM finish();
ROLLBACK;
