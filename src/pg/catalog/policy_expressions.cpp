// policy_expressions.cpp: analysis and validation of the expressions a
// policy declares (policy_expressions.hpp).
//
// Never uses SPI: the planner hook reaches this file through the policy
// caches, and SPI would re-enter the planner.
#include "pg/catalog/policy_expressions.hpp"

#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/keyed_masks.hpp"
#include "pg/catalog/privileges.hpp"
#include "pg/search_path.hpp"

extern "C" {
#include "access/relation.h"
#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_class.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "utils/fmgroids.h"
#include "miscadmin.h"
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
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// the messages of each kind of declared expression, whole
const ExpressionMessages kMessages[3] = {
        {gettext_noop("mask expression calls function %s, whose owner is not trusted"),
         gettext_noop("mask expression must return boolean, not %s"),
         gettext_noop("mask expression is of type %s but column \"%s\" is of type %s"),
         gettext_noop("Cast the mask expression to the column's type."),
         gettext_noop("mask must be a single expression"),
         gettext_noop(
                 "A mask is an expression over the table's columns, without FROM, WHERE or other "
                 "clauses."),
         gettext_noop("mask expression cannot reference system columns or the whole row"),
         gettext_noop("mask expression cannot contain a subquery"),
         gettext_noop("mask expression cannot contain an aggregate"),
         gettext_noop("mask expression cannot contain a window function"),
         gettext_noop("mask expression cannot contain a set-returning function"),
         gettext_noop("mask expression cannot contain volatile functions"),
         gettext_noop("A mask must return the same output for the same row within a statement."),
         gettext_noop("mask expression resolves differently without the current search_path"),
         gettext_noop("Schema-qualify the functions, operators and types the mask uses."),
         gettext_noop(
                 "the stored form of the mask expression differs from the declared expression"),
         gettext_noop("mask expression of column \"%s\" of relation \"%s\" was dropped with an "
                      "object it used"),
         gettext_noop("mask expression of relation \"%s\" was dropped with an object it used"),
         gettext_noop("mask expression calls function %s, which runs queries or views of any "
                      "role"),
         gettext_noop("mask expression uses type %s, whose owner is not trusted"),
         gettext_noop("mask expression calls function %s, the stored form of another policy's "
                      "expression"),
         gettext_noop("mask expression converts a value of type %s, which is not built-in, to "
                      "json")},
        {gettext_noop("row filter calls function %s, whose owner is not trusted"),
         gettext_noop("row filter must return boolean, not %s"),
         gettext_noop("row filter is of type %s but column \"%s\" is of type %s"),
         gettext_noop("Cast the row filter to the column's type."),
         gettext_noop("row filter must be a single expression"),
         gettext_noop("A row filter is an expression over the table's columns, without FROM, WHERE "
                      "or other "
                      "clauses."),
         gettext_noop("row filter cannot reference system columns or the whole row"),
         gettext_noop("row filter cannot contain a subquery"),
         gettext_noop("row filter cannot contain an aggregate"),
         gettext_noop("row filter cannot contain a window function"),
         gettext_noop("row filter cannot contain a set-returning function"),
         gettext_noop("row filter cannot contain volatile functions"),
         gettext_noop(
                 "A row filter must return the same output for the same row within a statement."),
         gettext_noop("row filter resolves differently without the current search_path"),
         gettext_noop("Schema-qualify the functions, operators and types the filter uses."),
         gettext_noop("the stored form of the row filter differs from the declared expression"),
         gettext_noop("row filter of column \"%s\" of relation \"%s\" was dropped with an object "
                      "it used"),
         gettext_noop("row filter of relation \"%s\" was dropped with an object it used"),
         gettext_noop("row filter calls function %s, which runs queries or views of any role"),
         gettext_noop("row filter uses type %s, whose owner is not trusted"),
         gettext_noop("row filter calls function %s, the stored form of another policy's "
                      "expression"),
         gettext_noop("row filter converts a value of type %s, which is not built-in, to "
                      "json")},
        {gettext_noop("hold condition calls function %s, whose owner is not trusted"),
         gettext_noop("hold condition must return boolean, not %s"),
         gettext_noop("hold condition is of type %s but column \"%s\" is of type %s"),
         gettext_noop("Cast the hold condition to the column's type."),
         gettext_noop("hold condition must be a single expression"),
         gettext_noop("A hold condition is an expression over the table's columns, without FROM, "
                      "WHERE or other "
                      "clauses."),
         gettext_noop("hold condition cannot reference system columns or the whole row"),
         gettext_noop("hold condition cannot contain a subquery"),
         gettext_noop("hold condition cannot contain an aggregate"),
         gettext_noop("hold condition cannot contain a window function"),
         gettext_noop("hold condition cannot contain a set-returning function"),
         gettext_noop("hold condition cannot contain volatile functions"),
         gettext_noop("A hold condition must return the same output for the same row within a "
                      "statement."),
         gettext_noop("hold condition resolves differently without the current search_path"),
         gettext_noop("Schema-qualify the functions, operators and types the condition uses."),
         gettext_noop("the stored form of the hold condition differs from the declared expression"),
         gettext_noop("hold condition of column \"%s\" of relation \"%s\" was dropped with an "
                      "object it used"),
         gettext_noop("hold condition of relation \"%s\" was dropped with an object it used"),
         gettext_noop("hold condition calls function %s, which runs queries or views of any "
                      "role"),
         gettext_noop("hold condition uses type %s, whose owner is not trusted"),
         gettext_noop("hold condition calls function %s, the stored form of another policy's "
                      "expression"),
         gettext_noop("hold condition converts a value of type %s, which is not built-in, to "
                      "json")}};

// CheckMaskNode rejects Vars that are system columns or whole-row
// references inside a declared expression (context: its name).
bool
CheckMaskNode(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, Var)) {
		Var *var = (Var *)node;
		if (var->varattno <= 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
			                errmsg("%s", _(MessagesFor((const char *)context).system_column)),
			                errhint("Reference the table's columns by name.")));
		return false;
	}
	return expression_tree_walker(node, (bool (*)())CheckMaskNode, context);
}

// UntrustedFunction finds a function the expression calls whose owner is
// neither a superuser nor a policy administrator: its owner could change
// its body and so run code on every masked row, raw values in hand. Built-in
// functions that run SQL given as text, a relation's (view's) query or a
// cursor run code of whatever role owns those: they are refused whoever owns
// them (runs_queries), however they are labelled (red-team 5 F3).
bool superuser_functions_only = false;
bool runs_queries = false;
bool stored_form = false;

// the C symbols (prosrc) of the built-in functions that execute queries
const char *const kQueryRunners[] = {"table_to_xml",
                                     "table_to_xmlschema",
                                     "table_to_xml_and_xmlschema",
                                     "query_to_xml",
                                     "query_to_xmlschema",
                                     "query_to_xml_and_xmlschema",
                                     "cursor_to_xml",
                                     "cursor_to_xmlschema",
                                     "schema_to_xml",
                                     "schema_to_xmlschema",
                                     "schema_to_xml_and_xmlschema",
                                     "database_to_xml",
                                     "database_to_xmlschema",
                                     "database_to_xml_and_xmlschema",
                                     "ts_stat1",
                                     "ts_stat2",
                                     "tsquery_rewrite_query"};

bool
RunsQueries(Form_pg_proc proc, HeapTuple tup) {
	if (proc->prolang != INTERNALlanguageId && proc->prolang != ClanguageId)
		return false;
	bool isnull;
	Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
	if (isnull)
		return false;
	char *symbol = TextDatumGetCString(src);
	bool found = false;
	for (const char *runner : kQueryRunners)
		if (strcmp(symbol, runner) == 0)
			found = true;
	pfree(symbol);
	return found;
}

bool
UntrustedFunction(Oid funcid, void *context) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return false;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	Oid owner = proc->proowner;
	// pg_privacy's stored expressions (privacy_expr) are owned by the
	// extension's owner but run another policy's expression, whose functions
	// may be an administrator's: calling one would lend them the trust of
	// their owner (red team 6 G1)
	Oid expressions = ExpressionSchema();
	bool wrapper = OidIsValid(expressions) && proc->pronamespace == expressions;
	bool runner = RunsQueries(proc, tup);
	ReleaseSysCache(tup);
	if (wrapper) {
		stored_form = true;
		*(Oid *)context = funcid;
		return true;
	}
	if (!runner && (superuser_functions_only ? superuser_arg(owner) : IsPolicyAdmin(owner)))
		return false;
	runs_queries = runner;
	*(Oid *)context = funcid;
	return true;
}

// TypeRunsUntrustedCode reports whether a value coerced into typid may run
// a domain's CHECK constraints whose owner is not trusted: the domain's
// owner can add a constraint calling any function, which would run as the
// role the policy runs as. Looks through domains' base types, arrays'
// elements, composites' attributes and ranges' subtypes (red-team 5 F3).
Oid untrusted_type = InvalidOid;
bool json_type = false;

// TrustedOwner applies the rule of the expression being checked.
bool
TrustedOwner(Oid owner) {
	return superuser_functions_only ? superuser_arg(owner) : IsPolicyAdmin(owner);
}

// UserDefinedType returns the first type in typid's structure (typid
// itself, a domain's base, an array's element, a range's subtype, a
// composite's attributes) that is not built-in, or InvalidOid.
Oid
UserDefinedType(Oid typid, int depth) {
	if (!OidIsValid(typid) || depth > 16)
		return InvalidOid;
	if (typid >= FirstNormalObjectId)
		return typid;
	// a built-in type: only a built-in domain, array or range can lead to
	// another type (a built-in composite, a system catalog's row type, holds
	// built-in types)
	HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	Form_pg_type type = (Form_pg_type)GETSTRUCT(tup);
	Oid base = type->typtype == TYPTYPE_DOMAIN ? type->typbasetype : InvalidOid;
	Oid elem = IsTrueArrayType(type) ? type->typelem : InvalidOid;
	bool range = type->typtype == TYPTYPE_RANGE;
	ReleaseSysCache(tup);
	if (OidIsValid(base))
		return UserDefinedType(base, depth + 1);
	if (OidIsValid(elem))
		return UserDefinedType(elem, depth + 1);
	if (range)
		return UserDefinedType(get_range_subtype(typid), depth + 1);
	return InvalidOid;
}

// UserDefinedValueWalker finds, anywhere in an expression, a value of a
// type that is not built-in (a record built with ROW() is converted field by
// field, so the fields count too).
bool
UserDefinedValueWalker(Node *node, Oid *found) {
	if (node == NULL)
		return false;
	switch (nodeTag(node)) {
	case T_Var:
	case T_Const:
	case T_Param:
	case T_FuncExpr:
	case T_OpExpr:
	case T_RowExpr:
	case T_CoerceViaIO:
	case T_RelabelType:
	case T_ArrayExpr:
	case T_CaseExpr:
	case T_CoalesceExpr:
	case T_SubscriptingRef:
	case T_FieldSelect:
	case T_CoerceToDomain:
	case T_ArrayCoerceExpr:
	case T_ConvertRowtypeExpr:
		*found = UserDefinedType(exprType(node), 0);
		if (OidIsValid(*found))
			return true;
		break;
	default:
		break;
	}
	return expression_tree_walker(node, (bool (*)())UserDefinedValueWalker, (void *)found);
}

// the C symbols of the built-in functions that turn any value into json or
// jsonb: for a type that is not built-in they call its cast to json, if
// there is one, without naming it (red team 6 G2)
const char *const kJsonConverters[] = {"to_json",
                                       "to_jsonb",
                                       "row_to_json",
                                       "row_to_json_pretty",
                                       "array_to_json",
                                       "array_to_json_pretty",
                                       "json_build_object",
                                       "json_build_array",
                                       "jsonb_build_object",
                                       "jsonb_build_array"};

// ConvertsToJson reports whether a call of funcid with args (a function
// call, or an operator whose function it is) is one of those converters
// applied to
// a value of a type that is not built-in: the type's owner (or whoever owns
// a cast from it) can add a cast to json at any time, which would run as
// the role the policy runs as, so such a call is refused whoever owns the
// type (untrusted_type: the type found).
bool
ConvertsToJson(Oid funcid, List *args) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return false;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	bool converter = false;
	if (proc->prolang == INTERNALlanguageId) {
		bool isnull;
		Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
		if (!isnull) {
			char *symbol = TextDatumGetCString(src);
			for (const char *name : kJsonConverters)
				if (strcmp(symbol, name) == 0)
					converter = true;
			pfree(symbol);
		}
	}
	ReleaseSysCache(tup);
	if (!converter)
		return false;
	Oid found = InvalidOid;
	if (!UserDefinedValueWalker((Node *)args, &found))
		return false;
	untrusted_type = found;
	json_type = true;
	return true;
}

bool
TypeRunsUntrustedCode(Oid typid, int depth) {
	if (!OidIsValid(typid) || depth > 16)
		return false;
	HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return false;
	Form_pg_type type = (Form_pg_type)GETSTRUCT(tup);
	char typtype = type->typtype;
	Oid owner = type->typowner;
	Oid base = type->typbasetype;
	Oid elem = IsTrueArrayType(type) ? type->typelem : InvalidOid;
	Oid typrelid = type->typrelid;
	ReleaseSysCache(tup);
	if (typtype == TYPTYPE_DOMAIN) {
		if (!TrustedOwner(owner)) {
			untrusted_type = typid;
			return true;
		}
		return TypeRunsUntrustedCode(base, depth + 1);
	}
	if (OidIsValid(elem))
		return TypeRunsUntrustedCode(elem, depth + 1);
	if (typtype == TYPTYPE_RANGE)
		return TypeRunsUntrustedCode(get_range_subtype(typid), depth + 1);
	if (typtype == TYPTYPE_MULTIRANGE)
		return TypeRunsUntrustedCode(get_multirange_range(typid), depth + 1);
	if (typtype == TYPTYPE_COMPOSITE && OidIsValid(typrelid)) {
		Relation rel = relation_open(typrelid, AccessShareLock);
		TupleDesc desc = RelationGetDescr(rel);
		bool found = false;
		for (int i = 0; i < desc->natts && !found; i++) {
			Form_pg_attribute att = TupleDescAttr(desc, i);
			if (!att->attisdropped)
				found = TypeRunsUntrustedCode(att->atttypid, depth + 1);
		}
		relation_close(rel, AccessShareLock);
		return found;
	}
	return false;
}

// UntrustedWalker applies UntrustedFunction to every function of the tree,
// sub-queries included (a sublink's subselect, a subquery in its range
// table: declared expressions have none, but a stored body read back is
// checked whole), and TypeRunsUntrustedCode to the types values are made or
// coerced into (untrusted_type: the domain found).
bool
UntrustedWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *)node, (bool (*)())UntrustedWalker, context, 0);
	if (check_functions_in_node(node, UntrustedFunction, context))
		return true;
	// the converter may be called directly or as an operator's function (an
	// operator over pg_catalog.to_jsonb: red team 7 H1)
	if (IsA(node, FuncExpr) && ConvertsToJson(((FuncExpr *)node)->funcid, ((FuncExpr *)node)->args))
		return true;
	if (IsA(node, OpExpr) || IsA(node, DistinctExpr) || IsA(node, NullIfExpr)) {
		OpExpr *op = (OpExpr *)node;
		set_opfuncid(op);
		if (ConvertsToJson(op->opfuncid, op->args))
			return true;
	}
	if (IsA(node, ScalarArrayOpExpr)) {
		ScalarArrayOpExpr *op = (ScalarArrayOpExpr *)node;
		set_sa_opfuncid(op);
		if (ConvertsToJson(op->opfuncid, op->args))
			return true;
	}
	switch (nodeTag(node)) {
	case T_Const:
	case T_FuncExpr:
	case T_OpExpr:
	case T_CoerceViaIO:
	case T_CoerceToDomain:
	case T_ArrayCoerceExpr:
	case T_RelabelType:
	case T_ConvertRowtypeExpr:
	case T_RowExpr:
	case T_ArrayExpr:
	case T_SubscriptingRef:
		if (TypeRunsUntrustedCode(exprType(node), 0))
			return true;
		break;
	default:
		break;
	}
	return expression_tree_walker(node, (bool (*)())UntrustedWalker, context);
}

} // namespace

Node *
ParseSingleExpression(const char *text, bool *with_clauses) {
	*with_clauses = false;
	// parsed as a PL/pgSQL expression (a target list with optional
	// clauses): anything but a single bare target is refused
	List *raw = raw_parser(text, RAW_PARSE_PLPGSQL_EXPR);
	if (list_length(raw) != 1)
		return NULL;
	RawStmt *stmt = linitial_node(RawStmt, raw);
	SelectStmt *select = (SelectStmt *)stmt->stmt;
	if (!IsA(select, SelectStmt) || list_length(select->targetList) != 1 ||
	    select->fromClause != NIL || select->whereClause != NULL || select->groupClause != NIL ||
	    select->havingClause != NULL || select->windowClause != NIL || select->sortClause != NIL ||
	    select->limitCount != NULL || select->limitOffset != NULL || select->lockingClause != NIL ||
	    select->distinctClause != NIL || select->withClause != NULL || select->intoClause != NULL ||
	    select->valuesLists != NIL || select->op != SETOP_NONE) {
		*with_clauses = true;
		return NULL;
	}
	ResTarget *target = linitial_node(ResTarget, select->targetList);
	if (IsA(target->val, ColumnRef) && IsA(llast(((ColumnRef *)target->val)->fields), A_Star))
		return NULL;
	return target->val;
}

const ExpressionMessages &
MessagesFor(const char *what) {
	if (strcmp(what, "row filter") == 0)
		return kMessages[1];
	if (strcmp(what, "hold condition") == 0)
		return kMessages[2];
	if (strcmp(what, "mask expression") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("unknown kind of policy expression"),
		                errhint("The kinds are mask expression, row filter and hold condition.")));
	return kMessages[0];
}

void
CheckTrustedFunctions(Node *expr, const char *what) {
	Oid untrusted = InvalidOid;
	runs_queries = false;
	stored_form = false;
	json_type = false;
	untrusted_type = InvalidOid;
	// a hold condition runs only superusers' functions wherever it is
	// loaded or compiled (stored form, hold triggers), not only when placed
	bool hold = strcmp(what, "hold condition") == 0;
	bool saved = superuser_functions_only;
	superuser_functions_only = saved || hold;
	volatile bool found = false;
	PG_TRY();
	{ found = UntrustedWalker(expr, &untrusted); }
	PG_FINALLY();
	{ superuser_functions_only = saved; }
	PG_END_TRY();
	if (found && OidIsValid(untrusted_type) && json_type)
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg(MessagesFor(what).json_type, format_type_be_qualified(untrusted_type)),
		         errdetail("The conversion calls the type's cast to json, which its owner can add "
		                   "at any time; it would run with the rights of the role the policy "
		                   "runs as."),
		         errhint("Convert a value of a built-in type instead (cast it to text first).")));
	if (found && stored_form)
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg(MessagesFor(what).stored_form, format_procedure_qualified(untrusted)),
		         errdetail("Its owner is the extension's, but the functions it calls are those of "
		                   "the policy it belongs to."),
		         errhint("Write the expression itself instead of calling its stored form.")));
	if (found && OidIsValid(untrusted_type))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg(MessagesFor(what).untrusted_type, format_type_be_qualified(untrusted_type)),
		         errdetail("A domain's owner can add a constraint that calls any function, which "
		                   "would run with the rights of the role the policy runs as."),
		         errhint("Have a superuser own the domain, or do without it.")));
	if (found && runs_queries)
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg(MessagesFor(what).runs_queries, format_procedure_qualified(untrusted)),
		         errdetail("It runs queries, views or cursors whose code any role may own, with "
		                   "the rights of the role the policy runs as."),
		         errhint("Read other tables in a STABLE function a superuser owns instead.")));
	if (OidIsValid(untrusted))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg(MessagesFor(what).untrusted, format_procedure_qualified(untrusted)),
		                hold ? errdetail("Only functions owned by superusers may run in a hold "
		                                 "condition: their owners could change which rows the "
		                                 "hold protects.")
		                : superuser_functions_only
		                        ? errdetail("The table is owned by a superuser and pg_privacy's "
		                                    "work on it runs as that owner: only functions owned "
		                                    "by superusers may run there.")
		                        : errdetail("Only functions owned by superusers or privacy "
		                                    "administrators may run in policies: their owners "
		                                    "could change them to copy raw values."),
		                errhint("Have a superuser own the function.")));
}

Node *
CoercePolicyExpression(ParseState *pstate, Node *expr, Oid relid, AttrNumber attnum,
                       const char *what) {
	Node *coerced;
	if (attnum == InvalidAttrNumber) {
		// a row filter: boolean
		Oid exprtype = exprType(expr);
		coerced = coerce_to_target_type(pstate, expr, exprtype, BOOLOID, -1, COERCION_ASSIGNMENT,
		                                COERCE_IMPLICIT_CAST, -1);
		if (coerced == NULL)
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
			                errmsg(MessagesFor(what).not_boolean, format_type_be(exprtype))));
		assign_expr_collations(pstate, coerced);
	} else {
		Oid atttype;
		int32 atttypmod;
		Oid attcollation;
		get_atttypetypmodcoll(relid, attnum, &atttype, &atttypmod, &attcollation);
		Oid exprtype = exprType(expr);
		coerced = coerce_to_target_type(pstate, expr, exprtype, atttype, atttypmod,
		                                COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
		if (coerced == NULL)
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
			                errmsg(MessagesFor(what).wrong_type, format_type_be(exprtype),
			                       get_attname(relid, attnum, false), format_type_be(atttype)),
			                errhint("%s", _(MessagesFor(what).cast_hint))));
		assign_expr_collations(pstate, coerced);
		if (OidIsValid(attcollation) && exprCollation(coerced) != attcollation)
			coerced = (Node *)makeRelabelType((Expr *)coerced, atttype, atttypmod, attcollation,
			                                  COERCE_IMPLICIT_CAST);
	}

	return coerced;
}

Node *
AnalyzeMaskExpression(Oid relid, AttrNumber attnum, const char *mask, bool use_fixed_search_path,
                      char **canonical_out) {
	return AnalyzeRelationExpression(relid, attnum, mask, use_fixed_search_path, canonical_out,
	                                 "mask expression");
}

Node *
AnalyzeRelationExpression(Oid relid, AttrNumber attnum, const char *text,
                          bool use_fixed_search_path, char **canonical_out, const char *what) {
	int nest_level = use_fixed_search_path ? RunWithFixedSearchPath() : -1;
	const ExpressionMessages &messages = MessagesFor(what);

	// The text must be exactly one expression
	bool with_clauses = false;
	Node *raw_expr = ParseSingleExpression(text, &with_clauses);
	if (raw_expr == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", _(messages.single)),
		                with_clauses ? errdetail("%s", _(messages.single_detail)) : 0));

	Relation rel = relation_open(relid, AccessShareLock);
	ParseState *pstate = make_parsestate(NULL);
	pstate->p_sourcetext = text;
	ParseNamespaceItem *nsitem =
	        addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	addNSItemToQuery(pstate, nsitem, false, true, true);

	Node *expr = transformExpr(pstate, raw_expr, EXPR_KIND_SELECT_TARGET);
	if (pstate->p_hasSubLinks)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("%s", _(messages.subquery)),
		                errhint("Read other tables in a STABLE function instead.")));
	if (pstate->p_hasAggs)
		ereport(ERROR, (errcode(ERRCODE_GROUPING_ERROR), errmsg("%s", _(messages.aggregate))));
	if (pstate->p_hasWindowFuncs)
		ereport(ERROR, (errcode(ERRCODE_WINDOWING_ERROR), errmsg("%s", _(messages.window))));
	if (pstate->p_hasTargetSRFs || expression_returns_set(expr))
		ereport(ERROR,
		        (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("%s", _(messages.set_returning))));
	if (contain_volatile_functions(expr))
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", _(messages.volatile_fn)),
		         errdetail("%s", _(messages.volatile_detail)),
		         errhint("Use an IMMUTABLE or STABLE function.")));
	(void)CheckMaskNode(expr, (void *)what);
	CheckTrustedFunctions(expr, what);

	if (canonical_out != NULL) {
		// Canonical text: everything not in pg_catalog qualified, so plan
		// time resolution does not depend on anyone's search_path.
		int canon_level = RunWithFixedSearchPath();
		List *context = deparse_context_for(RelationGetRelationName(rel), relid);
		*canonical_out = deparse_expression(expr, context, false, false);
		RestoreSearchPath(canon_level);
	}

	Node *coerced = CoercePolicyExpression(pstate, expr, relid, attnum, what);

	free_parsestate(pstate);
	relation_close(rel, AccessShareLock);
	if (nest_level >= 0)
		RestoreSearchPath(nest_level);
	return coerced;
}

char *
ValidatePolicyExpression(Oid relid, AttrNumber attnum, const char *text, const char *what,
                         bool table_work, bool superusers_only) {
	char *canonical = NULL;
	Node *volatile declared = NULL;
	Node *volatile resolved = NULL;
	// pg_privacy's table work runs as the table's owner: on a superuser's
	// table only superusers' functions may run there
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool owner_is_superuser = false;
	if (HeapTupleIsValid(tup)) {
		owner_is_superuser = superuser_arg(((Form_pg_class)GETSTRUCT(tup))->relowner);
		ReleaseSysCache(tup);
	}
	bool saved = superuser_functions_only;
	superuser_functions_only = superusers_only || (table_work && owner_is_superuser);
	PG_TRY();
	{
		char *out = NULL;
		declared = AnalyzeRelationExpression(relid, attnum, text, false, &out, what);
		canonical = out;
		resolved = AnalyzeRelationExpression(relid, attnum, canonical, true, NULL, what);
	}
	PG_FINALLY();
	{ superuser_functions_only = saved; }
	PG_END_TRY();
	if (!equal(declared, resolved))
		ereport(ERROR, (errcode(ERRCODE_AMBIGUOUS_FUNCTION),
		                errmsg("%s", _(MessagesFor(what).search_path)),
		                errhint("%s", _(MessagesFor(what).search_path_hint))));
	// a declarer that is not a policy administrator (a table owner with
	// privacy.owners_may_declare) must itself be allowed to execute what its
	// mask calls: otherwise a keyed mask it may not call directly would be an
	// oracle through its own table
	if (attnum != InvalidAttrNumber && !table_work && !IsPolicyAdmin(GetUserId()))
		CheckDeclarerMayExecute((Node *)declared, GetUserId());
	if (attnum != InvalidAttrNumber) {
		Node *bare = (Node *)resolved;
		while (bare != NULL && IsA(bare, RelabelType))
			bare = (Node *)((RelabelType *)bare)->arg;
		if (IsA(bare, Var) && ((Var *)bare)->varattno == attnum)
			ereport(ERROR,
			        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			         errmsg("a mask must not return the column unchanged"),
			         errhint("To let a role see raw values, use privacy.grant_unmasked().")));
	}
	return canonical;
}

} // namespace privacy::pg
