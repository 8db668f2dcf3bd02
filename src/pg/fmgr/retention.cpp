// retention.cpp: the C part of the retention API.
//
//  privacy._analyze_hold_condition(tbl, condition)  validates a legal-hold
//      condition the way masks are validated (one expression, no subquery,
//      aggregate, window, set-returning or volatile function, no system
//      column or whole-row reference, no function or operator a role other
//      than a superuser owns: its owner could redefine which rows the hold
//      protects), coerces it to boolean and returns its
//      canonical text: deparsed from the analyzed tree with every name not
//      in pg_catalog schema-qualified. Only that text ever reaches a purge
//      statement; the text a user typed is never spliced into SQL.
// Errors name tables, never values.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/legal_holds.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// CheckConditionNode rejects system columns and whole-row references.
bool
CheckConditionNode(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, Var)) {
		if (((Var *)node)->varattno <= 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
			                errmsg("hold condition cannot reference system columns or the whole row"),
			                errhint("Reference the table's columns by name.")));
		return false;
	}
	return expression_tree_walker(node, (bool (*)())CheckConditionNode, context);
}

// UntrustedFunction records in *context, and reports, a function that a
// role other than a superuser owns: its owner could redefine it and so
// change which rows a hold protects.
bool
UntrustedFunction(Oid funcid, void *context) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return false;
	Oid owner = ((Form_pg_proc)GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	if (superuser_arg(owner))
		return false;
	*(Oid *)context = funcid;
	return true;
}

// UntrustedFunctionWalker finds such a function anywhere in a condition.
bool
UntrustedFunctionWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, UntrustedFunction, context))
		return true;
	return expression_tree_walker(node, (bool (*)())UntrustedFunctionWalker, context);
}

// AnalyzeCondition parses `condition` against relid and returns the
// validated boolean expression.
Node *
AnalyzeCondition(Relation rel, const char *condition) {
	List *raw = raw_parser(condition, RAW_PARSE_PLPGSQL_EXPR);
	if (list_length(raw) != 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("hold condition must be a single expression")));
	RawStmt *stmt = linitial_node(RawStmt, raw);
	SelectStmt *select = (SelectStmt *)stmt->stmt;
	if (!IsA(select, SelectStmt) || list_length(select->targetList) != 1 || select->fromClause != NIL ||
	    select->whereClause != NULL || select->groupClause != NIL || select->havingClause != NULL ||
	    select->windowClause != NIL || select->sortClause != NIL || select->limitCount != NULL ||
	    select->limitOffset != NULL || select->lockingClause != NIL || select->distinctClause != NIL ||
	    select->withClause != NULL || select->intoClause != NULL || select->valuesLists != NIL ||
	    select->op != SETOP_NONE)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("hold condition must be a single expression"),
		                errdetail("A hold condition is a boolean expression over the table's columns, without "
		                          "FROM, WHERE or other clauses.")));
	ResTarget *target = linitial_node(ResTarget, select->targetList);
	if (target->name != NULL ||
	    (IsA(target->val, ColumnRef) && IsA(llast(((ColumnRef *)target->val)->fields), A_Star)))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("hold condition must be a single expression")));

	ParseState *pstate = make_parsestate(NULL);
	pstate->p_sourcetext = condition;
	ParseNamespaceItem *nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	addNSItemToQuery(pstate, nsitem, false, true, true);

	Node *expr = transformExpr(pstate, target->val, EXPR_KIND_WHERE);
	if (pstate->p_hasSubLinks)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("hold condition cannot contain a subquery"),
		                errhint("Read other tables in a STABLE function instead.")));
	if (pstate->p_hasAggs)
		ereport(ERROR, (errcode(ERRCODE_GROUPING_ERROR), errmsg("hold condition cannot contain an aggregate")));
	if (pstate->p_hasWindowFuncs)
		ereport(ERROR, (errcode(ERRCODE_WINDOWING_ERROR), errmsg("hold condition cannot contain a window function")));
	if (pstate->p_hasTargetSRFs || expression_returns_set(expr))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("hold condition cannot contain a set-returning function")));
	if (contain_volatile_functions(expr))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("hold condition cannot contain volatile functions"),
		                errhint("Use IMMUTABLE or STABLE functions.")));
	(void)CheckConditionNode(expr, NULL);
	expr = coerce_to_boolean(pstate, expr, "hold condition");
	assign_expr_collations(pstate, expr);
	free_parsestate(pstate);
	return expr;
}

// AnalyzeHoldConditionImpl implements privacy._analyze_hold_condition.
Datum
AnalyzeHoldConditionImpl(FunctionCallInfo fcinfo) {
	Oid relid = PG_GETARG_OID(0);
	char *condition = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));

	Relation rel = relation_open(relid, AccessShareLock);
	// declared with the caller's search_path ...
	Node *declared = AnalyzeCondition(rel, condition);
	Oid untrusted = InvalidOid;
	if (UntrustedFunctionWalker(declared, &untrusted))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("hold condition calls %s, which is not owned by a superuser", format_procedure(untrusted)),
		                errdetail("Its owner could change which rows the hold protects."),
		                errhint("Use functions and operators owned by a superuser.")));
	int level = RunWithFixedSearchPath();
	List *context = deparse_context_for(RelationGetRelationName(rel), relid);
	char *canonical = deparse_expression(declared, context, false, false);
	// ... and the canonical text must mean the same with the fixed path the
	// purge runs with
	Node *resolved = AnalyzeCondition(rel, canonical);
	RestoreSearchPath(level);
	relation_close(rel, AccessShareLock);
	if (!equal(declared, resolved))
		ereport(ERROR, (errcode(ERRCODE_AMBIGUOUS_FUNCTION),
		                errmsg("hold condition resolves differently without the current search_path"),
		                errhint("Schema-qualify the functions, operators and types the condition uses.")));
	PG_RETURN_TEXT_P(cstring_to_text(canonical));
}

// HoldTriggerQualsImpl implements privacy._hold_trigger_quals: the
// canonical condition (search_path pg_catalog, pg_temp) is analyzed against
// the member and deparsed with every column prefixed by old. or new.
// Generated columns need no care: the triggers are AFTER triggers.
Datum
HoldTriggerQualsImpl(FunctionCallInfo fcinfo) {
	Oid relid = PG_GETARG_OID(0);
	char *condition = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
	TupleDesc desc;
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	Relation rel = relation_open(relid, AccessShareLock);
	int level = RunWithFixedSearchPath();
	Node *expr = AnalyzeCondition(rel, condition);
	char *on_old = deparse_expression(expr, deparse_context_for("old", relid), true, false);
	char *on_new = deparse_expression(expr, deparse_context_for("new", relid), true, false);
	RestoreSearchPath(level);
	relation_close(rel, AccessShareLock);

	Datum values[2];
	bool nulls[2] = {false, false};
	values[0] = CStringGetTextDatum(psprintf("((%s) IS TRUE) AND ((%s) IS NOT TRUE)", on_old, on_new));
	values[1] = CStringGetTextDatum(psprintf("(%s) IS TRUE", on_old));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

// CheckFamilyRootImpl implements privacy._check_family_root.
Datum
CheckFamilyRootImpl(FunctionCallInfo fcinfo) {
	CheckFamilyRoot(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

// HoldMaintenanceImpl implements privacy._hold_maintenance.
Datum
HoldMaintenanceImpl(FunctionCallInfo fcinfo) {
	SetHoldMaintenance(PG_GETARG_BOOL(0));
	PG_RETURN_VOID();
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_analyze_hold_condition, privacy::pg::AnalyzeHoldConditionImpl)
PRIVACY_FUNCTION(_hold_trigger_quals, privacy::pg::HoldTriggerQualsImpl)
PRIVACY_FUNCTION(_hold_maintenance, privacy::pg::HoldMaintenanceImpl)
PRIVACY_FUNCTION(_check_family_root, privacy::pg::CheckFamilyRootImpl)
