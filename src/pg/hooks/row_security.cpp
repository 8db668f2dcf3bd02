// row_security.cpp: pg_privacy's row-security hooks: the permissive
// keep-every-row policy of governed tables (below) and the restrictive row
// policies of the catalog (consent, filters; catalog/row_policies.cpp).
//
// Masking turns row security on for the tables it governs (unless the owner
// had already done so): for RLS-subject roles that hides the columns'
// statistics in pg_stats and the raw values PostgreSQL would otherwise print
// in "Failing row contains" and key-violation DETAIL lines
// (notes/pg-internals §5). Masking must not hide rows, so for those tables
// this hook supplies one permissive policy, USING (true) WITH CHECK (true),
// for every command and role. Without the preloaded library the hook does
// not exist and the table denies every RLS-subject role: fail closed.
#include "pg/hooks/row_security.hpp"

#include "pg/catalog/citus.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/row_policies.hpp"
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
row_security_policy_hook_type prev_restrictive = NULL;
Oid lifted_relid = InvalidOid;

// PrivacyRestrictivePolicies adds the row policies of the catalog
// (consent requirements and attribute filters) for the relation.
List *
PrivacyRestrictivePolicies(CmdType cmdtype, Relation relation) {
	List *policies = prev_restrictive != NULL ? prev_restrictive(cmdtype, relation) : NIL;
	if (OidIsValid(lifted_relid) && RelationGetRelid(relation) == lifted_relid)
		return policies;
	// A Citus table's rows live in its shards: its row policies are enforced
	// where a shard is read (a shard inherits its table's policies,
	// citus.hpp), on the workers and in the coordinator's local execution.
	// They are attached to the shell too: Citus drops them from the SQL it
	// sends to the shards (the shards enforce them there), but keeps them
	// when it plans a shard query from this tree for local execution (a
	// router query on a worker that holds the shard), where the shard is
	// not rewritten again.
	List *own = RestrictiveRowPolicies(cmdtype, relation);
	return list_concat(policies, own);
}

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
LiftRowFilters(Oid relid) noexcept {
	lifted_relid = relid;
}

void
InstallRowSecurityHook() {
	prev_permissive = row_security_policy_hook_permissive;
	row_security_policy_hook_permissive = PrivacyPermissivePolicies;
	prev_restrictive = row_security_policy_hook_restrictive;
	row_security_policy_hook_restrictive = PrivacyRestrictivePolicies;
}

} // namespace privacy::pg
