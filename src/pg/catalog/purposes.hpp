// purposes.hpp: whether a role may declare a purpose (privacy._purpose,
// privacy._purpose_role), with the last answer cached per backend.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// InitPurposeCache registers the invalidation callbacks of the cached
// answer (from _PG_init).
void InitPurposeCache();

// PurposeUsable reports whether purpose exists and userid may declare it
// (the last answer is cached until roles or the purpose catalog change).
bool PurposeUsable(const char *purpose, Oid userid);
bool PurposeUsableUncached(const char *purpose, Oid userid);

} // namespace privacy::pg
