-- 60_separation_of_duties.sql: who may declare, change and lift policies,
-- and the audit of every change (issue: separation of duties).
--
-- Every administrative function checks its caller itself
-- (privacy._check_policy_admin: superusers and members of
-- privacy.admin_role; table owners for their own tables when
-- privacy.owners_may_declare is on) and fails with 42501 and a hint naming
-- the role that may do it. So the administrative API is executable by
-- PUBLIC: a refused caller gets that explanation instead of a bare
-- "permission denied for function". Catalog writes happen inside SECURITY
-- DEFINER functions (pinned search_path) whose checks look at the session's
-- own role (GetOuterUserId), never at the function owner, and refuse inside
-- a security-restricted operation (code running for a table owner). The
-- internal catalog writers (privacy._store_*) are not executable by PUBLIC:
-- the C entry points call them through fmgr after validating.

GRANT EXECUTE ON FUNCTION
	privacy._check_policy_admin(text, regclass), privacy._outer_user(),
	privacy.mask_column(regclass, name, text), privacy.unmask_column(regclass, name),
	privacy.grant_unmasked(regrole, regclass, name), privacy.revoke_unmasked(regrole, regclass, name),
	privacy.anonymize_table(regclass), privacy.anonymize_database(),
	privacy.create_purpose(text, text), privacy.allow_purpose(regrole, text), privacy.disallow_purpose(regrole, text),
	privacy.grant_consent(text, text, timestamptz), privacy.revoke_consent(text, text),
	privacy.grant_consent(text[], text, timestamptz), privacy.revoke_consent(text[], text),
	privacy.require_consent(regclass, name, text), privacy.add_row_filter(regclass, text, text, regrole[]),
	privacy.drop_row_policy(regclass, text),
	privacy.create_key(text), privacy.rotate_key(text), privacy.drop_key(text, boolean), privacy.import_key(text, bytea, text, text),
	privacy.rewrap_keys(),
	privacy.drop_key_version(text, integer, boolean), privacy._forget_format_versions(text),
	privacy._set_format_version(text, integer),
	privacy.create_token_format(text, text, text, text, integer, integer), privacy.drop_token_format(text),
	privacy.grant_detokenize(regrole, text), privacy.revoke_detokenize(regrole, text),
	privacy.retokenize(regclass, name, text, integer), privacy.rotate_masking_secret(),
	privacy.set_retention(regclass, name, interval, text, name[], integer, integer), privacy.drop_retention(regclass),
	privacy.place_hold(regclass, text, text), privacy.release_hold(bigint), privacy.purge_now(regclass)
TO PUBLIC;

-- privacy.setup_roles(): creates (or adopts) the administrator and auditor
-- group roles and gives them what they need. Run by a superuser; roles are
-- never created silently by CREATE EXTENSION.
CREATE FUNCTION privacy.setup_roles(admin_role name DEFAULT 'privacy_admin', auditor_role name DEFAULT 'privacy_auditor')
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r name;
	bad boolean;
	fn regprocedure;
	tb regclass;
BEGIN
	IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) pg_catalog.to_regrole(privacy._outer_user()::text)) THEN
		RAISE EXCEPTION 'permission denied to set up privacy roles'
			USING ERRCODE = 'insufficient_privilege', HINT = 'Only superusers can create the privacy roles.';
	END IF;
	FOREACH r IN ARRAY ARRAY[admin_role, auditor_role] LOOP
		IF r IS NULL THEN
			RAISE EXCEPTION 'role names must not be null' USING ERRCODE = 'null_value_not_allowed';
		END IF;
		SELECT rolcanlogin OR rolsuper OR rolcreaterole OR rolbypassrls OR rolreplication INTO bad
		FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r;
		IF bad THEN
			RAISE EXCEPTION 'role "%" exists and is not a plain group role', r
				USING ERRCODE = 'invalid_parameter_value',
				      DETAIL = 'It can log in or has SUPERUSER, CREATEROLE, BYPASSRLS or REPLICATION.',
				      HINT = 'Pass another name, or use a NOLOGIN role without those attributes.';
		ELSIF bad IS NULL THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
	-- administrators: the key and token-format functions write through SPI
	-- as the caller
	EXECUTE format('GRANT SELECT, INSERT, DELETE ON privacy._key, privacy._token_format TO %I', admin_role);
	-- every view of the extension (compliance views, the policy listings;
	-- privacy.keys and privacy.token_formats are public) and the audit log
	FOR tb IN
		SELECT c.oid::regclass FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace
		  AND (c.relkind OPERATOR(pg_catalog.=) 'v' OR c.relname OPERATOR(pg_catalog.=) 'audit_log')
	LOOP
		EXECUTE format('GRANT SELECT ON %s TO %I, %I', tb, admin_role, auditor_role);
	END LOOP;
	-- a view's functions are executed with the privileges of the role that
	-- reads the view: both roles get the internal helpers those views call
	-- (read-only helpers; PUBLIC still may not call them)
	FOR fn IN
		SELECT DISTINCT d.refobjid::regprocedure
		FROM pg_catalog.pg_depend d
		JOIN pg_catalog.pg_rewrite w ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
		                             AND d.objid OPERATOR(pg_catalog.=) w.oid
		WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
		  AND (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) w.ev_class)
		      OPERATOR(pg_catalog.=) 'privacy'::regnamespace
		  AND (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) d.refobjid)
		      OPERATOR(pg_catalog.=) 'privacy'::regnamespace
		  AND NOT pg_catalog.has_function_privilege('public', d.refobjid, 'EXECUTE')
		-- and the read-only internal helpers those call in turn: STABLE or
		-- IMMUTABLE invoker functions read nothing the role could not read
		-- itself. Only internal ones (_name): the public functions PUBLIC
		-- may not execute (tokenize, fpe_encrypt, the keyed masks) compute
		-- with keys or the masking secret, and would be oracles against
		-- tokens and pseudonyms the roles can read (issue 21)
		UNION
		SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
		WHERE p.pronamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace AND p.provolatile IN ('s', 'i')
		  AND NOT p.prosecdef AND p.prokind OPERATOR(pg_catalog.=) 'f'
		  AND p.proname OPERATOR(pg_catalog.~~) '\_%'
		  AND NOT pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I, %I', fn, admin_role, auditor_role);
	END LOOP;
	-- and the catalog tables those helpers read (what the views show
	-- anyway), never the wrapped keys or the masking secret
	FOR tb IN
		SELECT c.oid::regclass FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) 'privacy'::regnamespace AND c.relkind OPERATOR(pg_catalog.=) 'r'
		  AND c.relname OPERATOR(pg_catalog.~~) '\_%'
		  AND c.relname OPERATOR(pg_catalog.<>) ALL (ARRAY['_key', '_masking_secret']::name[])
	LOOP
		EXECUTE format('GRANT SELECT ON %s TO %I, %I', tb, admin_role, auditor_role);
	END LOOP;
	IF admin_role OPERATOR(pg_catalog.<>) pg_catalog.current_setting('privacy.admin_role')
	   OR auditor_role OPERATOR(pg_catalog.<>) pg_catalog.current_setting('privacy.auditor_role') THEN
		RAISE NOTICE 'set privacy.admin_role = %, privacy.auditor_role = % in postgresql.conf', admin_role, auditor_role;
	END IF;
END
$$;
COMMENT ON FUNCTION privacy.setup_roles(name, name) IS
'creates or adopts the privacy administrator and auditor group roles and grants them their rights (superuser only)';
-- executable by PUBLIC like the administrative functions (issue 21): it
-- refuses a caller that is not a superuser itself, with a hint, instead of
-- PostgreSQL's bare "permission denied for function"
GRANT EXECUTE ON FUNCTION privacy.setup_roles(name, name) TO PUBLIC;

-- The audit of policy changes: every row written to a policy catalog table,
-- by the API or by direct DML, is logged in the same transaction (a C trigger
-- that writes privacy.audit_log without needing privileges on it). Key rows
-- are logged by name and version only; the masking secret is never logged.

CREATE FUNCTION privacy._audit_policy_change()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pg_privacy__audit_policy_change'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION privacy._audit_policy_change() IS
'trigger: logs every change to a policy catalog table in privacy.audit_log';
REVOKE ALL ON FUNCTION privacy._audit_policy_change() FROM PUBLIC;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._column_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._unmasked
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._row_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._purpose
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._purpose_role
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._token_format
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._detokenize_grant
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._key
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._token_format_version
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._retention_policy
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON privacy._legal_hold
	FOR EACH ROW EXECUTE FUNCTION privacy._audit_policy_change();
