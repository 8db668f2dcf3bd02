// stored_expressions.cpp: policy expressions stored as the bodies of
// generated SQL-standard functions (stored_expressions.hpp).
//
// Invariants:
//  * Only pg_privacy creates functions in schema privacy_expr (PUBLIC has
//    no CREATE there): a wrapper is recognized by its schema, its single
//    argument of a table's row type and its SQL body, so a dangling OID in a
//    policy row can never be taken over by someone else's function.
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
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
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
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// ParamsToVars turns the wrapper's r.column (FieldSelect of parameter 1)
// into Vars of varno 1; anything else reading r whole is refused.
Node *
ParamsToVars(Node *node, void *context) {
	if (node == NULL)
		return NULL;
	if (IsA(node, FieldSelect)) {
		FieldSelect *field = (FieldSelect *)node;
		if (field->arg != NULL && IsA(field->arg, Param)) {
			Param *param = (Param *)field->arg;
			if (param->paramkind == PARAM_EXTERN && param->paramid == 1)
				return (Node *)makeVar(1, field->fieldnum, field->resulttype, field->resulttypmod,
				                       field->resultcollid, 0);
		}
	}
	if (IsA(node, Param))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("stored policy expression reads its row as a whole"),
		                errhint("Declare the policy again.")));
	return expression_tree_mutator(node, (Node * (*)()) ParamsToVars, context);
}

// WrapperTable returns the table of wrapper tup (InvalidOid if the tuple is
// not a wrapper).
Oid
WrapperTable(HeapTuple tup) {
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	if (proc->pronargs != 1 || proc->prolang != SQLlanguageId)
		return InvalidOid;
	Oid nsp = ExpressionSchema();
	if (!OidIsValid(nsp) || proc->pronamespace != nsp)
		return InvalidOid;
	return typeidTypeRelid(proc->proargtypes.values[0]);
}

// WrapperBody returns the stored expression of a wrapper over its own
// table (varno 1, uncoerced), or NULL when funcid is not a wrapper.
Node *
WrapperBody(Oid funcid, Oid *table) {
	*table = InvalidOid;
	if (!OidIsValid(funcid))
		return NULL;
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return NULL;
	Oid relid = WrapperTable(tup);
	bool isnull = true;
	Datum body = OidIsValid(relid) ? SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull)
	                               : (Datum)0;
	Node *tree = isnull ? NULL : (Node *)stringToNode(TextDatumGetCString(body));
	ReleaseSysCache(tup);
	if (tree == NULL)
		return NULL;
	// RETURN expr is stored as one Query; BEGIN ATOMIC (not generated) as a list
	if (!IsA(tree, Query))
		return NULL;
	Query *query = (Query *)tree;
	if (query->rtable != NIL || list_length(query->targetList) != 1)
		return NULL;
	*table = relid;
	return ParamsToVars((Node *)linitial_node(TargetEntry, query->targetList)->expr, NULL);
}

// HasDependency reports whether depender already depends with deptype on
// (refclass, refobj, sub 0).
bool
HasDependency(const ObjectAddress *depender, Oid refclass, Oid refobj, char deptype) {
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
		found = dep->refclassid == refclass && dep->refobjid == refobj && dep->refobjsubid == 0 &&
		        dep->deptype == deptype;
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return found;
}

} // namespace

// MakeOwnColumnAuto turns the wrapper's NORMAL dependency on the column its
// mask masks into an AUTO one: the mask goes with its column (as a default
// does), while a column it merely reads cannot be dropped under it.
static void
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

void
LinkStoredExpression(Oid funcid, AttrNumber own_column) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return;
	Oid relid = WrapperTable(tup);
	ReleaseSysCache(tup);
	if (!OidIsValid(relid))
		return;
	ObjectAddress self = {ProcedureRelationId, funcid, 0};
	if (own_column != InvalidAttrNumber)
		MakeOwnColumnAuto(funcid, relid, own_column);
	if (!HasDependency(&self, RelationRelationId, relid, DEPENDENCY_AUTO)) {
		ObjectAddress table = {RelationRelationId, relid, 0};
		recordDependencyOn(&self, &table, DEPENDENCY_AUTO);
	}
	Oid ext = get_extension_oid("pg_privacy", true);
	if (OidIsValid(ext) && !HasDependency(&self, ExtensionRelationId, ext, DEPENDENCY_AUTO)) {
		ObjectAddress extension = {ExtensionRelationId, ext, 0};
		recordDependencyOn(&self, &extension, DEPENDENCY_AUTO);
	}
	CommandCounterIncrement();
}

Oid
CreateStoredExpression(Oid relid, AttrNumber attnum, const char *canonical, const char *what,
                       const char *label) {
	int level = RunWithFixedSearchPath();
	// the reference tree: the canonical text analyzed as plan time used to
	Node *declared = AnalyzeRelationExpression(relid, attnum, canonical, true, NULL, what);
	Relation rel = relation_open(relid, AccessShareLock);
	char *body = deparse_expression(declared, deparse_context_for("r", relid), true, false);
	Oid rowtype = RelationGetForm(rel)->reltype;
	Oid result_type = BOOLOID;
	if (attnum != InvalidAttrNumber)
		result_type = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
	relation_close(rel, AccessShareLock);

	Oid nsp = get_namespace_oid(kExpressionSchema, false);
	char name[NAMEDATALEN];
	int len = pg_mbcliplen(label, strlen(label), NAMEDATALEN - 1);
	memcpy(name, label, len);
	name[len] = '\0';
	// a name of its own (the same label on the same table can only be left
	// from a wrapper being replaced in this statement)
	for (int n = 2; OidIsValid(LookupFuncName(
	             list_make2(makeString(pstrdup(kExpressionSchema)), makeString(name)), 1, &rowtype,
	             true));
	     n++) {
		char suffix[16];
		snprintf(suffix, sizeof(suffix), " #%d", n);
		int keep = pg_mbcliplen(label, strlen(label), NAMEDATALEN - 1 - (int)strlen(suffix));
		memcpy(name, label, keep);
		strcpy(name + keep, suffix);
	}
	const char *qualified = quote_qualified_identifier(kExpressionSchema, name);
	const char *argtype = format_type_be_qualified(rowtype);

	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(
	        &sql,
	        "CREATE FUNCTION %s(r %s) RETURNS %s LANGUAGE sql STABLE PARALLEL SAFE RETURN "
	        "%s;REVOKE ALL ON FUNCTION %s(%s) FROM PUBLIC;COMMENT ON FUNCTION %s(%s) IS %s",
	        qualified, argtype, format_type_be_qualified(result_type), body, qualified, argtype,
	        qualified, argtype,
	        quote_literal_cstr(
	                psprintf("pg_privacy: %s (drop it with the policy, not directly)", label)));
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
	        LookupFuncName(list_make2(makeString(pstrdup(kExpressionSchema)), makeString(name)), 1,
	                       &rowtype, false);
	(void)nsp;
	// created by an update script, the wrapper would become a member of the
	// extension (not dumped): it is the table's, like a policy
	if (creating_extension)
		deleteDependencyRecordsForClass(ProcedureRelationId, funcid, ExtensionRelationId,
		                                DEPENDENCY_EXTENSION);
	LinkStoredExpression(funcid, attnum);

	// what PostgreSQL stored must be what was validated
	Node *stored = LoadStoredExpression(funcid, relid, attnum, what);
	if (!equal(stored, declared))
		ereport(ERROR,
		        (errcode(ERRCODE_INTERNAL_ERROR),
		         errmsg("the stored form of the %s differs from the declared expression", what),
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
		         errmsg("%s of column \"%s\" of relation \"%s\" was dropped with an object it used",
		                what, get_attname(relid, attnum, false), get_rel_name(relid)),
		         errdetail("The policy stays in force and fails closed until it is declared again "
		                   "or removed."),
		         errhint("Declare it again, or remove the policy.")));
	if (expr == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("%s of relation \"%s\" was dropped with an object it used", what,
		                       get_rel_name(relid)),
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

char *
StoredExpressionText(Oid funcid) {
	Oid table;
	Node *expr = WrapperBody(funcid, &table);
	if (expr == NULL)
		return NULL;
	int level = RunWithFixedSearchPath();
	char *text =
	        deparse_expression(expr, deparse_context_for(get_rel_name(table), table), false, false);
	RestoreSearchPath(level);
	return text;
}

} // namespace privacy::pg
