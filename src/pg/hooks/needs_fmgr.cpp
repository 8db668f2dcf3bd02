// needs_fmgr.cpp: needs_fmgr_hook, the only way to stop the planner from
// inlining a SQL set-returning function's body after planner_hook has run
// (inline_set_returning_function in clauses.c). Inlined bodies would never
// be masked; executed through functions.c, their statements are planned
// through planner_hook and masked like any other (notes/pg-internals §1.3).
//
// It answers true only for SQL-language set-returning functions, only in
// databases with column policies and only for non-superusers, so ordinary
// functions keep their fast path. The side effect (calls go through
// fmgr_security_definer) is harmless: no fmgr_hook is installed.
#include "pg/hooks/needs_fmgr.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

needs_fmgr_hook_type prev_needs_fmgr = NULL;

// PrivacyNeedsFmgr answers whether fn_oid must not be inlined.
bool
PrivacyNeedsFmgr(Oid fn_oid) {
	if (prev_needs_fmgr != NULL && prev_needs_fmgr(fn_oid))
		return true;
	if (!guc_masking || !IsTransactionState() || superuser() || !AnyColumnPolicy())
		return false;
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		return false;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	bool block = proc->prolang == SQLlanguageId && proc->proretset;
	ReleaseSysCache(tup);
	return block;
}

} // namespace

void
InstallNeedsFmgrHook() {
	prev_needs_fmgr = needs_fmgr_hook;
	needs_fmgr_hook = PrivacyNeedsFmgr;
}

} // namespace privacy::pg
