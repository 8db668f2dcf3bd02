-- 20_masking.sql: masking functions (pure, PARALLEL SAFE, labelled per
-- STYLE.md §3.2). LEAKPROOF only where the function cannot raise or notice
-- because of its data.

CREATE FUNCTION privacy.redact(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'pg_privacy_redact'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION privacy.redact(text) IS
'replaces the value by a fixed text that reveals nothing, not even its length';
GRANT EXECUTE ON FUNCTION privacy.redact(text) TO PUBLIC;
