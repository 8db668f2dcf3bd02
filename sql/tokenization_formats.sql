-- tokenization_formats: privacy.tokenize/detokenize. Every built-in format
-- and a custom one round-trip, tokens are deterministic and keep length,
-- separators and kept characters; card tokens keep the last 4 digits and
-- never pass the Luhn check (a real card number is never a token); bad input
-- (character outside the format, too short for the FF1 domain, unknown
-- format or key, NULL) fails with a SQLSTATE and no value in the message;
-- rotation: card tokens carry their key version, old tokens still
-- detokenize, new ones use the new version, retokenize moves a column;
-- drop_key makes detokenize fail; detokenize needs grant_detokenize (42501
-- otherwise) and every statement that detokenizes writes an audit row
-- without values.
SET client_min_messages = warning;
CREATE ROLE regress_tok_app;
CREATE ROLE regress_tok_reader;
CREATE ROLE regress_tok_member IN ROLE regress_tok_reader;
RESET client_min_messages;
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;

CREATE FUNCTION pg_temp.err(q text, secret text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	RETURN st || ' ' || msg || CASE WHEN secret IS NOT NULL AND position(lower(secret) IN lower(concat(msg, det, hnt))) > 0
		THEN ' LEAK' ELSE '' END;
END $$;
-- luhn(text): does the digit string pass the Luhn check?
CREATE FUNCTION pg_temp.luhn(v text) RETURNS boolean LANGUAGE sql AS $$
	SELECT sum(CASE WHEN (length(d) - i) % 2 = 1 THEN (CASE WHEN substr(d, i, 1)::int * 2 > 9
		THEN substr(d, i, 1)::int * 2 - 9 ELSE substr(d, i, 1)::int * 2 END) ELSE substr(d, i, 1)::int END) % 10 = 0
	FROM (SELECT regexp_replace(v, '[^0-9]', '', 'g') AS d) s, generate_series(1, length(s.d)) AS i
$$;

-- Built-in formats use the data key "default".
SELECT pg_temp.err($$SELECT privacy.tokenize(('4111' || '111111111111'), 'card')$$, ('4111' || '111111111111'));
SELECT privacy.create_key('default') AS default_key;
SELECT name, kind, builtin, keep_suffix, key_name, versioned FROM privacy.token_formats ORDER BY name;

CREATE TABLE tok_samples (format text, value text);
INSERT INTO tok_samples VALUES
	('card', '4111 1111 1111 1111'), ('card', '5500-0000-0000-0004'), ('card', '378282246310005'),
	('card', '4222222222222'), ('card', '6011000990139424'), ('card', '3530111333300000'),
	('ssn', '123-45-6789'), ('ssn', '078051120'),
	('phone', '+44 20 7946 0958'), ('phone', '(555) 010-4477'),
	('digits', '000123'), ('digits', '98765432109876543210'),
	('alnum', 'AB12cd34'), ('alnum', 'Zz9Q'),
	('email', 'alice.smith@example.com'), ('email', 'bob+news@mail.example.org');
CREATE TABLE tok_tokens AS
SELECT format, value, privacy.tokenize(value, format) AS token FROM tok_samples;
-- round trip, length, separators, determinism, tokens differ from values
SELECT format,
	privacy.detokenize(token, format) = value AS round_trip,
	length(token) = length(value) AS same_length,
	regexp_replace(token, '[0-9A-Za-z]', '#', 'g') = regexp_replace(value, '[0-9A-Za-z]', '#', 'g') AS same_layout,
	privacy.tokenize(value, format) = token AS deterministic,
	token <> value AS changed
FROM tok_tokens ORDER BY format, value;
-- card tokens: last 4 digits kept, never Luhn-valid (the card numbers are)
SELECT value, right(token, 4) = right(value, 4) AS last4_kept, pg_temp.luhn(value) AS value_luhn,
	pg_temp.luhn(token) AS token_luhn
FROM tok_tokens WHERE format = 'card' ORDER BY value;
SELECT count(*) FILTER (WHERE pg_temp.luhn(privacy.tokenize(c, 'card'))) AS luhn_valid_tokens, count(*) AS tokens
FROM (SELECT n::text || (10 - (SELECT sum(CASE WHEN (16 - i) % 2 = 1 THEN
		(CASE WHEN substr(n::text, i, 1)::int * 2 > 9 THEN substr(n::text, i, 1)::int * 2 - 9
		 ELSE substr(n::text, i, 1)::int * 2 END) ELSE substr(n::text, i, 1)::int END)
	FROM generate_series(1, 15) i) % 10) % 10 AS c
	FROM generate_series(400000000000000, 400000000000000 + 499) n) cards;
-- email: only the local part changes
SELECT value, split_part(token, '@', 2) = split_part(value, '@', 2) AS domain_kept FROM tok_tokens
WHERE format = 'email' ORDER BY value;
-- equal values, equal tokens; different formats, different tokens
SELECT privacy.tokenize('123456789', 'ssn') = privacy.tokenize('123456789', 'ssn') AS same,
	privacy.tokenize('123456789', 'ssn') <> privacy.tokenize('123456789', 'digits') AS per_format;

-- bad input: SQLSTATE, no value in any message
SELECT pg_temp.err($$SELECT privacy.tokenize('4111111111111112', 'card')$$, '4111111111111112');
SELECT pg_temp.err($$SELECT privacy.tokenize('41111', 'card')$$, '41111');
SELECT pg_temp.err($$SELECT privacy.tokenize('4111x11111111111', 'card')$$, '4111x');
SELECT pg_temp.err($$SELECT privacy.tokenize('73519', 'digits')$$, '73519');
SELECT pg_temp.err($$SELECT privacy.tokenize('12-345-678', 'ssn')$$, '345');
SELECT pg_temp.err($$SELECT privacy.tokenize('7351a9', 'digits')$$, '7351a9');
SELECT pg_temp.err($$SELECT privacy.tokenize('bob@example.com', 'email')$$, 'bob');
SELECT pg_temp.err($$SELECT privacy.tokenize('no-at-sign', 'email')$$, 'no-at-sign');
SELECT pg_temp.err($$SELECT privacy.tokenize('Zoë Ångström', 'alnum')$$, 'Zoë');
SELECT pg_temp.err($$SELECT privacy.tokenize('123456789', 'regress_no_such_format')$$);
SELECT pg_temp.err($$SELECT privacy.detokenize(('4111' || '111111111111'), 'card')$$, ('4111' || '111111111111'));
SELECT pg_temp.err($$SELECT privacy.tokenize('', 'digits')$$);
SELECT privacy.tokenize(NULL, 'card') IS NULL AS null_value, privacy.tokenize(('4111' || '111111111111'), NULL) IS NULL AS null_format;
SELECT length(privacy.tokenize(repeat('7', 4000), 'digits')) AS long_value;
SELECT pg_temp.err($$SELECT privacy.tokenize(repeat('7', 1000000), 'digits')$$);

-- custom formats: alphabet, passthrough, kept prefix and suffix, multibyte alphabets
SELECT privacy.create_key('regress_custom');
SELECT privacy.create_token_format('regress_ref', '0123456789ABCDEF', 'regress_custom', '-/', 2, 2);
SELECT privacy.create_token_format('regress_greek', 'αβγδεζηθικλμνξοπρστυφχψω', 'regress_custom');
SELECT pg_temp.err($$SELECT privacy.create_token_format('regress_ref', '0123456789', 'regress_custom')$$);
SELECT pg_temp.err($$SELECT privacy.create_token_format('regress_bad', 'aa', 'regress_custom')$$);
SELECT pg_temp.err($$SELECT privacy.create_token_format('regress_bad', '0123456789', 'regress_custom', '5')$$);
SELECT pg_temp.err($$SELECT privacy.create_token_format('card', '0123456789', 'regress_custom')$$);
SELECT v, left(t, 3) = left(v, 3) AS prefix_kept, right(t, 2) = right(v, 2) AS suffix_kept, length(t) = length(v) AS same_length,
	privacy.detokenize(t, 'regress_ref') = v AS round_trip
FROM (SELECT v, privacy.tokenize(v, 'regress_ref') AS t FROM (VALUES ('AB-1234/CDEF-99'), ('00-0000/0000-00')) s(v)) x;
SELECT length(t) AS chars, t ~ '^[α-ω]+$' AS in_alphabet, privacy.detokenize(t, 'regress_greek') = 'αβγδεζηθ' AS round_trip
FROM (SELECT privacy.tokenize('αβγδεζηθ', 'regress_greek') AS t) x;

-- rotation: card tokens carry their key version
CREATE TABLE tok_cards AS SELECT value, privacy.tokenize(value, 'card') AS token FROM tok_samples WHERE format = 'card';
SELECT DISTINCT privacy._token_key_version(token, 'card') AS version_before FROM tok_cards;
SELECT privacy.rotate_key('default') AS rotated;
SELECT count(*) FILTER (WHERE privacy.detokenize(token, 'card') = value) AS old_tokens_detokenize,
	count(*) FILTER (WHERE privacy.tokenize(value, 'card') <> token) AS new_tokens_differ,
	count(*) FILTER (WHERE privacy._token_key_version(privacy.tokenize(value, 'card'), 'card') = 2) AS new_use_v2,
	count(*) FILTER (WHERE privacy.detokenize(privacy.tokenize(value, 'card'), 'card') = value) AS new_round_trip
FROM tok_cards;
-- formats that are not versioned keep using the first key version
SELECT count(*) FILTER (WHERE privacy.tokenize(value, format) = token) AS unversioned_unchanged,
	count(*) FILTER (WHERE privacy.detokenize(token, format) = value) AS unversioned_detokenize
FROM tok_tokens WHERE format <> 'card';
SELECT privacy.retokenize('tok_cards', 'token') AS moved;
SELECT privacy.retokenize('tok_cards', 'token') AS moved_again;
SELECT privacy._token_key_version(token, 'card') AS version_after,
	bool_and(privacy.detokenize(token, 'card') = value) AS still_detokenize FROM tok_cards GROUP BY 1;
SELECT pg_temp.err($$SELECT privacy.retokenize('tok_tokens', 'token', 'ssn')$$);

-- privileges: tokenize is granted explicitly, detokenize per format
SELECT pg_temp.err($$SELECT privacy.grant_detokenize('regress_tok_reader', 'regress_no_such_format')$$);
SELECT privacy.grant_detokenize('regress_tok_reader', 'card');
GRANT EXECUTE ON FUNCTION privacy.tokenize(text, text) TO regress_tok_app;
GRANT SELECT ON tok_cards, tok_tokens TO regress_tok_app, regress_tok_reader, regress_tok_member;
SET ROLE regress_tok_app;
SELECT count(*) FILTER (WHERE privacy.tokenize(value, 'card') = token) AS app_tokenizes FROM tok_cards;
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'card') FROM tok_cards$$);
SELECT pg_temp.err($$SELECT privacy.grant_detokenize('regress_tok_app', 'card')$$);
SELECT pg_temp.err($$SELECT privacy.fpe_decrypt('0123456789', 'default')$$);
RESET ROLE;
\set VERBOSITY default
SET ROLE regress_tok_app;
SELECT privacy.detokenize(token, 'card') FROM tok_cards LIMIT 1;
\echo :SQLSTATE
RESET ROLE;
SET ROLE regress_tok_reader;
SELECT pg_temp.err($$SELECT privacy.tokenize(('4111' || '111111111111'), 'card')$$);
SELECT count(*) FILTER (WHERE privacy.detokenize(token, 'card') = value) AS reader_detokenizes FROM tok_cards;
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'ssn') FROM tok_tokens WHERE format = 'ssn'$$);
RESET ROLE;
SET ROLE regress_tok_member;
SELECT count(*) FILTER (WHERE privacy.detokenize(token, 'card') = value) AS member_detokenizes FROM tok_cards;
RESET ROLE;
SELECT role, format FROM privacy.detokenize_grants ORDER BY role::text, format;
SELECT privacy.revoke_detokenize('regress_tok_reader', 'card');
SELECT pg_temp.err($$SELECT privacy.revoke_detokenize('regress_tok_reader', 'card')$$);
SET ROLE regress_tok_reader;
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'card') FROM tok_cards$$);
RESET ROLE;
-- detokenize in a read-only transaction is refused (it writes the audit row)
BEGIN READ ONLY;
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'card') FROM tok_cards$$);
ROLLBACK;

-- audit: one row per statement and format, counts only, never a value
-- (written by the audit writer outside the transaction: wait for it)
SELECT privacy.audit_wait() AS audit_written;
SELECT role_name, session_role = session_user AS by_session_user, action, format, value_count FROM privacy.audit_log
WHERE role_name IN ('regress_tok_reader', 'regress_tok_member') ORDER BY role_name, format, value_count;
SELECT count(*) AS rows_with_values FROM privacy.audit_log a, tok_tokens t
WHERE position(t.value IN a::text) > 0 OR position(t.token IN a::text) > 0;
SET ROLE regress_tok_reader;
SELECT pg_temp.err($$SELECT * FROM privacy.audit_log$$);
RESET ROLE;
-- a plpgsql function that detokenizes in a loop: one row for the statement
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
CREATE FUNCTION pg_temp.detok_all() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint := 0; r record;
BEGIN
	FOR r IN SELECT token FROM tok_cards LOOP
		IF privacy.detokenize(r.token, 'card') IS NOT NULL THEN n := n + 1; END IF;
	END LOOP;
	RETURN n;
END $$;
SELECT pg_temp.detok_all() AS detokenized;
SELECT privacy.audit_wait() AS audit_written;
SELECT format, value_count FROM privacy.audit_log ORDER BY format;
-- a statement that fails before detokenizing anything (1 / 0 is folded at
-- planning) leaves no row; aborts after values were returned do
-- (audit_durable)
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'card'), 1 / 0 FROM tok_cards$$);
SELECT privacy.audit_wait() AS audit_written;
SELECT count(*) AS rows_after_abort FROM privacy.audit_log;

-- crypto-shredding: a key that formats use (the built-in ones use "default")
-- is refused without force, and force must not be NULL; nothing changes
SELECT pg_temp.err($$SELECT privacy.drop_key('default')$$);
SELECT pg_temp.err($$SELECT privacy.drop_key('default', NULL)$$);
SELECT count(*) > 0 AS key_still_there FROM privacy.keys WHERE name = 'default';
-- with force, drop_key makes detokenize (and tokenize) fail
SELECT privacy.drop_key('default', force => true);
SELECT pg_temp.err($$SELECT privacy.detokenize(token, 'card') FROM tok_cards$$);
SELECT pg_temp.err($$SELECT privacy.tokenize(('4111' || '111111111111'), 'card')$$, ('4111' || '111111111111'));

-- clean up
SELECT privacy.drop_token_format('regress_ref');
SELECT privacy.drop_token_format('regress_greek');
SELECT pg_temp.err($$SELECT privacy.drop_token_format('card')$$);
SELECT privacy.drop_key('regress_custom');
DROP TABLE tok_samples, tok_tokens, tok_cards;
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
REVOKE EXECUTE ON FUNCTION privacy.tokenize(text, text) FROM regress_tok_app;
DROP ROLE regress_tok_app, regress_tok_member, regress_tok_reader;
