-- schema.sql: the adversarial target. Run as superuser in a fresh database
-- with psql variables :s1 .. :s4 holding this database's secrets; the role
-- adv_masked (LOGIN) exists already. Two
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
CREATE SCHEMA adv_scratch AUTHORIZATION adv_masked;
GRANT USAGE ON SCHEMA adv TO adv_masked;
GRANT SELECT ON ALL TABLES IN SCHEMA adv TO adv_masked;
GRANT INSERT ON adv.guesses TO adv_masked;
