-- schema.sql: the adversarial target. Run as superuser in a fresh database
-- with psql variables :s1 .. :s4 holding this database's secrets, :attacker
-- naming the attacking login role (it exists already) and :unmasked true for
-- the positive-control databases, where that role is exempt from masking.
-- Two
-- databases get the same schema and different secrets; every attack must
-- produce byte-identical output in both (nothing observable depends on a
-- secret) and no secret may appear anywhere.
CREATE EXTENSION pg_privacy;
CREATE SCHEMA adv;
CREATE TABLE adv.person (id int PRIMARY KEY, name text, ssn text, note text);
INSERT INTO adv.person VALUES (1, 'Ann', :'s1', 'n1'), (2, 'Bob', :'s2', 'n2'), (3, 'Cy', :'s3', 'n3');
CREATE TABLE adv.events (id int, at date, secret text) PARTITION BY RANGE (at);
CREATE TABLE adv.events_1 PARTITION OF adv.events FOR VALUES FROM ('2020-01-01') TO ('2030-01-01');
INSERT INTO adv.events VALUES (1, '2024-01-01', :'s4');
CREATE TABLE adv.guesses (g text);
ALTER TABLE adv.person ADD CONSTRAINT note_allowed CHECK (note <> 'forbidden');
ANALYZE adv.person, adv.events;
CREATE STATISTICS adv_person_stats (ndistinct, mcv) ON ssn, note FROM adv.person;
ANALYZE adv.person;
SELECT privacy.mask_column('adv.person', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.mask_column('adv.events', 'secret', 'privacy.redact(secret)');
CREATE VIEW adv.person_view AS SELECT * FROM adv.person;
CREATE FUNCTION adv.ssn_of(int) RETURNS text LANGUAGE sql STABLE AS 'SELECT ssn FROM adv.person WHERE id = $1';
CREATE FUNCTION adv.all_people() RETURNS SETOF adv.person LANGUAGE sql STABLE AS 'SELECT * FROM adv.person';
CREATE SCHEMA adv_scratch AUTHORIZATION :"attacker";
GRANT USAGE ON SCHEMA adv TO :"attacker";
GRANT SELECT ON ALL TABLES IN SCHEMA adv TO :"attacker";
GRANT INSERT ON adv.guesses TO :"attacker";
-- Consent-gated rows: subjects a/b consented to 'adv'; the other rows (which
-- hold this database's secrets, in every column an attacker can reach) are
-- invisible to the attacker even under that purpose. Both databases hold the
-- same number of rows (row counts are not secret in PostgreSQL's model:
-- pg_class.reltuples is public), only their contents differ.
CREATE TABLE adv.contact (id int PRIMARY KEY, subject text, secret text);
INSERT INTO adv.contact VALUES (1, 'subject-a', 'visible-1'), (2, 'subject-b', 'visible-2'),
    (3, :'s1', :'s1'), (4, :'s3', :'s3'), (5, 'subject-z', :'s2');
SELECT privacy.create_purpose('adv', 'adversarial suite');
SELECT privacy.create_purpose('other', 'a purpose the attacker may not declare');
SELECT privacy.allow_purpose(:'attacker', 'adv');
SELECT privacy.require_consent('adv.contact', 'subject', 'adv');
SELECT privacy.grant_consent('subject-a', 'adv');
SELECT privacy.grant_consent('subject-b', 'adv');
SELECT privacy.grant_consent(:'s3', 'other');
ANALYZE adv.contact;
GRANT SELECT ON adv.contact TO :"attacker";
-- issue 18: a column protected by its category, a column added after the
-- table became governed (denied by default), a generated column over the
-- protected one, and a table and a materialized view the superuser (exempt)
-- built from protected columns (lineage)
CREATE TABLE adv.member (id int PRIMARY KEY, email text, plan text);
INSERT INTO adv.member VALUES (1, :'s1', 'basic'), (2, :'s2', 'pro'), (3, :'s3', 'basic');
SELECT privacy.bind_category('email', 'privacy.redact(value)');
SELECT privacy.classify('adv.member', 'email', 'email');
ALTER TABLE adv.member ADD COLUMN token text;
UPDATE adv.member SET token = :'s4' || id;
ALTER TABLE adv.member ADD COLUMN email_upper text GENERATED ALWAYS AS (upper(email)) STORED;
SELECT privacy.mark_not_personal('adv.member', 'email_upper');
CREATE TABLE adv.member_copy AS SELECT id, email || '/' || token AS contact FROM adv.member;
CREATE MATERIALIZED VIEW adv.member_mv AS SELECT id, lower(email) AS email FROM adv.member;
ANALYZE adv.member, adv.member_copy, adv.member_mv;
GRANT SELECT ON adv.member, adv.member_copy, adv.member_mv TO :"attacker";
\if :unmasked
SELECT privacy.grant_unmasked(:'attacker');
\endif
