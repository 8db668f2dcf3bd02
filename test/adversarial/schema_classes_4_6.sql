-- schema_classes_4_6.sql: targets for the attack classes 4-6 of issue 13
-- (write-back, keyed-mask oracle, noise wrap-around). Run as superuser after
-- schema.sql, with the same :s1 .. :s4 secrets; the roles adv_masked and
-- adv_control46 exist already.
--   adv_masked     sees every column below masked; may UPDATE the accounts.
--   adv_control46  the positive control: exempt from masking on the accounts
--                  and the amounts; masked on the subjects like adv_masked,
--                  but granted EXECUTE on the keyed masks (so the oracle
--                  works for it exactly as it worked for PUBLIC before).
-- Every value is derived from this database's secrets, so what a control
-- query returns differs between the two databases, and nothing the masked
-- role sees may.
CREATE SCHEMA adv46;
-- class 4: write-back
CREATE TABLE adv46.accounts (id int PRIMARY KEY, ssn text, pn text, amount bigint, born date);
INSERT INTO adv46.accounts
SELECT i, s, s, hashtext(s) & 1048575, '2000-01-01'::date + (hashtext(s) & 4095)
FROM (VALUES (1, :'s1'), (2, :'s2'), (3, :'s3'), (4, :'s4')) v(i, s);
SELECT privacy.mask_column('adv46.accounts', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.mask_column('adv46.accounts', 'pn', 'privacy.pseudonym(pn)');
SELECT privacy.mask_column('adv46.accounts', 'amount', 'privacy.noise(amount, 0.3)');
SELECT privacy.mask_column('adv46.accounts', 'born', 'privacy.shift_date(born, 20)');
CREATE FUNCTION adv46.ssn_of(i int) RETURNS text LANGUAGE plpgsql STABLE
	AS $$ BEGIN RETURN (SELECT ssn FROM adv46.accounts WHERE id = i); END $$;
CREATE FUNCTION adv46.row_of(i int) RETURNS adv46.accounts LANGUAGE sql STABLE
	AS $$ SELECT * FROM adv46.accounts WHERE id = i $$;
-- class 5: keyed masks as an oracle
CREATE TABLE adv46.subjects (id int PRIMARY KEY, name text, fake text, amount int, born date);
INSERT INTO adv46.subjects
SELECT i, s, s, hashtext(s) & 1048575, '2000-01-01'::date + (hashtext(s) & 4095)
FROM (VALUES (1, :'s1'), (2, :'s2'), (3, :'s3'), (4, :'s4')) v(i, s);
SELECT privacy.mask_column('adv46.subjects', 'name', 'privacy.pseudonym(name)');
SELECT privacy.mask_column('adv46.subjects', 'fake', 'privacy.fake_full_name(fake)');
SELECT privacy.mask_column('adv46.subjects', 'amount', 'privacy.noise(amount, 0.2)');
SELECT privacy.mask_column('adv46.subjects', 'born', 'privacy.shift_date(born, 30)');
-- class 6: noise next to the bigint limits
CREATE TABLE adv46.amounts (id int PRIMARY KEY, v bigint);
INSERT INTO adv46.amounts
SELECT i * 100 + k, 9223372036854775807 - ((hashtext(s || k) & 1048575) + 1) * 1000
FROM (VALUES (1, :'s1'), (2, :'s2'), (3, :'s3'), (4, :'s4')) v(i, s), generate_series(1, 32) k;
SELECT privacy.mask_column('adv46.amounts', 'v', 'privacy.noise(v, 0.5)');

GRANT USAGE ON SCHEMA adv46 TO adv_masked, adv_control46;
GRANT SELECT ON ALL TABLES IN SCHEMA adv46 TO adv_masked, adv_control46;
GRANT UPDATE, INSERT ON adv46.accounts TO adv_masked, adv_control46;
SELECT privacy.grant_unmasked('adv_control46', 'adv46.accounts');
SELECT privacy.grant_unmasked('adv_control46', 'adv46.amounts');
GRANT EXECUTE ON FUNCTION privacy.pseudonym(text, text), privacy.fake_full_name(text, text),
	privacy.noise(integer, double precision), privacy.shift_date(date, integer) TO adv_control46;
