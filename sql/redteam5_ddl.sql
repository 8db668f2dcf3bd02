-- redteam5_ddl.sql: DDL that red team 5 used to take masks off raw values,
-- each refused, with positive controls.
-- F6: ALTER COLUMN ... DROP EXPRESSION on a generated column derived from a
--     masked column (its stored values were computed from raw values):
--     refused (42501) for a masked role; a superuser may; a column with a
--     mask of its own keeps it and may.
-- F7: NO INHERIT / DETACH PARTITION of a member that the parent's masks or
--     row policies govern: refused (55006) for non-superusers; allowed once
--     the member declares the mask itself.
-- F8: ALTER DOMAIN ... ADD CONSTRAINT CHECK / VALIDATE CONSTRAINT on a
--     domain of a masked column: refused (42501) for a masked role (the
--     check would run the domain owner's code on raw values); an ungoverned
--     domain and a superuser may.
-- F12a: a DO INSTEAD rule on UPDATE makes retokenize refuse (55000)
--     instead of looping until the statement timeout; so does a trigger
--     that skips the update of rows (returns NULL), which used to leave
--     them with their old tokens silently.
SET client_min_messages = warning;
CREATE ROLE regress_rt5d_owner;
CREATE ROLE regress_rt5d_sel;
CREATE ROLE regress_rt5d_creator;
RESET client_min_messages;
CREATE SCHEMA rt5d AUTHORIZATION regress_rt5d_owner;
GRANT USAGE ON SCHEMA rt5d TO regress_rt5d_sel, regress_rt5d_creator;
GRANT CREATE ON SCHEMA rt5d TO regress_rt5d_creator;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN st || ' ' || msg;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.err(text) TO PUBLIC;

-- F6: DROP EXPRESSION
SET ROLE regress_rt5d_owner;
CREATE TABLE rt5d.people(id int PRIMARY KEY, email text,
	email_lower text GENERATED ALWAYS AS (lower(email)) STORED,
	id2 int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO rt5d.people(id, email) VALUES (1, 'Alice@Example.com');
GRANT SELECT ON rt5d.people TO regress_rt5d_sel;
RESET ROLE;
SELECT privacy.mask_column('rt5d.people', 'email', 'privacy.mask_email(email)');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.people ALTER COLUMN email_lower DROP EXPRESSION') AS drop_derived;
-- control: a generated column that reads no masked column
SELECT pg_temp.err('ALTER TABLE rt5d.people ALTER COLUMN id2 DROP EXPRESSION') AS drop_unmasked_source;
RESET ROLE;
-- a mask of its own stays with the plain column
SELECT privacy.mask_column('rt5d.people', 'email_lower', '''***''');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.people ALTER COLUMN email_lower DROP EXPRESSION') AS drop_own_mask;
RESET ROLE;
SET ROLE regress_rt5d_sel;
SELECT email, email_lower FROM rt5d.people;
RESET ROLE;
-- positive controls: a role exempt from the source's mask, and a superuser
SET ROLE regress_rt5d_owner;
CREATE TABLE rt5d.people2(id int, email text,
	email_lower text GENERATED ALWAYS AS (lower(email)) STORED,
	email_upper text GENERATED ALWAYS AS (upper(email)) STORED);
RESET ROLE;
SELECT privacy.mask_column('rt5d.people2', 'email', 'privacy.mask_email(email)');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.people2 ALTER COLUMN email_upper DROP EXPRESSION') AS masked_owner_drop;
RESET ROLE;
SELECT privacy.grant_unmasked('regress_rt5d_owner', 'rt5d.people2', 'email');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.people2 ALTER COLUMN email_upper DROP EXPRESSION') AS exempt_owner_drop;
RESET ROLE;
SELECT pg_temp.err('ALTER TABLE rt5d.people2 ALTER COLUMN email_lower DROP EXPRESSION') AS superuser_drop;

-- F7: NO INHERIT / DETACH PARTITION
SET ROLE regress_rt5d_owner;
CREATE TABLE rt5d.ip(id int, email text);
CREATE TABLE rt5d.ic() INHERITS (rt5d.ip);
INSERT INTO rt5d.ic VALUES (1, 'carol@example.com');
CREATE TABLE rt5d.visits(id int, note text) PARTITION BY RANGE (id);
CREATE TABLE rt5d.visits_us PARTITION OF rt5d.visits FOR VALUES FROM (0) TO (100);
CREATE TABLE rt5d.visits_eu PARTITION OF rt5d.visits FOR VALUES FROM (100) TO (200);
INSERT INTO rt5d.visits VALUES (1, 'bob private visit'), (101, 'eve private visit');
GRANT SELECT ON rt5d.ic, rt5d.visits_us, rt5d.visits_eu TO regress_rt5d_sel;
RESET ROLE;
SELECT privacy.mask_column('rt5d.ip', 'email', 'privacy.mask_email(email)');
SELECT privacy.mask_column('rt5d.visits', 'note', '''***''');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.ic NO INHERIT rt5d.ip') AS no_inherit;
SELECT pg_temp.err('ALTER TABLE rt5d.visits DETACH PARTITION rt5d.visits_us') AS detach;
RESET ROLE;
SET ROLE regress_rt5d_sel;
SELECT email FROM rt5d.ic;
SELECT note FROM rt5d.visits_us;
RESET ROLE;
-- masks are declared on family roots only: the way out is to remove the
-- root's mask first (the member is then ungoverned by the owner's choice
-- of an administrator's act, not by the owner's DDL)
SELECT pg_temp.err($$SELECT privacy.mask_column('rt5d.ic', 'email', 'privacy.mask_email(email)')$$) AS member_mask;
-- found attacking this fix: DROP COLUMN of the parent's masked column when
-- a child keeps it (ONLY, or the child defines the column itself)
SET ROLE regress_rt5d_owner;
CREATE TABLE rt5d.ic_local(email text) INHERITS (rt5d.ip);
SELECT pg_temp.err('ALTER TABLE ONLY rt5d.ip DROP COLUMN email') AS drop_only;
SELECT pg_temp.err('ALTER TABLE rt5d.ip DROP COLUMN email') AS drop_local_child;
SELECT pg_temp.err('ALTER TABLE rt5d.ip DROP COLUMN id') AS drop_unmasked_column;
DROP TABLE rt5d.ic_local;
RESET ROLE;
SELECT privacy.unmask_column('rt5d.ip', 'email');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.ic NO INHERIT rt5d.ip') AS no_inherit_after_unmask;
RESET ROLE;
-- positive control: a superuser may detach (the purge worker does)
SELECT pg_temp.err('ALTER TABLE rt5d.visits DETACH PARTITION rt5d.visits_us') AS superuser_detach_masked;
-- row policies of the family: the same
SELECT privacy.create_purpose('rt5d_marketing', 'test') IS NULL AS purpose;
SELECT privacy.require_consent('rt5d.visits', 'note', 'rt5d_marketing');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.visits DETACH PARTITION rt5d.visits_eu') AS detach_row_policy;
RESET ROLE;
SELECT privacy.unmask_column('rt5d.visits', 'note');
SET ROLE regress_rt5d_owner;
SELECT pg_temp.err('ALTER TABLE rt5d.visits DETACH PARTITION rt5d.visits_eu') AS detach_row_policy_no_mask;
RESET ROLE;
-- positive control: a superuser may
SELECT pg_temp.err('ALTER TABLE rt5d.visits DETACH PARTITION rt5d.visits_eu') AS superuser_detach;

-- F8: ALTER DOMAIN ... CHECK
SET ROLE regress_rt5d_creator;
CREATE DOMAIN rt5d.email_d AS text;
CREATE DOMAIN rt5d.free_d AS text;
CREATE TABLE rt5d.dom_loot(v text);
GRANT INSERT ON rt5d.dom_loot TO PUBLIC;
CREATE FUNCTION rt5d.dom_peek(v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO rt5d.dom_loot VALUES (v); RETURN true; END $$;
GRANT EXECUTE ON FUNCTION rt5d.dom_peek(text) TO PUBLIC;
RESET ROLE;
SET ROLE regress_rt5d_owner;
CREATE TABLE rt5d.dom_t(id int, email rt5d.email_d, other rt5d.free_d);
INSERT INTO rt5d.dom_t VALUES (1, 'erin@example.com', 'free value');
RESET ROLE;
SELECT privacy.mask_column('rt5d.dom_t', 'email', 'privacy.mask_email(email)');
SET ROLE regress_rt5d_creator;
SELECT pg_temp.err('ALTER DOMAIN rt5d.email_d ADD CONSTRAINT peek CHECK (rt5d.dom_peek(VALUE))') AS add_check;
SELECT pg_temp.err('ALTER DOMAIN rt5d.email_d ADD CONSTRAINT peek CHECK (rt5d.dom_peek(VALUE)) NOT VALID') AS add_check_not_valid;
-- SET NOT NULL runs no code of the domain owner's on the values
SELECT pg_temp.err('ALTER DOMAIN rt5d.email_d SET NOT NULL') AS set_not_null;
-- control: a domain no governed column uses
SELECT pg_temp.err('ALTER DOMAIN rt5d.free_d ADD CONSTRAINT peek CHECK (rt5d.dom_peek(VALUE))') AS ungoverned_domain;
SELECT v FROM rt5d.dom_loot ORDER BY v;
RESET ROLE;
-- a superuser adds a NOT VALID check; the creator may not validate it
ALTER DOMAIN rt5d.email_d ADD CONSTRAINT later CHECK (length(VALUE) > 0) NOT VALID;
SET ROLE regress_rt5d_creator;
SELECT pg_temp.err('ALTER DOMAIN rt5d.email_d VALIDATE CONSTRAINT later') AS validate;
RESET ROLE;
SELECT pg_temp.err('ALTER DOMAIN rt5d.email_d VALIDATE CONSTRAINT later') AS superuser_validate;
-- positive control: a role exempt from the column's mask may (it reads raw values anyway)
SELECT privacy.grant_unmasked('regress_rt5d_creator', 'rt5d.dom_t', 'email');
SET ROLE regress_rt5d_creator;
SELECT pg_temp.err('ALTER DOMAIN rt5d.email_d ADD CONSTRAINT peek CHECK (rt5d.dom_peek(VALUE))') AS exempt_add_check;
RESET ROLE;
SELECT count(*) AS checked_rows FROM rt5d.dom_loot;

-- F12a: retokenize and a DO INSTEAD rule
SELECT privacy.create_key('default') IS NOT NULL AS key_created;
CREATE TABLE rt5d.cards(id int, tok privacy.card_token);
INSERT INTO rt5d.cards VALUES (1, privacy.tokenize('5555555555554444', 'card')::privacy.card_token);
CREATE TABLE rt5d.rt_counter(n int);
INSERT INTO rt5d.rt_counter VALUES (0);
CREATE RULE cards_instead AS ON UPDATE TO rt5d.cards DO INSTEAD UPDATE rt5d.rt_counter SET n = n + 1;
SELECT privacy.rotate_key('default') IS NOT NULL AS rotated;
SET statement_timeout = '20s';
SELECT pg_temp.err($$SELECT privacy.retokenize('rt5d.cards', 'tok')$$) AS retokenize_instead_rule;
DROP RULE cards_instead ON rt5d.cards;
-- a trigger of the owner that keeps the old token: every pass reports the
-- row, none moves it; the second pass stops the loop
CREATE FUNCTION rt5d.keep_tok() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.tok := OLD.tok; RETURN NEW; END $$;
CREATE TRIGGER keep_tok BEFORE UPDATE ON rt5d.cards FOR EACH ROW EXECUTE FUNCTION rt5d.keep_tok();
SELECT pg_temp.err($$SELECT privacy.retokenize('rt5d.cards', 'tok')$$) AS retokenize_no_progress;
DROP TRIGGER keep_tok ON rt5d.cards;
-- a trigger of the owner that skips the update (returns NULL): the pass
-- moves nothing, and the row would keep its old token silently; refused
-- (55000), with the row unchanged (fpe3)
CREATE FUNCTION rt5d.skip_one() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.id = 1 THEN RETURN NULL; END IF; RETURN NEW; END $$;
CREATE TRIGGER skip_one BEFORE UPDATE ON rt5d.cards FOR EACH ROW EXECUTE FUNCTION rt5d.skip_one();
CREATE TEMP TABLE rt5d_before AS SELECT id, tok::text AS tok FROM rt5d.cards;
SELECT pg_temp.err($$SELECT privacy.retokenize('rt5d.cards', 'tok')$$) AS retokenize_skipped_rows;
SELECT count(*) AS unchanged FROM rt5d.cards c JOIN rt5d_before b USING (id) WHERE c.tok::text = b.tok;
DROP TRIGGER skip_one ON rt5d.cards;
-- control: without them the token moves

SELECT privacy.retokenize('rt5d.cards', 'tok') AS moved;
SELECT privacy.detokenize(tok::text, 'card') = '5555555555554444' AS roundtrip FROM rt5d.cards;
RESET statement_timeout;

SET client_min_messages = error;
SELECT privacy.drop_key('default', force => true) IS NULL AS key_dropped;
SET client_min_messages = warning;
DROP SCHEMA rt5d CASCADE;
DROP ROLE regress_rt5d_owner, regress_rt5d_sel, regress_rt5d_creator;
