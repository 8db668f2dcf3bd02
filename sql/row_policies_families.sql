-- row_policies_families.sql: proves that policies live on the root of a
-- table family (issue 15): masks, consent requirements, row filters and
-- hide_expired declared on a partition or an inheritance child are refused
-- (42809, with a hint naming the root) instead of being accepted and then
-- bypassed by queries through the parent; declared on the root they cover
-- every member, through the parent and directly (positive control). A
-- governed table cannot get a new parent (ATTACH PARTITION, INHERIT) whose
-- scans would read it under the parent's policies only (55000); an
-- ungoverned table can, and is governed by its new root at once. A masked
-- partition key is listed by coverage_gaps (tableoid reveals its range).
CREATE ROLE famp_reader;
CREATE SCHEMA famp;
GRANT USAGE ON SCHEMA famp TO famp_reader;
CREATE TABLE famp.orders (id int, email text, created timestamptz NOT NULL) PARTITION BY RANGE (created);
CREATE TABLE famp.orders_2020 PARTITION OF famp.orders FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE famp.orders_rest PARTITION OF famp.orders FOR VALUES FROM ('2021-01-01') TO (MAXVALUE);
CREATE TABLE famp.people (id int, email text, created timestamptz);
CREATE TABLE famp.staff (badge text) INHERITS (famp.people);
INSERT INTO famp.orders VALUES (1, 'ann' || '@example.org', '2020-05-01'), (2, 'bob' || '@example.org', '2022-05-01');
INSERT INTO famp.staff VALUES (3, 'cy' || '@example.org', now(), 'b3');
GRANT SELECT ON famp.orders, famp.orders_2020, famp.orders_rest, famp.people, famp.staff TO famp_reader;
SELECT privacy.create_purpose('famp_marketing', 'regression');
SELECT privacy.set_retention('famp.orders_2020', 'created', '1 day');

-- refused on members, with a hint naming the root
\set VERBOSITY default
\set ON_ERROR_STOP 0
SELECT privacy.mask_column('famp.orders_2020', 'email', 'privacy.mask_email(email)');
\set VERBOSITY terse
SELECT privacy.mask_column('famp.staff', 'email', 'privacy.mask_email(email)');
SELECT privacy.require_consent('famp.orders_2020', 'email', 'famp_marketing');
SELECT privacy.add_row_filter('famp.staff', 'only_one', 'id = 1');
SELECT privacy.hide_expired('famp.orders_2020');
\set ON_ERROR_STOP 1
SELECT count(*) AS member_policies FROM privacy.policies WHERE table_name::text LIKE 'famp.%' AND kind <> 'retention';
SELECT privacy.drop_retention('famp.orders_2020');

-- on the root: every path masks (positive control)
SELECT privacy.mask_column('famp.orders', 'email', 'privacy.mask_email(email)');
SELECT privacy.mask_column('famp.people', 'email', 'privacy.mask_email(email)');
SET ROLE famp_reader;
SELECT id, email FROM famp.orders ORDER BY id;
SELECT id, email FROM famp.orders_2020 ORDER BY id;
SELECT id, email FROM famp.people ORDER BY id;
SELECT id, email FROM famp.staff ORDER BY id;
RESET ROLE;

-- a governed table cannot get a new parent
CREATE TABLE famp.archive (id int, email text, created timestamptz NOT NULL) PARTITION BY RANGE (created);
CREATE TABLE famp.loose (id int, email text, created timestamptz NOT NULL);
INSERT INTO famp.loose VALUES (9, 'dee' || '@example.org', '2019-05-01');
GRANT SELECT ON famp.archive, famp.loose TO famp_reader;
SELECT privacy.mask_column('famp.loose', 'email', 'privacy.redact(email)');
\set ON_ERROR_STOP 0
ALTER TABLE famp.archive ATTACH PARTITION famp.loose FOR VALUES FROM ('2019-01-01') TO ('2020-01-01');
ALTER TABLE famp.loose INHERIT famp.people;
-- nor can a child governed through its parent get a second, ungoverned one
CREATE TABLE famp.other (id int, email text, created timestamptz);
GRANT SELECT ON famp.other TO famp_reader;
ALTER TABLE famp.staff INHERIT famp.other;
\set ON_ERROR_STOP 1
SET ROLE famp_reader;
SELECT count(*) AS raw_through_archive FROM famp.archive WHERE email LIKE 'dee%';
SELECT count(*) AS raw_through_other FROM famp.other WHERE email LIKE 'cy%';
RESET ROLE;
-- without its own policies it can join, and the new root masks it
SELECT privacy.unmask_column('famp.loose', 'email');
ALTER TABLE famp.orders ATTACH PARTITION famp.loose FOR VALUES FROM ('2019-01-01') TO ('2020-01-01');
SET ROLE famp_reader;
SELECT id, email FROM famp.orders WHERE id = 9;
SELECT id, email FROM famp.loose;
RESET ROLE;

-- a masked partition key: tableoid names the partition of each row, so a
-- masked role learns the range of the raw value; coverage_gaps says so
CREATE TABLE famp.births (id int, born date NOT NULL) PARTITION BY RANGE (born);
CREATE TABLE famp.births_old PARTITION OF famp.births FOR VALUES FROM ('1900-01-01') TO ('1970-01-01');
CREATE TABLE famp.births_new PARTITION OF famp.births FOR VALUES FROM ('1970-01-01') TO ('2100-01-01');
INSERT INTO famp.births VALUES (1, '1950-06-01'), (2, '1990-06-01');
GRANT SELECT ON famp.births TO famp_reader;
SELECT privacy.mask_column('famp.births', 'born', 'NULL::date');
SET ROLE famp_reader;
SELECT tableoid::regclass AS partition, id, born FROM famp.births ORDER BY id;
RESET ROLE;
SELECT table_name, column_name, source, evidence FROM privacy.coverage_gaps
WHERE table_name::text LIKE 'famp.%' ORDER BY 1, 2;

DROP SCHEMA famp CASCADE;
SELECT privacy.drop_row_policy(r.table_name, r.name) FROM privacy.row_policies r WHERE r.table_name::text LIKE 'famp.%';
DELETE FROM privacy._purpose WHERE name = 'famp_marketing';
DROP ROLE famp_reader;
