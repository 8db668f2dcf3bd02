// lineage.cpp: default deny of new columns and lineage of CREATE TABLE AS
// (issue 18; lineage.hpp).
//
// What the trace follows, from each output column of the analyzed (not yet
// rewritten) query: every Var of its expression, aggregates' and window
// functions' arguments included, resolved through joins, subqueries in
// FROM (LATERAL included), CTEs, views (their stored query), and sublinks
// of the target list (their output columns). What it does not follow:
// WHERE/JOIN/GROUP BY conditions (values that only filter rows), function
// bodies (a function's result counts as derived from its arguments only),
// set-returning functions and VALUES in FROM, dynamic SQL, and data moved
// into existing tables (INSERT ... SELECT, UPDATE, COPY).
#include "pg/hooks/lineage.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/guc.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// maximum nesting of views, subqueries and CTEs followed (recursive CTEs
// stop here), and of column references resolved per statement (a query
// over views that join themselves grows exponentially): past it the
// statement is not traced further, with a WARNING
constexpr int kMaxDepth = 32;
constexpr long kMaxSteps = 100000;

struct Trace {
	int ncols;
	List **relids;  // per output column: source relations (oids)
	List **attnums; // and attribute numbers (ints)
};

struct ColumnCount {
	Oid relid;
	int natts; // attributes before the statement
};

struct TraceContext {
	List *stack; // Query nodes, outermost first
	int depth;
	List *relids;
	List *attnums;
	long *steps; // column references resolved so far in the statement
};

void TraceOutput(Query *query, List *stack, AttrNumber attno, TraceContext *ctx);

void
AddSource(TraceContext *ctx, Oid relid, AttrNumber attnum) {
	ctx->relids = lappend_oid(ctx->relids, relid);
	ctx->attnums = lappend_int(ctx->attnums, attnum);
}

// IsMaskingFunction: a pg_privacy function whose result is a masked form
// of its argument (what masked roles would see): values passed through it
// are not traced further.
bool
IsMaskingFunction(Oid funcid) {
	Oid nsp = get_func_namespace(funcid);
	if (!OidIsValid(nsp) || nsp != PrivacySchema())
		return false;
	char *name = get_func_name(funcid);
	if (name == NULL)
		return false;
	static const char *const prefixes[] = {"redact", "partial",    "mask_",     "generalize",
	                                       "noise",  "shift_date", "pseudonym", "fake_",
	                                       "_mask_", "tokenize"};
	for (const char *prefix : prefixes)
		if (strncmp(name, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

// TraceWalker follows the Vars of an expression evaluated at the top of
// ctx->stack.
bool
TraceWalker(Node *node, TraceContext *ctx) {
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && IsMaskingFunction(((FuncExpr *)node)->funcid))
		return false;
	if (IsA(node, Var)) {
		CHECK_FOR_INTERRUPTS();
		Var *var = (Var *)node;
		int level = list_length(ctx->stack) - 1 - (int)var->varlevelsup;
		if (level < 0 || ctx->depth >= kMaxDepth || ++*ctx->steps > kMaxSteps)
			return false;
		Query *query = (Query *)list_nth(ctx->stack, level);
		if (var->varno < 1 || (int)var->varno > list_length(query->rtable))
			return false;
		RangeTblEntry *rte = rt_fetch(var->varno, query->rtable);
		List *stack = list_truncate(list_copy(ctx->stack), level + 1);
		ctx->depth++;
		switch (rte->rtekind) {
		case RTE_RELATION: {
			char relkind = get_rel_relkind(rte->relid);
			if (relkind == RELKIND_VIEW) {
				Relation view = relation_open(rte->relid, AccessShareLock);
				Query *view_query = (Query *)copyObject(get_view_query(view));
				relation_close(view, AccessShareLock);
				TraceOutput(view_query, NIL, var->varattno, ctx);
			} else if (var->varattno > 0) {
				AddSource(ctx, rte->relid, var->varattno);
			} else if (var->varattno == 0) {
				int natts = 0;
				HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rte->relid));
				if (HeapTupleIsValid(tup)) {
					natts = ((Form_pg_class)GETSTRUCT(tup))->relnatts;
					ReleaseSysCache(tup);
				}
				for (int a = 1; a <= natts; a++)
					AddSource(ctx, rte->relid, a);
			}
			break;
		}
		case RTE_SUBQUERY:
			TraceOutput(rte->subquery, stack, var->varattno, ctx);
			break;
		case RTE_JOIN:
			if (var->varattno > 0 && var->varattno <= list_length(rte->joinaliasvars)) {
				List *saved = ctx->stack;
				ctx->stack = stack;
				(void)TraceWalker((Node *)list_nth(rte->joinaliasvars, var->varattno - 1), ctx);
				ctx->stack = saved;
			} else if (var->varattno == 0) {
				List *saved = ctx->stack;
				ctx->stack = stack;
				(void)TraceWalker((Node *)rte->joinaliasvars, ctx);
				ctx->stack = saved;
			}
			break;
		case RTE_CTE: {
			int cte_level = level - (int)rte->ctelevelsup;
			if (cte_level < 0)
				break;
			Query *owner = (Query *)list_nth(ctx->stack, cte_level);
			ListCell *lc;
			foreach (lc, owner->cteList) {
				CommonTableExpr *cte = (CommonTableExpr *)lfirst(lc);
				if (strcmp(cte->ctename, rte->ctename) == 0 && IsA(cte->ctequery, Query)) {
					TraceOutput((Query *)cte->ctequery,
					            list_truncate(list_copy(ctx->stack), cte_level + 1), var->varattno,
					            ctx);
					break;
				}
			}
			break;
		}
		default:
			// functions, VALUES, table functions: not traced
			break;
		}
		ctx->depth--;
		return false;
	}
	if (IsA(node, Query)) {
		// a sublink's query: its output columns feed the expression
		if (ctx->depth >= kMaxDepth)
			return false;
		ctx->depth++;
		TraceOutput((Query *)node, ctx->stack, 0, ctx);
		ctx->depth--;
		return false;
	}
	return expression_tree_walker(node, (bool (*)())TraceWalker, (void *)ctx);
}

// TraceOutput follows output column attno of query (0: all), evaluated
// with `stack` as its outer queries. Set operations: every branch.
void
TraceOutput(Query *query, List *stack, AttrNumber attno, TraceContext *ctx) {
	List *saved = ctx->stack;
	ctx->stack = lappend(list_copy(stack), query);
	if (query->setOperations != NULL) {
		// the leaves of a UNION/INTERSECT/EXCEPT are subquery RTEs
		ListCell *lc;
		foreach (lc, query->rtable) {
			RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
			if (rte->rtekind == RTE_SUBQUERY && rte->subquery != NULL && ctx->depth < kMaxDepth) {
				ctx->depth++;
				TraceOutput(rte->subquery, ctx->stack, attno, ctx);
				ctx->depth--;
			}
		}
	} else {
		ListCell *lc;
		foreach (lc, query->targetList) {
			TargetEntry *tle = (TargetEntry *)lfirst(lc);
			if (tle->resjunk || (attno != 0 && tle->resno != attno))
				continue;
			(void)TraceWalker((Node *)tle->expr, ctx);
		}
	}
	ctx->stack = saved;
}

// RunAsBootstrapWith runs a SELECT of a pg_privacy catalog helper as the
// bootstrap superuser (see process_utility.cpp RunAsBootstrap).
void
RunAsBootstrapWith(const char *sql, int nargs, Oid *types, Datum *values) {
	// only pg_privacy's own schema privacy (extension_schema.hpp)
	if (!OidIsValid(PrivacySchema()))
		return;
	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	bool pushed = !ActiveSnapshotSet();
	if (pushed)
		PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not run a pg_privacy catalog helper: %s", SPI_result_code_string(rc));
	SPI_finish();
	if (pushed)
		PopActiveSnapshot();
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

// SourceMaskedFor: whether userid reads column attnum of relid masked.
bool
SourceMaskedFor(Oid relid, AttrNumber attnum, Oid userid) {
	if (!guc_masking)
		return false;
	const GovernedRel *rel = LookupGovernedRel(relid);
	if (rel == NULL)
		return false;
	for (int i = 0; i < rel->ncolumns; i++)
		if (rel->columns[i].attnum == attnum)
			return ColumnMaskedFor(rel, i, userid);
	return false;
}

int
RelationNatts(Oid relid) {
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return -1;
	int natts = ((Form_pg_class)GETSTRUCT(tup))->relnatts;
	ReleaseSysCache(tup);
	return natts;
}

} // namespace

List *
ColumnsBefore(Node *stmt) {
	if (!IsA(stmt, AlterTableStmt))
		return NIL;
	AlterTableStmt *alter = (AlterTableStmt *)stmt;
	if (alter->relation == NULL ||
	    (alter->objtype != OBJECT_TABLE && alter->objtype != OBJECT_TYPE))
		return NIL;
	bool adds = false;
	ListCell *lc;
	foreach (lc, alter->cmds)
		if (((AlterTableCmd *)lfirst(lc))->subtype == AT_AddColumn)
			adds = true;
	if (!adds)
		return NIL;
	Oid relid = RangeVarGetRelid(alter->relation, NoLock, true);
	if (!OidIsValid(relid))
		return NIL;
	List *tables = NIL;
	if (alter->objtype == OBJECT_TYPE) {
		// ALTER TYPE ... ADD ATTRIBUTE ... CASCADE: the typed tables of the type
		Oid type = get_rel_type_id(relid);
		Relation pg_class = table_open(RelationRelationId, AccessShareLock);
		SysScanDesc scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
		HeapTuple tup;
		while ((tup = systable_getnext(scan)) != NULL) {
			Form_pg_class form = (Form_pg_class)GETSTRUCT(tup);
			if (OidIsValid(type) && form->reloftype == type)
				tables = lappend_oid(tables, form->oid);
		}
		systable_endscan(scan);
		table_close(pg_class, AccessShareLock);
	} else {
		tables = list_make1_oid(relid);
	}
	List *result = NIL;
	foreach (lc, tables) {
		Oid table = lfirst_oid(lc);
		char relkind = get_rel_relkind(table);
		if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
			continue;
		ColumnCount *count = (ColumnCount *)palloc(sizeof(ColumnCount));
		count->relid = table;
		count->natts = RelationNatts(table);
		result = lappend(result, count);
	}
	return result;
}

void
NoteNewColumns(List *before) {
	if (before == NIL)
		return;
	CommandCounterIncrement();
	ListCell *lc;
	foreach (lc, before) {
		Oid relid = ((ColumnCount *)lfirst(lc))->relid;
		int natts = ((ColumnCount *)lfirst(lc))->natts;
		if (natts < 0 || RelationNatts(relid) <= natts)
			continue;
		Oid types[2] = {REGCLASSOID, INT4OID};
		Datum values[2] = {ObjectIdGetDatum(relid), Int32GetDatum(natts + 1)};
		RunAsBootstrapWith("SELECT privacy._note_new_columns($1, $2)", 2, types, values);
	}
}

void *
TraceCreateAs(Node *stmt) {
	if (!IsA(stmt, CreateTableAsStmt))
		return NULL;
	CreateTableAsStmt *ctas = (CreateTableAsStmt *)stmt;
	if (ctas->into == NULL || ctas->into->rel == NULL || ctas->query == NULL ||
	    !IsA(ctas->query, Query))
		return NULL;
	if (ctas->objtype != OBJECT_TABLE && ctas->objtype != OBJECT_MATVIEW)
		return NULL;
	// IF NOT EXISTS on an existing relation: nothing is created (without
	// IF NOT EXISTS the statement fails)
	if (ctas->if_not_exists &&
	    OidIsValid(get_relname_relid(ctas->into->rel->relname,
	                                 RangeVarGetCreationNamespace(ctas->into->rel))))
		return NULL;
	Query *query = (Query *)ctas->query;
	if (query->commandType != CMD_SELECT)
		return NULL;
	Trace *trace = (Trace *)palloc0(sizeof(Trace));
	int n = 0;
	ListCell *lc;
	foreach (lc, query->targetList)
		if (!((TargetEntry *)lfirst(lc))->resjunk)
			n++;
	trace->ncols = n;
	trace->relids = (List **)palloc0(sizeof(List *) * (n + 1));
	trace->attnums = (List **)palloc0(sizeof(List *) * (n + 1));
	int i = 0;
	Oid userid = GetUserId();
	long steps = 0;
	foreach (lc, query->targetList) {
		TargetEntry *tle = (TargetEntry *)lfirst(lc);
		if (tle->resjunk)
			continue;
		TraceContext ctx = {list_make1(query), 0, NIL, NIL, &steps};
		(void)TraceWalker((Node *)tle->expr, &ctx);
		// a source the creating role sees masked gives it masked values:
		// they need no protection (and masking them again would hide its
		// own result from it)
		ListCell *r;
		ListCell *a;
		forboth(r, ctx.relids, a, ctx.attnums) {
			if (SourceMaskedFor(lfirst_oid(r), (AttrNumber)lfirst_int(a), userid))
				continue;
			trace->relids[i] = lappend_oid(trace->relids[i], lfirst_oid(r));
			trace->attnums[i] = lappend_int(trace->attnums[i], lfirst_int(a));
		}
		i++;
	}
	if (steps > kMaxSteps)
		ereport(WARNING,
		        (errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
		         errmsg("lineage of the new relation traced only in part"),
		         errdetail("The query resolves more than %ld column references.", kMaxSteps),
		         errhint("Classify its columns with privacy.classify().")));
	return trace;
}

void
RecordCreateAs(Node *stmt, void *opaque) {
	Trace *trace = (Trace *)opaque;
	if (trace == NULL)
		return;
	CreateTableAsStmt *ctas = (CreateTableAsStmt *)stmt;
	CommandCounterIncrement();
	// the relation created, in the namespace it was created in (an
	// unqualified name could find a temporary table first)
	Oid relid = get_relname_relid(ctas->into->rel->relname,
	                              RangeVarGetCreationNamespace(ctas->into->rel));
	if (!OidIsValid(relid))
		return;
	int total = 0;
	for (int i = 0; i < trace->ncols; i++)
		total += list_length(trace->relids[i]);
	if (total == 0)
		return;
	Datum *names = (Datum *)palloc(sizeof(Datum) * total);
	Datum *relids = (Datum *)palloc(sizeof(Datum) * total);
	Datum *attnums = (Datum *)palloc(sizeof(Datum) * total);
	int k = 0;
	for (int i = 0; i < trace->ncols; i++) {
		char *column = get_attname(relid, (AttrNumber)(i + 1), true);
		if (column == NULL)
			continue;
		ListCell *r;
		ListCell *a;
		forboth(r, trace->relids[i], a, trace->attnums[i]) {
			Name name = (Name)palloc0(NAMEDATALEN);
			namestrcpy(name, column);
			names[k] = NameGetDatum(name);
			relids[k] = ObjectIdGetDatum(lfirst_oid(r));
			attnums[k] = Int32GetDatum(lfirst_int(a));
			k++;
		}
	}
	if (k == 0)
		return;
	Oid types[4] = {REGCLASSOID, NAMEARRAYOID, OIDARRAYOID, INT4ARRAYOID};
	Datum values[4] = {
	        ObjectIdGetDatum(relid),
	        PointerGetDatum(construct_array(names, k, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR)),
	        PointerGetDatum(construct_array(relids, k, OIDOID, sizeof(Oid), true, TYPALIGN_INT)),
	        PointerGetDatum(
	                construct_array(attnums, k, INT4OID, sizeof(int32), true, TYPALIGN_INT))};
	RunAsBootstrapWith("SELECT privacy._record_lineage($1, $2, $3, $4)", 4, types, values);
}

} // namespace privacy::pg
