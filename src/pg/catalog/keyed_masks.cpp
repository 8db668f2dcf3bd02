// keyed_masks.cpp: substitution of the keyed masks' internal entry points
// into mask expressions (see keyed_masks.hpp).
//
// The mark is FuncExpr.funcformat = COERCE_SQL_SYNTAX on a call whose function
// is the entry point itself. The parser sets COERCE_SQL_SYNTAX only for the
// SQL-standard special syntaxes (EXTRACT, SUBSTRING ... FROM, AT TIME ZONE,
// ...), which always name pg_catalog functions; stored expressions (views,
// defaults, constraints, index expressions, rules, function bodies) come from
// the parser; so no user-written call can carry it. funcformat survives plan
// copying and the serialization that ships plans to parallel workers
// (locations, which are reset there, would not). ruleutils prints such a call
// like an ordinary one (EXPLAIN VERBOSE shows privacy._mask_<name>(...)).
//
// Constant folding (evaluate_function) builds a fresh, unmarked FuncExpr; the
// entry points are STABLE and a mask always takes the column as input, so the
// planner folds them only when estimating with constant arguments, which a
// column never is. Such a call would fail closed (42501).
#include "pg/catalog/keyed_masks.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "parser/parse_func.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// kKeyedMasks names the public keyed masks; each has privacy._mask_<name>
// with the same argument types.
const char *const kKeyedMasks[] = {"noise",          "shift_date",          "pseudonym",    "fake_first_name",
                                   "fake_last_name", "fake_full_name",      "fake_email",   "fake_phone",
                                   "fake_city",      "fake_street_address", "fake_company", "fake_iban",
                                   "fake_card"};

// EntryPointOf returns the internal entry point of funcid, or InvalidOid when
// funcid is not a public keyed mask.
Oid
EntryPointOf(Oid funcid) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	Oid result = InvalidOid;
	Oid nsp = get_namespace_oid("privacy", true);
	if (OidIsValid(nsp) && proc->pronamespace == nsp) {
		for (const char *name : kKeyedMasks) {
			if (strcmp(NameStr(proc->proname), name) != 0)
				continue;
			char *internal = psprintf("_mask_%s", name);
			List *qualified = list_make2(makeString(pstrdup("privacy")), makeString(internal));
			result = LookupFuncName(qualified, proc->pronargs, proc->proargtypes.values, true);
			break;
		}
	}
	ReleaseSysCache(tup);
	return result;
}

// SubstituteWalker rewrites FuncExprs in place.
bool
SubstituteWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr)) {
		FuncExpr *call = (FuncExpr *)node;
		Oid entry = EntryPointOf(call->funcid);
		if (OidIsValid(entry)) {
			call->funcid = entry;
			call->funcformat = COERCE_SQL_SYNTAX;
		}
	}
	return expression_tree_walker(node, (bool (*)())SubstituteWalker, context);
}

} // namespace

Node *
UseMaskEntryPoints(Node *expr) {
	(void)SubstituteWalker(expr, NULL);
	return expr;
}

bool
CalledFromMaskPolicy(FunctionCallInfo fcinfo) noexcept {
	FmgrInfo *flinfo = fcinfo->flinfo;
	if (flinfo == NULL || flinfo->fn_expr == NULL || !IsA(flinfo->fn_expr, FuncExpr))
		return false;
	FuncExpr *call = (FuncExpr *)flinfo->fn_expr;
	return call->funcid == flinfo->fn_oid && call->funcformat == COERCE_SQL_SYNTAX;
}

} // namespace privacy::pg
