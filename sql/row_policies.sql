-- row_policies: consent, purpose and attribute filters through row security.
-- A consent-gated row is visible under a declared purpose only while its
-- subject's consent for that purpose stands; with no purpose declared only
-- exempt roles see gated rows. Filters hide rows for which their condition
-- is not true. Owners are filtered too (row security is forced), exempt
-- roles and superusers are not. Revocation applies at the next statement,
-- also to prepared statements, and a leaky function in WHERE never sees a
-- filtered row.
CREATE SCHEMA rp;
CREATE TABLE rp.customer (id int PRIMARY KEY, email text NOT NULL, region text NOT NULL, note text);
INSERT INTO rp.customer VALUES
	(1, 'ann@example.com', 'eu', 'n1'), (2, 'bob@example.com', 'us', 'n2'),
	(3, 'cy@example.com', 'eu', 'n3'), (4, 'di@example.com', 'us', 'n4');
CREATE ROLE rp_marketing;
CREATE ROLE rp_support;
CREATE ROLE rp_dpo;
CREATE ROLE rp_owner;
GRANT USAGE ON SCHEMA rp TO rp_marketing, rp_support, rp_dpo, rp_owner;
GRANT SELECT, UPDATE, DELETE, INSERT ON rp.customer TO rp_marketing, rp_support, rp_dpo;

-- purposes
SELECT privacy.create_purpose('marketing', 'Newsletters and offers');
SELECT privacy.create_purpose('analytics', 'Aggregate product analytics');
SELECT privacy.create_purpose('marketing', 'again');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.create_purpose('Bad Name', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.allow_purpose('rp_marketing', 'marketing');
SELECT privacy.allow_purpose('rp_marketing', 'nope');
\echo :LAST_ERROR_SQLSTATE
-- a role may only declare purposes it is allowed
SET ROLE rp_support;
SET privacy.purpose = 'marketing';
\echo :LAST_ERROR_SQLSTATE
SET privacy.purpose = 'no such purpose';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- consent requirement on the subject's email
SELECT privacy.require_consent('rp.customer', 'email', 'marketing');
SELECT privacy.require_consent('rp.customer', 'nope', 'marketing');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.require_consent('rp.customer', 'email', 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'rp.customer'::regclass;
SELECT privacy.grant_consent('ann@example.com', 'marketing') > 0 AS granted;
SELECT privacy.grant_consent('cy@example.com', 'marketing', now() + interval '1 day') > 0 AS granted;
SELECT privacy.grant_consent('di@example.com', 'marketing', now() - interval '1 day');
\echo :LAST_ERROR_SQLSTATE

-- no purpose declared: gated rows are invisible to non-exempt roles
SET ROLE rp_marketing;
SELECT id FROM rp.customer ORDER BY id;
-- declared purpose: only consenting subjects
SET privacy.purpose = 'marketing';
SELECT id, email FROM rp.customer ORDER BY id;
SELECT count(*) FROM rp.customer;
-- updates and deletes see the same rows
UPDATE rp.customer SET note = 'contacted' WHERE true;
DELETE FROM rp.customer WHERE id = 2;
-- inserts are not gated (they are the application's writes)
INSERT INTO rp.customer VALUES (5, 'eve@example.com', 'eu', 'new');
-- a leaky function in WHERE only ever sees visible rows
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS
	$$ BEGIN RAISE NOTICE 'saw %', $1; RETURN true; END $$;
SELECT id FROM rp.customer WHERE pg_temp.leak(email) ORDER BY id;
DROP FUNCTION pg_temp.leak(text);
-- prepared before a revocation, executed after it
PREPARE visible AS SELECT id FROM rp.customer ORDER BY id;
EXECUTE visible;
RESET ROLE;
SELECT privacy.revoke_consent('ann@example.com', 'marketing');
SELECT privacy.revoke_consent('ann@example.com', 'marketing');
SET ROLE rp_marketing;
EXECUTE visible;
DEALLOCATE visible;
-- another purpose the table does not gate: rows are not restricted by it
RESET ROLE;
SELECT privacy.allow_purpose('rp_marketing', 'analytics');
SET ROLE rp_marketing;
SET privacy.purpose = 'analytics';
SELECT count(*) AS analytics_rows FROM rp.customer;
RESET privacy.purpose;
RESET ROLE;

-- exempt roles and superusers see every row
SELECT privacy.grant_unmasked('rp_dpo', 'rp.customer');
SET ROLE rp_dpo;
SELECT count(*) AS dpo_rows FROM rp.customer;
RESET ROLE;
SELECT count(*) AS superuser_rows FROM rp.customer;
-- the owner is filtered too (row security is forced)
ALTER TABLE rp.customer OWNER TO rp_owner;
SET ROLE rp_owner;
SELECT count(*) AS owner_rows FROM rp.customer;
RESET ROLE;
ALTER TABLE rp.customer OWNER TO CURRENT_USER;

-- attribute filters, for everyone or for listed roles
SELECT privacy.add_row_filter('rp.customer', 'eu_only', $$region = 'eu'$$, ARRAY['rp_support']::regrole[]);
SELECT privacy.add_row_filter('rp.customer', 'bad', '(SELECT true)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('rp.customer', 'bad', 'random() > 0.5');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('rp.customer', 'bad', $$region$$);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('rp.customer', 'bad', 'true); DROP TABLE rp.customer; --');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('rp.customer', 'consent:x', 'true');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.allow_purpose('rp_support', 'analytics');
SET ROLE rp_support;
SET privacy.purpose = 'analytics';
SELECT id, region FROM rp.customer ORDER BY id;
-- the filter's condition applies to new rows too
INSERT INTO rp.customer VALUES (6, 'fay@example.com', 'us', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET privacy.purpose;
RESET ROLE;
SELECT table_name, name, kind, subject_column, purpose, condition, roles
FROM privacy.row_policies ORDER BY name;
SELECT subject, purpose, standing, revoked_at IS NOT NULL AS revoked FROM privacy.consents ORDER BY subject;

-- masking and row policies on the same table
SELECT privacy.mask_column('rp.customer', 'email', 'privacy.mask_email(email)');
SET ROLE rp_marketing;
SET privacy.purpose = 'marketing';
SELECT id, email FROM rp.customer ORDER BY id;
RESET privacy.purpose;
RESET ROLE;

-- partitions queried directly are gated like their parent
CREATE TABLE rp.events (id int, subject text, at date) PARTITION BY RANGE (at);
CREATE TABLE rp.events_1 PARTITION OF rp.events FOR VALUES FROM ('2020-01-01') TO ('2030-01-01');
INSERT INTO rp.events VALUES (1, 'cy@example.com', '2024-01-01'), (2, 'bob@example.com', '2024-01-02');
GRANT SELECT ON rp.events, rp.events_1 TO rp_marketing;
SELECT privacy.require_consent('rp.events', 'subject', 'marketing');
SET ROLE rp_marketing;
SET privacy.purpose = 'marketing';
SELECT id FROM rp.events ORDER BY id;
SELECT id FROM rp.events_1 ORDER BY id;
RESET privacy.purpose;
RESET ROLE;

-- rows past their retention window can be hidden at once, before any purge
CREATE TABLE rp.visits (id int, visited_at timestamptz, page text);
INSERT INTO rp.visits VALUES (1, now() - interval '40 days', 'old'), (2, now() - interval '1 day', 'new'),
	(3, NULL, 'undated');
GRANT SELECT ON rp.visits TO rp_support;
SELECT privacy.hide_expired('rp.visits');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.set_retention('rp.visits', 'visited_at', interval '30 days');
SELECT privacy.hide_expired('rp.visits');
SET ROLE rp_support;
SELECT id, page FROM rp.visits ORDER BY id;
RESET ROLE;
SELECT count(*) AS superuser_sees FROM rp.visits;
-- a shorter window applies at once
SELECT privacy.set_retention('rp.visits', 'visited_at', interval '12 hours');
SET ROLE rp_support;
SELECT id, page FROM rp.visits ORDER BY id;
RESET ROLE;
-- without a retention policy nothing stays hidden
SELECT privacy.drop_retention('rp.visits');
SELECT name FROM privacy.row_policies WHERE table_name = 'rp.visits'::regclass;
SET ROLE rp_support;
SELECT id, page FROM rp.visits ORDER BY id;
RESET ROLE;

-- dropping the last row policy un-forces row security
SELECT privacy.drop_row_policy('rp.customer', 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.drop_row_policy('rp.customer', 'eu_only');
SELECT privacy.drop_row_policy('rp.customer', 'consent:marketing');
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'rp.customer'::regclass;
SELECT privacy.unmask_column('rp.customer', 'email');
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'rp.customer'::regclass;

-- the API is for policy administrators only
SET ROLE rp_marketing;
SELECT privacy.grant_consent('x', 'marketing');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.require_consent('rp.customer', 'email', 'marketing');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM privacy.consents;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM privacy._consent;
\echo :LAST_ERROR_SQLSTATE
-- the qual helper answers only what the table would show
SELECT privacy._consent_allows('rp.customer', 'marketing', 'cy@example.com') AS allowed_without_purpose;
RESET ROLE;

DROP SCHEMA rp CASCADE;
DROP ROLE rp_marketing, rp_support, rp_dpo, rp_owner;
