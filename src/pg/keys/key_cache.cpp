// key_cache.cpp: per-backend cache of data keys, token formats and detokenize
// grants (see key_cache.hpp). Unwrapping is in key_wrap.cpp, which loads
// the master keys through master_key.cpp.
//
// Invariants: each version is unwrapped with the master key whose id its row
// records (the previous master key during a rotation); the master keys are
// loaded only while a key's versions are unwrapped and freed (wiped) before
// an unwrap failure is reported. Unwrapped material lives in sodium_malloc'd
// memory (guard pages, locked, excluded from core dumps) owned by the cache
// context's reset callback, which also deletes the C++ objects built on it:
// the FF1/FF3-1 ciphers (FF3-1 on first use; OpenSSL cleanses their AES key
// schedules when it frees them) and the token formats. A stale cache is
// reset at the end of the transaction in which this backend noticed the
// change (ResetAtXactEnd) or at the next lookup (BeginKeyLookup), whichever
// comes first. C++ objects are built by helpers that call no PostgreSQL
// function (NewFf1, NewTokenFormat, KeyFf31). Must never: log or report key
// bytes.
#include "pg/keys/key_cache.hpp"
#include "pg/catalog/cache_memory.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"

#include "pg/boundary/boundary.hpp"
#include "pg/keys/audit.hpp"
#include "pg/keys/key_wrap.hpp"
#include "pg/keys/master_key.hpp"
#include "privacy/core/fpe.hpp"
#include "privacy/core/token_format.hpp"

#include <sodium.h>

#include <new>
#include <utility>

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

constexpr AttrNumber kMasterKeyIdAttnum =
        6; // privacy._key(name, version, algorithm, wrapped, created_at, master_key_id)

struct GrantEntry {
	Oid role;
	char *format;
	GrantEntry *next;
};

MemoryContext cache_context = NULL;
MemoryContextCallback cache_callback;
bool cache_stale = false;
uint64 cache_generation = 1;
uint64 invalidations = 0;
KeyRing *rings = NULL;
FormatEntry *formats = NULL;
bool formats_loaded = false;
GrantEntry *grants = NULL;
bool grants_loaded = false;
Oid key_table = InvalidOid;
Oid format_table = InvalidOid;
Oid grant_table = InvalidOid;
Oid format_version_table = InvalidOid;

// FreeCacheObjects deletes the C++ objects and frees the key material of
// every entry; runs when cache_context is reset (on abort too).
void
FreeCacheObjects(void *arg) {
	for (KeyRing *ring = rings; ring != NULL; ring = ring->next) {
		for (DataKey *key = ring->versions; key != NULL; key = key->next) {
			delete key->ff1;
			delete key->ff31;
			key->ff1 = NULL;
			key->ff31 = NULL;
			if (key->material != NULL)
				sodium_free(key->material);
			key->material = NULL;
		}
	}
	for (FormatEntry *format = formats; format != NULL; format = format->next) {
		delete format->format;
		format->format = NULL;
	}
	rings = NULL;
	formats = NULL;
	grants = NULL;
	formats_loaded = false;
	grants_loaded = false;
}

void
EnsureContext() {
	if (cache_context != NULL)
		return;
	EnsureCacheContext(&cache_context, "pg_privacy keys");
	cache_callback.func = FreeCacheObjects;
	cache_callback.arg = NULL;
	MemoryContextRegisterResetCallback(cache_context, &cache_callback);
}

void
ResetCache() {
	if (cache_context != NULL) {
		MemoryContextReset(cache_context); // runs FreeCacheObjects, then drops the callback
		MemoryContextRegisterResetCallback(cache_context, &cache_callback);
	}
	key_table = format_table = grant_table = format_version_table = InvalidOid;
	cache_generation++;
	cache_stale = false;
}

// RelcacheCallback marks the cache stale when one of our tables (or every
// relation) is invalidated.
void
RelcacheCallback(Datum arg, Oid relid) {
	if (!OidIsValid(relid) || relid == key_table || relid == format_table || relid == grant_table ||
	    relid == format_version_table) {
		cache_stale = true;
		invalidations++;
	}
}

void
RememberTables() {
	if (!OidIsValid(key_table))
		key_table = RequirePrivacyTable("_key");
	if (!OidIsValid(format_table))
		format_table = RequirePrivacyTable("_token_format");
	if (!OidIsValid(grant_table))
		grant_table = RequirePrivacyTable("_detokenize_grant");
	if (!OidIsValid(format_version_table)) {
		// absent in a 0.1.0 database not yet updated: every format then uses
		// the key's oldest version, as 0.1.0 did
		format_version_table = PrivacyTable("_token_format_version");
	}
}

// ResetAtXactEnd resets a stale cache when the transaction ends, so a
// dropped key's material and AES schedules do not wait for this backend's
// next key lookup (which may never come).
void
ResetAtXactEnd(XactEvent event, void *arg) {
	if ((event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
	     event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT) &&
	    cache_stale)
		ResetCache();
}

// KeyRow is one row of privacy._key, copied out of the scan.
struct KeyRow {
	int32 version;
	bytea *wrapped;
	char *master_key_id; // NULL: wrapped before 0.2.0 recorded ids
};

// NewFf1 builds an Ff1 (C++ only; may throw core errors, caught by CallCore).
core::Ff1 *
NewFf1(const unsigned char *material, size_t len) {
	return new core::Ff1(material, len);
}

// FormatRow is one row of privacy._token_format.
struct FormatRow {
	char *name;
	char *kind;
	char *alphabet;
	char *passthrough;
	int32 keep_prefix;
	int32 keep_suffix;
	int32 min_chars;
	int32 max_chars;
};

// NewTokenFormat builds a core TokenFormat from a catalog row (C++ only).
core::TokenFormat *
NewTokenFormat(const FormatRow &row) {
	core::TokenFormatSpec spec;
	spec.name = row.name;
	spec.alphabet = row.alphabet;
	spec.passthrough = row.passthrough;
	spec.keep_prefix = (size_t)row.keep_prefix;
	spec.keep_suffix = (size_t)row.keep_suffix;
	spec.min_chars = (size_t)row.min_chars;
	spec.max_chars = (size_t)row.max_chars;
	spec.card = strcmp(row.kind, "card") == 0;
	spec.email = strcmp(row.kind, "email") == 0;
	return new core::TokenFormat(std::move(spec));
}

void
LoadFormats() {
	Relation rel = table_open(format_table, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		Datum values[11];
		bool nulls[11];
		heap_deform_tuple(tup, desc, values, nulls);
		MemoryContext old = MemoryContextSwitchTo(cache_context);
		FormatEntry *entry = (FormatEntry *)palloc0(sizeof(FormatEntry));
		entry->name = TextDatumGetCString(values[0]);
		entry->key_name = TextDatumGetCString(values[8]);
		entry->builtin = DatumGetBool(values[9]);
		MemoryContextSwitchTo(old);
		FormatRow row{entry->name,
		              TextDatumGetCString(values[1]),
		              TextDatumGetCString(values[2]),
		              TextDatumGetCString(values[3]),
		              DatumGetInt32(values[4]),
		              DatumGetInt32(values[5]),
		              DatumGetInt32(values[6]),
		              DatumGetInt32(values[7])};
		entry->next = formats;
		formats = entry;
		entry->format = NewTokenFormat(row);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (OidIsValid(format_version_table)) {
		rel = table_open(format_version_table, AccessShareLock);
		desc = RelationGetDescr(rel);
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
		while ((tup = systable_getnext(scan)) != NULL) {
			bool isnull;
			char *name = TextDatumGetCString(heap_getattr(tup, 1, desc, &isnull));
			int32 version = DatumGetInt32(heap_getattr(tup, 2, desc, &isnull));
			for (FormatEntry *entry = formats; entry != NULL; entry = entry->next)
				if (strcmp(entry->name, name) == 0)
					entry->key_version = version;
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	formats_loaded = true;
}

void
LoadGrants() {
	Relation rel = table_open(grant_table, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		Datum role = heap_getattr(tup, 1, desc, &isnull);
		Datum format = heap_getattr(tup, 2, desc, &isnull);
		MemoryContext old = MemoryContextSwitchTo(cache_context);
		GrantEntry *entry = (GrantEntry *)palloc0(sizeof(GrantEntry));
		entry->role = DatumGetObjectId(role);
		entry->format = TextDatumGetCString(format);
		entry->next = grants;
		grants = entry;
		MemoryContextSwitchTo(old);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	grants_loaded = true;
}

KeyRing *
LoadKeyRing(const char *name) {
	Relation rel = table_open(key_table, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	int nrows = 0;
	int capacity = 4;
	KeyRow *rows = (KeyRow *)palloc(sizeof(KeyRow) * capacity);
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		char *row_name = TextDatumGetCString(heap_getattr(tup, 1, desc, &isnull));
		if (strcmp(row_name, name) != 0)
			continue;
		if (nrows == capacity) {
			capacity *= 2;
			rows = (KeyRow *)repalloc(rows, sizeof(KeyRow) * capacity);
		}
		rows[nrows].version = DatumGetInt32(heap_getattr(tup, 2, desc, &isnull));
		rows[nrows].wrapped = DatumGetByteaPCopy(heap_getattr(tup, 4, desc, &isnull));
		rows[nrows].master_key_id = NULL;
		if (desc->natts >= kMasterKeyIdAttnum) { // absent in a 0.1.0 database not yet updated
			Datum id = heap_getattr(tup, kMasterKeyIdAttnum, desc, &isnull);
			if (!isnull)
				rows[nrows].master_key_id = TextDatumGetCString(id);
		}
		nrows++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (nrows == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("data key \"%s\" does not exist", name),
		         errhint("A superuser can create it with privacy.create_key()."), errhidestmt(true),
		         errhidecontext(true)));

	MemoryContext old = MemoryContextSwitchTo(cache_context);
	KeyRing *ring = (KeyRing *)palloc0(sizeof(KeyRing));
	ring->name = pstrdup(name);
	MemoryContextSwitchTo(old);
	ring->next = rings;
	rings = ring;

	// the master keys: the current one, and the previous one when a row was
	// wrapped under another (a master-key rotation not finished yet)
	// (the entries are allocated first: nothing between loading the master
	// keys and freeing them may raise)
	DataKey **entries = (DataKey **)palloc(sizeof(DataKey *) * nrows);
	for (int i = 0; i < nrows; i++) {
		DataKey *key = (DataKey *)MemoryContextAllocZero(cache_context, sizeof(DataKey));
		key->version = rows[i].version;
		key->next = ring->versions;
		ring->versions = key;
		entries[i] = key;
	}
	MasterKeys keys{};
	LoadCurrentMasterKey(&keys);
	for (int i = 0; i < nrows; i++)
		if (rows[i].master_key_id == NULL || strcmp(rows[i].master_key_id, keys.current_id) != 0) {
			LoadPreviousMasterKey(&keys);
			break;
		}
	int failed = -1;
	for (int i = 0; i < nrows; i++) {
		size_t len = 0;
		entries[i]->material = UnwrapStoredKey(&keys, name, rows[i].version, rows[i].wrapped,
		                                       rows[i].master_key_id, &len);
		if (entries[i]->material == NULL) {
			failed = i;
			break;
		}
		entries[i]->material_len = len;
	}
	FreeMasterKeys(&keys);
	if (failed >= 0)
		ReportUnwrapFailure(psprintf("data key \"%s\" version %d", name, rows[failed].version),
		                    rows[failed].master_key_id, &keys);
	for (DataKey *key = ring->versions; key != NULL; key = key->next) {
		if (ring->newest == NULL || key->version > ring->newest->version)
			ring->newest = key;
		if (ring->oldest == NULL || key->version < ring->oldest->version)
			ring->oldest = key;
		int slot = (key->version - 1) % 9;
		if (ring->by_slot[slot] == NULL || key->version > ring->by_slot[slot]->version)
			ring->by_slot[slot] = key;
		ring->slot_versions[slot]++;
		key->ff1 = NewFf1(key->material, key->material_len);
	}
	return ring;
}

} // namespace

void
InitTokenization() {
	RegisterRelcacheInvalidation(RelcacheCallback, (Datum)0);
	RegisterXactCallback(ResetAtXactEnd, NULL);
	InitAudit();
}

namespace {

// LoadGuard brackets a load into the cache: the cache counts as stale while
// the load runs, so one that raises half-way leaves a cache the next lookup
// resets; Done() clears the mark again unless the cache was stale before or
// an invalidation arrived meanwhile. (No destructor: an error leaves the
// mark set, as intended.)
struct LoadGuard {
	uint64 seen;
	bool was_stale;
	LoadGuard() : seen(invalidations), was_stale(cache_stale) {
		cache_stale = true;
	}
	void
	Done() const {
		if (!was_stale && seen == invalidations)
			cache_stale = false;
	}
};

// EnsureFormats loads the token formats unless they are loaded.
void
EnsureFormats() {
	if (formats_loaded)
		return;
	LoadGuard guard;
	LoadFormats();
	guard.Done();
}

} // namespace

uint64
BeginKeyLookup() {
	EnsureContext();
	if (cache_stale)
		ResetCache();
	RememberTables();
	return cache_generation;
}

bool
KeyCacheUsable(uint64 generation) {
	return !cache_stale && generation == cache_generation;
}

KeyRing *
LookupKeyRing(const char *name) {
	for (KeyRing *ring = rings; ring != NULL; ring = ring->next)
		if (strcmp(ring->name, name) == 0)
			return ring;
	// A failed load leaves a partial ring: reset before the next lookup.
	LoadGuard guard;
	KeyRing *ring = LoadKeyRing(name);
	guard.Done();
	return ring;
}

DataKey *
FindVersion(KeyRing *ring, int32 version) {
	for (DataKey *key = ring->versions; key != NULL; key = key->next)
		if (key->version == version)
			return key;
	return NULL;
}

core::Ff31 *
KeyFf31(DataKey *key) {
	if (key->ff31 == NULL)
		key->ff31 = new core::Ff31(key->material, key->material_len);
	return key->ff31;
}

FormatEntry *
LookupFormat(const char *name) {
	EnsureFormats();
	for (FormatEntry *format = formats; format != NULL; format = format->next)
		if (strcmp(format->name, name) == 0)
			return format;
	ereport(ERROR,
	        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("token format \"%s\" does not exist", name),
	         errhint("See privacy.token_formats for the available formats."), errhidestmt(true),
	         errhidecontext(true)));
	pg_unreachable();
}

bool
IsFormatTweak(const char *key_name, const uint8 *tweak, size_t tweak_len) {
	EnsureFormats();
	for (FormatEntry *format = formats; format != NULL; format = format->next)
		if (strcmp(format->key_name, key_name) == 0 && strlen(format->name) == tweak_len &&
		    memcmp(format->name, tweak, tweak_len) == 0)
			return true;
	return false;
}

bool
MayDetokenize(const char *format) {
	if (superuser())
		return true;
	if (!grants_loaded) {
		LoadGuard guard;
		LoadGrants();
		guard.Done();
	}
	Oid user = GetUserId();
	for (GrantEntry *grant = grants; grant != NULL; grant = grant->next)
		if (strcmp(grant->format, format) == 0 && has_privs_of_role(user, grant->role))
			return true;
	return false;
}

void
InvalidateKeyCache() {
	const char *names[] = {"_key", "_token_format", "_detokenize_grant", "_token_format_version"};
	for (const char *name : names) {
		Oid table = PrivacyTable(name);
		if (OidIsValid(table))
			CacheInvalidateRelcacheByRelid(table);
	}
}

} // namespace privacy::pg
