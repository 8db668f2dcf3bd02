-- exemptions: no self-service exemptions. grant_unmasked, grant_detokenize
-- and allow_purpose naming the caller, a role the caller is a member of
-- (directly, through a group, without INHERIT) are refused with 42501 and a hint, by every
-- route: direct, through a group role, after SET ROLE (the session user
-- counts too), inside a SECURITY DEFINER function. Another administrator or
-- a superuser may grant them (positive controls), and nothing was stored by
-- the refused calls.
SET client_min_messages = warning;
SELECT privacy.setup_roles();
CREATE ROLE regress_ex_admin LOGIN IN ROLE privacy_admin;
CREATE ROLE regress_ex_admin2 IN ROLE privacy_admin;
CREATE ROLE regress_ex_group;
GRANT regress_ex_group TO regress_ex_admin;
CREATE ROLE regress_ex_noinherit;
CREATE ROLE regress_ex_admin_ni NOINHERIT IN ROLE privacy_admin;
GRANT regress_ex_noinherit TO regress_ex_admin_ni;
CREATE ROLE regress_ex_other;
RESET client_min_messages;
CREATE TABLE ex_t (id int, secret text);
CREATE SCHEMA ex_s AUTHORIZATION regress_ex_admin;
CREATE SCHEMA ex_s2 AUTHORIZATION regress_ex_admin2;
GRANT USAGE ON SCHEMA ex_s2 TO regress_ex_admin;
SELECT privacy.create_purpose('regress_ex_purpose', 'test purpose');

-- try(q): the SQLSTATE, message and hint of q, or 'ok'
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; hnt text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hnt = PG_EXCEPTION_HINT;
	RETURN st || ' ' || msg || ' / ' || hnt;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

-- a non-superuser session (SET SESSION AUTHORIZATION): the administrator
-- itself, directly and through its groups
SET SESSION AUTHORIZATION regress_ex_admin;
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('regress_ex_admin')$$) AS self_unmasked;
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('regress_ex_group', 'ex_t')$$) AS group_unmasked;
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('privacy_admin', 'ex_t', 'secret')$$) AS admin_group_unmasked;
SELECT pg_temp.try($$SELECT privacy.grant_detokenize('regress_ex_admin', 'card')$$) AS self_detokenize;
SELECT pg_temp.try($$SELECT privacy.grant_detokenize('regress_ex_group', 'card')$$) AS group_detokenize;
SELECT pg_temp.try($$SELECT privacy.allow_purpose('regress_ex_admin', 'regress_ex_purpose')$$) AS self_purpose;
SELECT pg_temp.try($$SELECT privacy.allow_purpose('regress_ex_group', 'regress_ex_purpose')$$) AS group_purpose;
-- through SET ROLE: the session user is still the administrator
SET ROLE privacy_admin;
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('regress_ex_admin')$$) AS set_role_unmasked;
SELECT pg_temp.try($$SELECT privacy.grant_detokenize('regress_ex_admin', 'card')$$) AS set_role_detokenize;
SELECT pg_temp.try($$SELECT privacy.allow_purpose('regress_ex_admin', 'regress_ex_purpose')$$) AS set_role_purpose;
RESET ROLE;
-- inside a SECURITY DEFINER function the administrator owns, and one
-- another administrator owns (the check looks at the session's roles, never
-- at the function owner)
CREATE FUNCTION ex_s.self_grant() RETURNS void LANGUAGE sql SECURITY DEFINER
AS $$ SELECT privacy.grant_unmasked('regress_ex_admin') $$;
SELECT pg_temp.try($$SELECT ex_s.self_grant()$$) AS definer_unmasked;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ex_admin2;
CREATE FUNCTION ex_s2.grant_to_admin() RETURNS void LANGUAGE sql SECURITY DEFINER
AS $$ SELECT privacy.grant_detokenize('regress_ex_admin', 'card') $$;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ex_admin;
SELECT pg_temp.try($$SELECT ex_s2.grant_to_admin()$$) AS other_definer_detokenize;
-- positive control: a role it is not a member of
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('regress_ex_other', 'ex_t')$$) AS other_unmasked;
SELECT pg_temp.try($$SELECT privacy.grant_detokenize('regress_ex_other', 'card')$$) AS other_detokenize;
SELECT pg_temp.try($$SELECT privacy.allow_purpose('regress_ex_other', 'regress_ex_purpose')$$) AS other_purpose;
RESET SESSION AUTHORIZATION;

-- a NOINHERIT member is a member all the same (it can SET ROLE)
SET SESSION AUTHORIZATION regress_ex_admin_ni;
SET ROLE privacy_admin;
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('regress_ex_noinherit')$$) AS noinherit_unmasked;
RESET ROLE;
RESET SESSION AUTHORIZATION;

-- positive control: another administrator may exempt regress_ex_admin
SET SESSION AUTHORIZATION regress_ex_admin2;
SET ROLE privacy_admin;
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('regress_ex_admin', 'ex_t')$$) AS other_admin_unmasked;
SELECT pg_temp.try($$SELECT privacy.grant_detokenize('regress_ex_admin', 'card')$$) AS other_admin_detokenize;
SELECT pg_temp.try($$SELECT privacy.allow_purpose('regress_ex_admin', 'regress_ex_purpose')$$) AS other_admin_purpose;
RESET ROLE;
RESET SESSION AUTHORIZATION;
-- and a superuser may grant anything
SELECT pg_temp.try($$SELECT privacy.grant_unmasked('regress_ex_group', 'ex_t')$$) AS superuser_unmasked;

-- what was stored: only the allowed grants
SELECT role, relid, column_name, CASE WHEN granted_by = current_user THEN '(superuser)' ELSE granted_by::text END AS granted_by
FROM privacy._unmasked WHERE role::text LIKE 'regress_ex%' OR role::text = 'privacy_admin' ORDER BY role::text;
SELECT role, format, granted_by FROM privacy.detokenize_grants WHERE role::text LIKE 'regress_ex%' ORDER BY role::text;
SELECT role, purpose FROM privacy._purpose_role WHERE role::text LIKE 'regress_ex%' ORDER BY role::text;

SELECT privacy.revoke_unmasked('regress_ex_other', 'ex_t');
SELECT privacy.revoke_unmasked('regress_ex_admin', 'ex_t');
SELECT privacy.revoke_unmasked('regress_ex_group', 'ex_t');
SELECT privacy.revoke_detokenize(r, 'card') FROM unnest(ARRAY['regress_ex_other', 'regress_ex_admin']::regrole[]) r;
SELECT privacy.disallow_purpose(r, 'regress_ex_purpose') FROM unnest(ARRAY['regress_ex_other', 'regress_ex_admin']::regrole[]) r;
DELETE FROM privacy._purpose WHERE name = 'regress_ex_purpose';
DROP TABLE ex_t;
SELECT privacy.audit_wait() AS audit_written;
DELETE FROM privacy.audit_log;
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS ex_s, ex_s2 CASCADE;
DROP OWNED BY privacy_admin, privacy_auditor;
DROP ROLE regress_ex_admin, regress_ex_admin2, regress_ex_admin_ni, regress_ex_group, regress_ex_noinherit,
	regress_ex_other, privacy_admin, privacy_auditor;
RESET client_min_messages;
