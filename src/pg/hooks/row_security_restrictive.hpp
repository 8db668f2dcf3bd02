// row_security_restrictive.hpp: pg_privacy's row_security_policy_hook_restrictive.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {
void InstallRestrictivePolicyHook();

// LiftRowFilters makes the restrictive hook leave out pg_privacy's own row
// policies (consent, filters) of relid until called with InvalidOid. Only
// for the rewrite of one statement the extension builds itself (the subject
// export): the caller clears it before that statement runs, so no plan or
// nested statement is ever made without the filters.
void LiftRowFilters(Oid relid) noexcept;
} // namespace privacy::pg
