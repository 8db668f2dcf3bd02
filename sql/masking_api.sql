-- masking_api: declaring, validating, listing and removing masking policies.
-- Masks are validated when declared (one expression over the table's own
-- columns; no subqueries, aggregates, window or set-returning functions, no
-- volatile functions, right type) and stored in canonical, schema-qualified
-- form, so the masked role's search_path can never change what they call.
-- Errors name tables and columns only.
CREATE SCHEMA mapi;
CREATE TABLE mapi.customer (id int PRIMARY KEY, email text, ssn text, born date, score int);
CREATE VIEW mapi.customer_v AS SELECT * FROM mapi.customer;
CREATE ROLE mapi_analyst;
GRANT USAGE ON SCHEMA mapi TO mapi_analyst;
GRANT SELECT ON mapi.customer TO mapi_analyst;

-- arguments
SELECT privacy.mask_column(NULL, 'ssn', 'privacy.redact(ssn)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'nope', 'privacy.redact(ssn)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ctid', 'privacy.redact(ssn)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer_v', 'ssn', 'privacy.redact(ssn)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('privacy._column_policy', 'mask', 'privacy.redact(mask)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('pg_catalog.pg_authid', 'rolpassword', 'NULL');
\echo :LAST_ERROR_SQLSTATE

-- the mask must be one expression over this table's columns
SELECT privacy.mask_column('mapi.customer', 'ssn', '');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'privacy.redact(ssn), ssn');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', '''x''); DROP TABLE mapi.customer; --');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'rolpassword FROM pg_authid');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', '(SELECT min(ssn) FROM mapi.customer)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'max(ssn)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'first_value(ssn) OVER ()');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'generate_series(1, 2)::text');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'random()::text');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'customer::text');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'xmin::text');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'other_table.ssn');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'born', 'ssn');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'ssn');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', '$1');
\echo :LAST_ERROR_SQLSTATE
-- nothing was stored by any failed declaration
SELECT count(*) AS policies FROM privacy.column_policies;

-- valid masks: assignable types are coerced, names are stored qualified
CREATE SCHEMA mapi_fn;
CREATE FUNCTION mapi_fn.initial(v text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN left(v, 1) || '***';
GRANT USAGE ON SCHEMA mapi_fn TO mapi_analyst;
SET search_path = mapi_fn, public;
SELECT privacy.mask_column('mapi.customer', 'email', 'initial(email)');
RESET search_path;
SELECT privacy.mask_column('mapi.customer', 'ssn', 'privacy.redact(ssn)');
SELECT privacy.mask_column('mapi.customer', 'score', '(score / 10) * 10');
SELECT privacy.mask_column('mapi.customer', 'born', $$date_trunc('year', born)$$);
SELECT table_name, column_name, mask, declared_mask, exempt_roles
FROM privacy.column_policies ORDER BY table_name::text, column_name;
-- re-declaring replaces the mask
SELECT privacy.mask_column('mapi.customer', 'score', '0');
SELECT mask FROM privacy.column_policies WHERE column_name = 'score';

-- the table now has row security, turned on by pg_privacy
SELECT relrowsecurity FROM pg_class WHERE oid = 'mapi.customer'::regclass;
SELECT relid, rls_enabled_by_privacy FROM privacy._governed_table;

INSERT INTO mapi.customer VALUES (1, 'cnry.secret' || '@example.org', 'CANARY-' || '5EC12E75', '1980-06-15', 87);
SET ROLE mapi_analyst;
SELECT * FROM mapi.customer;
-- a masked role cannot redirect a mask through its search_path
RESET ROLE;
CREATE SCHEMA mapi_evil AUTHORIZATION mapi_analyst;
SET ROLE mapi_analyst;
CREATE FUNCTION mapi_evil.redact(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN v;
CREATE FUNCTION mapi_evil.initial(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN v;
SET search_path = mapi_evil, privacy, mapi_fn, public;
SELECT * FROM mapi.customer;
RESET search_path;
-- nor call the policy API
SELECT privacy.unmask_column('mapi.customer', 'ssn');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_unmasked('mapi_analyst');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('mapi.customer', 'ssn', 'ssn || ''''');
\echo :LAST_ERROR_SQLSTATE
-- nor switch enforcement off
SET privacy.masking = off;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM privacy.column_policies;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- exemptions: argument checks
SELECT privacy.grant_unmasked(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_unmasked('mapi_analyst', NULL, 'ssn');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.grant_unmasked('mapi_analyst', 'mapi.customer', 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.revoke_unmasked('mapi_analyst', 'mapi.customer');
\echo :LAST_ERROR_SQLSTATE
-- a column exemption shows in the view and unmasks that column only
SELECT privacy.grant_unmasked('mapi_analyst', 'mapi.customer', 'score');
SELECT column_name, exempt_roles FROM privacy.column_policies ORDER BY column_name;
SET ROLE mapi_analyst;
SELECT id, score, ssn FROM mapi.customer;
RESET ROLE;
SELECT privacy.revoke_unmasked('mapi_analyst', 'mapi.customer', 'score');

-- removing policies; row security goes back off with the last one
SELECT privacy.unmask_column('mapi.customer', 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.unmask_column('mapi.customer', 'score');
SELECT privacy.unmask_column('mapi.customer', 'born');
SELECT privacy.unmask_column('mapi.customer', 'email');
SELECT relrowsecurity FROM pg_class WHERE oid = 'mapi.customer'::regclass;
SELECT privacy.unmask_column('mapi.customer', 'ssn');
SELECT relrowsecurity FROM pg_class WHERE oid = 'mapi.customer'::regclass;
SELECT count(*) AS governed FROM privacy._governed_table;
-- a table whose owner had enabled row security keeps it
ALTER TABLE mapi.customer ENABLE ROW LEVEL SECURITY;
SELECT privacy.mask_column('mapi.customer', 'ssn', 'privacy.redact(ssn)');
SELECT rls_enabled_by_privacy FROM privacy._governed_table;
SELECT privacy.unmask_column('mapi.customer', 'ssn');
SELECT relrowsecurity FROM pg_class WHERE oid = 'mapi.customer'::regclass;

DROP SCHEMA mapi, mapi_fn, mapi_evil CASCADE;
DROP ROLE mapi_analyst;
SELECT count(*) AS leftover_rows FROM privacy._column_policy;
