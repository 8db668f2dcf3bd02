// masking_authorship.cpp: the authorship rule of masking (see the header for
// the rule itself). This file decides, for the planner hook, which parts of a
// rewritten statement were written by whom:
//
// - Row-security quals (RangeTblEntry.securityQuals) have two sources in
//   PostgreSQL 15: get_row_security_policies (fireRIRrules, the relation's
//   own policies, pg_privacy's filters included) and rewriteTargetView (the
//   WHERE of a security_barrier view a statement updates or deletes
//   through). fireRIRrules runs after rewriteTargetView and puts the policy
//   quals in FRONT of the view quals (list_concat(policies, existing)), so
//   the first n entries are the policies. n is computed twice,
//   independently: by re-deriving the policies exactly as fireRIRrules did
//   (same statement, same entry, same role and settings) and by counting the
//   security_barrier views with a WHERE along the chain of target views.
//   When the two disagree the statement is refused: guessing either way
//   would show a view's qual raw values or weaken the table's own policy.
// - WITH CHECK options carry their kind: WCO_RLS_* come from the result
//   relation's own policies; WCO_VIEW_CHECK, WCO_VIEW_CONFLICT_CHECK and any
//   kind this build does not know are view-origin.
// - A foreign key's own query (ri_triggers.c) is recognised by where it is
//   planned (PostgreSQL's referential-integrity context), by who runs it (the
//   owner of its only relation, as ri_PerformCheck arranges) and by its exact
//   shape. Only that statement is exempt; what it fires (triggers on the
//   referencing table, functions) is planned by separate planner calls, runs
//   as the role that caused the cascade, and is masked like anything else.
// - pg_privacy's own raw work (static anonymization) arms an explicit,
//   one-statement suspension; it is consumed by the first planner call.
//
// Never: infer an exemption from the security-context bits alone, or let an
// exemption outlive the one statement it was made for.
#include "pg/hooks/masking_authorship.hpp"

#include "pg/hooks/planner.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rowsecurity.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// Set by SuspendMasking, cleared by the first planner call, ResumeMasking or
// an abort.
bool suspension_armed = false;

// ViewBase returns the relation a simple (auto-updatable) view selects from,
// or InvalidOid.
Oid
ViewBase(Relation view) {
	Query *viewquery = get_view_query(view);
	if (viewquery->jointree == NULL || list_length(viewquery->jointree->fromlist) != 1)
		return InvalidOid;
	Node *item = (Node *)linitial(viewquery->jointree->fromlist);
	if (!IsA(item, RangeTblRef))
		return InvalidOid;
	RangeTblEntry *base = rt_fetch(((RangeTblRef *)item)->rtindex, viewquery->rtable);
	return base->rtekind == RTE_RELATION ? base->relid : InvalidOid;
}

// ViewQualCount counts the quals rewriteTargetView moved onto the result
// relation rti: one per security_barrier view with a WHERE along the chain
// of target views ending at it (UPDATE/DELETE only; an INSERT ignores view
// quals). Target views stay in the range table as unreferenced relation
// entries of relkind 'v'.
int
ViewQualCount(Query *query, int rti) {
	if (query->commandType == CMD_INSERT)
		return 0;
	int nrtes = list_length(query->rtable);
	Oid *view_relid = (Oid *)palloc0(sizeof(Oid) * (nrtes + 1));
	Oid *base_relid = (Oid *)palloc0(sizeof(Oid) * (nrtes + 1));
	bool *qual_moved = (bool *)palloc0(sizeof(bool) * (nrtes + 1));
	int nviews = 0;
	ListCell *lc;
	int index = 0;
	foreach (lc, query->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		index++;
		if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_VIEW)
			continue;
		Relation view = relation_open(rte->relid, AccessShareLock);
		view_relid[nviews] = rte->relid;
		base_relid[nviews] = ViewBase(view);
		Query *viewquery = get_view_query(view);
		qual_moved[nviews] = RelationIsSecurityView(view) && viewquery->jointree != NULL &&
		                     viewquery->jointree->quals != NULL;
		relation_close(view, AccessShareLock);
		nviews++;
	}
	int count = 0;
	Oid target = rt_fetch(rti, query->rtable)->relid;
	bool *used = (bool *)palloc0(sizeof(bool) * (nviews + 1));
	for (bool progress = true; progress;) {
		progress = false;
		for (int i = 0; i < nviews; i++) {
			if (used[i] || base_relid[i] != target)
				continue;
			used[i] = true;
			if (qual_moved[i])
				count++;
			target = view_relid[i];
			progress = true;
			break;
		}
	}
	return count;
}

// StripKeyCoercions removes what ri_GenerateQual may wrap around a key
// operand: binary-compatible relabelling, explicit casts, a COLLATE clause.
Node *
StripKeyCoercions(Node *node) {
	for (;;) {
		if (node == NULL)
			return NULL;
		if (IsA(node, RelabelType))
			node = (Node *)((RelabelType *)node)->arg;
		else if (IsA(node, CollateExpr))
			node = (Node *)((CollateExpr *)node)->arg;
		else if (IsA(node, CoerceViaIO))
			node = (Node *)((CoerceViaIO *)node)->arg;
		else if (IsA(node, FuncExpr) &&
		         (((FuncExpr *)node)->funcformat == COERCE_EXPLICIT_CAST ||
		          ((FuncExpr *)node)->funcformat == COERCE_IMPLICIT_CAST) &&
		         list_length(((FuncExpr *)node)->args) >= 1)
			node = (Node *)linitial(((FuncExpr *)node)->args);
		else
			return node;
	}
}

bool
IsKeyVar(Node *node) {
	node = StripKeyCoercions(node);
	return node != NULL && IsA(node, Var) && ((Var *)node)->varno == 1 &&
	       ((Var *)node)->varlevelsup == 0 && ((Var *)node)->varattno > 0;
}

bool
IsKeyParam(Node *node) {
	node = StripKeyCoercions(node);
	return node != NULL && IsA(node, Param) && ((Param *)node)->paramkind == PARAM_EXTERN;
}

// IsKeyComparison: "key = $n" or "$n = key" (any operator: the constraint's).
bool
IsKeyComparison(Node *node) {
	if (node == NULL || !IsA(node, OpExpr) || list_length(((OpExpr *)node)->args) != 2)
		return false;
	Node *left = (Node *)linitial(((OpExpr *)node)->args);
	Node *right = (Node *)lsecond(((OpExpr *)node)->args);
	return (IsKeyVar(left) && IsKeyParam(right)) || (IsKeyParam(left) && IsKeyVar(right));
}

// KeyQuals: a key comparison or an AND of key comparisons, nothing else.
bool
KeyQuals(Node *quals) {
	if (quals == NULL)
		return false;
	if (IsA(quals, BoolExpr) && ((BoolExpr *)quals)->boolop == AND_EXPR) {
		ListCell *lc;
		foreach (lc, ((BoolExpr *)quals)->args)
			if (!IsKeyComparison((Node *)lfirst(lc)))
				return false;
		return true;
	}
	return IsKeyComparison(quals);
}

Oid
RelationOwner(Oid relid) {
	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	Oid owner = ((Form_pg_class)GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

void
DisarmOnAbort(XactEvent event, void *arg) {
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) {
		suspension_armed = false;
	}
}

} // namespace

Oid
RawRelationFor(ExprOrigin origin, Oid relid) {
	return origin == ExprOrigin::kOwnPolicy ? relid : InvalidOid;
}

ExprOrigin
CheckOptionOrigin(const WithCheckOption *wco) {
	switch (wco->kind) {
	case WCO_RLS_INSERT_CHECK:
	case WCO_RLS_UPDATE_CHECK:
	case WCO_RLS_CONFLICT_CHECK:
	case WCO_RLS_MERGE_UPDATE_CHECK:
	case WCO_RLS_MERGE_DELETE_CHECK:
		return ExprOrigin::kOwnPolicy;
	default:
		return ExprOrigin::kViewCheck;
	}
}

int
OwnPolicyQualCount(Query *query, int rti, List *quals) {
	int total = list_length(quals);
	if (rti != query->resultRelation)
		return total;
	bool through_view = false;
	ListCell *lc;
	foreach (lc, query->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_VIEW)
			through_view = true;
	}
	// without a target view nothing but the relation's policies adds quals
	if (!through_view)
		return total;

	int view_quals = ViewQualCount(query, rti);
	RangeTblEntry *rte = rt_fetch(rti, query->rtable);
	List *policy_quals = NIL;
	List *policy_checks = NIL;
	bool has_row_security = false;
	bool has_sublinks = false;
	get_row_security_policies(query, rte, rti, &policy_quals, &policy_checks, &has_row_security,
	                          &has_sublinks);
	int own = list_length(policy_quals);
	if (own + view_quals != total)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("cannot tell the row-security policies of \"%s\" from the quals of the "
		                "views written through",
		                get_rel_name(rte->relid)),
		         errdetail("Masking lets a table's own policies see raw values, and no view qual."),
		         errhint("Write to the table directly, or retry the statement.")));
	return own;
}

bool
IsForeignKeyQuery(Query *parse) {
	// PostgreSQL's referential-integrity context: ri_PlanCheck/ri_PerformCheck
	// set it around the foreign key's own query (and, unavoidably, around
	// anything that query fires; the shape and owner tests below exclude that)
	if (!InNoForceRLSOperation())
		return false;
	if (parse->commandType != CMD_SELECT && parse->commandType != CMD_DELETE &&
	    parse->commandType != CMD_UPDATE)
		return false;
	if (list_length(parse->rtable) != 1 || parse->cteList != NIL || parse->setOperations != NULL ||
	    parse->hasSubLinks || parse->hasAggs || parse->hasWindowFuncs || parse->hasTargetSRFs ||
	    parse->hasRecursive || parse->hasModifyingCTE || parse->groupClause != NIL ||
	    parse->groupingSets != NIL || parse->havingQual != NULL || parse->sortClause != NIL ||
	    parse->distinctClause != NIL || parse->limitCount != NULL || parse->limitOffset != NULL ||
	    parse->returningList != NIL || parse->onConflict != NULL ||
	    parse->withCheckOptions != NIL || parse->mergeActionList != NIL ||
	    parse->windowClause != NIL || parse->utilityStmt != NULL)
		return false;
	RangeTblEntry *rte = (RangeTblEntry *)linitial(parse->rtable);
	// ONLY, except for a partitioned table (its partitions hold the rows)
	if (rte->rtekind != RTE_RELATION || (rte->inh && rte->relkind != RELKIND_PARTITIONED_TABLE) ||
	    rte->securityQuals != NIL || rte->tablesample != NULL)
		return false;
	if (parse->jointree == NULL || list_length(parse->jointree->fromlist) != 1 ||
	    !IsA(linitial(parse->jointree->fromlist), RangeTblRef) ||
	    ((RangeTblRef *)linitial(parse->jointree->fromlist))->rtindex != 1 ||
	    !KeyQuals(parse->jointree->quals))
		return false;

	ListCell *lc;
	switch (parse->commandType) {
	case CMD_SELECT: {
		// SELECT 1 FROM ONLY rel x WHERE keys FOR KEY SHARE OF x
		if (list_length(parse->targetList) != 1 || list_length(parse->rowMarks) != 1)
			return false;
		TargetEntry *tle = (TargetEntry *)linitial(parse->targetList);
		RowMarkClause *mark = (RowMarkClause *)linitial(parse->rowMarks);
		if (!IsA(tle->expr, Const) || mark->rti != 1 || mark->strength != LCS_FORKEYSHARE)
			return false;
		break;
	}
	case CMD_DELETE:
		// DELETE FROM ONLY rel WHERE keys
		if (parse->resultRelation != 1 || parse->targetList != NIL || parse->rowMarks != NIL)
			return false;
		break;
	case CMD_UPDATE:
		// UPDATE ONLY rel SET keys = $n | NULL | DEFAULT WHERE keys
		if (parse->resultRelation != 1 || parse->rowMarks != NIL)
			return false;
		foreach (lc, parse->targetList) {
			TargetEntry *tle = (TargetEntry *)lfirst(lc);
			if (tle->resjunk || contain_var_clause((Node *)tle->expr))
				return false;
		}
		break;
	default:
		return false;
	}
	// ri_PerformCheck runs the query as the owner of its relation; code the
	// query fires runs as the role that caused the cascade
	return GetUserId() == RelationOwner(rte->relid);
}

bool
ConsumeMaskingSuspension() {
	if (!suspension_armed)
		return false;
	suspension_armed = false;
	return true;
}

void
InstallMaskingAuthorship() {
	RegisterXactCallback(DisarmOnAbort, NULL);
}

void
SuspendMasking() {
	suspension_armed = true;
}

void
ResumeMasking() {
	suspension_armed = false;
}

} // namespace privacy::pg
