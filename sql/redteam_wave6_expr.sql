-- redteam_wave6_expr.sql: red-team pass 6, bypasses of the trusted-function
-- rule for policy expressions; each section shows the attack refused and a
-- positive control.
-- G1. pg_privacy's stored expressions (privacy_expr) are owned by the
--     extension's owner but run another policy's expression, which may call
--     an administrator's functions: a hold condition (superusers' functions
--     only) or a mask calling one would lend those functions the wrapper
--     owner's trust. Refused.
-- G2. to_json, to_jsonb, row_to_json, array_to_json and the json/jsonb
--     build functions (called directly or as an operator's function) call a
--     type's cast to json without naming it: applied
--     to a value of a type that is not built-in, whose owner can add such a
--     cast at any time, they are refused. Built-in types are fine.
-- Runs in a database of its own.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
CREATE DATABASE regress_rt6_expr;
RESET client_min_messages;
\c regress_rt6_expr
CREATE EXTENSION pg_privacy;
SET client_min_messages = warning;
SELECT privacy.setup_roles('regress_rt6_admin', 'regress_rt6_auditor');
RESET client_min_messages;
SET privacy.admin_role = 'regress_rt6_admin';
CREATE ROLE regress_rt6_dpo IN ROLE regress_rt6_admin;
CREATE ROLE regress_rt6_owner;
CREATE ROLE regress_rt6_creator;
CREATE SCHEMA rt6 AUTHORIZATION regress_rt6_owner;
CREATE SCHEMA rt6adm AUTHORIZATION regress_rt6_dpo;
GRANT USAGE ON SCHEMA rt6 TO regress_rt6_dpo, regress_rt6_creator;
GRANT CREATE ON SCHEMA rt6 TO regress_rt6_creator;
\set VERBOSITY terse

SET ROLE regress_rt6_owner;
CREATE TABLE rt6.customers (id int, born date, ssn text);
INSERT INTO rt6.customers VALUES (1, '1990-01-01', '123-45-6789');
CREATE TABLE rt6.held (id int, note text);
INSERT INTO rt6.held VALUES (1, 'a'), (7, 'b');
RESET ROLE;

-- G1: the administrator's own function in a mask is allowed (administrators
-- are trusted for masks) ...
SET ROLE regress_rt6_dpo;
CREATE FUNCTION rt6adm.m(t text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'x' || t $$;
SELECT privacy.mask_column('rt6.customers', 'born',
	'CASE WHEN rt6adm.m(born::text) IS NULL THEN born END');
-- ... but a hold condition calling that mask's stored form is refused
\set ON_ERROR_STOP 0
SELECT privacy.place_hold('rt6.held',
	'privacy_expr."mask of rt6.customers.born"(''2000-01-01''::date) IS NOT NULL AND id = 7', 'wrap');
\echo :LAST_ERROR_SQLSTATE
-- and so is a mask calling it
SELECT privacy.mask_column('rt6.customers', 'ssn',
	'CASE WHEN privacy_expr."mask of rt6.customers.born"(''2000-01-01''::date) IS NULL THEN ssn END');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
-- positive control: the same hold without the stored form is placed
SELECT privacy.place_hold('rt6.held', 'id = 7', 'plain') > 0 AS plain_hold_placed;
RESET ROLE;

-- G2: a role's own enum and range types, with casts to json of its own
SET ROLE regress_rt6_creator;
CREATE TYPE rt6.e6 AS ENUM ('x', 'y');
CREATE TYPE rt6.r6 AS RANGE (subtype = text);
CREATE TABLE rt6.loot (who name, what text);
GRANT INSERT ON rt6.loot TO PUBLIC;
CREATE FUNCTION rt6.e6_json(v rt6.e6) RETURNS json LANGUAGE plpgsql AS $$
BEGIN INSERT INTO rt6.loot VALUES (current_user, v::text); RETURN to_json(v::text); END $$;
CREATE CAST (rt6.e6 AS json) WITH FUNCTION rt6.e6_json(rt6.e6);
CREATE FUNCTION rt6.r6_json(v rt6.r6) RETURNS json LANGUAGE plpgsql AS $$
BEGIN INSERT INTO rt6.loot VALUES (current_user, v::text); RETURN to_json(v::text); END $$;
CREATE CAST (rt6.r6 AS json) WITH FUNCTION rt6.r6_json(rt6.r6);
CREATE OPERATOR rt6.@@ (RIGHTARG = anyelement, FUNCTION = pg_catalog.to_jsonb);
RESET ROLE;
SET ROLE regress_rt6_dpo;
\set ON_ERROR_STOP 0
SELECT privacy.place_hold('rt6.held', 'pg_catalog.to_jsonb(''x''::rt6.e6) IS NOT NULL AND id = 1', 'json');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.place_hold('rt6.held', 'pg_catalog.row_to_json(ROW(''x''::rt6.e6)) IS NOT NULL AND id = 1', 'row');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('rt6.customers', 'ssn',
	'(pg_catalog.to_jsonb((''["'' || ssn || ''","'' || ssn || ''"]'')::rt6.r6) #>> ''{}'')');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('rt6.customers', 'ssn',
	'pg_catalog.json_build_object(''v'', ''x''::rt6.e6)::text');
\echo :LAST_ERROR_SQLSTATE
-- the same conversion through an operator whose function is to_jsonb (red
-- team 7): refused in a hold condition and in a mask
SELECT privacy.place_hold('rt6.held', '(OPERATOR(rt6.@@) ''x''::rt6.e6) IS NOT NULL AND id = 1', 'op');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('rt6.customers', 'ssn',
	'(OPERATOR(rt6.@@) (''["'' || ssn || ''","'' || ssn || ''"]'')::rt6.r6) #>> ''{}''');
\echo :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP 1
-- positive controls: json of built-in types is accepted in both (through
-- the operator too)
SELECT privacy.place_hold('rt6.held', '(OPERATOR(rt6.@@) id) IS NOT NULL AND id = 1', 'builtin op') > 0
	AS builtin_operator_hold_placed;
SELECT privacy.place_hold('rt6.held', 'pg_catalog.to_jsonb(id) IS NOT NULL AND id = 1', 'builtin') > 0
	AS builtin_json_hold_placed;
SELECT privacy.mask_column('rt6.customers', 'ssn', 'pg_catalog.to_jsonb(pg_catalog.length(ssn))::text');
RESET ROLE;
-- a superuser's DELETE of a row no hold covers ran nothing of the creator's
DELETE FROM rt6.held WHERE id = 5;
SELECT count(*) AS creator_code_ran FROM rt6.loot;
SELECT rolsuper AS creator_is_superuser FROM pg_roles WHERE rolname = 'regress_rt6_creator';

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE regress_rt6_expr;
DROP ROLE regress_rt6_dpo, regress_rt6_owner, regress_rt6_creator, regress_rt6_admin,
    regress_rt6_auditor;
RESET client_min_messages;
