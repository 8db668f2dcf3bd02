-- pg_privacy--0.1.0--0.2.0.sql: ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'.
-- Every change this release makes to SQL objects, in the order the parts
-- (src/sql/parts) would create them; an updated database must equal a fresh
-- 0.2.0 install (test/upgrade checks it).
\echo Use "ALTER EXTENSION pg_privacy UPDATE TO '0.2.0'" to load this file. \quit

-- issue 14: durable disclosure audit, no self-service exemptions, complete subject exports

CREATE FUNCTION privacy._check_exemption_grantee(role regrole, action text)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_privacy__check_exemption_grantee'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION privacy._check_exemption_grantee(regrole, text) IS
'raises 42501 when a non-superuser session would exempt itself: its role (or session user) is a member of the grantee or can make itself one';
REVOKE ALL ON FUNCTION privacy._check_exemption_grantee(regrole, text) FROM PUBLIC;


CREATE OR REPLACE FUNCTION privacy.grant_unmasked(role regrole, tbl regclass DEFAULT NULL, col name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant exemptions from masking'), privacy._check_exemption_grantee(role, 'grant exemptions from masking');
	IF role IS NULL THEN
		RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF col IS NOT NULL AND tbl IS NULL THEN
		RAISE EXCEPTION 'a column exemption needs its table' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF col IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM pg_catalog.pg_attribute a
		WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
		  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, tbl USING ERRCODE = 'undefined_column';
	END IF;
	INSERT INTO privacy._unmasked (role, relid, column_name, granted_by, granted_at)
	VALUES (grant_unmasked.role, grant_unmasked.tbl, grant_unmasked.col, privacy._outer_user(), now())
	ON CONFLICT DO NOTHING;
	PERFORM privacy._invalidate_policies(tbl);
END
$$;
COMMENT ON FUNCTION privacy.grant_unmasked(regrole, regclass, name) IS
'exempts a role (and its members) from masking: everywhere, on one table, or on one column';


-- privacy.audit_wait(timeout): detokenizations and subject exports are
-- recorded outside the disclosing transaction, through a queue in shared
-- memory that the audit writer drains into privacy.audit_log; this waits
-- (polling, at most timeout) until no record of this database is still
-- queued. Reveals nothing but whether the queue is drained.
CREATE FUNCTION privacy.audit_wait(timeout interval DEFAULT '30 seconds')
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_privacy_audit_wait'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION privacy.audit_wait(interval) IS
'waits (at most timeout) until the disclosure records of this database are written to privacy.audit_log; true when they are';
GRANT EXECUTE ON FUNCTION privacy.audit_wait(interval) TO PUBLIC;


CREATE OR REPLACE FUNCTION privacy.grant_detokenize(role regrole, format text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('grant detokenize'), privacy._check_exemption_grantee(role, 'grant detokenize');
	IF role IS NULL OR format IS NULL THEN
		RAISE EXCEPTION 'role and format must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM privacy._token_format f WHERE f.name = grant_detokenize.format) THEN
		RAISE EXCEPTION 'token format "%" does not exist', format USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._detokenize_grant AS g (role, format, granted_by, granted_at)
	VALUES (grant_detokenize.role, grant_detokenize.format, privacy._outer_user(), now())
	ON CONFLICT ON CONSTRAINT _detokenize_grant_pkey DO NOTHING;
	PERFORM privacy._invalidate_keys();
END
$$;
COMMENT ON FUNCTION privacy.grant_detokenize(regrole, text) IS 'allows a role (and its members) to detokenize a format';


CREATE OR REPLACE FUNCTION privacy.allow_purpose(role regrole, purpose text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM privacy._check_policy_admin('allow purposes'), privacy._check_exemption_grantee(allow_purpose.role, 'allow purposes');
	IF allow_purpose.role IS NULL OR allow_purpose.purpose IS NULL THEN
		RAISE EXCEPTION 'role and purpose must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) allow_purpose.purpose) THEN
		RAISE EXCEPTION 'purpose "%" does not exist', allow_purpose.purpose USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO privacy._purpose_role VALUES (allow_purpose.role, allow_purpose.purpose) ON CONFLICT DO NOTHING;
	PERFORM privacy._invalidate_policies('privacy._purpose_role'::regclass);
END
$$;
COMMENT ON FUNCTION privacy.allow_purpose(regrole, text) IS
'lets a role (and its members) declare a purpose with SET privacy.purpose';


-- privacy._export_rows(tbl, ids, subject, token_columns, token_formats): one
-- table's part of export_subject. Reads the rows ids as the caller (its
-- privileges and masking apply) with pg_privacy's own row policies (consent,
-- filters) lifted for that one statement, so that the export sees every row
-- of the subject; token columns are detokenized (each detokenization audited
-- as usual). Records the disclosure durably (action 'export subject',
-- object 'subject <pseudonym> in <table>', value_count = rows) before
-- returning, even if the caller's transaction later aborts. Administrators
-- only.
CREATE FUNCTION privacy._export_rows(tbl regclass, ids tid[], subject text, token_columns text[], token_formats text[])
RETURNS jsonb
AS 'MODULE_PATHNAME', 'pg_privacy__export_rows'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._export_rows(regclass, tid[], text, text[], text[]) IS
'rows of one registered table for export_subject, read as the caller without pg_privacy''s row policies; audited durably (administrators only)';

-- privacy.export_subject(subject): everything the registered tables hold
-- about a subject, as {"schema.table": [rows...]}: one key per registered
-- table searched, [] when the subject has no row there. Rows are located by
-- a definer helper (administrators only, every row whatever row policies
-- say), then read as the caller through privacy._export_rows: masking
-- applies to the caller, pg_privacy's row policies do not; token columns are
-- detokenized only when the caller may detokenize their format; a table the
-- caller cannot read is reported as {"error": "permission denied"}. If
-- other row-security policies (the owner's own) still hide some of the
-- subject's rows from the caller, the export is refused (42501): never a
-- silently partial result. Each table read is recorded in privacy.audit_log
-- durably, even if the transaction aborts.
CREATE OR REPLACE FUNCTION privacy.export_subject(subject text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	result jsonb := '{}';
	rows jsonb;
	cols text[];
	fmts text[];
BEGIN
	PERFORM privacy._check_policy_admin('export data subjects');
	IF subject IS NULL THEN
		RAISE EXCEPTION 'subject must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	FOR t IN SELECT p.relid, p.ids, p.token_columns FROM privacy._subject_export_plan(subject) p LOOP
		SELECT coalesce(pg_catalog.array_agg(k.key ORDER BY k.key), '{}'), coalesce(pg_catalog.array_agg(k.value ORDER BY k.key), '{}')
		INTO cols, fmts
		FROM pg_catalog.jsonb_each_text(t.token_columns) k WHERE privacy._may_detokenize(k.value);
		BEGIN
			rows := privacy._export_rows(t.relid, t.ids, subject, cols, fmts);
		EXCEPTION WHEN insufficient_privilege THEN
			rows := '{"error": "permission denied"}';
		END;
		IF pg_catalog.jsonb_typeof(rows) OPERATOR(pg_catalog.=) 'array'
		   AND pg_catalog.jsonb_array_length(rows) OPERATOR(pg_catalog.<) pg_catalog.cardinality(t.ids) THEN
			RAISE EXCEPTION 'export of the subject refused: % of its rows in % are hidden from you',
				pg_catalog.cardinality(t.ids) OPERATOR(pg_catalog.-) pg_catalog.jsonb_array_length(rows), t.relid
				USING ERRCODE = 'insufficient_privilege',
				      DETAIL = 'Row-security policies that pg_privacy does not manage filter the table for your role; the export would be incomplete.',
				      HINT = 'Run the export as a role those policies do not filter (the table owner without FORCE ROW LEVEL SECURITY, or a BYPASSRLS role that is a privacy administrator).';
		END IF;
		result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(t.relid::text, rows);
	END LOOP;
	RETURN result;
END
$$;
COMMENT ON FUNCTION privacy.export_subject(text) IS
'everything registered tables hold about a subject, one key per table searched; every row whatever row policies say, masked for the caller, detokenized only where allowed; audited durably';


GRANT EXECUTE ON FUNCTION privacy._export_rows(regclass, tid[], text, text[], text[]) TO PUBLIC;

COMMENT ON TABLE privacy.audit_log IS
'append-only audit: detokenizations (format, value_count) and subject exports (object, value_count), recorded even when their transaction aborts, and policy changes (object, old and new definition); never a protected value';
