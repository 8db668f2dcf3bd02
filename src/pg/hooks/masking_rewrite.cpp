// masking_rewrite.cpp: dynamic column masking, applied to the rewritten
// query tree in planner_hook (notes/pg-internals.md §1).
//
// For every query level (top, FROM subqueries and expanded views, CTEs,
// sublinks, set-operation leaves) each range-table entry of a governed
// relation is examined; for every column masked for the current user, every
// Var of that column anywhere in the statement - target list, WHERE, JOIN,
// GROUP BY, HAVING, ORDER BY, window and aggregate arguments, RETURNING,
// MERGE, LATERAL and correlated references - is replaced by the column's
// mask expression; whole-row references become a row of masked fields. So
// the masked role's statement never computes on a raw value.
//
// Who wrote an expression decides whether it sees raw values
// (masking_authorship.hpp states the rule): a relation's own row-security
// policies (securityQuals and WITH CHECK options of RLS origin) see that
// relation raw; view quals and check options, policies of other relations
// and everything else are masked like the statement. Left raw as well: ON
// CONFLICT arbiter inference and the EXCLUDED row (they describe the row
// being inserted), a foreign key's own query, and the one statement
// pg_privacy suspends masking for; plans of the last two are transient.
//
// Keyed masks reach the plan through their policy-only entry points
// (catalog/keyed_masks.hpp), substituted when the mask expression is built.
#include "pg/hooks/masking_rewrite.hpp"

#include "pg/catalog/citus.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/hooks/masking_authorship.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/relation.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/rel.h"
}

namespace privacy::pg {

LevelInfo *
BuildLevel(Query *query, Oid userid, bool for_masking) {
	LevelInfo *level = (LevelInfo *)palloc0(sizeof(LevelInfo));
	level->query = query;
	level->nrtes = list_length(query->rtable);
	level->rels = (const GovernedRel **)palloc0(sizeof(GovernedRel *) * (level->nrtes + 1));
	level->masked = (const bool **)palloc0(sizeof(bool *) * (level->nrtes + 1));
	int excluded = query->onConflict ? query->onConflict->exclRelIndex : 0;
	ListCell *lc;
	int rti = 0;
	foreach (lc, query->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		rti++;
		if (rte->rtekind != RTE_RELATION || rti == excluded)
			continue;
		const GovernedRel *rel = LookupGovernedRel(rte->relid);
		if (rel == NULL || (for_masking && IsCitusTable(rte->relid)))
			continue;
		bool any = false;
		const bool *masked = MaskedColumnsFor(rel, userid, &any);
		if (any) {
			level->rels[rti] = rel;
			level->masked[rti] = masked;
		}
	}
	return level;
}

int
MaskedIndex(LevelInfo *level, int varno, AttrNumber attno) {
	if (level == NULL || varno < 1 || varno > level->nrtes || level->rels[varno] == NULL)
		return -1;
	const GovernedRel *rel = level->rels[varno];
	for (int i = 0; i < rel->ncolumns; i++)
		if (rel->columns[i].attnum == attno && level->masked[varno][i])
			return i;
	return -1;
}

namespace {

// Substitute returns the mask of rel->columns[index] placed at (varno, levelsup).
Node *
Substitute(const GovernedRel *rel, int index, int varno, int levelsup) {
	Node *expr = (Node *)copyObject(MaskExpression(rel, index));
	if (varno != 1)
		ChangeVarNodes(expr, 1, varno, 0);
	if (levelsup > 0)
		IncrementVarSublevelsUp(expr, levelsup, 0);
	return expr;
}

// WholeRow replaces a whole-row Var by CASE WHEN var IS NULL THEN NULL ELSE
// ROW(fields)::reltype END, with masked fields where masked; the guard keeps
// the null-extended rows of outer joins NULL.
Node *
WholeRow(Var *var, LevelInfo *level) {
	const GovernedRel *rel = level->rels[var->varno];
	Relation relation = relation_open(rel->relid, NoLock);
	TupleDesc desc = RelationGetDescr(relation);
	List *args = NIL;
	List *names = NIL;
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped) {
			args = lappend(args, makeNullConst(INT4OID, -1, InvalidOid));
			names = lappend(names, makeString(pstrdup("")));
			continue;
		}
		int index = MaskedIndex(level, var->varno, att->attnum);
		if (index >= 0)
			args = lappend(args, Substitute(rel, index, var->varno, var->varlevelsup));
		else
			args = lappend(args, makeVar(var->varno, att->attnum, att->atttypid, att->atttypmod,
			                             att->attcollation, var->varlevelsup));
		names = lappend(names, makeString(pstrdup(NameStr(att->attname))));
	}
	relation_close(relation, NoLock);

	RowExpr *row = makeNode(RowExpr);
	row->args = args;
	row->row_typeid = var->vartype;
	// an explicit cast, so that the row keeps the relation's type when the
	// tree is deparsed to SQL (Citus sends it to the shards as text; an
	// untyped ROW(...) would be a record there)
	row->row_format = COERCE_EXPLICIT_CAST;
	row->colnames = names;
	row->location = -1;

	NullTest *test = makeNode(NullTest);
	test->arg = (Expr *)copyObject(var);
	test->nulltesttype = IS_NULL;
	test->argisrow = false;
	test->location = -1;
	CaseWhen *when = makeNode(CaseWhen);
	when->expr = (Expr *)test;
	when->result = (Expr *)makeNullConst(var->vartype, -1, InvalidOid);
	when->location = -1;
	CaseExpr *guarded = makeNode(CaseExpr);
	guarded->casetype = var->vartype;
	guarded->casecollid = InvalidOid;
	guarded->args = list_make1(when);
	guarded->defresult = (Expr *)row;
	guarded->location = -1;
	return (Node *)guarded;
}

Node *MaskMutator(Node *node, MaskContext *context);

// MaskAs masks node as an expression that may see raw_relid raw.
Node *
MaskAs(Node *node, Oid raw_relid, MaskContext *context) {
	Oid saved = context->raw_relid;
	context->raw_relid = raw_relid;
	Node *result = MaskMutator(node, context);
	context->raw_relid = saved;
	return result;
}

// MaskSecurityQuals masks the securityQuals of query's entry rti (the
// current level): the relation's own policies may see it raw, the quals of
// views written through may not. The origin is only worked out when the
// relation has masked columns (otherwise both readings are the same).
List *
MaskSecurityQuals(Query *query, int rti, List *quals, MaskContext *context) {
	if (quals == NIL)
		return NIL;
	RangeTblEntry *rte = rt_fetch(rti, query->rtable);
	LevelInfo *level = (LevelInfo *)linitial(context->levels);
	int own = list_length(quals);
	if (rte->rtekind == RTE_RELATION && level->rels[rti] != NULL)
		own = OwnPolicyQualCount(query, rti, quals);
	List *result = NIL;
	ListCell *lc;
	foreach (lc, quals) {
		ExprOrigin origin =
		        foreach_current_index(lc) < own ? ExprOrigin::kOwnPolicy : ExprOrigin::kViewQual;
		Oid relid = rte->rtekind == RTE_RELATION ? rte->relid : InvalidOid;
		result =
		        lappend(result, MaskAs((Node *)lfirst(lc), RawRelationFor(origin, relid), context));
	}
	return result;
}

// MaskCheckOptions masks the WITH CHECK options of query (the current
// level): RLS checks are the result relation's own policies.
List *
MaskCheckOptions(Query *query, List *check_options, MaskContext *context) {
	Oid result_relid = InvalidOid;
	if (query->resultRelation > 0) {
		RangeTblEntry *target = rt_fetch(query->resultRelation, query->rtable);
		if (target->rtekind == RTE_RELATION)
			result_relid = target->relid;
	}
	List *result = NIL;
	ListCell *lc;
	foreach (lc, check_options) {
		WithCheckOption *wco = (WithCheckOption *)lfirst(lc);
		result = lappend(
		        result,
		        MaskAs((Node *)wco, RawRelationFor(CheckOptionOrigin(wco), result_relid), context));
	}
	return result;
}

// MayNeedMasking reports whether MaskMutator could change something in
// node: a Var of a masked column or a whole-row Var of a relation with
// masked columns (of any level in context, whatever raw_relid says), or a
// nested Query (its own relations may be masked). Conservative: true only
// means that the subtree is copied and rewritten.
bool
MayNeedMasking(Node *node, MaskContext *context) {
	if (node == NULL)
		return false;
	if (IsA(node, Var)) {
		Var *var = (Var *)node;
		if (var->varlevelsup >= (Index)list_length(context->levels))
			return false;
		LevelInfo *level = (LevelInfo *)list_nth(context->levels, (int)var->varlevelsup);
		if ((int)var->varno < 1 || (int)var->varno > level->nrtes ||
		    level->rels[var->varno] == NULL)
			return false;
		return var->varattno == 0 || MaskedIndex(level, (int)var->varno, var->varattno) >= 0;
	}
	if (IsA(node, Query))
		return true;
	return expression_tree_walker(node, (bool (*)())MayNeedMasking, (void *)context);
}

// MaskMutator replaces masked Vars; nested Query nodes start a new level.
// A clause of the query level, or an element of a clause's list (a target
// entry), in which nothing needs masking is returned as it is instead of
// being copied: the planner receives it as it would without pg_privacy
// (the checks stop at that depth, so deep expressions are walked at most
// twice more).
Node *
MaskMutator(Node *node, MaskContext *context) {
	if (node == NULL)
		return NULL;
	if (IsA(node, Var)) {
		Var *var = (Var *)node;
		if (var->varlevelsup < (Index)list_length(context->levels)) {
			LevelInfo *level = (LevelInfo *)list_nth(context->levels, (int)var->varlevelsup);
			if ((int)var->varno >= 1 && (int)var->varno <= level->nrtes &&
			    level->rels[var->varno] != NULL &&
			    level->rels[var->varno]->relid != context->raw_relid) {
				if (var->varattno == 0)
					return WholeRow(var, level);
				int index = MaskedIndex(level, (int)var->varno, var->varattno);
				if (index >= 0)
					return Substitute(level->rels[var->varno], index, (int)var->varno,
					                  (int)var->varlevelsup);
			}
		}
		return (Node *)copyObject(var);
	}
	if (IsA(node, Query))
		return (Node *)MaskQuery((Query *)node, context);
	// a target entry holding a bare Var (SELECT *, a column list): what
	// expression_tree_mutator would do, without its generic walks; an entry
	// whose Var is not masked is kept as it is
	if (IsA(node, TargetEntry) && ((TargetEntry *)node)->expr != NULL &&
	    IsA(((TargetEntry *)node)->expr, Var)) {
		TargetEntry *tle = (TargetEntry *)node;
		if (!MayNeedMasking((Node *)tle->expr, context))
			return node;
		TargetEntry *copy = flatCopyTargetEntry(tle);
		copy->expr = (Expr *)MaskMutator((Node *)tle->expr, context);
		return (Node *)copy;
	}
	if (context->depth < 2 && !MayNeedMasking(node, context))
		return node;
	context->depth++;
	Node *result = expression_tree_mutator(node, (Node * (*)()) MaskMutator, (void *)context);
	context->depth--;
	return result;
}

} // namespace

Query *
MaskQuery(Query *query, MaskContext *context) {
	LevelInfo *level = BuildLevel(query, context->userid, true);
	context->levels = lcons(level, context->levels);
	int saved_depth = context->depth;
	context->depth = 0;

	// Detach the expressions whose author decides what they see (and what
	// must stay raw); query_tree_mutator flat-copies each RTE, so the
	// detached lists are masked separately and attached by position.
	int nrtes = list_length(query->rtable);
	List **security_quals = (List **)palloc0(sizeof(List *) * (nrtes + 1));
	ListCell *lc;
	int rti = 0;
	foreach (lc, query->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		security_quals[++rti] = rte->securityQuals;
		rte->securityQuals = NIL;
	}
	List *check_options = query->withCheckOptions;
	query->withCheckOptions = NIL;
	List *arbiter_elems = NIL;
	Node *arbiter_where = NULL;
	List *excluded_tlist = NIL;
	if (query->onConflict != NULL) {
		arbiter_elems = query->onConflict->arbiterElems;
		arbiter_where = query->onConflict->arbiterWhere;
		excluded_tlist = query->onConflict->exclRelTlist;
		query->onConflict->arbiterElems = NIL;
		query->onConflict->arbiterWhere = NULL;
		query->onConflict->exclRelTlist = NIL;
	}

	Query *result = query_tree_mutator(query, (Node * (*)()) MaskMutator, (void *)context, 0);

	rti = 0;
	foreach (lc, result->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		rti++;
		rte->securityQuals = MaskSecurityQuals(query, rti, security_quals[rti], context);
	}
	result->withCheckOptions = MaskCheckOptions(query, check_options, context);
	rti = 0;
	foreach (lc, query->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		rte->securityQuals = security_quals[++rti];
	}
	query->withCheckOptions = check_options;
	if (query->onConflict != NULL) {
		query->onConflict->arbiterElems = arbiter_elems;
		query->onConflict->arbiterWhere = arbiter_where;
		query->onConflict->exclRelTlist = excluded_tlist;
	}
	if (result->onConflict != NULL) {
		result->onConflict->arbiterElems = arbiter_elems;
		result->onConflict->arbiterWhere = arbiter_where;
		result->onConflict->exclRelTlist = excluded_tlist;
	}

	context->depth = saved_depth;
	context->levels = list_delete_first(context->levels);
	return result;
}

bool
PolicyWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry)) {
		RangeTblEntry *rte = (RangeTblEntry *)node;
		if (rte->rtekind != RTE_RELATION)
			return false;
		const GovernedRel *rel = LookupGovernedRel(rte->relid);
		if (rel == NULL)
			return false;
		PolicyScan *scan = (PolicyScan *)context;
		scan->governed = true;
		bool any = false;
		(void)MaskedColumnsFor(rel, scan->userid, &any);
		scan->masked = any;
		return any;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *)node, (bool (*)())PolicyWalker, context,
		                         QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, (bool (*)())PolicyWalker, context);
}

} // namespace privacy::pg
