-- compliance_subjects.sql: result shapes of the compliance views and the
-- data-subject functions on a two-hop schema (accounts <- invoices <- lines):
-- inventory, policies, effective_access, export_subject, and the erasure
-- report with a legal hold, in delete and anonymize modes.
CREATE SCHEMA subj;
CREATE TABLE subj.accounts (id int PRIMARY KEY, email text NOT NULL, name text);
CREATE TABLE subj.invoices (id int PRIMARY KEY, account_id int NOT NULL REFERENCES subj.accounts, total numeric);
CREATE TABLE subj.lines (id int PRIMARY KEY, invoice_id int NOT NULL REFERENCES subj.invoices, item text);
INSERT INTO subj.accounts VALUES (1, 'eve' || '@example.org', 'Eve Park'), (2, 'finn' || '@example.org', 'Finn Roe');
INSERT INTO subj.invoices VALUES (100, 1, 12.50), (101, 1, 99.00), (102, 2, 5.00);
INSERT INTO subj.lines VALUES (1000, 100, 'book'), (1001, 101, 'lamp'), (1002, 101, 'desk'), (1003, 102, 'pen');
CREATE ROLE subj_reader;
GRANT USAGE ON SCHEMA subj TO subj_reader;
GRANT SELECT ON subj.accounts, subj.invoices TO subj_reader;
SELECT privacy.classify('subj.accounts', 'email', 'email');
SELECT privacy.classify('subj.accounts', 'name', 'person_name');
SELECT privacy.mask_column('subj.accounts', 'email', 'privacy.mask_email(email)');
SELECT privacy.mask_column('subj.accounts', 'name', 'privacy.redact(name)');
SELECT privacy.register_subject('subj.accounts', 'email');
SELECT privacy.register_subject('subj.invoices', 'account_id', via => 'subj.accounts');
SELECT privacy.register_subject('subj.lines', 'invoice_id', via => 'subj.invoices');
SELECT table_name, column_name, category, protection, mask FROM privacy.inventory ORDER BY 1, 2;
SELECT kind, table_name, column_name, definition FROM privacy.policies
WHERE table_name::text LIKE 'subj.%' ORDER BY 1, 2, 3;
-- the superuser is shown as "(superuser)": its name differs between clusters
SELECT CASE WHEN role_name = current_user THEN '(superuser)' ELSE role_name::text END AS role_name,
	table_name, column_name, access, rows_filtered FROM privacy.effective_access
WHERE role_name IN ('subj_reader', current_user) ORDER BY role_name = current_user, 1, 3;
SELECT jsonb_pretty(privacy.export_subject('eve' || '@example.org'));
SELECT privacy.place_hold('subj.lines', 'item = ''desk''', 'warranty claim') IS NOT NULL AS hold_placed;
BEGIN;
SELECT jsonb_pretty(privacy.erase_subject('eve' || '@example.org') #- '{tables,0,holds,0,hold_id}');
SELECT 'accounts' AS t, count(*) FROM subj.accounts UNION ALL SELECT 'invoices', count(*) FROM subj.invoices
UNION ALL SELECT 'lines', count(*) FROM subj.lines;
ROLLBACK;
BEGIN;
SELECT jsonb_pretty(privacy.erase_subject('eve' || '@example.org', 'anonymize') #- '{tables,0,holds,0,hold_id}');
SELECT id, name FROM subj.accounts ORDER BY id;
ROLLBACK;
\set VERBOSITY terse
\set ON_ERROR_STOP 0
SELECT privacy.erase_subject(NULL);
\echo :SQLSTATE
SELECT privacy.register_subject('subj.lines', 'item', via => 'subj.invoices');
\echo :SQLSTATE
SELECT privacy.register_subject('subj.accounts', 'id', via => 'subj.lines');
\echo :SQLSTATE
\set ON_ERROR_STOP 1
SELECT privacy.release_hold(id) FROM privacy.legal_holds WHERE table_name = 'subj.lines'::regclass;
-- leave the hold catalog as it was (later files expect fresh hold ids)
DELETE FROM privacy._legal_hold WHERE relid = 'subj.lines'::regclass;
SELECT setval(pg_get_serial_sequence('privacy._legal_hold', 'id'),
	(SELECT coalesce(max(id), 0) + 1 FROM privacy._legal_hold), false) > 0 AS hold_ids_reset;
-- dropping a registered table or its subject column removes its
-- registration, classification and findings (a new table that gets the same
-- OID inherits nothing); tables registered through it are unregistered with
-- a warning naming them; export and erasure keep working
CREATE SCHEMA subj_drop;
CREATE TABLE subj_drop.p (id int PRIMARY KEY, email text);
CREATE TABLE subj_drop.c (id int PRIMARY KEY, p int REFERENCES subj_drop.p, note text);
CREATE TABLE subj_drop.k (id int PRIMARY KEY, who text);
SELECT privacy.register_subject('subj_drop.p', 'email'), privacy.register_subject('subj_drop.c', 'p', via => 'subj_drop.p'),
	privacy.register_subject('subj_drop.k', 'who'), privacy.classify('subj_drop.p', 'email', 'email');
ALTER TABLE subj_drop.k DROP COLUMN who;
DROP TABLE subj_drop.p CASCADE;
SELECT count(*) AS dangling_registrations FROM privacy._subject_table s
WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = s.relid) OR s.relid::text LIKE 'subj_drop.%';
SELECT count(*) AS dangling_classifications FROM privacy._classification s
WHERE NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = s.relid);
SELECT privacy.export_subject('nobody' || '@example.org') ? 'subj.accounts' AS export_works;
-- each registration that went with a drop is in the audit log
SELECT count(*) AS audited_unregistrations FROM privacy.audit_log
WHERE action = 'delete subject_table' AND old_definition LIKE 'table subj\_drop.%';
DROP SCHEMA subj_drop CASCADE;
SELECT privacy.unregister_subject(t) FROM unnest(ARRAY['subj.lines', 'subj.invoices', 'subj.accounts']::regclass[]) t;
SELECT privacy.unmask_column('subj.accounts', c) FROM unnest(ARRAY['email', 'name']::name[]) c;
SELECT privacy.unclassify('subj.accounts', c) FROM unnest(ARRAY['email', 'name']::name[]) c;
DROP SCHEMA subj CASCADE;
DROP ROLE subj_reader;
