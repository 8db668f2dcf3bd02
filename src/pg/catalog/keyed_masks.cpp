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
#include "pg/catalog/extension_schema.hpp"

#include <cfloat>

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/regproc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
}

namespace privacy::pg {

namespace {

// kKeyedMasks names the public keyed masks; each has privacy._mask_<name>
// with the same argument types.
const char *const kKeyedMasks[] = {
        "noise",          "shift_date", "pseudonym",  "fake_first_name", "fake_last_name",
        "fake_full_name", "fake_email", "fake_phone", "fake_city",       "fake_street_address",
        "fake_company",   "fake_iban",  "fake_card"};

// EntryPointOf returns the internal entry point of funcid, or InvalidOid when
// funcid is not a public keyed mask.
Oid
EntryPointOf(Oid funcid) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	Oid result = InvalidOid;
	Oid nsp = PrivacySchema();
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

// ContainsNoise finds a call of a noise entry point (after substitution).
bool
ContainsNoise(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr)) {
		FuncExpr *call = (FuncExpr *)node;
		if (call->funcformat == COERCE_SQL_SYNTAX) {
			char *name = get_func_name(call->funcid);
			if (name != NULL && strcmp(name, "_mask_noise") == 0)
				return true;
		}
	}
	return expression_tree_walker(node, (bool (*)())ContainsNoise, context);
}

// NumericConst makes a numeric constant from its text.
Const *
NumericConst(const char *text) {
	Datum value = DirectFunctionCall3(numeric_in, CStringGetDatum(text),
	                                  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	return makeConst(NUMERICOID, -1, InvalidOid, -1, value, false, false);
}

// Clamp returns LEAST(GREATEST(arg, low), high), both bounds of arg's type.
Node *
Clamp(Node *arg, Const *low, Const *high) {
	Oid type = exprType(arg);
	MinMaxExpr *greatest = makeNode(MinMaxExpr);
	greatest->minmaxtype = type;
	greatest->op = IS_GREATEST;
	greatest->args = list_make2(arg, low);
	greatest->location = -1;
	MinMaxExpr *least = makeNode(MinMaxExpr);
	least->minmaxtype = type;
	least->op = IS_LEAST;
	least->args = list_make2(greatest, high);
	least->location = -1;
	return (Node *)least;
}

// NumericTypmodMax returns the text of the largest value numeric(typmod)
// holds: numeric(6,2) -> 9999.99, numeric(2,3) -> 0.099, numeric(3,-2) -> 99900.
char *
NumericTypmodMax(int32 typmod) {
	int precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
	int scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
	StringInfoData out;
	initStringInfo(&out);
	if (scale < 0) {
		for (int i = 0; i < precision; i++)
			appendStringInfoChar(&out, '9');
		for (int i = 0; i < -scale; i++)
			appendStringInfoChar(&out, '0');
		return out.data;
	}
	int integral = precision - scale;
	if (integral > 0)
		for (int i = 0; i < integral; i++)
			appendStringInfoChar(&out, '9');
	else
		appendStringInfoChar(&out, '0');
	if (scale > 0) {
		appendStringInfoChar(&out, '.');
		for (int i = 0; i < scale; i++)
			appendStringInfoChar(&out, i < -integral ? '0' : '9');
	}
	return out.data;
}

// SaturateCoercion makes the coercion of a noised value to the column's
// type saturate instead of failing: a noised value near the limits of a
// narrower integer, of real, or of numeric(p, s) would otherwise raise an
// overflow error for some raw values and not others (an oracle, and a
// query that fails). call is the coercion FuncExpr; modified in place.
void
SaturateCoercion(FuncExpr *call) {
	if (call->args == NIL || !ContainsNoise((Node *)linitial(call->args), NULL))
		return;
	Node *arg = (Node *)linitial(call->args);
	Const *low = NULL;
	Const *high = NULL;
	switch (call->funcid) {
	case F_INT2_INT4:
		low = makeConst(INT4OID, -1, InvalidOid, 4, Int32GetDatum(PG_INT16_MIN), false, true);
		high = makeConst(INT4OID, -1, InvalidOid, 4, Int32GetDatum(PG_INT16_MAX), false, true);
		break;
	case F_INT2_INT8:
	case F_INT4_INT8: {
		int64 lo = call->funcid == F_INT2_INT8 ? PG_INT16_MIN : PG_INT32_MIN;
		int64 hi = call->funcid == F_INT2_INT8 ? PG_INT16_MAX : PG_INT32_MAX;
		low = makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(lo), false, FLOAT8PASSBYVAL);
		high = makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(hi), false, FLOAT8PASSBYVAL);
		break;
	}
	case F_INT2_FLOAT8:
	case F_INT4_FLOAT8:
	case F_INT8_FLOAT8:
	case F_FLOAT4_FLOAT8: {
		double lo = call->funcid == F_INT2_FLOAT8   ? PG_INT16_MIN
		            : call->funcid == F_INT4_FLOAT8 ? PG_INT32_MIN
		            : call->funcid == F_INT8_FLOAT8 ? -9223372036854775808.0
		                                            : -FLT_MAX;
		double hi = call->funcid == F_INT2_FLOAT8   ? PG_INT16_MAX
		            : call->funcid == F_INT4_FLOAT8 ? PG_INT32_MAX
		            : call->funcid == F_INT8_FLOAT8
		                    ? 9223372036854774784.0 // largest double below 2^63
		                    : FLT_MAX;
		low = makeConst(FLOAT8OID, -1, InvalidOid, 8, Float8GetDatum(lo), false, FLOAT8PASSBYVAL);
		high = makeConst(FLOAT8OID, -1, InvalidOid, 8, Float8GetDatum(hi), false, FLOAT8PASSBYVAL);
		break;
	}
	case F_NUMERIC_NUMERIC_INT4: {
		Node *typmod = (Node *)lsecond(call->args);
		if (!IsA(typmod, Const) || ((Const *)typmod)->constisnull)
			return;
		int32 mod = DatumGetInt32(((Const *)typmod)->constvalue);
		if (mod < (int32)VARHDRSZ)
			return;
		char *max = NumericTypmodMax(mod);
		high = NumericConst(max);
		low = NumericConst(psprintf("-%s", max));
		break;
	}
	default:
		return;
	}
	linitial(call->args) = Clamp(arg, low, high);
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
	if (expression_tree_walker(node, (bool (*)())SubstituteWalker, context))
		return true;
	// after the arguments (so the noise calls inside are substituted already)
	if (IsA(node, FuncExpr))
		SaturateCoercion((FuncExpr *)node);
	return false;
}

// NotExecutable finds a function userid may not execute.
bool
NotExecutable(Oid funcid, void *context) {
	Oid *state = (Oid *)context; // [0] userid in, [1] function out
	if (pg_proc_aclcheck(funcid, state[0], ACL_EXECUTE) == ACLCHECK_OK)
		return false;
	state[1] = funcid;
	return true;
}

// NotExecutableWalker applies NotExecutable to every function of the tree.
bool
NotExecutableWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, NotExecutable, context))
		return true;
	return expression_tree_walker(node, (bool (*)())NotExecutableWalker, context);
}

} // namespace

void
CheckDeclarerMayExecute(Node *expr, Oid userid) {
	Oid state[2] = {userid, InvalidOid};
	if (NotExecutableWalker(expr, state))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("permission denied for function %s in the mask",
		                       format_procedure(state[1])),
		                errdetail("A table owner may only declare masks that call functions it may "
		                          "execute itself."),
		                errhint("Ask a privacy administrator to declare the mask, or to grant "
		                        "EXECUTE on the function.")));
}

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
