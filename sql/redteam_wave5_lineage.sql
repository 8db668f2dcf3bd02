-- redteam_wave5_lineage: red-team pass 5, F4. A stored generated column
-- over a masked column is masked for a role exactly while its source is,
-- also in a database that only masks: no category, no default-deny row, no
-- recorded lineage (0.2.0 before this fix returned it raw there). Runs in a
-- database of its own, so that no other suite's catalog rows are loaded.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
CREATE DATABASE regress_rt5_lineage;
CREATE ROLE regress_rt5l_reader;
CREATE ROLE regress_rt5l_exempt;
RESET client_min_messages;
\c regress_rt5_lineage
CREATE EXTENSION pg_privacy;
CREATE TABLE people(id int PRIMARY KEY, email text,
    email_lower text GENERATED ALWAYS AS (lower(email)) STORED,
    email_len int GENERATED ALWAYS AS (length(email)) STORED,
    id_twice int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO people(id, email) VALUES (1, 'Alice@Example.com');
GRANT SELECT ON people TO regress_rt5l_reader, regress_rt5l_exempt;
SELECT privacy.mask_column('people', 'email', 'privacy.mask_email(email)');
SELECT privacy.grant_unmasked('regress_rt5l_exempt', 'people', 'email');
-- only masks in this database
SELECT (SELECT count(*) FROM privacy._classification) AS classified,
       (SELECT count(*) FROM privacy._new_column) AS denied_new,
       (SELECT count(*) FROM privacy._derived_column) AS derived;
-- the masked role: the generated columns over email are masked (NULL), the
-- one over id is not
SET ROLE regress_rt5l_reader;
SELECT id, email, email_lower, email_len, id_twice FROM people;
SELECT count(*) AS found_by_raw_lower FROM people WHERE email_lower = 'alice@example.com';
RESET ROLE;
-- positive control: the exempt role reads every column raw
SET ROLE regress_rt5l_exempt;
SELECT id, email, email_lower, email_len, id_twice FROM people;
RESET ROLE;
-- the mask dropped: the generated column is raw again for the reader
SELECT privacy.unmask_column('people', 'email');
SET ROLE regress_rt5l_reader;
SELECT id, email, email_lower FROM people;
RESET ROLE;
\c :regress_db
SET client_min_messages = warning;
DROP DATABASE regress_rt5_lineage;
DROP ROLE regress_rt5l_reader, regress_rt5l_exempt;
RESET client_min_messages;
