-- attacks_classes_4_6.sql: issue 13, classes 4-6, in the attacker's words.
-- Run as adv_masked (must learn nothing and destroy nothing: output
-- identical in both databases, no secret anywhere) and as adv_control46
-- (the positive control: the same queries return data, so each section's
-- output differs between the databases). :g1 .. :g4 are database a's
-- secrets; :h1 .. :h4 database b's. Only a's values are guessed here, so an
-- attack that worked would answer differently in the two databases.
\set ON_ERROR_STOP off
\set VERBOSITY terse

\echo == class 4: overwrite real values with what I see
-- I have UPDATE. If I write back what I read, the real values are gone.
UPDATE adv46.accounts a SET (ssn, pn) = (SELECT a.ssn, a.pn);
UPDATE adv46.accounts a SET (amount, born) = (SELECT b.amount, b.born FROM adv46.accounts b WHERE b.id = a.id);
UPDATE adv46.accounts SET ssn = adv46.ssn_of(id) RETURNING id, ssn;
UPDATE adv46.accounts a SET pn = (adv46.row_of(a.id)).pn, amount = (adv46.row_of(a.id)).amount;
WITH seen AS (SELECT id, adv46.ssn_of(id) AS s FROM adv46.accounts)
UPDATE adv46.accounts a SET ssn = seen.s FROM seen WHERE seen.id = a.id;
MERGE INTO adv46.accounts a USING (SELECT id FROM adv46.accounts) s ON a.id = s.id
	WHEN MATCHED THEN UPDATE SET born = (adv46.row_of(a.id)).born;
INSERT INTO adv46.accounts (id) SELECT id FROM adv46.accounts
	ON CONFLICT (id) DO UPDATE SET pn = (adv46.row_of(EXCLUDED.id)).pn;
DO $$
DECLARE r adv46.accounts;
BEGIN
	FOR r IN SELECT * FROM adv46.accounts LOOP
		UPDATE adv46.accounts SET ssn = r.ssn, pn = r.pn, amount = r.amount, born = r.born WHERE id = r.id;
	END LOOP;
END $$;
\echo == class 4: did the real values survive (visible to the control only)
SELECT id, ssn, pn = ssn AS pn_is_ssn, amount = hashtext(ssn) & 1048575 AS amount_is_real FROM adv46.accounts
ORDER BY id;

\echo == class 5: recompute a keyed mask for my guesses and match
SELECT count(*) AS pseudonym_hits FROM adv46.subjects s
WHERE s.name IN (privacy.pseudonym(:'g1'), privacy.pseudonym(:'g2'), privacy.pseudonym(:'g4'));
SELECT count(*) AS fake_hits FROM adv46.subjects s
WHERE s.fake IN (privacy.fake_full_name(:'g1'), privacy.fake_full_name(:'g2'));
SELECT count(*) AS noise_hits FROM adv46.subjects s
WHERE s.amount = privacy.noise(hashtext(:'g1') & 1048575, 0.2);
SELECT count(*) AS shift_hits FROM adv46.subjects s
WHERE s.born = privacy.shift_date('2000-01-01'::date + (hashtext(:'g1') & 4095), 30);
\echo == class 5: call the entry point the planner uses, myself
SELECT count(*) AS entry_hits FROM adv46.subjects s WHERE s.name = privacy._mask_pseudonym(:'g1', '');
CREATE TEMP TABLE my_guess (g text, p text DEFAULT privacy._mask_pseudonym('x'));
INSERT INTO my_guess (g) VALUES ('x');
CREATE OPERATOR pg_temp.=== (FUNCTION = privacy._mask_pseudonym, LEFTARG = text, RIGHTARG = text);
SELECT count(*) AS operator_hits FROM adv46.subjects s WHERE s.name = (:'g1' OPERATOR(pg_temp.===) '');
-- and the same through a function of my own (control: has EXECUTE)
CREATE FUNCTION pg_temp.pn(t text) RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN privacy.pseudonym(t); END $$;
SELECT count(*) AS function_hits FROM adv46.subjects s WHERE s.name = pg_temp.pn(:'g1');

\echo == class 6: undo a wrapped noise near the bigint limit
-- noise(v, 0.5) of a value next to 2^63 - 1 that wrapped around comes out
-- negative, and output + 2^64 (or the raw value itself, if unmasked) gives
-- the value back; a saturated one is positive and clamped.
SELECT count(*) FILTER (WHERE v < 0) AS negative, count(*) AS rows FROM adv46.amounts;
SELECT count(*) AS recovered FROM adv46.amounts a
WHERE (CASE WHEN a.v < 0 THEN a.v::numeric + 18446744073709551616 ELSE a.v::numeric END)
	IN (SELECT 9223372036854775807 - ((hashtext(:'g1' || k) & 1048575) + 1) * 1000 FROM generate_series(1, 32) k);
\echo == end
