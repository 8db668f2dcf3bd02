-- retention_method.sql: proves how a run chooses its method
-- (privacy._choose_method, doc/retention.md "Methods"): time_slice when a
-- btree index leads with the time column and fewer expired rows than
-- max(1000 rows, 5% of the table's estimated rows) are found, ctid_sweep
-- otherwise or without such an index. So a small table is walked by its
-- index even when most of it is expired (below 1000 rows), and a large one
-- only while under 5% of it is.
SET client_min_messages = warning;

-- 100 rows, half expired: 50 < max(1000, 5) -> time_slice
CREATE TABLE ret_m_small (id int, created timestamptz);
CREATE INDEX ON ret_m_small (created);
INSERT INTO ret_m_small SELECT g, '2000-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 100) g;
VACUUM ret_m_small;
SELECT privacy.set_retention('ret_m_small', 'created', '1 day');
SELECT privacy._choose_method('ret_m_small', '2000-01-01'::timestamptz + interval '51 seconds') AS half_expired;
SELECT privacy._choose_method('ret_m_small', '2001-01-01') AS all_expired;

-- 40,000 rows (VACUUM sets reltuples exactly): 5% is 2,000
CREATE TABLE ret_m_big (id int, created timestamptz);
CREATE INDEX ON ret_m_big (created);
INSERT INTO ret_m_big SELECT g, '2000-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 40000) g;
VACUUM ret_m_big;
SELECT reltuples FROM pg_class WHERE oid = 'ret_m_big'::regclass;
SELECT privacy.set_retention('ret_m_big', 'created', '1 day');
SELECT privacy._choose_method('ret_m_big', '2000-01-01'::timestamptz + interval '2000 seconds') AS expired_1999;
SELECT privacy._choose_method('ret_m_big', '2000-01-01'::timestamptz + interval '2001 seconds') AS expired_2000;

-- the index must lead with the time column
CREATE TABLE ret_m_noidx (id int, created timestamptz);
CREATE INDEX ON ret_m_noidx (id, created);
INSERT INTO ret_m_noidx SELECT g, '2000-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 100) g;
VACUUM ret_m_noidx;
SELECT privacy.set_retention('ret_m_noidx', 'created', '1 day');
SELECT privacy._choose_method('ret_m_noidx', '2000-01-01'::timestamptz + interval '51 seconds') AS no_leading_index;

SELECT privacy.drop_retention(t) FROM unnest('{ret_m_small,ret_m_big,ret_m_noidx}'::regclass[]) t;
DROP TABLE ret_m_small, ret_m_big, ret_m_noidx;
