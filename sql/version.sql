-- version: privacy.version() reaches core, OpenSSL and libsodium, reports that
-- the library was preloaded, and agrees with the installed SQL version.
SELECT privacy.version() ~ '^pg_privacy [0-9]+\.[0-9]+\.[0-9]+ \(preloaded\), OpenSSL 3\.[0-9]+\.[0-9]+.*, libsodium [0-9]+\.[0-9]+\.[0-9]+$'
	AS version_format;
SELECT split_part(privacy.version(), ' ', 2) = extversion AS library_matches_sql
FROM pg_extension WHERE extname = 'pg_privacy';
-- the extension owns schema privacy (created by its script, dropped with it),
-- every function lives there, and the extension cannot be relocated
SELECT count(*) AS schema_is_member FROM pg_depend
WHERE classid = 'pg_namespace'::regclass AND objid = 'privacy'::regnamespace
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_privacy') AND deptype = 'e';
SELECT count(*) AS functions_outside_privacy FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_privacy')
  AND p.pronamespace <> 'privacy'::regnamespace;
SELECT extrelocatable FROM pg_extension WHERE extname = 'pg_privacy';
CREATE SCHEMA elsewhere;
ALTER EXTENSION pg_privacy SET SCHEMA elsewhere;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA elsewhere;
-- an ordinary role may call it
CREATE ROLE version_reader;
SET ROLE version_reader;
SELECT privacy.version() IS NOT NULL AS callable;
-- but not the test-only probes
SELECT privacy._boundary_live_objects();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE version_reader;
