// write_taint.cpp: the masked-write check (write_taint.hpp).
#include "pg/hooks/write_taint.hpp"

#include "pg/hooks/masking_rewrite.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
}

namespace privacy::pg {

namespace {

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

} // namespace

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

} // namespace privacy::pg
