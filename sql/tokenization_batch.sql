-- tokenization_batch (issue 19): the set-based tokenize and the batch path.
--  * privacy.tokenize(text[], format) returns, element by element, exactly
--    the tokens of privacy.tokenize(text, format) for every built-in format
--    (card with separators and mixed lengths, ssn, phone, alnum, email) and a
--    custom non-ASCII format with kept characters, long values included;
--    NULL elements stay NULL, the array's shape (bounds, dimensions) is kept,
--    an empty array gives an empty array, a NULL array or format NULL;
--  * a bad element fails the whole call with the scalar form's SQLSTATE and
--    no value in the error; unknown format 42704;
--  * privileges as the scalar form: not executable by PUBLIC (42501), a role
--    granted EXECUTE on it gets the same tokens;
--  * privacy._retokenize_values(tokens[], format, from, to) gives, element
--    by element, what _retokenize_value gives, admins only (42501);
--  * INSERT ... SELECT through the array form stores the scalar tokens;
--  * the one-pass card retokenize: one UPDATE as the table's owner moves
--    every token; the functions it calls work only with the ticket of the
--    running retokenize: the owner's trigger, running inside that UPDATE,
--    gets 42501 from them (and the move still happens), and so does any
--    caller outside (a superuser too) and a ticket of an ended transaction;
--    within its transaction the ticket works (positive control).
SET client_min_messages = warning;
CREATE ROLE regress_batch_app;
CREATE ROLE regress_batch_nobody;
RESET client_min_messages;

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
-- card(i, len): a Luhn-valid number of len digits
CREATE FUNCTION pg_temp.card(i int, len int DEFAULT 16) RETURNS text LANGUAGE sql AS $$
	SELECT p || ((10 - sum(CASE WHEN (len - 1 - k) % 2 = 0 THEN (CASE WHEN substr(p, k, 1)::int * 2 > 9
		THEN substr(p, k, 1)::int * 2 - 9 ELSE substr(p, k, 1)::int * 2 END) ELSE substr(p, k, 1)::int END) % 10) % 10)::text
	FROM (SELECT '4' || lpad(((i * 7919 + 12345) % (10 ^ (len - 2))::bigint)::text, len - 2, '0') AS p) s,
	     generate_series(1, len - 1) AS k GROUP BY p
$$;

SELECT privacy.create_key('default') AS v1;
SELECT privacy.create_token_format('greek', 'αβγδεζηθικλμνξοπρστυφχψω', 'default', '-', 1, 1);

-- values of every format, with NULLs, in runs of equal and of mixed lengths
CREATE TABLE batch_values (format text, i int, value text);
INSERT INTO batch_values
SELECT 'card', i, CASE WHEN i % 17 = 0 THEN NULL
                       WHEN i % 5 = 0 THEN regexp_replace(pg_temp.card(i, 12 + i % 8), '(....)', '\1 ', 'g')
                       ELSE pg_temp.card(i, CASE WHEN i < 100 THEN 16 ELSE 12 + i % 8 END) END
FROM generate_series(1, 300) i;
INSERT INTO batch_values SELECT 'ssn', i, lpad((i * 104729)::text, 9, '0') FROM generate_series(1, 100) i;
INSERT INTO batch_values SELECT 'phone', i, '+1 (555) ' || lpad((i * 7)::text, 3, '0') || '-' || lpad(i::text, 4, '0')
FROM generate_series(1, 100) i;
INSERT INTO batch_values SELECT 'alnum', i, substr(md5(i::text), 1, 6 + i % 30) FROM generate_series(1, 100) i;
INSERT INTO batch_values SELECT 'email', i, 'user.' || i || '@example.com' FROM generate_series(1, 100) i;
INSERT INTO batch_values SELECT 'greek', i,
	translate(substr(md5(i::text), 1, CASE WHEN i % 10 = 0 THEN 80 ELSE 8 + i % 3 END), '0123456789abcdef', 'αβγδεζηθικλμνξοπ')
FROM generate_series(1, 100) i;

-- the array form equals the scalar form, element by element, for every format
SELECT b.format, count(*) AS values, count(*) FILTER (WHERE b.value IS NULL) AS nulls,
       count(*) FILTER (WHERE t.token IS DISTINCT FROM privacy.tokenize(b.value, b.format)) AS differ
FROM (SELECT format, array_agg(value ORDER BY i) AS vals, array_agg(i ORDER BY i) AS ids FROM batch_values GROUP BY format) a
CROSS JOIN LATERAL unnest(privacy.tokenize(a.vals, a.format), a.ids) AS t(token, i)
JOIN batch_values b ON b.format = a.format AND b.i = t.i
GROUP BY b.format ORDER BY b.format;

-- shape: bounds and dimensions are kept; empty and NULL inputs
SELECT array_dims(privacy.tokenize('[3:4]={"4000000000000002",NULL}'::text[], 'card')) AS dims,
       (privacy.tokenize('[3:4]={"4000000000000002",NULL}'::text[], 'card'))[3] = privacy.tokenize('4000000000000002', 'card') AS same,
       (privacy.tokenize('[3:4]={"4000000000000002",NULL}'::text[], 'card'))[4] IS NULL AS null_kept;
SELECT array_dims(privacy.tokenize(ARRAY[['123456789', '987654321'], ['111223333', NULL]], 'ssn')) AS dims_2d;
SELECT privacy.tokenize('{}'::text[], 'card') AS empty, privacy.tokenize(NULL::text[], 'card') IS NULL AS null_array,
       privacy.tokenize(ARRAY['4000000000000002'], NULL) IS NULL AS null_format;

-- errors: the whole call fails as the scalar form would, without the value
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['4000000000000002', '4000000000000003'], 'card')$$, '4000000000000003') AS not_luhn;
SELECT pg_temp.err($$SELECT privacy.tokenize('4000000000000003', 'card')$$, '4000000000000003') AS not_luhn_scalar;
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['123456789', '12345x789'], 'ssn')$$, '12345x789') AS bad_character;
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['12'], 'digits')$$) AS too_short;
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['123456789'], 'no_such_format')$$) AS unknown_format;
-- the lane parser (issue 19, fpe3: values without separators parsed and
-- rebuilt in place, runs of 16 digits read at once): empty, non-ASCII, too
-- long and malformed elements among valid ones and NULLs fail the whole call
-- as the scalar form fails on them, without the value; every shape of a
-- valid element gives the scalar form's token, NULLs stay NULL
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['4000000000000002', NULL, ''], 'card')$$) AS empty_element,
       pg_temp.err($$SELECT privacy.tokenize('', 'card')$$) AS empty_scalar;
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['4000000000000002', NULL, E'4000\u00a09999 0000 0002'], 'card')$$, '9999') AS non_ascii_element,
       pg_temp.err($$SELECT privacy.tokenize(E'4000\u00a09999 0000 0002', 'card')$$, '9999') AS non_ascii_scalar;
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY[repeat('49', 35), '4000000000000002'], 'card')$$, '494949') AS too_long_element,
       pg_temp.err($$SELECT privacy.tokenize(repeat('49', 35), 'card')$$, '494949') AS too_long_scalar;
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['4000000000000002', '4000000000000002z'], 'card')$$, '0002z') AS letter_after_run,
       pg_temp.err($$SELECT privacy.tokenize('4000000000000002z', 'card')$$, '0002z') AS letter_after_run_scalar;
SELECT count(*) AS elements, count(*) FILTER (WHERE t IS NULL) AS nulls,
       count(*) FILTER (WHERE t IS NOT DISTINCT FROM privacy.tokenize(v, 'card')) AS same_as_scalar
FROM unnest(ARRAY['4000000000000002', NULL, '4000 0000 0000 0002', '-4000000000000002', '4000000000000002 ',
                  '4000-0000-0000-0002', '4000000000000000006', '400000000000000000 6', '400000000002'],
            privacy.tokenize(ARRAY['4000000000000002', NULL, '4000 0000 0000 0002', '-4000000000000002', '4000000000000002 ',
                  '4000-0000-0000-0002', '4000000000000000006', '400000000000000000 6', '400000000002'], 'card')) AS e(v, t);

-- privileges: as tokenize(text, text)
GRANT EXECUTE ON FUNCTION privacy.tokenize(text[], text) TO regress_batch_app;
SET ROLE regress_batch_nobody;
SELECT pg_temp.err($$SELECT privacy.tokenize(ARRAY['4000000000000002'], 'card')$$) AS nobody;
SELECT pg_temp.err($$SELECT privacy._retokenize_values(ARRAY['4000000000000002'], 'card', 0, 0)$$) AS nobody_retokenize;
RESET ROLE;
SELECT privacy.tokenize('4000000000000002', 'card') AS expected_token \gset
SET ROLE regress_batch_app;
SELECT (privacy.tokenize(ARRAY['4000000000000002'], 'card'))[1] = :'expected_token' AS granted_same;
RESET ROLE;

-- INSERT ... SELECT through the array form
CREATE TABLE batch_cards (id int, token text);
INSERT INTO batch_cards
SELECT t.id, t.token FROM (SELECT array_agg(value ORDER BY i) AS vals, array_agg(i ORDER BY i) AS ids
                           FROM batch_values WHERE format = 'card') a,
     unnest(a.ids, privacy.tokenize(a.vals, 'card')) AS t(id, token);
SELECT count(*) AS rows, count(*) FILTER (WHERE c.token IS DISTINCT FROM privacy.tokenize(b.value, 'card')) AS differ
FROM batch_cards c JOIN batch_values b ON b.format = 'card' AND b.i = c.id;

-- _retokenize_values equals _retokenize_value element by element, after a rotation
SELECT privacy.rotate_key('default') AS v2;
SELECT count(*) AS moved, count(*) FILTER (WHERE t.new IS DISTINCT FROM privacy._retokenize_value(c.token, 'card', 0, 0)) AS differ,
       count(*) FILTER (WHERE t.new IS DISTINCT FROM c.token) AS changed,
       count(*) FILTER (WHERE privacy._token_key_version(t.new, 'card') = 2) AS at_v2
FROM (SELECT array_agg(token ORDER BY id) AS toks, array_agg(id ORDER BY id) AS ids FROM batch_cards WHERE token IS NOT NULL) a
CROSS JOIN LATERAL unnest(privacy._retokenize_values(a.toks, 'card', 0, 0), a.ids) AS t(new, id)
JOIN batch_cards c ON c.id = t.id;
SELECT count(*) AS ssn_moved,
       count(*) FILTER (WHERE t.new IS DISTINCT FROM privacy._retokenize_value(t.old, 'ssn', 1, 2)) AS differ,
       count(*) FILTER (WHERE privacy.detokenize(t.new, 'ssn', 2) IS DISTINCT FROM b.value) AS wrong_value
FROM (SELECT array_agg(privacy.tokenize(value, 'ssn') ORDER BY i) AS toks, array_agg(i ORDER BY i) AS ids
      FROM batch_values WHERE format = 'ssn') a
CROSS JOIN LATERAL unnest(a.toks, privacy._retokenize_values(a.toks, 'ssn', 1, 2), a.ids) AS t(old, new, i)
JOIN batch_values b ON b.format = 'ssn' AND b.i = t.i;
SELECT pg_temp.err($$SELECT privacy._retokenize_values(ARRAY['4000000000000002'], 'card', 0, 0)$$, '4000000000000002') AS card_number_is_no_token;
SELECT pg_temp.err($$SELECT privacy._retokenize_values(ARRAY['123456789'], 'ssn', 0, 0)$$) AS needs_version;

-- the one-pass card retokenize and its ticket
SET client_min_messages = warning;
CREATE ROLE regress_batch_owner;
RESET client_min_messages;
CREATE TABLE batch_owned (id int, card privacy.card_token);
INSERT INTO batch_owned SELECT id, token FROM batch_cards WHERE token IS NOT NULL;
ALTER TABLE batch_owned OWNER TO regress_batch_owner;
CREATE TABLE batch_trigger_log (who text, outcome text);
GRANT INSERT ON batch_trigger_log TO regress_batch_owner;
CREATE FUNCTION public.batch_try_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		PERFORM privacy._retokenize_in_place(NEW.card::text, 'card', 1);
		INSERT INTO public.batch_trigger_log VALUES (current_user::text, 'moved');
	EXCEPTION WHEN OTHERS THEN
		INSERT INTO public.batch_trigger_log VALUES (current_user::text, SQLSTATE);
	END;
	RETURN NEW;
END $$;
ALTER FUNCTION public.batch_try_move() OWNER TO regress_batch_owner;
CREATE TRIGGER try_move BEFORE UPDATE ON batch_owned FOR EACH ROW EXECUTE FUNCTION public.batch_try_move();
SELECT privacy.retokenize('batch_owned', 'card') AS moved;
SELECT who, outcome, count(*) FROM batch_trigger_log GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS rows, count(*) FILTER (WHERE privacy._token_key_version(o.card, 'card') = 2) AS at_v2,
       count(*) FILTER (WHERE privacy.detokenize(o.card, 'card') IS DISTINCT FROM regexp_replace(b.value, '\D', '', 'g')) AS wrong_value
FROM batch_owned o JOIN batch_values b ON b.format = 'card' AND b.i = o.id;
SELECT privacy.retokenize('batch_owned', 'card') AS moved_again;
SELECT pg_temp.err($$SELECT privacy._retokenize_in_place('4000000000000002', 'card', 12345)$$) AS guessed_ticket;
SELECT pg_temp.err($$SELECT privacy._retokenize_needed('4000000000000002', 'card', 12345)$$) AS guessed_ticket_needed;
SELECT (SELECT token FROM batch_cards WHERE token IS NOT NULL ORDER BY id LIMIT 1) AS some_token \gset
BEGIN;
SELECT privacy._retokenize_ticket('card', 2) AS ticket \gset
SELECT privacy._token_key_version(:'some_token', 'card') AS version_before,
       privacy._retokenize_needed(:'some_token', 'card', :ticket) AS needed_with_ticket,
       privacy._token_key_version(privacy._retokenize_in_place(:'some_token', 'card', :ticket), 'card') AS version_after,
       privacy.detokenize(privacy._retokenize_in_place(:'some_token', 'card', :ticket), 'card')
         = privacy.detokenize(:'some_token', 'card') AS same_value;
SELECT pg_temp.err($$SELECT privacy._retokenize_needed('4000000000000002', 'ssn', $$ || :ticket || $$)$$) AS other_format;
SELECT privacy._retokenize_ticket('card', 0) AS ended;  -- what retokenize does when it is done
SELECT pg_temp.err($$SELECT privacy._retokenize_needed('4000000000000002', 'card', $$ || :ticket || $$)$$) AS ended_ticket;
COMMIT;
SELECT pg_temp.err($$SELECT privacy._retokenize_needed('4000000000000002', 'card', $$ || :ticket || $$)$$) AS ended_transaction;
SET ROLE regress_batch_nobody;
SELECT pg_temp.err($$SELECT privacy._retokenize_ticket('card', 2)$$) AS nobody_ticket;
RESET ROLE;
DROP TABLE batch_owned, batch_trigger_log;
DROP FUNCTION public.batch_try_move();
DROP ROLE regress_batch_owner;

DROP TABLE batch_values, batch_cards;
SELECT privacy.drop_token_format('greek');
SET client_min_messages = error;
SELECT privacy.drop_key('default', true);
RESET client_min_messages;
REVOKE EXECUTE ON FUNCTION privacy.tokenize(text[], text) FROM regress_batch_app;
DROP ROLE regress_batch_app, regress_batch_nobody;
