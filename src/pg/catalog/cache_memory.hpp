// cache_memory.hpp: the memory scaffolding of pg_privacy's per-backend
// caches (column policies, row policies, keys, function languages).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "utils/hsearch.h"
}

namespace privacy::pg {

// EnsureCacheContext returns *context, first creating it (named name, small
// allocation sizes) as a child of CacheMemoryContext when it is NULL. name
// must be a string literal: the context keeps the pointer.
MemoryContext EnsureCacheContext(MemoryContext *context, const char *name);

// CreateOidHash creates a hash table keyed by an Oid (the first member of
// entries of entrysize bytes), allocated in context.
HTAB *CreateOidHash(const char *name, long nelem, Size entrysize, MemoryContext context);

} // namespace privacy::pg
