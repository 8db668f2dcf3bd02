-- examples.sql: one example per public function, view and setting, rendered
-- with its real output into doc/examples.md by render-examples.py (format
-- described there). Everything before the first "-- @" line is the setup.
SET client_min_messages = warning;
DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['ex_support', 'ex_analyst', 'ex_marketing', 'ex_dpo', 'ex_billing'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I', r);
		END IF;
	END LOOP;
END $$;
-- fixed secrets so that the page is reproducible (never in production)
INSERT INTO privacy._masking_secret (secret) VALUES (decode(repeat('5a', 32), 'hex'));
SELECT privacy.import_key('default', decode(repeat('2b', 32), 'hex'));
CREATE SCHEMA shop;
CREATE TABLE shop.customers (
	id int PRIMARY KEY, name text, email text, phone text, card text,
	iban text, dob date, last_ip inet, country text);
INSERT INTO shop.customers VALUES
	(1, 'Ann Lee', 'ann.lee@example.com', '+1 415 555 0101', '4111 1111 1111 1111', 'DE89370400440532013000', '1984-03-07', '203.0.113.7', 'US'),
	(2, 'Bob Roy', 'bob.roy@example.org', '+44 20 7946 0958', '5500 0000 0000 0004', 'GB82WEST12345698765432', '1990-11-23', '198.51.100.23', 'GB'),
	(3, 'Chloé Dubois', 'chloe.dubois@example.fr', '+33 1 23 45 67 89', '3400 0000 0000 009', 'FR1420041010050500013M02606', '1975-06-30', '2001:db8::1', 'FR');
CREATE TABLE shop.tickets (
	id int PRIMARY KEY, customer_id int REFERENCES shop.customers, opened_at timestamptz, body text);
INSERT INTO shop.tickets VALUES
	(10, 1, now() - interval '400 days', 'Card declined'),
	(11, 1, now() - interval '10 days', 'Change of address'),
	(12, 2, now() - interval '800 days', 'Refund request'),
	(13, 3, now() - interval '500 days', 'Dispute D-7');
CREATE TABLE shop.newsletter (email text PRIMARY KEY, topic text);
INSERT INTO shop.newsletter VALUES ('ann.lee@example.com', 'offers'), ('bob.roy@example.org', 'offers');
GRANT USAGE ON SCHEMA shop TO ex_support, ex_analyst, ex_marketing, ex_dpo, ex_billing;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO ex_support, ex_analyst, ex_marketing, ex_dpo, ex_billing;

-- ## Library and versions

-- @ privacy.version()
-- # The extension, OpenSSL and libsodium versions, and whether the library is preloaded (the library versions are cut here so the page does not depend on the machine).
SELECT split_part(privacy.version(), ',', 1) AS version,
       privacy.version() ~ 'OpenSSL 3\.' AS openssl3, privacy.version() ~ 'libsodium 1\.' AS libsodium1;

-- ## Masking functions

-- @ privacy.redact(text)
SELECT privacy.redact('Ann Lee'), privacy.redact(''), privacy.redact(NULL);

-- @ privacy.partial(text,integer,text,integer)
-- # Characters, not bytes; never the whole input: when prefix and suffix would reveal every character, fewer are kept.
SELECT privacy.partial('Chloé Dubois', 2, '***', 3), privacy.partial('Ann', 2, '*', 2), privacy.partial('4111111111111111', 0, 'XXXX-', 4);

-- @ privacy.mask_email(text)
SELECT email, privacy.mask_email(email) FROM shop.customers ORDER BY id;

-- @ privacy.mask_phone(text)
SELECT phone, privacy.mask_phone(phone) FROM shop.customers ORDER BY id;

-- @ privacy.mask_card(text)
-- @ privacy.mask_card(text,integer)
SELECT card, privacy.mask_card(card), privacy.mask_card(card, 6) FROM shop.customers ORDER BY id;

-- @ privacy.mask_iban(text)
SELECT iban, privacy.mask_iban(iban) FROM shop.customers ORDER BY id;

-- @ privacy.mask_ip(inet)
-- @ privacy.mask_ip(inet,integer,integer)
SELECT last_ip, privacy.mask_ip(last_ip), privacy.mask_ip(last_ip, 16, 32) FROM shop.customers ORDER BY id;

-- @ privacy.generalize(integer,integer)
-- @ privacy.generalize(bigint,bigint)
-- @ privacy.generalize(numeric,numeric)
SELECT privacy.generalize(42, 10), privacy.generalize(1234567::bigint, 1000), privacy.generalize(19.99::numeric, 5);

-- @ privacy.generalize(date,text)
-- @ privacy.generalize(timestamp with time zone,text)
SELECT privacy.generalize(dob, 'decade') AS decade, privacy.generalize(dob, 'year') AS year,
       privacy.generalize('2026-11-29 10:00+00'::timestamptz, 'month') AS month
FROM shop.customers ORDER BY id;

-- @ privacy.noise(integer,double precision)
-- @ privacy.noise(bigint,double precision)
-- @ privacy.noise(numeric,double precision)
-- @ privacy.noise(double precision,double precision)
-- @ privacy.noise(smallint,double precision)
-- # Keyed by the masking secret and the value: the same input always gets the same noise, so averaging repeated queries does not remove it. Results saturate at the type's limits (the smallint here), never wrap around. Not executable by PUBLIC.
SELECT privacy.noise(1000, 0.1), privacy.noise(1000::bigint, 0.1), privacy.noise(1000.00::numeric, 0.1),
       privacy.noise(1000::float8, 0.1), privacy.noise(1000, 0.1) = privacy.noise(1000, 0.1) AS stable,
       privacy.noise(32767::smallint, 10) AS near_smallint_max;

-- @ privacy.shift_date(date,integer)
-- @ privacy.shift_date(timestamp with time zone,integer)
-- @ privacy.shift_date(timestamp without time zone,integer)
SELECT dob, privacy.shift_date(dob, 30), privacy.shift_date('2026-01-15 12:00+00'::timestamptz, 7),
       privacy.shift_date('2026-01-15 12:00'::timestamp, 7) FROM shop.customers ORDER BY id;

-- @ privacy.pseudonym(text,text)
-- # Stable keyed pseudonyms; a domain separates namespaces so the same value gets unrelated pseudonyms in different contexts.
SELECT email, privacy.pseudonym(email), privacy.pseudonym(email, 'crm') FROM shop.customers ORDER BY id;

-- @ privacy.fake_first_name(text,text)
-- @ privacy.fake_last_name(text,text)
-- @ privacy.fake_full_name(text,text)
SELECT name, privacy.fake_first_name(name), privacy.fake_last_name(name, 'de'), privacy.fake_full_name(name, 'fr')
FROM shop.customers ORDER BY id;

-- @ privacy.fake_email(text,text)
-- @ privacy.fake_phone(text,text)
-- @ privacy.fake_city(text,text)
SELECT privacy.fake_email(email), privacy.fake_phone(phone, country_l), privacy.fake_city(name, country_l)
FROM (SELECT *, lower(CASE country WHEN 'GB' THEN 'en' WHEN 'US' THEN 'en' ELSE country END) AS country_l FROM shop.customers) c ORDER BY id;

-- @ privacy.fake_street_address(text,text)
-- @ privacy.fake_company(text,text)
SELECT privacy.fake_street_address('Ann Lee'), privacy.fake_street_address('Ann Lee', 'de'), privacy.fake_company('Ann Lee');

-- @ privacy.fake_card(text)
-- @ privacy.fake_iban(text,text)
-- # Valid-looking values (Luhn, IBAN check digits) derived from a seed.
SELECT privacy.fake_card('Ann Lee'), privacy.fake_iban('Ann Lee'), privacy.fake_iban('Ann Lee', 'fr');

-- ## Column masking

-- @ privacy.mask_column(regclass,name,text)
-- # Declares a mask; every role without an exemption sees masked values in every clause and query path.
SELECT privacy.mask_column('shop.customers', 'email', 'privacy.mask_email(email)');
SELECT privacy.mask_column('shop.customers', 'phone', 'privacy.mask_phone(phone)');
SELECT privacy.mask_column('shop.customers', 'dob', $$lower(privacy.generalize(dob, 'decade'))$$);
SET ROLE ex_support;
SELECT id, email, phone, dob FROM shop.customers ORDER BY id;
SELECT id FROM shop.customers WHERE email LIKE 'ann%';  -- WHERE sees the masked value too
RESET ROLE;

-- @ privacy.column_policies
SELECT table_name, column_name, mask, declared_by, exempt_roles FROM privacy.column_policies ORDER BY 1, 2;

-- @ privacy.grant_unmasked(regrole,regclass,name)
-- @ privacy.revoke_unmasked(regrole,regclass,name)
SELECT privacy.grant_unmasked('ex_dpo');
SELECT privacy.grant_unmasked('ex_billing', 'shop.customers', 'phone');
SET ROLE ex_billing;
SELECT id, email, phone FROM shop.customers ORDER BY id;
RESET ROLE;
SELECT privacy.revoke_unmasked('ex_billing', 'shop.customers', 'phone');
SET ROLE ex_billing;
SELECT id, email, phone FROM shop.customers ORDER BY id;
RESET ROLE;

-- @ privacy.unmask_column(regclass,name)
SELECT privacy.unmask_column('shop.customers', 'dob');
SELECT column_name FROM privacy.column_policies ORDER BY 1;

-- @ privacy.masking
-- # Superuser-only switch for maintenance windows; changing it discards cached plans.
SHOW privacy.masking;

-- @ privacy.masking
-- # A masked role cannot switch it off.
-- ! error
SET ROLE ex_support;
SET privacy.masking = off;

-- @ privacy.masked_owners
-- # A masked role that owns a masked table could read it raw by disabling row security; the view lists such roles.
CREATE TABLE shop.notes (id int, secret text);
ALTER TABLE shop.notes OWNER TO ex_support;
SELECT privacy.mask_column('shop.notes', 'secret', 'privacy.redact(secret)');
SELECT table_name, column_name, role_name FROM privacy.masked_owners;
DROP TABLE shop.notes;

-- @ privacy.anonymize_table(regclass)
-- @ privacy.anonymize_database()
-- # Static masking: stores the masked values for good (here in a copy of the table).
CREATE TABLE shop.export AS SELECT id, email FROM shop.customers;
SELECT privacy.mask_column('shop.export', 'email', 'privacy.mask_email(email)');
SELECT privacy.anonymize_table('shop.export');
SELECT * FROM shop.export ORDER BY id;
BEGIN;
SELECT * FROM privacy.anonymize_database() ORDER BY 1;
ROLLBACK;
DROP TABLE shop.export;

-- @ privacy.output_masking
-- # On by default: the masks of columns a SELECT only returns are evaluated on its result rows from a compiled form (same values as the substituted masks; doc/column-policies.md).
SHOW privacy.output_masking;

-- @ privacy.owners_may_declare
-- # Off by default: table owners may not declare or remove policies on their own tables unless this is on.
SHOW privacy.owners_may_declare;

-- ## Tokenization

-- @ privacy.token_formats
SELECT name, kind, builtin, passthrough, keep_suffix, key_name FROM privacy.token_formats ORDER BY name;

-- @ privacy.tokenize(text,text)
-- # Format-preserving (NIST FF1); card tokens keep the last four digits, fail the Luhn check and carry the key version.
SELECT card, privacy.tokenize(card, 'card'), privacy.tokenize(phone, 'phone'), privacy.tokenize(email, 'email')
FROM shop.customers ORDER BY id;

-- @ privacy.tokenize(text[],text)
-- # The same tokens for an array of values, through the batch path (NULLs kept): the fast path for INSERT ... SELECT.
SELECT t.id, t.token
FROM (SELECT array_agg(id ORDER BY id) AS ids, array_agg(card ORDER BY id) AS cards FROM shop.customers) s,
     unnest(s.ids, privacy.tokenize(s.cards, 'card')) AS t(id, token)
ORDER BY t.id;

-- @ privacy.detokenize(text,text)
-- @ privacy.grant_detokenize(regrole,text)
-- @ privacy.revoke_detokenize(regrole,text)
SELECT privacy.grant_detokenize('ex_billing', 'card');
SET ROLE ex_billing;
SELECT privacy.detokenize('6589 2680 9807 1111', 'card');
RESET ROLE;
SELECT privacy.revoke_detokenize('ex_billing', 'card');

-- @ privacy.detokenize_grants
SELECT privacy.grant_detokenize('ex_dpo', 'card');
SELECT role, format, granted_by FROM privacy.detokenize_grants;

-- @ privacy.audit_wait(interval)
-- @ privacy.audit_queue_size
-- # Detokenizations (and subject exports) are recorded even when the transaction rolls back: outside it, through a bounded shared-memory queue (privacy.audit_queue_size, a server-start setting) that the audit writer drains; audit_wait waits until it has.
BEGIN;
SET LOCAL ROLE ex_dpo;
SELECT privacy.detokenize('6589 2680 9807 1111', 'card');
ROLLBACK;
SELECT privacy.audit_wait();
SELECT role_name, action, format, value_count FROM privacy.audit_log
WHERE action = 'detokenize' ORDER BY logged_at DESC LIMIT 1;
SELECT name, boot_val, context FROM pg_settings WHERE name = 'privacy.audit_queue_size';

-- @ privacy.detokenize(text,text)
-- # Without a grant: refused, and the token is not echoed.
-- ! error
SET ROLE ex_support;
SELECT privacy.detokenize('6589 2680 9807 1111', 'card');

-- @ privacy.card_token_in(cstring)
-- @ privacy.card_token_out(privacy.card_token)
-- @ privacy.card_token_eq(privacy.card_token,privacy.card_token)
-- @ privacy.card_token_ne(privacy.card_token,privacy.card_token)
-- @ privacy.card_token_lt(privacy.card_token,privacy.card_token)
-- @ privacy.card_token_le(privacy.card_token,privacy.card_token)
-- @ privacy.card_token_gt(privacy.card_token,privacy.card_token)
-- @ privacy.card_token_ge(privacy.card_token,privacy.card_token)
-- @ privacy.card_token_cmp(privacy.card_token,privacy.card_token)
-- @ privacy.card_token_hash(privacy.card_token)
-- @ privacy.card_token_hash_extended(privacy.card_token,bigint)
-- @ privacy.card_token_send(privacy.card_token)
-- # The column type privacy.card_token accepts only valid card tokens (never raw card numbers), so COPY and restores never tokenize twice; it has equality, ordering, hashing and binary output.
CREATE TABLE shop.cards (customer_id int, card privacy.card_token);
INSERT INTO shop.cards SELECT id, privacy.tokenize(card, 'card')::privacy.card_token FROM shop.customers;
SELECT customer_id, card, card = privacy.tokenize('4111 1111 1111 1111', 'card')::privacy.card_token AS is_ann FROM shop.cards ORDER BY card;
SELECT privacy.card_token_cmp(a.card, b.card), a.card < b.card, a.card <= b.card, a.card > b.card, a.card >= b.card, a.card <> b.card,
       privacy.card_token_hash(a.card) = hashtext(a.card::text) AS same_hash_as_text,
       privacy.card_token_hash_extended(a.card, 0) <> 0 AS hashed, length(privacy.card_token_send(a.card)) AS send_bytes
FROM shop.cards a, shop.cards b WHERE a.customer_id = 1 AND b.customer_id = 2;

-- @ privacy.card_token_in(cstring)
-- # A raw card number is refused (it passes the Luhn check, tokens never do), without echoing it.
-- ! error
SELECT '4111 1111 1111 1111'::privacy.card_token;

-- @ privacy.create_token_format(text,text,text,text,integer,integer)
-- @ privacy.create_key(text)
-- @ privacy.drop_token_format(text)
SELECT privacy.create_key('loyalty');
SELECT privacy.create_token_format('loyalty_id', '0123456789ABCDEF', 'loyalty', passthrough => '-', keep_prefix => 2);
SELECT name, kind, builtin, alphabet, passthrough, keep_prefix, key_name FROM privacy.token_formats WHERE name = 'loyalty_id';
SELECT length(privacy.tokenize('12-00A1-77F3', 'loyalty_id')) AS token_length, left(privacy.tokenize('12-00A1-77F3', 'loyalty_id'), 3) AS kept;
SELECT privacy.drop_token_format('loyalty_id');

-- @ privacy.keys
-- @ privacy.rotate_key(text)
-- # Metadata only, never key material. New card tokens use the active version; old ones stay detokenizable.
SELECT privacy.rotate_key('default');
SELECT name, version, algorithm, active FROM privacy.keys ORDER BY name, version;

-- @ privacy.retokenize(regclass,name,text,integer)
-- # Re-encrypts stored card tokens under the active key version, in batches.
CREATE TEMP TABLE before AS SELECT * FROM shop.cards;
SELECT privacy.retokenize('shop.cards', 'card');
SELECT c.customer_id, c.card <> b.card AS changed, right(c.card::text, 4) AS last4,
       privacy.detokenize(c.card::text, 'card') AS detokenized
FROM shop.cards c JOIN before b USING (customer_id) ORDER BY 1;

-- @ privacy.retokenize(regclass,name,text,integer)
-- # Formats other than card do not carry their key version: they keep using theirs (token_formats.key_version) until retokenize moves every column classified with the format (the one named must be) and the format itself, in one transaction.
CREATE TABLE shop.ids AS SELECT id, privacy.tokenize(lpad((id * 7919)::text, 9, '0'), 'ssn') AS ssn FROM shop.customers;
SELECT privacy.classify('shop.ids', 'ssn', 'national_id', token_format => 'ssn');
SELECT name, key_version FROM privacy.token_formats WHERE name IN ('card', 'ssn') ORDER BY 1;
SELECT privacy.retokenize('shop.ids', 'ssn', 'ssn') AS moved;
SELECT name, key_version FROM privacy.token_formats WHERE name IN ('card', 'ssn') ORDER BY 1;
SELECT id, privacy.detokenize(ssn, 'ssn') FROM shop.ids ORDER BY id;
SELECT privacy.unclassify('shop.ids', 'ssn');
DROP TABLE shop.ids;

-- @ privacy.detokenize(text,text,integer)
-- # With a version kept next to the token (a version column, an export made before a move): privileged and audited like detokenize(token, format). A card token must carry the version given.
SELECT privacy.detokenize(privacy.tokenize('123-45-6789', 'ssn'), 'ssn', 2) AS with_version;

-- @ privacy.drop_key_version(text,integer,boolean)
-- # Crypto-shredding of one version, after its tokens were moved: frees its card version slot ((v - 1) mod 9) for a later rotation. The newest version, or one a format still uses, is refused (force => true overrides the latter).
-- ! error
SELECT privacy.drop_key_version('default', 1);

-- @ privacy.rotate_key(text)
-- # A version that would share its card version slot with a live version is refused: version 10 needs version 1 gone.
-- ! error
DO $$ BEGIN FOR i IN 3..10 LOOP PERFORM privacy.rotate_key('default'); END LOOP; END $$;

-- @ privacy.import_key(text,bytea,text,text)
-- @ privacy.drop_key(text,boolean)
-- # import_key (superuser only) brings in existing material (migrations, published test vectors); material_file or material_command (hexadecimal, read by the server) keep the key out of every query text, while a bytea literal travels in the statement. drop_key (superuser only) destroys every version of a key: crypto-shredding, so tokens made with it can never be detokenized again; it is meant for exactly that, and warns.
SELECT privacy.import_key('nist', '\x2B7E151628AED2A6ABF7158809CF4F3C');
SELECT privacy.drop_key('nist');
SELECT privacy.drop_key('loyalty');
SELECT name FROM privacy.keys ORDER BY 1;

-- @ privacy.drop_key(text,boolean)
-- # A key that token formats use (here: every built-in format) is refused unless force => true.
-- ! error
SELECT privacy.drop_key('default');

-- @ privacy.fpe_encrypt(text,text,text,bytea,text,integer)
-- @ privacy.fpe_decrypt(text,text,text,bytea,text,integer)
-- # Raw FF1 / FF3-1 over any alphabet with a named key (NIST SP 800-38G sample 1 here).
SELECT privacy.import_key('nist', '\x2B7E151628AED2A6ABF7158809CF4F3C');
SELECT privacy.fpe_encrypt('0123456789', 'nist') AS ff1,
       privacy.fpe_decrypt(privacy.fpe_encrypt('0123456789', 'nist'), 'nist') AS back,
       privacy.fpe_encrypt('0123456789', 'nist', mode => 'ff3-1', tweak => '\x00000000000000'::bytea) AS ff3_1;

-- @ privacy.fpe_decrypt(text,text,text,bytea,text,integer)
-- # A token format's name is reserved as a tweak on its key: the raw mode cannot read (or forge) a format's tokens. Every fpe_decrypt call is audited like detokenize.
-- ! error
SELECT privacy.fpe_decrypt('123456789', 'default', tweak => 'ssn');

-- @ privacy.master_key_file
-- @ privacy.master_key_command
-- @ privacy.master_key_command_timeout
-- # Where the master key that wraps data keys comes from (postgresql.conf, reload). The file must be a regular file owned by the server user with mode 0600 (a FIFO or device is refused without blocking); a command is killed after the timeout.
SELECT name, context, setting <> '' AS set FROM pg_settings WHERE name IN ('privacy.master_key_file', 'privacy.master_key_command') ORDER BY 1;
SELECT setting, unit FROM pg_settings WHERE name = 'privacy.master_key_command_timeout';

-- @ privacy.rewrap_keys()
-- @ privacy.previous_master_key_file
-- @ privacy.previous_master_key_command
-- # Master-key rotation (superuser only): set the new key as privacy.master_key_file and the old one as privacy.previous_master_key_file (or _command), reload, then re-wrap every data key and the masking secret under the new key in one transaction; it returns how many it moved (here 1: the fixed masking secret this page's setup stored in clear gets wrapped; the data keys are already under the configured key). Each key records the id of its master key, never the key.
SELECT name, context, setting <> '' AS set FROM pg_settings WHERE name LIKE 'privacy.previous_master_key%' ORDER BY 1;
SELECT privacy.rewrap_keys();
SELECT count(*) AS versions, count(DISTINCT master_key_id) AS master_keys FROM privacy.keys;

-- @ privacy.rotate_masking_secret()
-- # Superuser only: new pseudonyms, fakes and noise everywhere (old ones cannot be linked to new ones).
SELECT privacy.pseudonym('ann') AS before \gset
BEGIN;
SELECT privacy.rotate_masking_secret();
SELECT privacy.pseudonym('ann') <> :'before' AS changed;
ROLLBACK;

-- ## Row policies

-- @ privacy.create_purpose(text,text)
-- @ privacy.allow_purpose(regrole,text)
-- @ privacy.require_consent(regclass,name,text)
-- @ privacy.grant_consent(text,text,timestamp with time zone)
-- @ privacy.purpose
SELECT privacy.create_purpose('marketing', 'Newsletters and offers');
SELECT privacy.allow_purpose('ex_marketing', 'marketing');
SELECT privacy.require_consent('shop.newsletter', 'email', 'marketing');
SELECT privacy.grant_consent('ann.lee@example.com', 'marketing') > 0 AS recorded;
SET ROLE ex_marketing;
SELECT count(*) AS without_purpose FROM shop.newsletter;
SET privacy.purpose = 'marketing';
SELECT * FROM shop.newsletter;
RESET ROLE;

-- @ privacy.purpose
-- # Declaring a purpose the role is not allowed is refused.
-- ! error
SET ROLE ex_support;
SET privacy.purpose = 'marketing';

-- @ privacy.revoke_consent(text,text)
-- @ privacy.consents
SELECT privacy.revoke_consent('ann.lee@example.com', 'marketing');
SELECT subject, purpose, expires_at, revoked_at IS NOT NULL AS revoked, granted_by, standing FROM privacy.consents;
SET ROLE ex_marketing;
SET privacy.purpose = 'marketing';
SELECT count(*) FROM shop.newsletter;
RESET ROLE;

-- @ privacy.grant_consent(text[],text,timestamp with time zone)
-- @ privacy.revoke_consent(text[],text)
-- # Imports and withdrawals in bulk: one statement for any number of subjects, the same history per subject, one audit row per call with the count (never the subjects).
SELECT privacy.grant_consent(ARRAY['ann.lee@example.com', 'bo.chan@example.com', 'cy.diaz@example.com'], 'marketing') AS granted;
SELECT privacy.revoke_consent(ARRAY['bo.chan@example.com', 'nobody@example.com'], 'marketing') AS revoked;
SELECT action, object, value_count FROM privacy.audit_log WHERE action LIKE '% consent' ORDER BY action;
SELECT subject, standing FROM privacy.consents WHERE purpose = 'marketing' AND revoked_at IS NULL ORDER BY subject;

-- @ privacy.disallow_purpose(regrole,text)
-- # From the next SET on, the role may no longer declare the purpose.
-- ! error
SELECT privacy.disallow_purpose('ex_marketing', 'marketing');
SET ROLE ex_marketing;
SET privacy.purpose = 'marketing';

-- @ privacy.add_row_filter(regclass,text,text,regrole[])
-- @ privacy.row_policies
SELECT privacy.add_row_filter('shop.customers', 'support_sees_eu', $$country IN ('FR', 'DE', 'GB')$$, ARRAY['ex_support']::regrole[]);
SELECT table_name, name, kind, subject_column, purpose, condition, roles FROM privacy.row_policies ORDER BY 1, 2;
SET ROLE ex_support;
SELECT id, country FROM shop.customers ORDER BY id;
RESET ROLE;

-- @ privacy.drop_row_policy(regclass,text)
SELECT privacy.drop_row_policy('shop.customers', 'support_sees_eu');
SELECT privacy.drop_row_policy('shop.newsletter', 'consent:marketing');
SELECT count(*) FROM privacy.row_policies;

-- ## Retention and legal holds

-- @ privacy.set_retention(regclass,name,interval,text,name[],integer,integer)
-- @ privacy.retention_policies
SELECT privacy.set_retention('shop.tickets', 'opened_at', '1 year');
SELECT table_name, time_column, keep, action, columns, active_holds FROM privacy.retention_policies;

-- @ privacy.hide_expired(regclass)
-- # Expired rows disappear for every non-exempt role at once, before the purge removes them.
SELECT privacy.hide_expired('shop.tickets');
SET ROLE ex_support;
SELECT id FROM shop.tickets ORDER BY id;
RESET ROLE;

-- @ privacy.place_hold(regclass,text,text)
-- @ privacy.legal_holds
SELECT privacy.place_hold('shop.tickets', 'id = 13', 'Dispute D-7') AS hold_id;
SELECT table_name, condition, reason, placed_by, active FROM privacy.legal_holds;

-- @ privacy.retention_status
SELECT table_name, action, rows_expired, rows_held, last_run_status FROM privacy.retention_status;

-- @ privacy.purge_now(regclass)
-- @ privacy.purge_log
-- # Runs the purge in this session (the background workers do the same on their schedule); held rows stay.
SELECT * FROM privacy.purge_now('shop.tickets');
SELECT id FROM shop.tickets ORDER BY id;
SELECT table_name, rows, action, status, method, batches FROM privacy.purge_log;

-- @ privacy.release_hold(bigint)
SELECT privacy.release_hold(id) FROM privacy.legal_holds WHERE reason = 'Dispute D-7';
SELECT table_name, rows_expired, rows_held FROM privacy.retention_status;

-- @ privacy.drop_retention(regclass)
SELECT privacy.drop_retention('shop.tickets');
SELECT count(*) AS policies FROM privacy.retention_policies;

-- @ privacy.purge_naptime
-- @ privacy.purge_batch_size
-- @ privacy.purge_max_workers
-- @ privacy.purge_max_wal_rate
-- @ privacy.purge_max_replica_lag
-- @ privacy.purge_lock_wait
-- @ privacy.purge_max_busy
-- @ privacy.purge_statement_timeout
-- @ privacy.purge_log_retention
-- @ privacy.purge_nice
-- @ privacy.purge_batch_time
-- @ privacy.purge_partition_lock_timeout
-- # The purge workers' settings (postgresql.conf and reload; purge_lock_wait per session too). Defaults:
SELECT name, boot_val, unit, context FROM pg_settings WHERE name LIKE 'privacy.purge%' ORDER BY 1;

-- ## Scale-out (Citus)

-- @ privacy.citus_sync_policies()
-- # On a Citus coordinator it copies the policy state (masks, exemptions, row policies, purposes, consents, token formats, wrapped keys, detokenize grants, the masking secret) to every worker (doc/scale-out.md) and returns the number of workers. Changes are copied at commit anyway, and the maintenance worker gives the state to a worker added later or back from being down; run it after distributing a table that already has policies, or to synchronize at once. Without Citus, as here, there is nothing to copy.
SELECT privacy.citus_sync_policies() AS workers;

-- @ privacy.citus_policy_status()
-- # One row per Citus worker: whether its policy state equals the coordinator's. Without Citus, as here, no row.
SELECT node, in_sync FROM privacy.citus_policy_status();

-- @ privacy.citus_audit_log(timestamp with time zone)
-- # The audit log of every node, read on the coordinator: the detokenizations run on the Citus workers are first moved into the coordinator's log (privacy.citus_collect_audit), each row names the node that ran it. Without Citus only the local log:
SELECT DISTINCT node FROM privacy.citus_audit_log(now() - interval '1 day');

-- @ privacy.citus_collect_audit(integer)
-- # Moves the detokenization records of every Citus worker into the coordinator's privacy.audit_log, exactly once (at most max_rows per worker and run), and returns how many it copied. The coordinator's maintenance worker runs it every privacy.citus_maintenance_interval; call it to collect at once. Without Citus, as here, nothing to move.
SELECT privacy.citus_collect_audit() AS copied;

-- @ privacy.citus_maintenance_interval
-- # On a Citus coordinator, a background worker collects the workers' detokenization records and synchronizes workers that do not hold the current policy generation at this interval (postgresql.conf or ALTER SYSTEM, and a reload; 0 turns it off):
SELECT name, boot_val, unit, min_val, max_val, context FROM pg_settings WHERE name = 'privacy.citus_maintenance_interval';

-- ## Compliance

-- @ privacy.discover(name,integer)
-- # Finds personal data by column names (en, fr, de, es) and sampled values with validators (Luhn, IBAN).
SELECT table_name, column_name, category, confidence FROM privacy.discover('shop') ORDER BY 1, 2;

-- @ privacy.classify(regclass,name,text,text)
-- @ privacy.inventory
SELECT privacy.classify(table_name, column_name, category) FROM privacy.discover('shop') WHERE column_name <> 'card';
SELECT privacy.classify('shop.cards', 'card', 'payment_card', token_format => 'card');
SELECT table_name, column_name, category, protection, protections FROM privacy.inventory ORDER BY 1, 2;

-- @ privacy.coverage_gaps
-- # Personal data without any protection.
SELECT table_name, column_name, category, source FROM privacy.coverage_gaps ORDER BY 1, 2;

-- @ privacy.unclassify(regclass,name)
SELECT privacy.unclassify('shop.customers', 'last_ip');
SELECT count(*) FROM privacy.inventory WHERE column_name = 'last_ip';

-- @ privacy.effective_access
-- # What each role can really see, column by column.
SELECT role_name, column_name, access, can_detokenize, rows_filtered FROM privacy.effective_access
WHERE table_name = 'shop.customers'::regclass AND role_name IN ('ex_support', 'ex_dpo') AND column_name IN ('email', 'phone', 'name')
ORDER BY 1, 2;

-- @ privacy.policies
SELECT kind, table_name, column_name, name, active FROM privacy.policies ORDER BY 1, 2, 3, 4;

-- @ privacy.register_subject(regclass,name,regclass)
-- @ privacy.subject_tables
SELECT privacy.register_subject('shop.customers', 'email');
SELECT privacy.register_subject('shop.tickets', 'customer_id', via => 'shop.customers');
SELECT privacy.register_subject('shop.newsletter', 'email');
SELECT table_name, subject_column, via, via_column FROM privacy.subject_tables ORDER BY 1;

-- @ privacy.export_subject(text)
-- # Everything held about one person, as JSON (raw values: for the data-protection officer).
SELECT jsonb_pretty(privacy.export_subject('bob.roy@example.org'));

-- @ privacy.erase_subject(text,text)
-- # Deletes (or anonymizes, mode => 'anonymize') the person's rows everywhere in the caller's transaction, honouring legal holds.
SELECT jsonb_pretty(privacy.erase_subject('bob.roy@example.org'));
SELECT count(*) FROM shop.customers WHERE email = 'bob.roy@example.org';

-- @ privacy.unregister_subject(regclass)
SELECT privacy.unregister_subject('shop.newsletter');
SELECT table_name FROM privacy.subject_tables ORDER BY 1;

-- ## Categories, default deny and lineage

-- @ privacy.bind_category(text,text)
-- @ privacy.category_bindings
-- # A protection bound to a category masks every column classified with it (value is the column).
CREATE TABLE shop.leads (id int PRIMARY KEY, email text, phone text, source text);
INSERT INTO shop.leads VALUES (1, 'dan.moe@example.com', '+1 212 555 0199', 'fair'), (2, 'eve.ng@example.net', '+44 161 496 0000', 'web');
GRANT SELECT, INSERT ON shop.leads TO ex_support, ex_dpo;
SELECT privacy.bind_category('email', 'privacy.mask_email(value)');
SELECT privacy.bind_category('phone', 'privacy.mask_phone(value)');
SELECT privacy.classify('shop.leads', 'email', 'email');
SELECT privacy.classify('shop.leads', 'phone', 'phone');
SELECT category, mask, classified_columns FROM privacy.category_bindings ORDER BY 1;
SET ROLE ex_support;
SELECT id, email, phone FROM shop.leads ORDER BY id;
RESET ROLE;

-- @ privacy.grant_unmasked_category(regrole,text)
-- # An exemption from one category, on every column classified with it.
SELECT privacy.grant_unmasked_category('ex_dpo', 'email');
SET ROLE ex_dpo;
SELECT id, email, phone FROM shop.leads ORDER BY id;
RESET ROLE;

-- @ privacy.revoke_unmasked_category(regrole,text)
SELECT privacy.revoke_unmasked_category('ex_dpo', 'email');

-- @ privacy.mark_not_personal(regclass,name)
-- # A column added to a governed table is NULL (text: redacted) for masked roles until it is classified or marked not personal.
ALTER TABLE shop.leads ADD COLUMN score int, ADD COLUMN referrer text;
UPDATE shop.leads SET score = 40 + id, referrer = 'partner ' || id;
SET ROLE ex_support;
SELECT id, score, referrer FROM shop.leads ORDER BY id;
RESET ROLE;
SELECT table_name, column_name, source FROM privacy.coverage_gaps WHERE table_name = 'shop.leads'::regclass ORDER BY 2;
SELECT privacy.mark_not_personal('shop.leads', 'score');
SET ROLE ex_support;
SELECT id, score, referrer FROM shop.leads ORDER BY id;
RESET ROLE;

-- @ privacy.unmark_not_personal(regclass,name)
SELECT privacy.unmark_not_personal('shop.leads', 'score');

-- @ privacy.set_default_deny(regclass,boolean)
-- # Opt a table family out of default deny (its new columns stay listed in coverage_gaps).
SELECT privacy.set_default_deny('shop.leads', false);
SET ROLE ex_support;
SELECT id, score, referrer FROM shop.leads ORDER BY id;
RESET ROLE;
SELECT privacy.set_default_deny('shop.leads', true);

-- @ privacy.effective_access
-- # What protects each column (protected_by), and which writers could build a codebook of masked forms.
SELECT role_name, column_name, access, protected_by, codebook_exposure FROM privacy.effective_access
WHERE table_name = 'shop.leads'::regclass AND role_name IN ('ex_support', 'ex_dpo') ORDER BY 1, 2;

-- @ privacy.category_bindings
-- # Derived data inherits protection: a generated column, and a table an exempt role creates from protected columns.
ALTER TABLE shop.leads ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;
SELECT privacy.mark_not_personal('shop.leads', 'email_lower');
CREATE TABLE shop.lead_export AS SELECT id, lower(email) AS email, source FROM shop.leads;
GRANT SELECT ON shop.lead_export TO ex_support;
SELECT table_name, column_name, category FROM privacy.inventory WHERE table_name = 'shop.lead_export'::regclass;
SET ROLE ex_support;
SELECT id, email_lower FROM shop.leads ORDER BY id;
SELECT * FROM shop.lead_export ORDER BY id;
RESET ROLE;

-- @ privacy.unbind_category(text)
SELECT privacy.unbind_category('phone');
SET ROLE ex_support;
SELECT id, phone FROM shop.leads ORDER BY id;
RESET ROLE;
DROP TABLE shop.lead_export, shop.leads;
SELECT privacy.unbind_category('email');

-- ## Separation of duties

-- @ privacy.setup_roles(name,name)
-- @ privacy.admin_role
-- @ privacy.auditor_role
-- # Creates (or adopts) the administrator and auditor group roles named by these settings.
SELECT privacy.setup_roles();
SHOW privacy.admin_role;
SHOW privacy.auditor_role;
SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname IN ('privacy_admin', 'privacy_auditor') ORDER BY 1;

-- @ privacy.mask_column(regclass,name,text)
-- # Anyone who is not a superuser or privacy_admin member is refused, and learns why.
-- ! error
SET ROLE ex_support;
SELECT privacy.unmask_column('shop.customers', 'email');

-- ## Uninstalling

-- @ privacy.uninstall(text,boolean)
-- # Superusers only. Refuses (tokens => 'refuse', the default) while token columns remain, naming them, and changes nothing; doc/operations.md shows a whole uninstall followed by DROP EXTENSION.
-- ! error
SELECT privacy.uninstall();
