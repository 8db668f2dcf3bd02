// invalidation.hpp: one relcache callback and one syscache callback per
// catalog cache for all of pg_privacy, dispatching to every per-backend cache.
//
// PostgreSQL 15 gives a process 10 relcache-callback slots and 64 syscache
// ones, shared by every loaded library (Citus alone takes five relcache
// slots); running out is a FATAL at session start. pg_privacy therefore
// registers exactly one relcache callback and one syscache callback per
// cache id, whatever the number of its caches, and its caches register here
// instead. Callbacks registered here follow the rule of every invalidation
// callback: set flags, free memory, never read a catalog.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "utils/inval.h"
}

namespace privacy::pg {

// RegisterRelcacheInvalidation adds fn to the callbacks run, in registration
// order, for every relcache invalidation this process processes (relid is
// InvalidOid for a full reset). Call only from _PG_init.
void RegisterRelcacheInvalidation(RelcacheCallbackFunction fn, Datum arg);

// RegisterSyscacheInvalidation adds fn to the callbacks run for every
// invalidation of the syscache cacheid. Call only from _PG_init.
void RegisterSyscacheInvalidation(int cacheid, SyscacheCallbackFunction fn, Datum arg);

} // namespace privacy::pg
