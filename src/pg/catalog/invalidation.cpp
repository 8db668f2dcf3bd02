// invalidation.cpp: the dispatching relcache and syscache callbacks (see
// invalidation.hpp for why pg_privacy owns one slot each).
//
// Invariants:
//  * The tables are plain C arrays filled in _PG_init, never resized; a
//    registration beyond their size is a programming error reported at load.
//  * The dispatchers call PostgreSQL nothing themselves: each registered
//    callback does its own (flag-setting) work.
#include "pg/catalog/invalidation.hpp"

namespace privacy::pg {

namespace {

constexpr int kMaxCallbacks = 16;

struct RelcacheEntry {
	RelcacheCallbackFunction fn;
	Datum arg;
};

struct SyscacheEntry {
	int cacheid;
	SyscacheCallbackFunction fn;
	Datum arg;
};

RelcacheEntry relcache_entries[kMaxCallbacks];
int relcache_count = 0;
SyscacheEntry syscache_entries[kMaxCallbacks];
int syscache_count = 0;

// DispatchRelcache runs every registered relcache callback.
void
DispatchRelcache(Datum, Oid relid) {
	for (int i = 0; i < relcache_count; i++)
		relcache_entries[i].fn(relcache_entries[i].arg, relid);
}

// DispatchSyscache runs the callbacks registered for cacheid.
void
DispatchSyscache(Datum, int cacheid, uint32 hashvalue) {
	for (int i = 0; i < syscache_count; i++)
		if (syscache_entries[i].cacheid == cacheid)
			syscache_entries[i].fn(syscache_entries[i].arg, cacheid, hashvalue);
}

// TooMany reports a registration past the table's size.
void
TooMany() {
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
	                errmsg_internal("pg_privacy registered more than %d invalidation callbacks",
	                                kMaxCallbacks)));
}

} // namespace

void
RegisterRelcacheInvalidation(RelcacheCallbackFunction fn, Datum arg) {
	if (relcache_count == kMaxCallbacks)
		TooMany();
	if (relcache_count == 0)
		CacheRegisterRelcacheCallback(DispatchRelcache, (Datum)0);
	relcache_entries[relcache_count++] = RelcacheEntry{fn, arg};
}

void
RegisterSyscacheInvalidation(int cacheid, SyscacheCallbackFunction fn, Datum arg) {
	if (syscache_count == kMaxCallbacks)
		TooMany();
	bool seen = false;
	for (int i = 0; i < syscache_count; i++)
		seen = seen || syscache_entries[i].cacheid == cacheid;
	if (!seen)
		CacheRegisterSyscacheCallback(cacheid, DispatchSyscache, (Datum)0);
	syscache_entries[syscache_count++] = SyscacheEntry{cacheid, fn, arg};
}

} // namespace privacy::pg
