-- injection: hostile expressions given to every function that takes one
-- (privacy.mask_column's mask, privacy.add_row_filter's condition). Each is
-- refused with a SQLSTATE, nothing is stored, and nothing it tried to do
-- happened: expressions are parsed and validated, never spliced into SQL,
-- may not read other tables, call volatile (side-effecting) functions, or
-- call functions owned by untrusted roles.
CREATE SCHEMA inj;
CREATE TABLE inj.t (id int PRIMARY KEY, secret text, region text);
INSERT INTO inj.t VALUES (1, 'CANARY-' || 'A0A0A0A0', 'eu');
CREATE TABLE inj.other (v text);
INSERT INTO inj.other VALUES ('other table');
CREATE TABLE inj.sink (v text);
CREATE ROLE inj_attacker;
CREATE SCHEMA inj_evil AUTHORIZATION inj_attacker;
SET ROLE inj_attacker;
CREATE FUNCTION inj_evil.steal(v text) RETURNS text LANGUAGE sql IMMUTABLE RETURN v;
CREATE FUNCTION inj_evil.allow(v text) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN true;
RESET ROLE;
CREATE FUNCTION inj.write_sink(v text) RETURNS text LANGUAGE sql VOLATILE AS
	$$ INSERT INTO inj.sink VALUES ($1) RETURNING v $$;

-- statement splicing
SELECT privacy.mask_column('inj.t', 'secret', 'secret); DROP TABLE inj.other; --');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('inj.t', 'secret', 'privacy.redact(secret); DROP TABLE inj.other');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('inj.t', 'secret', $$'x' UNION SELECT v FROM inj.other$$);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('inj.t', 'f', 'true) OR (1=1');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('inj.t', 'f', 'true; DELETE FROM inj.other');
\echo :LAST_ERROR_SQLSTATE
-- reading other tables
SELECT privacy.mask_column('inj.t', 'secret', '(SELECT v FROM inj.other LIMIT 1)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('inj.t', 'f', 'EXISTS (SELECT 1 FROM inj.other)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('inj.t', 'f', 'region IN (SELECT v FROM inj.other)');
\echo :LAST_ERROR_SQLSTATE
-- side effects through volatile functions
SELECT privacy.mask_column('inj.t', 'secret', 'inj.write_sink(secret)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('inj.t', 'f', $$inj.write_sink(secret) IS NOT NULL$$);
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.mask_column('inj.t', 'secret', $$pg_catalog.set_config('privacy.masking', 'off', false)$$);
\echo :LAST_ERROR_SQLSTATE
-- functions from a schema an untrusted role controls
SELECT privacy.mask_column('inj.t', 'secret', 'inj_evil.steal(secret)');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy.add_row_filter('inj.t', 'f', 'inj_evil.allow(secret)');
\echo :LAST_ERROR_SQLSTATE
-- casts and operators cannot smuggle a statement either
SELECT privacy.mask_column('inj.t', 'secret', $$'DROP TABLE inj.other'::regclass::text$$);
\echo :LAST_ERROR_SQLSTATE
-- identifiers are quoted where names are used
SELECT privacy.require_consent('inj.t', 'secret"; DROP TABLE inj.other; --', 'x');
\echo :LAST_ERROR_SQLSTATE

-- nothing was stored and nothing happened
SELECT count(*) AS policies FROM privacy._column_policy;
SELECT count(*) AS row_policies FROM privacy._row_policy;
SELECT count(*) AS other_rows FROM inj.other;
SELECT count(*) AS sink_rows FROM inj.sink;
SELECT current_setting('privacy.masking') AS masking;

DROP SCHEMA inj, inj_evil CASCADE;
DROP ROLE inj_attacker;
