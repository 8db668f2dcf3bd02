// row_security_restrictive.cpp: pg_privacy's restrictive row-security hook:
// the row policies of the catalog (consent requirements, attribute filters;
// catalog/row_policies.cpp) for every relation that has them. The
// permissive hook of the tables masking governs is in
// row_security_permissive.cpp.
#include "pg/hooks/row_security_restrictive.hpp"

#include "pg/catalog/row_policies.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "rewrite/rowsecurity.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

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

} // namespace

void
LiftRowFilters(Oid relid) noexcept {
	lifted_relid = relid;
}

void
InstallRestrictivePolicyHook() {
	prev_restrictive = row_security_policy_hook_restrictive;
	row_security_policy_hook_restrictive = PrivacyRestrictivePolicies;
}

} // namespace privacy::pg
