-- 10_version.sql: version reporting and the error-boundary probes.

CREATE FUNCTION privacy.version()
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_version'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy.version() IS
'pg_privacy library version, whether it was preloaded, and the linked OpenSSL and libsodium versions';
GRANT EXECUTE ON FUNCTION privacy.version() TO PUBLIC;

-- Error-boundary probes: superuser-only, used by sql/boundary_errors.sql.
CREATE FUNCTION privacy._boundary_throw(what text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__boundary_throw'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._boundary_throw(text) IS
'test only: throws a C++ exception of the named kind from core through the error boundary';

CREATE FUNCTION privacy._boundary_pg_error(input text)
RETURNS integer
AS 'MODULE_PATHNAME', 'pg_privacy__boundary_pg_error'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._boundary_pg_error(text) IS
'test only: parses int4 through the guarded PostgreSQL call path while C++ objects are alive';

CREATE FUNCTION privacy._boundary_live_objects()
RETURNS bigint
AS 'MODULE_PATHNAME', 'pg_privacy__boundary_live_objects'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION privacy._boundary_live_objects() IS
'test only: number of boundary probe objects alive in this backend (0 unless a destructor was skipped)';

REVOKE ALL ON FUNCTION privacy._boundary_throw(text), privacy._boundary_pg_error(text),
	privacy._boundary_live_objects() FROM PUBLIC;
