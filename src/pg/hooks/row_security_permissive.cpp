// row_security_permissive.cpp: pg_privacy's permissive row-security hook:
// the keep-every-row policy of the tables masking governs. The restrictive
// row policies of the catalog (consent, filters) are added by
// row_security_restrictive.cpp.
//
// Masking turns row security on for the tables it governs (unless the owner
// had already done so): for RLS-subject roles that hides the columns'
// statistics in pg_stats and the raw values PostgreSQL would otherwise print
// in "Failing row contains" and key-violation DETAIL lines
// (notes/pg-internals §5). Masking must not hide rows, so for those tables
// this hook supplies one permissive policy, USING (true) WITH CHECK (true),
// for every command and role. Without the preloaded library the hook does
// not exist and the table denies every RLS-subject role: fail closed.
#include "pg/hooks/row_security_permissive.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "rewrite/rowsecurity.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

row_security_policy_hook_type prev_permissive = NULL;

// PrivacyPermissivePolicies adds the keep-every-row policy for tables whose
// row security pg_privacy enabled.
List *
PrivacyPermissivePolicies(CmdType cmdtype, Relation relation) {
	List *policies = prev_permissive != NULL ? prev_permissive(cmdtype, relation) : NIL;
	if (!RowSecurityEnabledByPrivacy(RelationGetRelid(relation)))
		return policies;

	Datum public_role = ObjectIdGetDatum(ACL_ID_PUBLIC);
	RowSecurityPolicy *policy = (RowSecurityPolicy *)palloc0(sizeof(RowSecurityPolicy));
	policy->policy_name = pstrdup("pg_privacy_masking_keeps_rows");
	policy->polcmd = '*';
	policy->roles = construct_array(&public_role, 1, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
	policy->permissive = true;
	policy->qual = (Expr *)makeBoolConst(true, false);
	policy->with_check_qual = (Expr *)makeBoolConst(true, false);
	policy->hassublinks = false;
	return lappend(policies, policy);
}

} // namespace

void
InstallPermissivePolicyHook() {
	prev_permissive = row_security_policy_hook_permissive;
	row_security_policy_hook_permissive = PrivacyPermissivePolicies;
}

} // namespace privacy::pg
