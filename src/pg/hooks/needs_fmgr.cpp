// needs_fmgr.cpp: needs_fmgr_hook, the only way to stop the planner from
// inlining a SQL set-returning function's body after planner_hook has run
// (inline_set_returning_function in clauses.c). Inlined bodies would never
// be masked; executed through functions.c, their statements are planned
// through planner_hook and masked like any other (notes/pg-internals §1.3).
//
// It answers true only for SQL-language set-returning functions, only in
// databases with column policies and only for non-superusers, so ordinary
// functions keep their fast path. The side effect (calls go through
// fmgr_security_definer) is harmless: the one fmgr_hook (caller_identity.cpp)
// only records whose identity each such frame runs with.
#include "pg/hooks/needs_fmgr.hpp"
#include "pg/catalog/cache_memory.hpp"
#include "pg/catalog/invalidation.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

needs_fmgr_hook_type prev_needs_fmgr = NULL;

// Per-backend answers by function OID: fmgr_info runs for every function of
// every executed plan, so the pg_proc lookup is done once per function.
struct LanguageEntry {
	Oid fn_oid;
	bool sql_srf;
};
HTAB *answers = NULL;

// ForgetAnswers drops the cache when pg_proc changes. It runs whenever
// invalidations are absorbed, which includes the middle of
// IsSqlSetReturning (a syscache miss opens pg_proc, and taking its lock
// accepts pending invalidation messages).
void
ForgetAnswers(Datum arg, int cacheid, uint32 hashvalue) {
	if (answers != NULL) {
		hash_destroy(answers);
		answers = NULL;
	}
}

// Answers returns the answer cache, creating it when there is none.
HTAB *
Answers() {
	if (answers == NULL)
		answers = CreateOidHash("pg_privacy function languages", 256, sizeof(LanguageEntry),
		                        CacheMemoryContext);
	return answers;
}

// IsSqlSetReturning answers from the cache, filling it from pg_proc. The
// syscache lookup may destroy the cache (ForgetAnswers), so nothing taken
// from the cache before it (table pointer, entry pointer) is used after it:
// the table is fetched again through Answers(). The answer itself stays
// right: it comes from the tuple the lookup returned, which is current as of
// every invalidation absorbed so far, and a later one destroys the table.
bool
IsSqlSetReturning(Oid fn_oid) {
	bool found;
	LanguageEntry *entry = (LanguageEntry *)hash_search(Answers(), &fn_oid, HASH_FIND, &found);
	if (found)
		return entry->sql_srf;
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		return false;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	bool sql_srf = proc->prolang == SQLlanguageId && proc->proretset;
	ReleaseSysCache(tup);
	entry = (LanguageEntry *)hash_search(Answers(), &fn_oid, HASH_ENTER, &found);
	entry->sql_srf = sql_srf;
	return sql_srf;
}

// PrivacyNeedsFmgr answers whether fn_oid must not be inlined.
bool
PrivacyNeedsFmgr(Oid fn_oid) {
	if (prev_needs_fmgr != NULL && prev_needs_fmgr(fn_oid))
		return true;
	if (!guc_masking || !IsTransactionState() || !IsSqlSetReturning(fn_oid) || superuser() ||
	    !AnyColumnPolicy())
		return false;
	return true;
}

} // namespace

void
InstallNeedsFmgrHook() {
	prev_needs_fmgr = needs_fmgr_hook;
	needs_fmgr_hook = PrivacyNeedsFmgr;
	RegisterSyscacheInvalidation(PROCOID, ForgetAnswers, (Datum)0);
}

} // namespace privacy::pg
