-- 00_preamble.sql: the schema and its security preamble.
--
-- The schema is created here without IF NOT EXISTS: a pre-existing schema
-- named "privacy" (possibly owned by an untrusted role) makes CREATE
-- EXTENSION fail instead of adopting objects someone else controls.
-- Every object below is schema-qualified; nothing relies on search_path.
\echo Use "CREATE EXTENSION pg_privacy" to load this file. \quit

CREATE SCHEMA privacy;
COMMENT ON SCHEMA privacy IS 'pg_privacy: masking, row policies, tokenization, retention and compliance views';

-- Functions are executable by PUBLIC unless revoked (PostgreSQL has no
-- per-schema way to change that default): every part revokes its internal
-- and administrative functions explicitly; test/pgtap/privileges.sql pins
-- the list of functions PUBLIC may execute.
REVOKE ALL ON SCHEMA privacy FROM PUBLIC;
GRANT USAGE ON SCHEMA privacy TO PUBLIC;
