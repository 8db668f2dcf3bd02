// cache_memory.cpp: the memory scaffolding of the per-backend caches (see
// the header).
#include "pg/catalog/cache_memory.hpp"

extern "C" {
#include "utils/memutils.h"
}

namespace privacy::pg {

MemoryContext
EnsureCacheContext(MemoryContext *context, const char *name) {
	if (*context == NULL)
		// (AllocSetContextCreate's macro asserts a literal name, which a
		// parameter cannot show; the header asks callers for one)
		*context = AllocSetContextCreateInternal(CacheMemoryContext, name, ALLOCSET_SMALL_SIZES);
	return *context;
}

HTAB *
CreateOidHash(const char *name, long nelem, Size entrysize, MemoryContext context) {
	HASHCTL ctl;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = entrysize;
	ctl.hcxt = context;
	return hash_create(name, nelem, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

} // namespace privacy::pg
