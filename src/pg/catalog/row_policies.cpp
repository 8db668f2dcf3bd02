// row_policies.cpp: the per-backend row-policy cache: the rows of
// privacy._row_policy and, per queried relation, the quals built from them
// (row_policy_quals.cpp) that pg_privacy's restrictive row-security hook
// attaches.
//
// Consent itself is read by the quals' helper with the statement's snapshot
// (consent_registry.cpp, consent_set.cpp); no consent state outlives a
// statement.
//
// Never uses SPI (called while the rewriter runs), and never frees cache
// memory while a build is in progress (invalidations arrive whenever a lock
// is taken).
#include "pg/catalog/row_policies.hpp"
#include "pg/catalog/cache_memory.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/purposes.hpp"
#include "pg/catalog/row_policy_quals.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

MemoryContext cache_context = NULL;
bool loaded = false;
bool stale = false;
int in_use = 0;
Oid policy_table = InvalidOid;
int nrows = 0;
PolicyRow *rows = NULL;
HTAB *rel_cache = NULL;

void
ResetCache() {
	if (cache_context != NULL)
		MemoryContextReset(cache_context);
	loaded = false;
	stale = false;
	policy_table = InvalidOid;
	nrows = 0;
	rows = NULL;
	rel_cache = NULL;
}

// RelcacheCallback marks the cache stale on any relevant invalidation: our
// catalog table, the column-policy table (the API's common signal), a cached
// relation, or everything.
void
RelcacheCallback(Datum arg, Oid relid) {
	if (!loaded)
		return;
	if (!OidIsValid(relid) || relid == policy_table || MaybeCatalogTable(relid) ||
	    !OidIsValid(policy_table)) {
		stale = true;
		return;
	}
	if (rel_cache != NULL && hash_search(rel_cache, &relid, HASH_FIND, NULL) != NULL)
		stale = true;
}

// ProcCallback marks the cache stale when a function changes: a stored
// filter's wrapper may have been dropped, or a function it calls may have
// changed owner (the trust check runs when a filter is loaded).
void
ProcCallback(Datum arg, int cacheid, uint32 hashvalue) {
	if (loaded && nrows > 0)
		stale = true;
}

// EnsureLoaded reads privacy._row_policy when needed.
void
EnsureLoaded() {
	if (stale && in_use == 0)
		ResetCache();
	if (loaded)
		return;
	EnsureCacheContext(&cache_context, "pg_privacy row policies");
	rel_cache = CreateOidHash("pg_privacy row-policy relations", 64, sizeof(RelPolicies),
	                          cache_context);
	MemoryContext old;

	Oid table = PrivacyTable("_row_policy");
	if (!OidIsValid(table)) {
		loaded = true;
		return;
	}

	int cap = 8;
	PolicyRow *found = (PolicyRow *)MemoryContextAllocZero(cache_context, sizeof(PolicyRow) * cap);
	int n = 0;
	Relation rel = table_open(table, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		if (n == cap) {
			cap *= 2;
			found = (PolicyRow *)repalloc(found, sizeof(PolicyRow) * cap);
		}
		PolicyRow *row = &found[n];
		memset(row, 0, sizeof(*row));
		old = MemoryContextSwitchTo(cache_context);
		row->relid = DatumGetObjectId(heap_getattr(tup, 1, desc, &isnull));
		row->name = TextDatumGetCString(heap_getattr(tup, 2, desc, &isnull));
		char *kind = TextDatumGetCString(heap_getattr(tup, 3, desc, &isnull));
		row->consent = strcmp(kind, "consent") == 0;
		row->retention = strcmp(kind, "retention") == 0;
		Datum column = heap_getattr(tup, 4, desc, &isnull);
		if (!isnull)
			namestrcpy(&row->subject_column, NameStr(*DatumGetName(column)));
		Datum purpose = heap_getattr(tup, 5, desc, &isnull);
		row->purpose = isnull ? NULL : TextDatumGetCString(purpose);
		Datum condition = heap_getattr(tup, 6, desc, &isnull);
		row->condition = isnull ? NULL : TextDatumGetCString(condition);
		// 0.2.0 stores a filter as a wrapper function (column 11); a 0.1.0
		// catalog, or a row copied without one, has the text only. A
		// dangling OID (dropped with something it used) fails closed.
		row->condition_function = InvalidOid;
		if (desc->natts >= 11) {
			Datum fn = heap_getattr(tup, 11, desc, &isnull);
			if (!isnull)
				row->condition_function = DatumGetObjectId(fn);
		}
		Datum roles = heap_getattr(tup, 8, desc, &isnull);
		if (!isnull) {
			ArrayType *array = DatumGetArrayTypePCopy(roles);
			Datum *elems;
			bool *nulls;
			int count;
			deconstruct_array(array, REGROLEOID, sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls,
			                  &count);
			row->roles = (Oid *)palloc0(sizeof(Oid) * (count > 0 ? count : 1));
			for (int i = 0; i < count; i++)
				if (!nulls[i])
					row->roles[row->nroles++] = DatumGetObjectId(elems[i]);
		}
		MemoryContextSwitchTo(old);
		n++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	rows = found;
	nrows = n;
	policy_table = table;
	loaded = true;
}

// ParseQual analyzes a qual over relation relid (varno 1) with the fixed
} // namespace

void
InitRowPolicyCache() {
	RegisterRelcacheInvalidation(RelcacheCallback, (Datum)0);
	RegisterSyscacheInvalidation(PROCOID, ProcCallback, (Datum)0);
}

List *
RestrictiveRowPolicies(CmdType cmdtype, Relation relation) {
	if (IsBinaryUpgrade)
		return NIL;
	EnsureLoaded();
	if (nrows == 0)
		return NIL;
	Oid relid = RelationGetRelid(relation);
	bool found;
	RelPolicies *entry = (RelPolicies *)hash_search(rel_cache, &relid, HASH_ENTER, &found);
	if (!found) {
		entry->npolicies = 0;
		entry->policies = NULL;
		entry->consent = NULL;
		in_use++;
		PG_TRY();
		{ BuildRelationPolicies(entry, rows, nrows, cache_context); }
		PG_FINALLY();
		{ in_use--; }
		PG_END_TRY();
	}
	List *result = NIL;
	for (int i = 0; i < entry->npolicies; i++) {
		if (entry->consent[i] && cmdtype == CMD_INSERT) // visibility-only policies
			continue;
		RowSecurityPolicy *copy = (RowSecurityPolicy *)palloc(sizeof(RowSecurityPolicy));
		*copy = entry->policies[i];
		copy->policy_name = pstrdup(entry->policies[i].policy_name);
		copy->roles = DatumGetArrayTypePCopy(PointerGetDatum(entry->policies[i].roles));
		copy->qual = (Expr *)copyObject(entry->policies[i].qual);
		copy->with_check_qual = (Expr *)copyObject(entry->policies[i].with_check_qual);
		result = lappend(result, copy);
	}
	return result;
}

bool
RowPolicyMentionsRelation(Oid relid) {
	EnsureLoaded();
	for (int i = 0; i < nrows; i++)
		if (rows[i].relid == relid)
			return true;
	return false;
}

bool
ExemptFromRowPolicies(Oid relid, Oid userid) {
	if (superuser_arg(userid))
		return true;
	return HasRelationExemption(relid, userid);
}

} // namespace privacy::pg
