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

// Action pairs the name of an administrative action, as the API's functions
// pass it (also from SQL: privacy._check_policy_admin(action, ...)), with
// its whole message.
struct Action {
	const char *name;
	const char *message;
};

// the refusals of CheckPolicyAdmin
const Action kAdminActions[] = {
        {"allow purposes", gettext_noop("permission denied to allow purposes")},
        {"anonymize tables", gettext_noop("permission denied to anonymize tables")},
        {"bind protections to categories",
         gettext_noop("permission denied to bind protections to categories")},
        {"classify columns", gettext_noop("permission denied to classify columns")},
        {"create data keys", gettext_noop("permission denied to create data keys")},
        {"create purposes", gettext_noop("permission denied to create purposes")},
        {"create token formats", gettext_noop("permission denied to create token formats")},
        {"declare masking policies", gettext_noop("permission denied to declare masking policies")},
        {"declare retention policies",
         gettext_noop("permission denied to declare retention policies")},
        {"declare row policies", gettext_noop("permission denied to declare row policies")},
        {"disallow purposes", gettext_noop("permission denied to disallow purposes")},
        {"discover personal data", gettext_noop("permission denied to discover personal data")},
        {"drop data key versions", gettext_noop("permission denied to drop data key versions")},
        {"drop data keys", gettext_noop("permission denied to drop data keys")},
        {"drop retention policies", gettext_noop("permission denied to drop retention policies")},
        {"drop row policies", gettext_noop("permission denied to drop row policies")},
        {"drop token formats", gettext_noop("permission denied to drop token formats")},
        {"erase data subjects", gettext_noop("permission denied to erase data subjects")},
        {"export data subjects", gettext_noop("permission denied to export data subjects")},
        {"grant detokenize", gettext_noop("permission denied to grant detokenize")},
        {"grant exemptions from masking",
         gettext_noop("permission denied to grant exemptions from masking")},
        {"place legal holds", gettext_noop("permission denied to place legal holds")},
        {"purge tables", gettext_noop("permission denied to purge tables")},
        {"record consent", gettext_noop("permission denied to record consent")},
        {"register data subjects", gettext_noop("permission denied to register data subjects")},
        {"release legal holds", gettext_noop("permission denied to release legal holds")},
        {"remove masking policies", gettext_noop("permission denied to remove masking policies")},
        {"retokenize", gettext_noop("permission denied to retokenize")},
        {"revoke detokenize", gettext_noop("permission denied to revoke detokenize")},
        {"revoke exemptions from masking",
         gettext_noop("permission denied to revoke exemptions from masking")},
        {"rotate data keys", gettext_noop("permission denied to rotate data keys")},
        {"set default deny", gettext_noop("permission denied to set default deny")},
        {"uninstall pg_privacy", gettext_noop("permission denied to uninstall pg_privacy")},
};

// the refusals of CheckExemptionGrantee (%s: the grantee)
const Action kGrantActions[] = {
        {"allow purposes", gettext_noop("permission denied to allow purposes for role \"%s\"")},
        {"grant detokenize", gettext_noop("permission denied to grant detokenize for role \"%s\"")},
        {"grant exemptions from masking",
         gettext_noop("permission denied to grant exemptions from masking for role \"%s\"")},
};

// MessageFor returns the message of action in actions, or fallback for an
// action it does not list (or none).
template <std::size_t N>
const char *
MessageFor(const Action (&actions)[N], const char *action, const char *fallback) {
	for (const Action &entry : actions)
		if (action != NULL && strcmp(entry.name, action) == 0)
			return entry.message;
	return fallback;
}

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

const char *
AdminRoleName() {
	return guc_admin_role != NULL && guc_admin_role[0] ? guc_admin_role : "privacy_admin";
}

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
	const char *denied = MessageFor(kAdminActions, action,
	                                gettext_noop("permission denied to manage privacy policies"));
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", _(denied)),
		         errdetail("Policies cannot be changed inside a security-restricted operation: the "
		                   "code running there acts for a table owner, not for the session's "
		                   "role.")));
	if (IsPolicyAdmin(userid))
		return;
	if (OidIsValid(relid) && guc_owners_may_declare && OwnsRelation(relid, userid))
		return;
	if (OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", _(denied)),
		                errhint("Members of role \"%s\" and superusers can do it; table owners "
		                        "too when privacy.owners_may_declare is on.",
		                        AdminRoleName())));
	ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", _(denied)),
	                errhint("Members of role \"%s\" and superusers can do it.", AdminRoleName())));
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
	const char *denied =
	        MessageFor(kGrantActions, action,
	                   gettext_noop("permission denied to grant exemptions for role \"%s\""));
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
			                errmsg(denied, GetUserNameFromId(grantee, false)),
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
