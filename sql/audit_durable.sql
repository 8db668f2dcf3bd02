-- audit_durable: every detokenization that returned values, and every
-- subject export, is recorded in privacy.audit_log even when its
-- transaction or subtransaction aborts (the records go through a queue in
-- shared memory, written by the audit writer outside the transaction);
-- committed disclosures are recorded once; cursors fetched partially are
-- recorded at the fetch; records carry counts, never values.
SET client_min_messages = warning;
CREATE ROLE regress_aud_reader;
RESET client_min_messages;
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
SELECT privacy.create_key('default') AS default_key;
CREATE TABLE aud_pay (id int PRIMARY KEY, card text NOT NULL);
INSERT INTO aud_pay SELECT i, privacy.tokenize(c, 'card')
FROM unnest(ARRAY['4111' || '111111111111', '5555' || '555555554444', '4012' || '888888881881']) WITH ORDINALITY AS x(c, i);
GRANT SELECT ON aud_pay TO regress_aud_reader;
SELECT privacy.grant_detokenize('regress_aud_reader', 'card');

-- audit_rows(): waits (bounded) for the writer, returns and clears the rows
CREATE FUNCTION pg_temp.audit_rows()
RETURNS TABLE (role_name name, action text, format text, value_count bigint, object text)
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT privacy.audit_wait('30 seconds') THEN
		RAISE EXCEPTION 'the audit writer did not write the records in time';
	END IF;
	RETURN QUERY DELETE FROM privacy.audit_log a WHERE a.action IN ('detokenize', 'export subject')
		RETURNING a.role_name, a.action, a.format, a.value_count, a.object;
END $$;
SELECT * FROM pg_temp.audit_rows();

-- committed: one row, not two
SET ROLE regress_aud_reader;
SELECT count(privacy.detokenize(card, 'card')) AS detokenized FROM aud_pay;
RESET ROLE;
SELECT * FROM pg_temp.audit_rows();

-- rolled back: the row stays
BEGIN;
SET LOCAL ROLE regress_aud_reader;
SELECT id, length(privacy.detokenize(card, 'card')) AS len FROM aud_pay ORDER BY id;
ROLLBACK;
SELECT * FROM pg_temp.audit_rows();

-- rolled back to a savepoint, the transaction commits
BEGIN;
SAVEPOINT s;
SET LOCAL ROLE regress_aud_reader;
SELECT id, length(privacy.detokenize(card, 'card')) AS len FROM aud_pay WHERE id < 3 ORDER BY id;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM pg_temp.audit_rows();

-- an error after values were computed (row 3 divides by zero)
SET ROLE regress_aud_reader;
SELECT id, length(privacy.detokenize(card, 'card')) AS len, 1 / (3 - id) AS boom FROM aud_pay ORDER BY id;
-- a function that detokenizes, then fails, inside an exception block
DO $$
BEGIN
	BEGIN
		PERFORM privacy.detokenize(card, 'card') FROM aud_pay WHERE id = 1;
		RAISE EXCEPTION 'fail after disclosure';
	EXCEPTION WHEN raise_exception THEN
		NULL;
	END;
END $$;
RESET ROLE;
SELECT * FROM pg_temp.audit_rows() ORDER BY value_count;

-- a cursor fetched partially and kept open is recorded at the fetch
BEGIN;
SET LOCAL ROLE regress_aud_reader;
DECLARE c CURSOR FOR SELECT id, length(privacy.detokenize(card, 'card')) AS len FROM aud_pay ORDER BY id;
FETCH 2 FROM c;
RESET ROLE;
SELECT privacy.audit_wait() AS audit_written;
SELECT role_name, action, format, value_count FROM privacy.audit_log WHERE action = 'detokenize';
ROLLBACK;
SELECT * FROM pg_temp.audit_rows();

-- a rolled-back subject export is recorded (table, pseudonym, row count)
CREATE TABLE aud_people (id int PRIMARY KEY, email text NOT NULL, card text);
INSERT INTO aud_people SELECT 1, 'ada' || '@example.org', card FROM aud_pay WHERE id = 1;
INSERT INTO aud_people VALUES (2, 'bo' || '@example.org', NULL);
SELECT privacy.classify('aud_people', 'card', 'payment_card', token_format => 'card');
SELECT privacy.register_subject('aud_people', 'email');
BEGIN;
SELECT jsonb_array_length(privacy.export_subject('ada' || '@example.org') -> 'public.aud_people') AS exported_rows;
ROLLBACK;
SELECT role_name = current_user AS by_me, action, format, value_count,
	object LIKE 'subject % in public.aud_people' AS object_names_table FROM pg_temp.audit_rows() ORDER BY action;

-- nothing in the log holds a value or a token
SELECT count(*) AS rows_with_values FROM privacy.audit_log a, aud_pay p
WHERE position(p.card IN a::text) > 0 OR position(privacy.detokenize(p.card, 'card') IN a::text) > 0;

SELECT privacy.unregister_subject('aud_people');
SELECT privacy.unclassify('aud_people', 'card');
SELECT privacy.revoke_detokenize('regress_aud_reader', 'card');
DROP TABLE aud_pay, aud_people;
SELECT privacy.drop_key('default', force => true);
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
DROP ROLE regress_aud_reader;
