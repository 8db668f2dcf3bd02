-- compliance.sql: inventory, effective access, subject export and erasure on
-- a multi-table schema (customers <- tickets, customers <- orders <- payments).
-- Per role: an administrator, an auditor, a masked analyst, an exempt support
-- role with a row filter, a role without privileges. Erasure keeps rows under
-- legal holds (and parents they reference), revokes consents and is audited
-- under a pseudonym; the audit log is append-only; refusals are 42501.
BEGIN;
SELECT plan(43);

SET client_min_messages = warning;
SET LOCAL privacy.admin_role = 'tapc_privacy_admin';
SET LOCAL privacy.auditor_role = 'tapc_privacy_auditor';
SELECT privacy.setup_roles('tapc_privacy_admin', 'tapc_privacy_auditor');
CREATE ROLE tapc_admin IN ROLE tapc_privacy_admin;
CREATE ROLE tapc_auditor IN ROLE tapc_privacy_auditor;
CREATE ROLE tapc_analyst;
CREATE ROLE tapc_support;
CREATE ROLE tapc_support_member IN ROLE tapc_support;
CREATE ROLE tapc_none;
RESET client_min_messages;
SELECT privacy.create_key('default');

CREATE SCHEMA ccx;
GRANT USAGE ON SCHEMA ccx TO PUBLIC;
CREATE TABLE ccx.customers (id int PRIMARY KEY, email text NOT NULL, full_name text, phone text, card privacy.card_token,
	region text);
CREATE TABLE ccx.tickets (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES ccx.customers, body text);
CREATE TABLE ccx.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES ccx.customers, amount numeric);
CREATE TABLE ccx.payments (id int PRIMARY KEY, order_id int NOT NULL REFERENCES ccx.orders, paid_at timestamptz);
INSERT INTO ccx.customers VALUES
	(1, 'ana' || '@example.com', 'Ana Lima', '+33 612 345678', privacy.tokenize('5500000000000004', 'card')::privacy.card_token, 'eu'),
	(2, 'bo' || '@example.com', 'Bo Berg', '+46 701 234567', NULL, 'us'),
	(3, 'cy' || '@example.com', 'Cy Dunn', '+1 212 5550100', NULL, 'eu');
INSERT INTO ccx.tickets VALUES (10, 1, 'please call me back'), (11, 1, 'dispute about my invoice'), (12, 2, 'hello');
INSERT INTO ccx.orders VALUES (20, 1, 10), (21, 1, 20), (22, 3, 30);
INSERT INTO ccx.payments VALUES (30, 20, now()), (31, 21, now()), (32, 22, now());
GRANT SELECT ON ALL TABLES IN SCHEMA ccx TO tapc_analyst, tapc_support, tapc_admin;
REVOKE SELECT ON ccx.payments FROM tapc_support;

-- Classification
SELECT privacy.classify('ccx.customers', 'email', 'email');
SELECT privacy.classify('ccx.customers', 'full_name', 'person_name');
SELECT privacy.classify('ccx.customers', 'phone', 'phone');
SELECT privacy.classify('ccx.customers', 'card', 'payment_card');
SELECT privacy.classify('ccx.tickets', 'body', 'free_text');
SELECT throws_ok($$SELECT privacy.classify('ccx.customers', 'email', 'shoe_size')$$, '22023',
	'unknown personal-data category "shoe_size"', 'classify refuses a category outside the vocabulary');
SELECT throws_ok($$SELECT privacy.classify('ccx.customers', 'nope', 'email')$$, '42703', NULL,
	'classify refuses a missing column');
SELECT throws_ok($$SELECT privacy.classify('ccx.customers', 'email', 'email', 'nope')$$, '42704', NULL,
	'classify refuses an unknown token format');
SELECT throws_ok($$SELECT privacy.unclassify('ccx.customers', 'region')$$, '42704', NULL,
	'unclassify of an unclassified column is 42704');

-- Policies
SELECT privacy.mask_column('ccx.customers', 'email', 'privacy.mask_email(email)');
SELECT privacy.mask_column('ccx.customers', 'full_name', 'privacy.redact(full_name)');
SELECT privacy.grant_unmasked('tapc_support', 'ccx.customers');
SELECT privacy.add_row_filter('ccx.tickets', 'eu_only', 'id < 12', ARRAY['tapc_analyst']::regrole[]);
SELECT privacy.grant_detokenize('tapc_privacy_admin', 'card');

SELECT results_eq(
	$$SELECT table_name::text, column_name::text COLLATE "default", category, protection FROM privacy.inventory ORDER BY 1, 2$$,
	$$VALUES ('ccx.customers', 'card', 'payment_card', 'tokenized'), ('ccx.customers', 'email', 'email', 'masked'),
	         ('ccx.customers', 'full_name', 'person_name', 'masked'), ('ccx.customers', 'phone', 'phone', 'none'),
	         ('ccx.tickets', 'body', 'free_text', 'row-gated')$$,
	'inventory: every classified column with its protection');
SELECT results_eq(
	$$SELECT table_name::text, column_name::text COLLATE "default", source FROM privacy.coverage_gaps ORDER BY 1, 2$$,
	$$VALUES ('ccx.customers', 'phone', 'classified')$$,
	'coverage_gaps: classified personal data without any protection');

SELECT results_eq(
	$$SELECT column_name::text COLLATE "default", access, can_detokenize FROM privacy.effective_access
	  WHERE role_name = 'tapc_analyst' AND table_name = 'ccx.customers'::regclass ORDER BY 1$$,
	$$VALUES ('card', 'tokenized', false), ('email', 'masked', NULL), ('full_name', 'masked', NULL), ('phone', 'raw', NULL)$$,
	'effective_access: a masked role sees masks and tokens');
SELECT results_eq(
	$$SELECT column_name::text COLLATE "default", access FROM privacy.effective_access
	  WHERE role_name = 'tapc_support_member' AND table_name = 'ccx.customers'::regclass ORDER BY 1$$,
	$$VALUES ('card', 'tokenized'), ('email', 'raw'), ('full_name', 'raw'), ('phone', 'raw')$$,
	'effective_access: an exemption reaches the members of the exempt role');
SELECT is((SELECT count(*) FROM privacy.effective_access WHERE role_name = 'tapc_none' AND access <> 'no access')::int, 0,
	'effective_access: a role without privileges has no access');
SELECT results_eq(
	$$SELECT DISTINCT access FROM privacy.effective_access WHERE role_name = current_user AND column_name <> 'card'$$,
	$$VALUES ('raw')$$, 'effective_access: superusers see raw values');
SELECT is((SELECT can_detokenize FROM privacy.effective_access WHERE role_name = 'tapc_admin' AND column_name = 'card'),
	true, 'effective_access: a detokenize grant held through membership');
SELECT results_eq(
	$$SELECT role_name::text COLLATE "default", rows_filtered, row_policies FROM privacy.effective_access
	  WHERE column_name = 'body' AND role_name IN ('tapc_analyst', 'tapc_support') ORDER BY 1$$,
	$$VALUES ('tapc_analyst', true, ARRAY['eu_only']), ('tapc_support', false, '{}'::text[])$$,
	'effective_access: row filters apply to their roles only');

SELECT results_eq(
	$$SELECT kind, count(*)::int FROM privacy.policies WHERE table_name::text LIKE 'ccx.%' OR kind = 'detokenize grant'
	  GROUP BY 1 ORDER BY 1$$,
	$$VALUES ('classification', 5), ('detokenize grant', 1), ('mask', 2), ('masking exemption', 1), ('row filter', 1)$$,
	'policies: one view over every kind of policy');

-- Subject registry
SELECT privacy.register_subject('ccx.customers', 'email');
SELECT throws_ok($$SELECT privacy.register_subject('ccx.payments', 'order_id', via => 'ccx.orders')$$, '55000', NULL,
	'register_subject via an unregistered table is refused');
SELECT privacy.register_subject('ccx.orders', 'customer_id', via => 'ccx.customers');
SELECT privacy.register_subject('ccx.payments', 'order_id', via => 'ccx.orders');
SELECT throws_ok($$SELECT privacy.register_subject('ccx.tickets', 'body', via => 'ccx.customers')$$, '42704',
	'no foreign key from column "body" of ccx.tickets to ccx.customers', 'register_subject needs a foreign key');
SELECT privacy.register_subject('ccx.tickets', 'customer_id', via => 'ccx.customers');
SELECT results_eq(
	$$SELECT table_name::text, via::text, via_column::text COLLATE "default" FROM privacy.subject_tables ORDER BY 1$$,
	$$VALUES ('ccx.customers', NULL, NULL), ('ccx.orders', 'ccx.customers', 'id'), ('ccx.payments', 'ccx.orders', 'id'),
	         ('ccx.tickets', 'ccx.customers', 'id')$$,
	'register_subject resolves the referenced column from pg_constraint');
SELECT throws_ok($$SELECT privacy.unregister_subject('ccx.customers')$$, '2BP01', NULL,
	'a table others are registered via cannot be unregistered');

-- Export, as the administrator: masked (not exempt), detokenized (granted)
SET LOCAL ROLE tapc_admin;
SELECT is(jsonb_array_length(privacy.export_subject('ana' || '@example.com') -> 'ccx.tickets'), 2,
	'export_subject: child rows found through the foreign key');
SELECT is(jsonb_array_length(privacy.export_subject('ana' || '@example.com') -> 'ccx.payments'), 2,
	'export_subject: grandchild rows found through two hops');
SELECT is(privacy.export_subject('ana' || '@example.com') -> 'ccx.customers' -> 0 ->> 'email',
	privacy.mask_email('ana' || '@example.com'), 'export_subject: runs as the caller, so masks apply');
SELECT is(privacy.export_subject('ana' || '@example.com') -> 'ccx.customers' -> 0 ->> 'card', '5500000000000004',
	'export_subject: card tokens are detokenized for a caller who may detokenize');
RESET ROLE;
SELECT privacy.revoke_detokenize('tapc_privacy_admin', 'card');
SET LOCAL ROLE tapc_admin;
SELECT isnt(privacy.export_subject('ana' || '@example.com') -> 'ccx.customers' -> 0 ->> 'card', '5500000000000004',
	'export_subject: tokens stay tokens without the grant');
SELECT is(privacy.export_subject('nobody' || '@example.com') -> 'ccx.customers', '[]'::jsonb,
	'export_subject: an unknown subject has no rows');
RESET ROLE;
SET LOCAL ROLE tapc_analyst;
SELECT throws_ok($$SELECT privacy.export_subject('ana@example.com')$$, '42501', NULL,
	'export_subject is refused to a non-administrator');
SELECT throws_ok($$SELECT privacy.erase_subject('ana@example.com')$$, '42501', NULL,
	'erase_subject is refused to a non-administrator');
SELECT throws_ok($$SELECT * FROM privacy.discover()$$, '42501', NULL, 'discover is refused to a non-administrator');
SELECT throws_ok($$SELECT * FROM privacy.inventory$$, '42501', NULL, 'the compliance views are not public');
RESET ROLE;

-- Erasure, as the administrator, with a legal hold on one ticket
SELECT privacy.create_purpose('tapc_marketing', 'pgTAP');
SELECT privacy.grant_consent('ana' || '@example.com', 'tapc_marketing');
SELECT privacy.place_hold('ccx.tickets', 'id = 11', 'litigation L-7') AS hold_id \gset
SET LOCAL ROLE tapc_admin;
SELECT throws_ok($$SELECT privacy.erase_subject('x', 'shred')$$, '22023', 'unknown erasure mode "shred"',
	'erase_subject refuses an unknown mode');
CREATE TEMP TABLE report AS SELECT privacy.erase_subject('ana' || '@example.com') AS r;
RESET ROLE;
SELECT results_eq(
	$$SELECT t ->> 'table', (t ->> 'deleted')::int, (t ->> 'held_back')::int FROM report, jsonb_array_elements(r -> 'tables') t$$,
	$$VALUES ('ccx.payments', 2, 0), ('ccx.orders', 2, 0), ('ccx.tickets', 1, 1), ('ccx.customers', 0, 1)$$,
	'erase_subject: children first; held rows and the parent they reference are kept');
SELECT is((SELECT r -> 'tables' -> 2 -> 'holds' -> 0 FROM report),
	jsonb_build_object('hold_id', :hold_id, 'reason', 'litigation L-7', 'rows', 1),
	'erase_subject: held rows are reported with the hold id and reason');
SELECT results_eq($$SELECT id FROM ccx.tickets ORDER BY 1$$, $$VALUES (11), (12)$$,
	'erase_subject: the held ticket and other subjects'' rows remain');
SELECT is((SELECT count(*) FROM ccx.payments)::int, 1, 'erase_subject: the subject''s payments are gone');
SELECT is((SELECT r ->> 'consents_revoked' FROM report), '1', 'erase_subject: consents revoked');
SELECT is((SELECT count(*) FROM privacy.consents WHERE subject = 'ana' || '@example.com' AND standing)::int, 0,
	'erase_subject: no standing consent is left');
SELECT is((SELECT count(*) FROM privacy.audit_log WHERE action = 'erase subject'
	AND object = 'subject ' || privacy.pseudonym('ana' || '@example.com', 'erasure') AND role_name = 'tapc_admin')::int, 1,
	'erase_subject: logged under the subject''s pseudonym and the acting role');
SELECT is((SELECT count(*) FROM privacy.audit_log WHERE concat_ws(' ', object, old_definition, new_definition)
	LIKE '%' || 'ana' || '@example.com' || '%')::int, 0, 'the audit log never holds the subject identifier');

-- Anonymize mode applies the table's masks to the subject's rows only
SET LOCAL ROLE tapc_admin;
SELECT is((privacy.erase_subject('bo' || '@example.com', 'anonymize') -> 'tables' -> 3 ->> 'anonymized')::int, 1,
	'erase_subject anonymize: the subject''s customer row is anonymized');
RESET ROLE;
SELECT results_eq($$SELECT id, email = privacy.mask_email('bo' || '@example.com'), full_name FROM ccx.customers ORDER BY 1$$,
	$$VALUES (1, false, 'Ana Lima'), (2, true, '[REDACTED]'), (3, false, 'Cy Dunn')$$,
	'erase_subject anonymize: only that subject''s rows change');

-- Audit: exemptions and purge runs are logged; the log is append-only
SELECT ok(EXISTS (SELECT 1 FROM privacy.audit_log WHERE action = 'insert unmasked' AND new_definition LIKE '%tapc_support%'),
	'exemption grants are audited');
SELECT privacy.set_retention('ccx.payments', 'paid_at', '1 day');
SELECT is((SELECT count(*) FROM privacy.purge_now('ccx.payments'))::int, 1, 'a purge run');
SELECT ok(EXISTS (SELECT 1 FROM privacy.audit_log WHERE action LIKE '% purge_log' AND new_definition ~ 'status=(done|skipped)'),
	'purge runs are audited when they end');
SET LOCAL ROLE tapc_admin;
SELECT throws_ok($$DELETE FROM privacy.audit_log$$, '42501', NULL, 'the audit log is append-only for administrators');
RESET ROLE;
SET LOCAL ROLE tapc_auditor;
SELECT ok((SELECT count(*) FROM privacy.effective_access) > 0, 'the auditor reads effective_access (setup_roles grant)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
