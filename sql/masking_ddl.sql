-- masking_ddl: policies follow the tables they protect. A policy on a
-- partitioned or inheritance parent applies when a child is queried
-- directly; renaming or retyping a masked column is refused; dropping a
-- column, a table or an exempt role removes its catalog rows; statistics of
-- masked tables are hidden from masked roles; a materialized view built
-- before a mask gets a warning; static anonymization rewrites stored values.
CREATE SCHEMA md;
CREATE ROLE md_masked;
GRANT USAGE ON SCHEMA md TO md_masked;

-- partitions and inheritance children
CREATE TABLE md.events (id int, at date, secret text) PARTITION BY RANGE (at);
CREATE TABLE md.events_2024 PARTITION OF md.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE md.events_2025 PARTITION OF md.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO md.events VALUES (1, '2024-05-01', 'CANARY-' || 'E0000001'), (2, '2025-05-01', 'CANARY-' || 'E0000002');
CREATE TABLE md.parent (id int, secret text);
CREATE TABLE md.child (extra int) INHERITS (md.parent);
INSERT INTO md.child VALUES (3, 'CANARY-' || 'E0000003', 7);
GRANT SELECT ON ALL TABLES IN SCHEMA md TO md_masked;
SELECT privacy.mask_column('md.events', 'secret', 'privacy.redact(secret)');
SELECT privacy.mask_column('md.parent', 'secret', 'privacy.redact(secret)');
SELECT relid, rls_enabled_by_privacy FROM privacy._governed_table ORDER BY relid::text;
SET ROLE md_masked;
SELECT * FROM md.events ORDER BY id;
SELECT * FROM md.events_2025;
SELECT * FROM ONLY md.parent;
SELECT * FROM md.parent;
SELECT * FROM md.child;
RESET ROLE;
-- a partition created (or attached) later is masked and gets row security too
CREATE TABLE md.events_2026 PARTITION OF md.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE md.events_2027 (id int, at date, secret text);
ALTER TABLE md.events ATTACH PARTITION md.events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
INSERT INTO md.events VALUES (3, '2026-02-01', 'CANARY-' || 'E0000006'), (4, '2027-02-01', 'CANARY-' || 'E0000007');
GRANT SELECT ON md.events_2026, md.events_2027 TO md_masked;
SELECT c.relname, c.relrowsecurity, g.rls_enabled_by_privacy
FROM pg_class c LEFT JOIN privacy._governed_table g ON g.relid = c.oid
WHERE c.relname IN ('events_2026', 'events_2027') ORDER BY 1;
SET ROLE md_masked;
SELECT * FROM md.events_2026;
SELECT * FROM md.events_2027;
RESET ROLE;
-- a masked role that owns a masked table is listed: it can change the table
CREATE ROLE md_owner;
CREATE TABLE md.owned (id int, secret text);
ALTER TABLE md.owned OWNER TO md_owner;
SELECT privacy.mask_column('md.owned', 'secret', 'privacy.redact(secret)');
SELECT table_name, column_name, role_name, reason FROM privacy.masked_owners ORDER BY table_name::text, role_name;
SELECT privacy.grant_unmasked('md_owner', 'md.owned');
SELECT count(*) AS listed_after_exemption FROM privacy.masked_owners WHERE role_name = 'md_owner';
DROP TABLE md.owned;
DROP ROLE md_owner;

-- statistics of masked columns are hidden from masked roles
CREATE TABLE md.stats (id int, secret text);
INSERT INTO md.stats SELECT g, 'CANARY-' || 'F000000' || (g % 3) FROM generate_series(1, 300) g;
ANALYZE md.stats;
GRANT SELECT ON md.stats TO md_masked;
SET ROLE md_masked;
SELECT count(*) AS stats_rows_before_mask FROM pg_stats WHERE schemaname = 'md' AND tablename = 'stats';
RESET ROLE;
SELECT privacy.mask_column('md.stats', 'secret', 'privacy.redact(secret)');
SET ROLE md_masked;
SELECT count(*) AS stats_rows_after_mask FROM pg_stats WHERE schemaname = 'md' AND tablename = 'stats';
RESET ROLE;

-- DDL that would break a stored mask is refused
ALTER TABLE md.stats RENAME COLUMN secret TO secret2;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE md.stats ALTER COLUMN secret TYPE varchar(40);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE md.stats RENAME COLUMN id TO ident;
ALTER TABLE md.stats RENAME TO stats2;
SELECT table_name, column_name FROM privacy.column_policies WHERE column_name = 'secret' ORDER BY table_name::text;

-- dropping columns, tables and roles cleans the catalog
CREATE ROLE md_auditor;
SELECT privacy.grant_unmasked('md_auditor', 'md.stats2');
SELECT privacy.grant_unmasked('md_masked', 'md.stats2', 'secret');
SELECT count(*) AS exemptions FROM privacy._unmasked;
DROP ROLE md_auditor;
SELECT count(*) AS exemptions_after_role_drop FROM privacy._unmasked;
ALTER TABLE md.stats2 DROP COLUMN secret;
SELECT count(*) AS policies_on_stats2 FROM privacy._column_policy WHERE relid = 'md.stats2'::regclass;
SELECT count(*) AS exemptions_after_column_drop FROM privacy._unmasked;
DROP TABLE md.child;
DROP TABLE md.parent;
SELECT table_name::text FROM privacy.column_policies ORDER BY 1;

-- a materialized view made before the mask is reported
CREATE TABLE md.card (id int, pan text);
INSERT INTO md.card VALUES (1, 'CANARY-' || 'AB000001');
CREATE MATERIALIZED VIEW md.card_mv AS SELECT id, pan FROM md.card;
SELECT privacy.mask_column('md.card', 'pan', 'privacy.redact(pan)');

-- static masking rewrites the stored values, once, in one statement
SELECT privacy.anonymize_table('md.card') AS rows_anonymized;
SELECT * FROM md.card;
SELECT privacy.anonymize_table('md.stats2');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM privacy.anonymize_database() ORDER BY table_name::text;
SELECT DISTINCT secret FROM md.events;

-- dropping the schema removes every remaining policy row
DROP SCHEMA md CASCADE;
SELECT count(*) AS policies, (SELECT count(*) FROM privacy._governed_table) AS governed,
	(SELECT count(*) FROM privacy._unmasked) AS exemptions
FROM privacy._column_policy;
DROP ROLE md_masked;
