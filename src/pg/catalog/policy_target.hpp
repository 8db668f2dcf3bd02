// policy_target.hpp: which relations may carry pg_privacy policies.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// CheckPolicyTarget raises unless relid is an ordinary or partitioned table
// outside the system catalogs and pg_privacy's schema (what: "mask columns
// of", "add row policies to").
void CheckPolicyTarget(Oid relid, const char *what);

} // namespace privacy::pg
