// privileges.hpp: who may declare, change and lift privacy policies.
//
// Policy administrators are superusers and members (with INHERIT) of the
// role named by privacy.admin_role (default privacy_admin); auditors are
// administrators and members of privacy.auditor_role (default
// privacy_auditor). Table owners may declare table-scoped policies on their
// own tables only while privacy.owners_may_declare is on (off by default),
// and never grant exemptions. Every administrative function calls
// CheckPolicyAdmin itself: GRANT EXECUTE alone is never the only check.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// AdminRoleName returns the role privacy.admin_role names (for hints).
const char *AdminRoleName();

// IsPolicyAdmin reports whether userid administers privacy policies.
bool IsPolicyAdmin(Oid userid);

// IsPolicyAuditor reports whether userid may read compliance data.
bool IsPolicyAuditor(Oid userid);

// CheckPolicyAdmin raises 42501 (with a hint naming the role that may do
// it) unless the current user may perform `action`; relid is the table the
// action is scoped to (InvalidOid: not table-scoped, owners never qualify).
void CheckPolicyAdmin(const char *action, Oid relid);

// CallInternalWriter calls the internal catalog writer privacy.<name>
// (a SECURITY DEFINER function that PUBLIC may not execute) directly
// through fmgr, after the C entry point has checked its caller and
// validated what it stores: only pg_privacy's own C code reaches the
// writers this way.
void CallInternalWriter(const char *name, int nargs, Oid *types, Datum *values, bool *nulls);

// CheckExemptionGrantee raises 42501 unless a superuser runs the session
// (outer user), when the outer or the session user is a member of grantee
// or could make itself one (ADMIN OPTION, CREATEROLE): no administrator
// grants exemptions (unmasked, detokenize, purposes) to itself.
void CheckExemptionGrantee(Oid grantee, const char *action);

} // namespace privacy::pg
