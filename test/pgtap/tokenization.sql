-- tokenization.sql: per-role behaviour and SQLSTATEs of tokenization.
-- Superusers manage keys and formats; other roles get 42501 with the
-- documented message. tokenize needs an explicit EXECUTE grant; detokenize is
-- granted per format with privacy.grant_detokenize (to a role and its
-- members); fpe_decrypt is never granted to PUBLIC. No error text contains
-- the value, token or key material it was given.
BEGIN;
SELECT plan(24);

SET client_min_messages = warning;
CREATE ROLE tap_tok_app;
CREATE ROLE tap_tok_reader;
CREATE ROLE tap_tok_member IN ROLE tap_tok_reader;
CREATE ROLE tap_tok_nobody;
RESET client_min_messages;
SELECT privacy.create_key('default');
CREATE TABLE public.tap_tok (id int, card text, tok text);
INSERT INTO public.tap_tok VALUES (1, '4111111111111111', privacy.tokenize('4111111111111111', 'card')),
	(2, '5500000000000004', privacy.tokenize('5500000000000004', 'card'));
GRANT SELECT ON public.tap_tok TO tap_tok_app, tap_tok_reader, tap_tok_nobody;
GRANT EXECUTE ON FUNCTION privacy.tokenize(text, text) TO tap_tok_app;
-- EXECUTE on an admin function is not enough: the function checks the caller itself
GRANT EXECUTE ON FUNCTION privacy.create_key(text) TO tap_tok_app;
SELECT privacy.grant_detokenize('tap_tok_reader', 'card');

-- superuser
SELECT throws_ok($$SELECT privacy.create_key('default')$$, '42710', 'data key "default" already exists', 'duplicate key');
SELECT throws_ok($$SELECT privacy.tokenize('4111111111111111', 'nope')$$, '42704', 'token format "nope" does not exist',
	'unknown format');
SELECT throws_ok($$SELECT privacy.tokenize('4111111111111112', 'card')$$, '22P02', 'value is not a valid card number',
	'card number failing Luhn');
SELECT throws_ok($$SELECT privacy.tokenize('41234', 'digits')$$, '22003',
	'value is too short for format-preserving encryption', 'domain below 10^6');
SELECT throws_ok($$SELECT privacy.tokenize('41a34x', 'digits')$$, '22P02',
	'value contains a character that is not allowed by the token format', 'character outside the alphabet');
SELECT throws_ok($$SELECT privacy.import_key('k', '\x0102')$$, '22023', 'key material must be 16, 24 or 32 bytes',
	'short key material');
SELECT throws_ok($$SELECT privacy.fpe_encrypt('0123456789', 'default', tweak => '\x01', mode => 'ff3-1')$$, '22023',
	'invalid tweak length for FF3-1', 'FF3-1 tweak must be 7 bytes');
SELECT is(privacy.detokenize(tok, 'card'), card, 'superuser detokenizes') FROM public.tap_tok WHERE id = 1;

-- an application role: tokenizes, cannot detokenize or manage keys
SET ROLE tap_tok_app;
SELECT is((SELECT count(*) FROM public.tap_tok WHERE privacy.tokenize(card, 'card') = tok), 2::bigint, 'app tokenizes');
SELECT throws_ok($$SELECT privacy.detokenize(tok, 'card') FROM public.tap_tok$$, '42501',
	'permission denied to detokenize format "card"', 'app cannot detokenize');
SELECT throws_ok($$SELECT privacy.create_key('x')$$, '42501', 'permission denied to create data keys',
	'app cannot create keys');
SELECT throws_ok($$SELECT privacy.rotate_key('default')$$, '42501', 'permission denied to rotate data keys',
	'app cannot rotate keys');
SELECT throws_ok($$SELECT privacy.drop_key('default')$$, '42501', 'permission denied to drop data keys',
	'app cannot drop keys');
SELECT throws_ok($$SELECT privacy.fpe_decrypt('0123456789', 'default')$$, '42501', NULL, 'fpe_decrypt not granted');
SELECT throws_ok($$SELECT privacy.grant_detokenize('tap_tok_app', 'card')$$, '42501', NULL,
	'app cannot grant itself detokenize');
SELECT throws_ok($$SELECT * FROM privacy._key$$, '42501', NULL, 'key table not readable');
RESET ROLE;

-- a reader and a member of it detokenize cards, not SSNs
SET ROLE tap_tok_reader;
SELECT is((SELECT count(*) FROM public.tap_tok WHERE privacy.detokenize(tok, 'card') = card), 2::bigint,
	'reader detokenizes cards');
SELECT throws_ok($$SELECT privacy.detokenize('123-45-6789', 'ssn')$$, '42501',
	'permission denied to detokenize format "ssn"', 'reader cannot detokenize ssn');
SELECT throws_ok($$SELECT privacy.tokenize('4111111111111111', 'card')$$, '42501', NULL,
	'reader has no tokenize grant');
RESET ROLE;
SET ROLE tap_tok_member;
SELECT is((SELECT count(*) FROM public.tap_tok WHERE privacy.detokenize(tok, 'card') = card), 2::bigint,
	'member of reader detokenizes');
RESET ROLE;
SET ROLE tap_tok_nobody;
SELECT throws_ok($$SELECT privacy.detokenize(tok, 'card') FROM public.tap_tok$$, '42501', NULL,
	'nobody cannot detokenize');
RESET ROLE;

-- audit rows carry counts, never values
SELECT is((SELECT count(*) FROM privacy.audit_log a, public.tap_tok t
	WHERE position(t.card IN a::text) > 0 OR position(t.tok IN a::text) > 0), 0::bigint, 'audit holds no value');

-- error texts never contain the input
CREATE FUNCTION pg_temp.error_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE msg text; det text; hnt text;
BEGIN
	EXECUTE q;
	RETURN '';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	RETURN concat_ws(' ', msg, det, hnt);
END $$;
SELECT is((SELECT count(*) FROM (VALUES
		($$SELECT privacy.tokenize('CANARY7777777777', 'card')$$),
		($$SELECT privacy.tokenize('77777', 'digits')$$),
		($$SELECT privacy.tokenize('7777777777777777', 'card')$$),
		($$SELECT privacy.detokenize('4111111111111111', 'card')$$),
		($$SELECT '4111111111111111'::privacy.card_token$$),
		($$SELECT privacy.fpe_encrypt('7777x77777', 'default')$$),
		($$SELECT privacy.import_key('k', '\x77777777777777')$$)) q(sql)
	WHERE pg_temp.error_text(sql) ~ '7777|4111|CANARY' OR pg_temp.error_text(sql) = ''), 0::bigint,
	'no error text contains its input');
SELECT ok(position('\xDEADBEEF'::bytea IN (SELECT string_agg(wrapped, '') FROM privacy._key)) = 0,
	'keys are stored wrapped');

SELECT * FROM finish();
ROLLBACK;
