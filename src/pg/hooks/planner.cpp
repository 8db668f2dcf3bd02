// planner.cpp: dynamic column masking, applied to the rewritten query tree
// in planner_hook (notes/pg-internals.md §1).
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
// Every plan that touches a governed relation is marked dependsOnRole, so a
// cached plan is never reused by another role, whether or not the role that
// planned it was masked.
//
// A masked role's INSERT, UPDATE or MERGE may not write a value derived from
// a masked column (that would overwrite real data with masked data): such a
// statement fails with 42501 before anything is written. This static check
// gives the early, clear error; shapes it cannot see through (functions,
// triggers, rules) are stopped row by row by the write-back guard
// (fmgr/writeback_guard.cpp). Keyed masks reach the plan through their
// policy-only entry points (catalog/keyed_masks.hpp), substituted when the
// mask expression is built.
#include "pg/hooks/planner.hpp"

#include "pg/catalog/citus.hpp"
#include "pg/catalog/citus_purpose.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/guc.hpp"
#include "pg/hooks/masking_authorship.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

planner_hook_type prev_planner = NULL;

// LevelInfo holds, for one query level, the masked columns of each RTE.
struct LevelInfo {
	Query *query;
	int nrtes;
	const GovernedRel **rels; // [rti], NULL when nothing is masked
	const bool **masked;      // [rti][column index]
};

struct MaskContext {
	Oid userid;
	List *levels;  // LevelInfo *, innermost first
	Oid raw_relid; // relation the expression being masked may see raw (RawRelationFor)
};

// BuildLevel computes the masked columns of every relation RTE of query.
// With for_masking, Citus tables are left out: their rows live in shards,
// and the shard queries Citus sends are masked where they are planned (a
// shard inherits its table's policies, citus.hpp); masking here too would
// mask twice.
LevelInfo *
BuildLevel(Query *query, Oid userid, bool for_masking = false) {
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

// MaskedIndex returns the column index masked for (level, varno, attno), or -1.
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

Query *MaskQuery(Query *query, MaskContext *context);
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

// MaskMutator replaces masked Vars; nested Query nodes start a new level.
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
	return expression_tree_mutator(node, (Node * (*)()) MaskMutator, (void *)context);
}

// MaskQuery masks one query level and everything nested in it.
Query *
MaskQuery(Query *query, MaskContext *context) {
	LevelInfo *level = BuildLevel(query, context->userid, true);
	context->levels = lcons(level, context->levels);

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

	context->levels = list_delete_first(context->levels);
	return result;
}

// PolicyScan is what one walk over the statement finds.
struct PolicyScan {
	Oid userid;
	bool governed; // a governed relation is read or written
	bool masked;   // one of them has a column masked for userid
};

// PolicyWalker finds, in one walk, whether the statement touches a governed
// relation and whether a column of one is masked for the user (it stops at
// the first masked one: governed is then known too).
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

// ---- masked-write check -------------------------------------------------

struct TaintContext {
	Oid userid;
	List *levels; // LevelInfo *, innermost first
};

bool ExprTainted(Node *node, TaintContext *context);

// QueryOutputTainted reports whether output column attno (0: any) of query
// can carry a value derived from a masked column.
bool
QueryOutputTainted(Query *query, AttrNumber attno, TaintContext *context) {
	LevelInfo *level = BuildLevel(query, context->userid);
	context->levels = lcons(level, context->levels);
	bool tainted = false;
	if (query->setOperations != NULL) {
		// outputs of a set operation come from every leaf
		ListCell *lc;
		foreach (lc, query->rtable) {
			RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
			if (rte->rtekind == RTE_SUBQUERY && QueryOutputTainted(rte->subquery, attno, context))
				tainted = true;
		}
	}
	ListCell *lc;
	foreach (lc, query->targetList) {
		TargetEntry *tle = (TargetEntry *)lfirst(lc);
		if (tle->resjunk || (attno != 0 && tle->resno != attno))
			continue;
		if (ExprTainted((Node *)tle->expr, context))
			tainted = true;
	}
	if (query->returningList != NIL && query->commandType != CMD_SELECT)
		foreach (lc, query->returningList) {
			TargetEntry *tle = (TargetEntry *)lfirst(lc);
			if ((attno == 0 || tle->resno == attno) && ExprTainted((Node *)tle->expr, context))
				tainted = true;
		}
	context->levels = list_delete_first(context->levels);
	return tainted;
}

// VarTainted follows a Var to what it reads.
bool
VarTainted(Var *var, TaintContext *context) {
	if (var->varlevelsup >= (Index)list_length(context->levels))
		return false;
	LevelInfo *level = (LevelInfo *)list_nth(context->levels, (int)var->varlevelsup);
	if ((int)var->varno < 1 || (int)var->varno > level->nrtes)
		return false;
	RangeTblEntry *rte = rt_fetch(var->varno, level->query->rtable);
	switch (rte->rtekind) {
	case RTE_RELATION:
		if (level->rels[var->varno] == NULL)
			return false;
		return var->varattno == 0 || MaskedIndex(level, (int)var->varno, var->varattno) >= 0;
	case RTE_SUBQUERY: {
		// evaluate the subquery as if it were at this variable's level
		List *saved = context->levels;
		for (Index i = 0; i < var->varlevelsup; i++)
			context->levels = list_delete_first(list_copy(context->levels));
		bool tainted = QueryOutputTainted(rte->subquery, var->varattno, context);
		context->levels = saved;
		return tainted;
	}
	case RTE_JOIN: {
		if (var->varattno == 0)
			return ExprTainted((Node *)rte->joinaliasvars, context);
		if (var->varattno > list_length(rte->joinaliasvars))
			return false;
		Node *alias = (Node *)list_nth(rte->joinaliasvars, var->varattno - 1);
		if (var->varlevelsup > 0) {
			alias = (Node *)copyObject(alias);
			IncrementVarSublevelsUp(alias, (int)var->varlevelsup, 0);
		}
		return ExprTainted(alias, context);
	}
	case RTE_CTE: {
		Index cte_level = var->varlevelsup + rte->ctelevelsup;
		if (cte_level >= (Index)list_length(context->levels))
			return true;
		LevelInfo *owner = (LevelInfo *)list_nth(context->levels, (int)cte_level);
		ListCell *lc;
		foreach (lc, owner->query->cteList) {
			CommonTableExpr *cte = (CommonTableExpr *)lfirst(lc);
			if (strcmp(cte->ctename, rte->ctename) == 0) {
				List *saved = context->levels;
				for (Index i = 0; i < cte_level; i++)
					context->levels = list_delete_first(list_copy(context->levels));
				bool tainted = QueryOutputTainted((Query *)cte->ctequery, var->varattno, context);
				context->levels = saved;
				return tainted;
			}
		}
		return true;
	}
	case RTE_FUNCTION:
	case RTE_TABLEFUNC:
	case RTE_VALUES: {
		// conservative: any masked input taints every output column
		List *saved = context->levels;
		for (Index i = 0; i < var->varlevelsup; i++)
			context->levels = list_delete_first(list_copy(context->levels));
		bool tainted = false;
		if (rte->rtekind == RTE_FUNCTION)
			tainted = ExprTainted((Node *)rte->functions, context);
		else if (rte->rtekind == RTE_VALUES)
			tainted = ExprTainted((Node *)rte->values_lists, context);
		else
			tainted = ExprTainted((Node *)rte->tablefunc, context);
		context->levels = saved;
		return tainted;
	}
	default:
		return false;
	}
}

// TaintWalker stops at the first tainted node.
bool
TaintWalker(Node *node, TaintContext *context) {
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return VarTainted((Var *)node, context);
	if (IsA(node, SubLink)) {
		SubLink *sublink = (SubLink *)node;
		if (TaintWalker(sublink->testexpr, context))
			return true;
		return QueryOutputTainted((Query *)sublink->subselect, 0, context);
	}
	if (IsA(node, Query))
		return QueryOutputTainted((Query *)node, 0, context);
	return expression_tree_walker(node, (bool (*)())TaintWalker, (void *)context);
}

bool
ExprTainted(Node *node, TaintContext *context) {
	return TaintWalker(node, context);
}

// WrittenExpressions appends the values a target list writes to `written`.
// A multiple-column assignment, SET (a, b) = (SELECT ...), writes through
// PARAM_MULTIEXPR Params whose sub-select sits in a resjunk entry: that
// sub-select counts as written (all its columns; the parser keeps no
// per-column link that survives rewriting).
List *
WrittenExpressions(List *tlist, List *written) {
	ListCell *lc;
	foreach (lc, tlist) {
		TargetEntry *tle = (TargetEntry *)lfirst(lc);
		if (!tle->resjunk)
			written = lappend(written, tle->expr);
		else if (tle->expr != NULL && IsA(tle->expr, SubLink) &&
		         ((SubLink *)tle->expr)->subLinkType == MULTIEXPR_SUBLINK)
			written = lappend(written, tle->expr);
	}
	return written;
}

// RejectTaintedTargets raises 42501 if a written value of a modifying query
// can derive from a masked column.
void
RejectTaintedTargets(Query *query, TaintContext *context) {
	ListCell *lc;
	foreach (lc, query->cteList) {
		CommonTableExpr *cte = (CommonTableExpr *)lfirst(lc);
		Query *cteq = (Query *)cte->ctequery;
		if (cteq->commandType != CMD_SELECT) {
			context->levels = lcons(BuildLevel(query, context->userid), context->levels);
			RejectTaintedTargets(cteq, context);
			context->levels = list_delete_first(context->levels);
		}
	}
	if (query->commandType != CMD_INSERT && query->commandType != CMD_UPDATE &&
	    query->commandType != CMD_MERGE)
		return;

	List *written = WrittenExpressions(query->targetList, NIL);
	if (query->onConflict != NULL)
		written = WrittenExpressions(query->onConflict->onConflictSet, written);
	foreach (lc, query->mergeActionList) {
		MergeAction *action = (MergeAction *)lfirst(lc);
		written = WrittenExpressions(action->targetList, written);
	}
	if (written == NIL)
		return;

	context->levels = lcons(BuildLevel(query, context->userid), context->levels);
	foreach (lc, written) {
		if (ExprTainted((Node *)lfirst(lc), context))
			ereport(ERROR,
			        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			         errmsg("cannot write a value derived from a masked column"),
			         errdetail("The current role sees some columns of this statement masked; "
			                   "writing what it sees would replace real data with masked data."),
			         errhint("Write explicit values, or run the statement as a role exempt from "
			                 "masking.")));
	}
	context->levels = list_delete_first(context->levels);
}

// HasModification reports whether the statement writes (top level or in a
// data-modifying CTE).
bool
HasModification(Query *query) {
	if (query->commandType == CMD_INSERT || query->commandType == CMD_UPDATE ||
	    query->commandType == CMD_MERGE)
		return true;
	ListCell *lc;
	foreach (lc, query->cteList) {
		CommonTableExpr *cte = (CommonTableExpr *)lfirst(lc);
		if (((Query *)cte->ctequery)->commandType != CMD_SELECT &&
		    HasModification((Query *)cte->ctequery))
			return true;
	}
	return false;
}

// GovernedAndMask checks the statement and returns it masked for the
// current user; *governed tells whether it touches a governed relation,
// *raw whether it was left unmasked by an exemption (suspended: pg_privacy
// armed one for this statement).
Query *
GovernedAndMask(Query *parse, bool suspended, bool *governed, bool *raw) {
	*governed = false;
	*raw = false;
	if (IsBinaryUpgrade || !AnyColumnPolicy())
		return parse;
	// one walk decides both (an exempt user's statement is left untouched,
	// but still role-dependent)
	PolicyScan scan = {GetUserId(), false, false};
	(void)PolicyWalker((Node *)parse, &scan);
	*governed = scan.governed;
	if (!scan.masked || !guc_masking)
		return parse;
	MaskContext context = {scan.userid, NIL, InvalidOid};
	if (suspended) {
		*raw = true;
		return parse;
	}
	if (IsForeignKeyQuery(parse)) {
		// exempt only where it matters (masked key columns): other foreign
		// keys of governed tables keep their plans cached as usual
		Query *masked = MaskQuery((Query *)copyObject(parse), &context);
		*raw = !equal(masked, parse);
		return parse;
	}
	if (HasModification(parse)) {
		TaintContext taint = {context.userid, NIL};
		RejectTaintedTargets(parse, &taint);
	}
	return MaskQuery(parse, &context);
}

// ---- Citus 13.2.2 crash guard ------------------------------------------

struct CrashPattern {
	bool local_rls; // a non-Citus relation carrying row-security quals
	bool distributed;
};

// CrashPatternWalker looks for both halves of the pattern below.
bool
CrashPatternWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry)) {
		RangeTblEntry *rte = (RangeTblEntry *)node;
		CrashPattern *found = (CrashPattern *)context;
		if (rte->rtekind == RTE_RELATION) {
			if (IsDistributedTable(rte->relid))
				found->distributed = true;
			else if (rte->securityQuals != NIL && !IsCitusTable(rte->relid) &&
			         !OidIsValid(CitusTableOf(rte->relid)))
				found->local_rls = true;
		}
		return found->local_rls && found->distributed;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *)node, (bool (*)())CrashPatternWalker, context,
		                         QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, (bool (*)())CrashPatternWalker, context);
}

// RejectCitusCrashPattern raises before Citus plans a statement that joins
// a local table under row security with a distributed table: Citus 13.2.2
// crashes the backend planning it (in its recursive planning, for roles
// subject to row security; reproduced without pg_privacy loaded), and
// pg_privacy's consent-gated and masked local tables make it reachable
// (doc/scale-out.md).
void
RejectCitusCrashPattern(Query *parse) {
	if (IsBinaryUpgrade || superuser() || !CitusInstalled())
		return;
	CrashPattern found = {false, false};
	if (!CrashPatternWalker((Node *)parse, &found))
		return;
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
	                errmsg("cannot join a table under row security with a distributed table"),
	                errdetail("Citus 13.2.2 crashes planning this statement for roles subject to "
	                          "row security."),
	                errhint("Query the tables separately, make the local table a Citus reference "
	                        "table, or see doc/scale-out.md.")));
}

// ---- Citus local fast path ------------------------------------------------

// GovernedCitusWalker finds a Citus table that pg_privacy governs here
// (masks, exemptions, row security it turned on, row policies).
bool
GovernedCitusWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry)) {
		RangeTblEntry *rte = (RangeTblEntry *)node;
		return rte->rtekind == RTE_RELATION && IsCitusTable(rte->relid) &&
		       (CatalogMentionsRelation(rte->relid) || RowPolicyMentionsRelation(rte->relid));
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *)node, (bool (*)())GovernedCitusWalker, context,
		                         QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, (bool (*)())GovernedCitusWalker, context);
}

// AvoidCitusLocalFastPath returns a GUC nest level (or -1) after turning
// Citus's local fast path off while a statement on a governed Citus table is
// planned. With it, Citus plans a router query on a shard of this node from
// the shell's tree with the shard swapped in, neither rewritten (row
// security) nor planned through this hook again (masks): the shard's
// policies would not apply. Without it, Citus deparses the shard query and
// plans it locally like a remote node would.
int
AvoidCitusLocalFastPath(Query *parse) {
	if (IsBinaryUpgrade || !CitusInstalled() || !GovernedCitusWalker((Node *)parse, NULL))
		return -1;
	int nest_level = NewGUCNestLevel();
	(void)set_config_option("citus.enable_local_fast_path_query_optimization", "off", PGC_USERSET,
	                        PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nest_level;
}

// PrivacyPlanner is the planner_hook body (C-style: no C++ objects).
PlannedStmt *
PrivacyPlanner(Query *parse, const char *query_string, int cursor_options,
               ParamListInfo bound_params) {
	volatile bool governed = false;
	volatile bool raw = false;
	PlannedStmt *volatile result = NULL;
	// consumed before anything can plan a nested statement
	bool suspended = ConsumeMaskingSuspension();

	RejectCitusCrashPattern(parse);
	bool carried = CarryCitusPurpose(parse);
	PinColumnPolicyCache();
	volatile int citus_nest_level = -1;
	PG_TRY();
	{
		bool touched = false;
		bool exempt = false;
		Query *masked = GovernedAndMask(parse, suspended, &touched, &exempt);
		governed = touched;
		raw = exempt;
		citus_nest_level = AvoidCitusLocalFastPath(parse);
		if (prev_planner != NULL)
			result = prev_planner(masked, query_string, cursor_options, bound_params);
		else
			result = standard_planner(masked, query_string, cursor_options, bound_params);
	}
	PG_FINALLY();
	{ UnpinColumnPolicyCache(); }
	PG_END_TRY();
	if (citus_nest_level >= 0)
		AtEOXact_GUC(true, citus_nest_level);

	if (carried)
		DependOnCitusState(result);
	if (governed)
		result->dependsOnRole = true;
	// a plan made under an exemption is never reused in a later transaction
	if (raw)
		result->transientPlan = true;
	return result;
}

} // namespace

void
InstallPlannerHook() {
	prev_planner = planner_hook;
	planner_hook = PrivacyPlanner;
	InstallMaskingAuthorship();
}

PlannedStmt *
PlanUnmasked(Query *query, const char *query_string, ParamListInfo params) {
	PlannedStmt *volatile result = NULL;
	// the suspension is consumed by this planner call alone (and its plan is
	// transient): statements planned while it runs, or later by the
	// execution (triggers, functions), are masked for the role running them
	SuspendMasking();
	PG_TRY();
	{ result = pg_plan_query(query, query_string, 0, params); }
	PG_FINALLY();
	{ ResumeMasking(); }
	PG_END_TRY();
	return result;
}

} // namespace privacy::pg
