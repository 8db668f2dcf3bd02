// stored_expressions.cpp: policy expressions stored as the bodies of
// generated SQL-standard functions (stored_expressions.hpp).
//
// Invariants:
//  * Only pg_privacy creates functions in schema privacy_expr (PUBLIC has
//    no CREATE there): a wrapper is recognized by its schema, its SQL body
//    and its recorded AUTO dependency on its table, so a dangling OID in a
//    policy row can never be taken over by someone else's function.
//  * A wrapper takes the columns it reads as arguments, one each, in
//    attribute-number order (for a mask its own column always among them),
//    and depends on each of them (NORMAL; the masked column AUTO). Argument
//    k is the k-th of those recorded columns: pg_depend is the mapping (it
//    follows renames); the arguments' names are the columns' names (kept in
//    step on rename) only so that pg_restore can record it again. Never the
//    table's row type: PostgreSQL refuses to rewrite a table whose row type
//    a function takes (red team F2).
//  * Never uses SPI when loading (the planner and the rewriter call it);
//    only creation does, from the SECURITY DEFINER catalog writers.
#include "pg/catalog/stored_expressions.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"

extern "C" {
#include "utils/guc.h"
#include "access/attmap.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tableam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_collate.h"
#include "parser/parse_func.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "rewrite/rewriteManip.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// WrapperColumns is the table of a wrapper and the columns it takes, in
// argument order (ascending attribute numbers).
struct WrapperColumns {
	Oid table = InvalidOid;
	int ncolumns = 0;
	AttrNumber columns[FUNC_MAX_ARGS];
};

// ExpressionNamespace returns the OID of schema privacy_expr (InvalidOid
// when it does not exist), from the cached catalog lookup.
Oid
ExpressionNamespace() {
	return ExpressionSchema();
}

// IsWrapperProc reports whether proc is a SQL function of privacy_expr.
bool
IsWrapperProc(Form_pg_proc proc) {
	Oid nsp = ExpressionNamespace();
	return OidIsValid(nsp) && proc->pronamespace == nsp && proc->prolang == SQLlanguageId;
}

// ReadWrapperColumns reads from pg_depend the table wrapper funcid depends
// on AUTO as a whole and the columns of that table it depends on (sorted,
// distinct). False when there is no such table (or more than one).
bool
ReadWrapperColumns(Oid funcid, WrapperColumns *out) {
	out->table = InvalidOid;
	out->ncolumns = 0;
	Relation depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(ProcedureRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(funcid));
	SysScanDesc scan = systable_beginscan(depend, DependDependerIndexId, true, NULL, 2, key);
	List *columns = NIL; // pairs: relid, attnum
	bool ok = true;
	HeapTuple tup;
	while (HeapTupleIsValid(tup = systable_getnext(scan))) {
		Form_pg_depend dep = (Form_pg_depend)GETSTRUCT(tup);
		if (dep->refclassid != RelationRelationId)
			continue;
		if (dep->refobjsubid == 0 && dep->deptype == DEPENDENCY_AUTO) {
			if (OidIsValid(out->table) && out->table != dep->refobjid)
				ok = false;
			out->table = dep->refobjid;
		} else if (dep->refobjsubid > 0) {
			columns = lappend_oid(columns, dep->refobjid);
			columns = lappend_int(columns, dep->refobjsubid);
		}
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	if (!ok || !OidIsValid(out->table))
		return false;
	for (int i = 0; i + 1 < list_length(columns); i += 2) {
		if (list_nth_oid(columns, i) != out->table)
			continue;
		AttrNumber attnum = (AttrNumber)list_nth_int(columns, i + 1);
		int pos = 0;
		while (pos < out->ncolumns && out->columns[pos] < attnum)
			pos++;
		if (pos < out->ncolumns && out->columns[pos] == attnum)
			continue;
		if (out->ncolumns == FUNC_MAX_ARGS)
			return false;
		memmove(&out->columns[pos + 1], &out->columns[pos],
		        sizeof(AttrNumber) * (out->ncolumns - pos));
		out->columns[pos] = attnum;
		out->ncolumns++;
	}
	return true;
}

// ArgumentsMatch reports whether the wrapper's arguments are, in order, of
// the types of its recorded columns.
bool
ArgumentsMatch(Form_pg_proc proc, const WrapperColumns *cols) {
	if (proc->pronargs != cols->ncolumns)
		return false;
	for (int k = 0; k < cols->ncolumns; k++)
		if (get_atttype(cols->table, cols->columns[k]) != proc->proargtypes.values[k])
			return false;
	return true;
}

// ParamsToVars turns argument k of the wrapper into a Var (varno 1) of its
// k-th column.
Node *
ParamsToVars(Node *node, const WrapperColumns *cols) {
	if (node == NULL)
		return NULL;
	if (IsA(node, Param)) {
		Param *param = (Param *)node;
		if (param->paramkind != PARAM_EXTERN || param->paramid < 1 ||
		    param->paramid > cols->ncolumns)
			ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
			                errmsg("stored policy expression reads an unknown argument"),
			                errhint("Declare the policy again.")));
		AttrNumber attnum = cols->columns[param->paramid - 1];
		Oid type, collation;
		int32 typmod;
		get_atttypetypmodcoll(cols->table, attnum, &type, &typmod, &collation);
		return (Node *)makeVar(1, attnum, type, typmod, collation, 0);
	}
	return expression_tree_mutator(node, (Node * (*)()) ParamsToVars, (void *)cols);
}

// VarsToParams turns the Vars of a declared expression into the wrapper's
// arguments: Var of column cols->columns[k] becomes $k+1. (A parameter has
// its type's collation; loading derives the collations again from the
// columns', as the parser did for the declared expression.)
Node *
VarsToParams(Node *node, const WrapperColumns *cols) {
	if (node == NULL)
		return NULL;
	if (IsA(node, Var)) {
		Var *var = (Var *)node;
		int k = 0;
		while (k < cols->ncolumns && cols->columns[k] != var->varattno)
			k++;
		if (var->varno != 1 || var->varlevelsup != 0 || k == cols->ncolumns)
			elog(ERROR, "unexpected column reference in a policy expression");
		Param *param = makeNode(Param);
		param->paramkind = PARAM_EXTERN;
		param->paramid = k + 1;
		param->paramtype = var->vartype;
		param->paramtypmod = -1;
		param->paramcollid = get_typcollation(var->vartype);
		param->location = -1;
		return (Node *)param;
	}
	return expression_tree_mutator(node, (Node * (*)()) VarsToParams, (void *)cols);
}

// CollectColumns adds the attribute numbers of the Vars of an expression
// to cols (sorted, distinct).
bool
CollectColumns(Node *node, WrapperColumns *cols) {
	if (node == NULL)
		return false;
	if (IsA(node, Var)) {
		AttrNumber attnum = ((Var *)node)->varattno;
		int pos = 0;
		while (pos < cols->ncolumns && cols->columns[pos] < attnum)
			pos++;
		if (pos < cols->ncolumns && cols->columns[pos] == attnum)
			return false;
		if (cols->ncolumns == FUNC_MAX_ARGS)
			ereport(ERROR, (errcode(ERRCODE_TOO_MANY_ARGUMENTS),
			                errmsg("a policy expression cannot read more than %d columns",
			                       FUNC_MAX_ARGS)));
		memmove(&cols->columns[pos + 1], &cols->columns[pos],
		        sizeof(AttrNumber) * (cols->ncolumns - pos));
		cols->columns[pos] = attnum;
		cols->ncolumns++;
		return false;
	}
	return expression_tree_walker(node, (bool (*)())CollectColumns, (void *)cols);
}

// PolicyTableOf returns the table of the policy row naming wrapper funcid
// (a mask, row filter or hold), InvalidOid if none does. Only for wrappers
// whose dependencies were never recorded (pg_upgrade copies the policy rows
// without firing their link trigger).
Oid
PolicyTableOf(Oid funcid) {
	static const char *const tables[][2] = {{"_column_policy", "mask_function"},
	                                        {"_row_policy", "condition_function"},
	                                        {"_legal_hold", "condition_function"}};
	Oid result = InvalidOid;
	for (int t = 0; t < 3 && !OidIsValid(result); t++) {
		Oid catalog = PrivacyTable(tables[t][0]);
		if (!OidIsValid(catalog))
			continue;
		AttrNumber fn_att = get_attnum(catalog, tables[t][1]);
		AttrNumber rel_att = get_attnum(catalog, "relid");
		if (fn_att <= 0 || rel_att <= 0)
			continue;
		Relation rel = table_open(catalog, AccessShareLock);
		TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
		HeapTuple tup;
		while (!OidIsValid(result) &&
		       HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection))) {
			bool fn_null, rel_null;
			Datum fn = heap_getattr(tup, fn_att, RelationGetDescr(rel), &fn_null);
			Datum relid = heap_getattr(tup, rel_att, RelationGetDescr(rel), &rel_null);
			if (!fn_null && !rel_null && DatumGetObjectId(fn) == funcid)
				result = DatumGetObjectId(relid);
		}
		table_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	return result;
}

bool ColumnsFromArgumentNames(HeapTuple tup, Oid relid, WrapperColumns *cols);

// WrapperBody returns the stored expression of a wrapper over its own
// table (varno 1, uncoerced), or NULL when funcid is not a wrapper (or its
// recorded columns no longer match its arguments).
Node *
WrapperBody(Oid funcid, Oid *table) {
	*table = InvalidOid;
	if (!OidIsValid(funcid))
		return NULL;
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return NULL;
	WrapperColumns cols;
	bool isnull = true;
	Datum body = (Datum)0;
	bool found = false;
	if (IsWrapperProc((Form_pg_proc)GETSTRUCT(tup))) {
		found = ReadWrapperColumns(funcid, &cols);
		// nothing recorded (after pg_upgrade): the policy row's table, the
		// columns by the arguments' names
		if (!found && !OidIsValid(cols.table) && cols.ncolumns == 0) {
			Oid table = PolicyTableOf(funcid);
			found = OidIsValid(table) && ColumnsFromArgumentNames(tup, table, &cols);
		}
	}
	if (found && ArgumentsMatch((Form_pg_proc)GETSTRUCT(tup), &cols))
		body = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull);
	Node *tree = isnull ? NULL : (Node *)stringToNode(TextDatumGetCString(body));
	ReleaseSysCache(tup);
	if (tree == NULL)
		return NULL;
	// RETURN expr is stored as one Query; BEGIN ATOMIC (not generated) as a list
	if (!IsA(tree, Query))
		return NULL;
	// one bare expression, as pg_privacy generates it from a validated one:
	// nothing it could not have declared (a subquery, an aggregate, a
	// window or set-returning function, clauses), whoever wrote the body
	Query *query = (Query *)tree;
	if (query->commandType != CMD_SELECT || query->rtable != NIL ||
	    list_length(query->targetList) != 1 || query->hasSubLinks || query->hasAggs ||
	    query->hasWindowFuncs || query->hasTargetSRFs || query->hasModifyingCTE ||
	    query->cteList != NIL || query->setOperations != NULL || query->groupClause != NIL ||
	    query->groupingSets != NIL || query->havingQual != NULL || query->windowClause != NIL ||
	    query->distinctClause != NIL || query->sortClause != NIL || query->limitCount != NULL ||
	    query->limitOffset != NULL || query->rowMarks != NIL ||
	    (query->jointree != NULL &&
	     (query->jointree->fromlist != NIL || query->jointree->quals != NULL)))
		return NULL;
	Node *body_expr = (Node *)linitial_node(TargetEntry, query->targetList)->expr;
	if (checkExprHasSubLink(body_expr) || expression_returns_set(body_expr))
		return NULL;
	*table = cols.table;
	Node *expr = ParamsToVars(body_expr, &cols);
	// the collations as the parser derives them from the columns' (the body
	// was parsed over arguments of their types' collations)
	ParseState *pstate = make_parsestate(NULL);
	assign_expr_collations(pstate, expr);
	free_parsestate(pstate);
	return expr;
}

// HasDependency reports whether depender already depends with deptype on
// (refclass, refobj, refsub).
bool
HasDependency(const ObjectAddress *depender, Oid refclass, Oid refobj, int32 refsub, char deptype) {
	Relation depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(depender->classId));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(depender->objectId));
	SysScanDesc scan = systable_beginscan(depend, DependDependerIndexId, true, NULL, 2, key);
	bool found = false;
	HeapTuple tup;
	while (!found && HeapTupleIsValid(tup = systable_getnext(scan))) {
		Form_pg_depend dep = (Form_pg_depend)GETSTRUCT(tup);
		found = dep->refclassid == refclass && dep->refobjid == refobj &&
		        dep->refobjsubid == refsub && dep->deptype == deptype;
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return found;
}

// MakeOwnColumnAuto makes the wrapper's dependency on the column its mask
// masks AUTO (any NORMAL one goes): the mask goes with its column (as a
// default does), while a column it merely reads cannot be dropped under it.
void
MakeOwnColumnAuto(Oid funcid, Oid relid, AttrNumber attnum) {
	Relation depend = table_open(DependRelationId, RowExclusiveLock);
	ScanKeyData key[2];
	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(ProcedureRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(funcid));
	SysScanDesc scan = systable_beginscan(depend, DependDependerIndexId, true, NULL, 2, key);
	bool has_auto = false;
	HeapTuple tup;
	while (HeapTupleIsValid(tup = systable_getnext(scan))) {
		Form_pg_depend dep = (Form_pg_depend)GETSTRUCT(tup);
		if (dep->refclassid != RelationRelationId || dep->refobjid != relid ||
		    dep->refobjsubid != attnum)
			continue;
		if (dep->deptype == DEPENDENCY_AUTO)
			has_auto = true;
		else if (dep->deptype == DEPENDENCY_NORMAL)
			CatalogTupleDelete(depend, &tup->t_self);
	}
	systable_endscan(scan);
	table_close(depend, RowExclusiveLock);
	if (!has_auto) {
		ObjectAddress self = {ProcedureRelationId, funcid, 0};
		ObjectAddress column = {RelationRelationId, relid, attnum};
		recordDependencyOn(&self, &column, DEPENDENCY_AUTO);
	}
}

// ArgumentName returns the name of argument k of a pg_proc tuple (NULL
// when it has none).
char *
ArgumentName(HeapTuple tup, int k) {
	bool isnull;
	Datum names = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proargnames, &isnull);
	if (isnull)
		return NULL;
	Datum *elems;
	int nelems;
	deconstruct_array(DatumGetArrayTypeP(names), TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL,
	                  &nelems);
	return k < nelems ? TextDatumGetCString(elems[k]) : NULL;
}

// ColumnsFromArgumentNames reads a restored wrapper's columns from its
// arguments' names; false (nothing recorded) when one is not a column of
// relid of the argument's type, or they are not in attribute order.
bool
ColumnsFromArgumentNames(HeapTuple tup, Oid relid, WrapperColumns *cols) {
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	cols->table = relid;
	cols->ncolumns = proc->pronargs;
	for (int k = 0; k < proc->pronargs; k++) {
		char *name = ArgumentName(tup, k);
		AttrNumber attnum = name != NULL ? get_attnum(relid, name) : InvalidAttrNumber;
		if (attnum <= 0 || get_atttype(relid, attnum) != proc->proargtypes.values[k] ||
		    (k > 0 && attnum <= cols->columns[k - 1]))
			return false;
		cols->columns[k] = attnum;
	}
	return true;
}

// CurrentAttributeName returns the name column attnum of relid has in
// this very command (a post-alter hook runs before the rename is visible to
// the catalog caches); NULL for a dropped or missing column.
char *
CurrentAttributeName(Oid relid, AttrNumber attnum) {
	Relation attrs = table_open(AttributeRelationId, AccessShareLock);
	ScanKeyData key[2];
	ScanKeyInit(&key[0], Anum_pg_attribute_attrelid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attribute_attnum, BTEqualStrategyNumber, F_INT2EQ,
	            Int16GetDatum(attnum));
	SysScanDesc scan =
	        systable_beginscan(attrs, AttributeRelidNumIndexId, true, SnapshotSelf, 2, key);
	char *name = NULL;
	HeapTuple tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup) && !((Form_pg_attribute)GETSTRUCT(tup))->attisdropped)
		name = pstrdup(NameStr(((Form_pg_attribute)GETSTRUCT(tup))->attname));
	systable_endscan(scan);
	table_close(attrs, AccessShareLock);
	return name;
}

} // namespace

void
LinkStoredExpression(Oid funcid, Oid relid, AttrNumber own_column) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return;
	if (!IsWrapperProc((Form_pg_proc)GETSTRUCT(tup)) || !OidIsValid(relid)) {
		ReleaseSysCache(tup);
		return;
	}
	ObjectAddress self = {ProcedureRelationId, funcid, 0};
	WrapperColumns cols;
	bool linked = ReadWrapperColumns(funcid, &cols) && cols.table == relid;
	if (!linked && (cols.ncolumns > 0 || OidIsValid(cols.table))) {
		// recorded for another table: not this policy's
		ReleaseSysCache(tup);
		return;
	}
	if (!linked) {
		// restored by pg_restore: the columns come back by their names
		if (ColumnsFromArgumentNames(tup, relid, &cols)) {
			for (int k = 0; k < cols.ncolumns; k++) {
				ObjectAddress column = {RelationRelationId, relid, cols.columns[k]};
				recordDependencyOn(&self, &column, DEPENDENCY_NORMAL);
			}
		} else {
			ereport(WARNING,
			        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			         errmsg("the stored form of a policy expression on relation \"%s\" does not "
			                "match its columns",
			                get_rel_name(relid)),
			         errdetail("The policy stays in force and fails closed until it is declared "
			                   "again or removed."),
			         errhint("Declare it again, or remove the policy.")));
			ReleaseSysCache(tup);
			return;
		}
	}
	ReleaseSysCache(tup);
	if (own_column != InvalidAttrNumber)
		MakeOwnColumnAuto(funcid, relid, own_column);
	if (!HasDependency(&self, RelationRelationId, relid, 0, DEPENDENCY_AUTO)) {
		ObjectAddress table = {RelationRelationId, relid, 0};
		recordDependencyOn(&self, &table, DEPENDENCY_AUTO);
	}
	Oid ext = get_extension_oid("pg_privacy", true);
	if (OidIsValid(ext) && !HasDependency(&self, ExtensionRelationId, ext, 0, DEPENDENCY_AUTO)) {
		ObjectAddress extension = {ExtensionRelationId, ext, 0};
		recordDependencyOn(&self, &extension, DEPENDENCY_AUTO);
	}
	CommandCounterIncrement();
}

void
SyncStoredExpressionNames(Oid relid, AttrNumber attnum) {
	Oid nsp = ExpressionNamespace();
	if (!OidIsValid(nsp))
		return;
	Relation depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[3];
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(relid));
	ScanKeyInit(&key[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber, F_INT4EQ,
	            Int32GetDatum(attnum));
	SysScanDesc scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 3, key);
	List *wrappers = NIL;
	HeapTuple tup;
	while (HeapTupleIsValid(tup = systable_getnext(scan))) {
		Form_pg_depend dep = (Form_pg_depend)GETSTRUCT(tup);
		if (dep->classid == ProcedureRelationId && get_func_namespace(dep->objid) == nsp)
			wrappers = list_append_unique_oid(wrappers, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);

	if (wrappers == NIL)
		return;
	char *column = CurrentAttributeName(relid, attnum);
	ListCell *lc;
	foreach (lc, wrappers) {
		Oid funcid = lfirst_oid(lc);
		WrapperColumns cols;
		if (column == NULL || !ReadWrapperColumns(funcid, &cols) || cols.table != relid)
			continue;
		int k = 0;
		while (k < cols.ncolumns && cols.columns[k] != attnum)
			k++;
		Relation procs = table_open(ProcedureRelationId, RowExclusiveLock);
		HeapTuple proc = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(funcid));
		if (HeapTupleIsValid(proc) && k < ((Form_pg_proc)GETSTRUCT(proc))->pronargs) {
			char *old = ArgumentName(proc, k);
			if (old == NULL || strcmp(old, column) != 0) {
				int nargs = ((Form_pg_proc)GETSTRUCT(proc))->pronargs;
				Datum *names = (Datum *)palloc(sizeof(Datum) * nargs);
				for (int i = 0; i < nargs; i++) {
					char *name = i == k ? column : ArgumentName(proc, i);
					names[i] = CStringGetTextDatum(name != NULL ? name : "");
				}
				Datum values[Natts_pg_proc] = {0};
				bool nulls[Natts_pg_proc] = {false};
				bool replace[Natts_pg_proc] = {false};
				values[Anum_pg_proc_proargnames - 1] = PointerGetDatum(
				        construct_array(names, nargs, TEXTOID, -1, false, TYPALIGN_INT));
				replace[Anum_pg_proc_proargnames - 1] = true;
				HeapTuple changed =
				        heap_modify_tuple(proc, RelationGetDescr(procs), values, nulls, replace);
				CatalogTupleUpdate(procs, &changed->t_self, changed);
			}
		}
		table_close(procs, RowExclusiveLock);
	}
}

Oid
CreateStoredExpression(Oid relid, AttrNumber attnum, const char *canonical, const char *what,
                       const char *label) {
	// a hold condition's constants are parsed under the fixed settings
	// holds are evaluated under (red-team 8 F1), whoever places it
	bool hold = what != NULL && strcmp(what, "hold condition") == 0;
	int level = hold ? RunWithFixedSettings() : RunWithFixedSearchPath();
	// the reference tree: the canonical text analyzed as plan time used to
	Node *declared = AnalyzeRelationExpression(relid, attnum, canonical, true, NULL, what);
	// the arguments: the columns it reads, and a mask's own column
	WrapperColumns cols;
	cols.table = relid;
	(void)CollectColumns(declared, &cols);
	if (attnum != InvalidAttrNumber)
		(void)CollectColumns((Node *)makeVar(1, attnum, InvalidOid, -1, InvalidOid, 0), &cols);
	Node *over_arguments = VarsToParams(copyObject(declared), &cols);
	char *body = deparse_expression(over_arguments, NIL, false, false);

	Relation rel = relation_open(relid, AccessShareLock);
	Oid result_type = BOOLOID;
	if (attnum != InvalidAttrNumber)
		result_type = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
	StringInfoData args, types;
	initStringInfo(&args);
	initStringInfo(&types);
	Oid argtypes[FUNC_MAX_ARGS];
	for (int k = 0; k < cols.ncolumns; k++) {
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), cols.columns[k] - 1);
		argtypes[k] = att->atttypid;
		const char *type = format_type_be_qualified(att->atttypid);
		appendStringInfo(&args, "%s%s %s", k > 0 ? ", " : "",
		                 quote_identifier(NameStr(att->attname)), type);
		appendStringInfo(&types, "%s%s", k > 0 ? ", " : "", type);
	}
	relation_close(rel, AccessShareLock);

	Oid nsp = ExpressionSchema();
	if (!OidIsValid(nsp))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("pg_privacy is not installed in this database"),
		                errhint("Run CREATE EXTENSION pg_privacy, or ALTER EXTENSION pg_privacy "
		                        "UPDATE.")));
	char name[NAMEDATALEN];
	int len = pg_mbcliplen(label, strlen(label), NAMEDATALEN - 1);
	memcpy(name, label, len);
	name[len] = '\0';
	// a name of its own, whatever the arguments (the same label on the same
	// table can only be left from a wrapper being replaced in this statement)
	for (int n = 2;; n++) {
		CatCList *same = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(name));
		bool taken = false;
		for (int i = 0; i < same->n_members; i++)
			taken |= ((Form_pg_proc)GETSTRUCT(&same->members[i]->tuple))->pronamespace == nsp;
		ReleaseSysCacheList(same);
		if (!taken)
			break;
		char suffix[16];
		snprintf(suffix, sizeof(suffix), " #%d", n);
		int keep = pg_mbcliplen(label, strlen(label), NAMEDATALEN - 1 - (int)strlen(suffix));
		memcpy(name, label, keep);
		strcpy(name + keep, suffix);
	}
	const char *qualified = quote_qualified_identifier(kExpressionSchema, name);
	const char *signature = psprintf("%s(%s)", qualified, types.data);

	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql,
	                 "CREATE FUNCTION %s(%s) RETURNS %s LANGUAGE sql STABLE PARALLEL SAFE RETURN "
	                 "%s;REVOKE ALL ON FUNCTION %s FROM PUBLIC;COMMENT ON FUNCTION %s IS %s",
	                 qualified, args.data, format_type_be_qualified(result_type), body, signature,
	                 signature,
	                 quote_literal_cstr(psprintf(
	                         "pg_privacy: %s (drop it with the policy, not directly)", label)));
	// the wrapper is the coordinator's (or this node's) own: Citus must not
	// propagate it to the workers, which keep their policies from the
	// synchronized catalog (and whose deparsed copy of a SQL-standard body
	// fails); restored with the search path's nest level
	if (GetConfigOption("citus.enable_ddl_propagation", true, false) != NULL)
		(void)set_config_option("citus.enable_ddl_propagation", "off", PGC_SUSET, PGC_S_SESSION,
		                        GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_exec(sql.data, 0) < 0)
		elog(ERROR, "could not create the stored form of a %s", what);
	SPI_finish();

	Oid funcid =
	        LookupFuncName(list_make2(makeString(pstrdup(kExpressionSchema)), makeString(name)),
	                       cols.ncolumns, argtypes, false);
	// created by an update script, the wrapper would become a member of the
	// extension (not dumped): it is the table's, like a policy
	if (creating_extension)
		deleteDependencyRecordsForClass(ProcedureRelationId, funcid, ExtensionRelationId,
		                                DEPENDENCY_EXTENSION);
	// the columns it takes (NORMAL: not dropped or retyped under it, found
	// by its arguments' names as after a restore), the table, the extension
	// and a mask's own column (AUTO)
	LinkStoredExpression(funcid, relid, attnum);

	// what PostgreSQL stored must be what was validated
	Node *stored = LoadStoredExpression(funcid, relid, attnum, what);
	if (!equal(stored, declared))
		ereport(ERROR,
		        (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s", _(MessagesFor(what).stored_differs)),
		         errhint("Schema-qualify the functions, operators and types it uses, or add "
		                 "explicit casts.")));
	RestoreSearchPath(level);
	return funcid;
}

Node *
LoadStoredExpression(Oid funcid, Oid relid, AttrNumber attnum, const char *what) {
	Oid table;
	Node *expr = WrapperBody(funcid, &table);
	if (expr == NULL && attnum != InvalidAttrNumber)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg(MessagesFor(what).dropped_column, get_attname(relid, attnum, false),
		                get_rel_name(relid)),
		         errdetail("The policy stays in force and fails closed until it is declared again "
		                   "or removed."),
		         errhint("Declare it again, or remove the policy.")));
	if (expr == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg(MessagesFor(what).dropped, get_rel_name(relid)),
		                errdetail("The policy stays in force and fails closed until it is declared "
		                          "again or removed."),
		                errhint("Declare it again, or remove the policy.")));
	if (table != relid) {
		// a member of the family: match columns by name
		Relation member = relation_open(relid, AccessShareLock);
		Relation source = relation_open(table, AccessShareLock);
		AttrMap *map = build_attrmap_by_name(RelationGetDescr(member), RelationGetDescr(source));
		bool whole_row = false;
		expr = map_variable_attnos(expr, 1, 0, map, InvalidOid, &whole_row);
		relation_close(source, AccessShareLock);
		relation_close(member, AccessShareLock);
	}
	CheckTrustedFunctions(expr, what);
	return CoercePolicyExpression(NULL, expr, relid, attnum, what);
}

Oid
HoldExpressionTable(Oid funcid) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	bool hold = IsWrapperProc(proc) && strncmp(NameStr(proc->proname), "hold ", 5) == 0;
	ReleaseSysCache(tup);
	WrapperColumns cols;
	return hold && ReadWrapperColumns(funcid, &cols) ? cols.table : InvalidOid;
}

char *
StoredExpressionText(Oid funcid) {
	Oid table;
	Node *expr = WrapperBody(funcid, &table);
	if (expr == NULL)
		return NULL;
	// a hold condition's constants are written under the fixed settings
	// they are parsed under again (red-team 8 F1)
	int level = OidIsValid(HoldExpressionTable(funcid)) ? RunWithFixedSettings()
	                                                    : RunWithFixedSearchPath();
	char *text =
	        deparse_expression(expr, deparse_context_for(get_rel_name(table), table), false, false);
	RestoreSearchPath(level);
	return text;
}

} // namespace privacy::pg
