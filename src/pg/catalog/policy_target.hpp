// policy_target.hpp: which relations may carry pg_privacy policies.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// PolicyKind names the kind of policy being declared (for the messages).
enum class PolicyKind { kMasking, kRowPolicies };

// CheckPolicyTarget raises unless relid is an ordinary or partitioned table
// outside the system catalogs and pg_privacy's schema.
void CheckPolicyTarget(Oid relid, PolicyKind kind);

} // namespace privacy::pg
