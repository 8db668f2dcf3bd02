// planner.cpp: the planner hook. It masks the statement for the current
// user (masking_rewrite.hpp), first rejecting a masked role's write of a
// value derived from a masked column (write_taint.hpp), marks every plan
// that touches a governed relation dependsOnRole (a cached plan is never
// reused by another role, whether or not the role that planned it was
// masked), and guards two Citus behaviours (below).
#include "pg/hooks/planner.hpp"

#include "pg/catalog/citus.hpp"
#include "pg/catalog/citus_purpose.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/guc.hpp"
#include "pg/hooks/masking_authorship.hpp"
#include "pg/hooks/masking_output.hpp"
#include "pg/hooks/masking_rewrite.hpp"
#include "pg/hooks/write_taint.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
}

namespace privacy::pg {

namespace {

planner_hook_type prev_planner = NULL;

// the role the next planner call masks for instead of the current user
// (PlanMaskedFor); consumed by that call
Oid masking_reader = InvalidOid;

// GovernedAndMask checks the statement and returns it masked for the
// current user (for reader instead when it is valid: PlanMaskedFor);
// *governed tells whether it touches a governed relation,
// *raw whether it was left unmasked by an exemption (suspended: pg_privacy
// armed one for this statement).
//
// *output is set instead of masking when the statement can be masked at its
// output (masking_output.hpp): not for another reader (PlanMaskedFor; the
// output node masks for the user running it).
Query *
GovernedAndMask(Query *parse, bool suspended, Oid reader, int cursor_options, bool *governed,
                bool *raw, OutputMasks **output) {
	*governed = false;
	*raw = false;
	*output = NULL;
	if (IsBinaryUpgrade || !AnyColumnPolicy())
		return parse;
	// one walk decides both (an exempt user's statement is left untouched,
	// but still role-dependent)
	PolicyScan scan = {OidIsValid(reader) ? reader : GetUserId(), false, false};
	(void)PolicyWalker((Node *)parse, &scan);
	*governed = scan.governed;
	if (!scan.masked || !guc_masking)
		return parse;
	MaskContext context = {scan.userid, NIL, InvalidOid, 0};
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
	if (!OidIsValid(reader) && guc_output_masking) {
		*output = PlanOutputMasks(parse, context.userid, cursor_options);
		if (*output != NULL)
			return parse;
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
	OutputMasks *volatile output = NULL;
	PlannedStmt *volatile result = NULL;
	// consumed before anything can plan a nested statement
	bool suspended = ConsumeMaskingSuspension();
	Oid reader = masking_reader;
	masking_reader = InvalidOid;

	RejectCitusCrashPattern(parse);
	bool carried = CarryCitusPurpose(parse);
	PinColumnPolicyCache();
	volatile int citus_nest_level = -1;
	PG_TRY();
	{
		bool touched = false;
		bool exempt = false;
		OutputMasks *at_output = NULL;
		Query *masked = GovernedAndMask(parse, suspended, reader, cursor_options, &touched, &exempt,
		                                &at_output);
		governed = touched;
		raw = exempt;
		output = at_output;
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

	if (output != NULL)
		WrapOutputMasks(result, output);
	if (carried)
		DependOnCitusState(result);
	if (governed)
		result->dependsOnRole = true;
	// a plan made under an exemption, or masked for another role than the
	// one running it, is never reused in a later transaction
	if (raw || OidIsValid(reader))
		result->transientPlan = true;
	return result;
}

} // namespace

void
InstallPlannerHook() {
	prev_planner = planner_hook;
	planner_hook = PrivacyPlanner;
	InstallMaskingAuthorship();
	InstallOutputMasking();
}

PlannedStmt *
PlanMaskedFor(Query *query, const char *query_string, ParamListInfo params, Oid reader) {
	PlannedStmt *volatile result = NULL;
	// like the suspension, the reader is consumed by this planner call alone
	masking_reader = reader;
	PG_TRY();
	{ result = pg_plan_query(query, query_string, 0, params); }
	PG_FINALLY();
	{ masking_reader = InvalidOid; }
	PG_END_TRY();
	return result;
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
