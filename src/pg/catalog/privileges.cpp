// privileges.cpp: the one privilege check of the policy API (see the
// header). Never trusts GRANT EXECUTE alone; never reads anything a session
// can change without being a superuser (the role names and the owner switch
// are superuser-only settings).
#include "pg/catalog/privileges.hpp"
#include "pg/guc.hpp"
#include "pg/hooks/caller_identity.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// OwnsRelation reports whether userid owns relid (the ownership check
// function was generalised in PostgreSQL 16).
bool
OwnsRelation(Oid relid, Oid userid) {
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(RelationRelationId, relid, userid);
#else
	return pg_class_ownercheck(relid, userid);
#endif
}

// MemberOf reports whether userid has the privileges of the named role
// (false when the role does not exist).
bool
MemberOf(Oid userid, const char *role_name) {
	if (role_name == NULL || role_name[0] == '\0')
		return false;
	Oid role = get_role_oid(role_name, true);
	return OidIsValid(role) && has_privs_of_role(userid, role);
}

} // namespace

bool
IsPolicyAdmin(Oid userid) {
	return superuser_arg(userid) || MemberOf(userid, guc_admin_role);
}

bool
IsPolicyAuditor(Oid userid) {
	return IsPolicyAdmin(userid) || MemberOf(userid, guc_auditor_role);
}

void
CheckPolicyAdmin(const char *action, Oid relid) {
	// The caller: the role the session runs as (SET ROLE), or the owner of
	// the SECURITY DEFINER function that called the API (whose own
	// current_user is the extension owner). An administrator who calls
	// another role's function lends it nothing.
	Oid userid = CallerUserId();
	// Inside a security-restricted operation the outer user is not who runs
	// the code: it is a table owner's trigger, index expression or function
	// running on behalf of a maintenance command (VACUUM, ANALYZE, CREATE
	// INDEX, REFRESH MATERIALIZED VIEW) or of pg_privacy's own table work
	// (purge, erasure, anonymization, retokenization), whose session may
	// belong to an administrator or a superuser. Policy administration is
	// never possible there, as SET ROLE is not.
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to %s", action),
		         errdetail("Policies cannot be changed inside a security-restricted operation: the "
		                   "code running there acts for a table owner, not for the session's "
		                   "role.")));
	if (IsPolicyAdmin(userid))
		return;
	if (OidIsValid(relid) && guc_owners_may_declare && OwnsRelation(relid, userid))
		return;
	ereport(ERROR,
	        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("permission denied to %s", action),
	         errhint("Members of role \"%s\" and superusers can do it%s.",
	                 guc_admin_role != NULL && guc_admin_role[0] ? guc_admin_role : "privacy_admin",
	                 OidIsValid(relid) ? "; table owners too when privacy.owners_may_declare is on"
	                                   : "")));
}

void
CheckExemptionGrantee(Oid grantee, const char *action) {
	// regrole accepts '-' (OID 0) and any number: a grant row for a role
	// that does not exist would apply to whichever role gets that OID later
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(grantee)))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("role with OID %u does not exist", grantee),
		                errhint("Name an existing role.")));
	// The caller (the role the session runs as, or the owner of the SECURITY
	// DEFINER function that called), the outer user (SET ROLE) and the
	// session user: an administrator that switched to another role still
	// acts for itself, and a function of an administrator called by a
	// superuser is still the administrator's code.
	Oid caller = CallerUserId();
	Oid outer = GetOuterUserId();
	Oid session = GetSessionUserId();
	// superuser code, or a superuser's session (also after SET ROLE) with no
	// other role's function in between
	if (superuser_arg(caller) || (caller == outer && superuser_arg(session)))
		return;
	Oid users[3] = {caller, outer, session};
	for (Oid user : users) {
		if (superuser_arg(user))
			continue;
		// a member of the grantee (with or without INHERIT: it can SET ROLE
		// to it), or a role that can make itself one (ADMIN OPTION on the
		// grantee, or CREATEROLE, which grants any non-superuser role)
		bool self = is_member_of_role_nosuper(user, grantee) || is_admin_of_role(user, grantee) ||
		            (has_createrole_privilege(user) && !superuser_arg(grantee));
		if (self)
			ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			                errmsg("permission denied to %s for role \"%s\"", action,
			                       GetUserNameFromId(grantee, false)),
			                errdetail("An administrator cannot exempt itself, a role it is a "
			                          "member of, or a role it can make itself a member of."),
			                errhint("Another administrator (who is not a member of role \"%s\") or "
			                        "a superuser must grant it.",
			                        GetUserNameFromId(grantee, false))));
	}
}

void
CallInternalWriter(const char *name, int nargs, Oid *types, Datum *values, bool *nulls) {
	List *qualified = list_make2(makeString(pstrdup("privacy")), makeString(pstrdup(name)));
	Oid fn = LookupFuncName(qualified, nargs, types, false);
	FmgrInfo flinfo;
	fmgr_info(fn, &flinfo);
	LOCAL_FCINFO(fcinfo, FUNC_MAX_ARGS);
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, InvalidOid, NULL, NULL);
	for (int i = 0; i < nargs; i++) {
		fcinfo->args[i].value = values[i];
		fcinfo->args[i].isnull = nulls != NULL && nulls[i];
	}
	(void)FunctionCallInvoke(fcinfo);
}

} // namespace privacy::pg
