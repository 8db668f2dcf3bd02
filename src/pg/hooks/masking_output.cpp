// masking_output.cpp: masks evaluated at a statement's output (see the
// header for when and why).
//
// Plan shape: Custom Scan (PrivacyOutputMasks) -> the statement's own plan.
// The node's scan tuple has the child's columns; its custom_scan_tlist shows
// each masked column as its mask (EXPLAIN VERBOSE prints it) and the others
// as the columns they are. Execution: each child row is copied, then every
// masked column's value is replaced by its compiled mask's result (NULL in,
// NULL out, like the substituted mask).
#include "pg/hooks/masking_output.hpp"

#include "pg/catalog/citus_purpose.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/hooks/masking_rewrite.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/ruleutils.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

struct OutputMasks {
	int noutputs;
	// the statement's target list before planning: what EXPLAIN shows of
	// each output (the planner builds its own list and leaves this one be)
	List *display;
	List *masked; // (output index, relation, column) triples, ints
};

namespace {

const char *kNodeName = "PrivacyOutputMasks";

// ---- compiled masks ------------------------------------------------------

// one compiled form per masked column (not per role: a backend serving
// many roles through SET ROLE keeps one per column); the EXECUTE checks are
// made again whenever another role acquires it
struct CompiledKey {
	Oid relid;
	int32 attnum;
};

struct CompiledMask {
	CompiledKey key;
	MemoryContext context; // holds everything below
	ExprState *state;      // the mask, its Var reading attribute attnum of slot
	TupleTableSlot *slot;  // attnum attributes; only the last is ever set
	uint64 generation;
	Oid *functions; // what ExecInitExpr checked EXECUTE on
	int nfunctions;
	Oid checked_user; // the role the EXECUTE checks were last made for
	bool busy;        // held by an executor
	bool cached;      // kept in the table (else private to one executor)
	bool reusable;    // its planned form passed FormWalker
};

struct CompiledEntry {
	CompiledKey key;
	CompiledMask *mask;
};

HTAB *compiled = NULL;

HTAB *
CompiledTable() {
	if (compiled == NULL) {
		HASHCTL ctl;
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(CompiledKey);
		ctl.entrysize = sizeof(CompiledEntry);
		ctl.hcxt = CacheMemoryContext;
		compiled = hash_create("pg_privacy compiled masks", 64, &ctl,
		                       HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	return compiled;
}

// ReusableFunction: built-in (internal language) or one of pg_privacy's own
// C functions, whose per-call-site state stays valid across statements.
bool
ReusableFunction(Oid funcid) {
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return false;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	bool ok = false;
	if (proc->proretset)
		ok = false;
	else if (proc->prolang == INTERNALlanguageId)
		ok = true;
	else if (proc->prolang == ClanguageId) {
		bool isnull;
		Datum bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
		if (!isnull) {
			char *path = TextDatumGetCString(bin);
			ok = strcmp(path, "$libdir/pg_privacy") == 0;
			pfree(path);
		}
	}
	ReleaseSysCache(tup);
	return ok;
}

struct FormCheck {
	AttrNumber attnum;
	bool ok;
};

// FormWalker accepts the node kinds a compiled mask may hold.
bool
FormWalker(Node *node, void *context) {
	FormCheck *check = (FormCheck *)context;
	if (node == NULL)
		return false;
	switch (nodeTag(node)) {
	case T_Var: {
		Var *var = (Var *)node;
		if (var->varno != 1 || var->varlevelsup != 0 || var->varattno != check->attnum)
			check->ok = false;
		return !check->ok;
	}
	case T_FuncExpr:
		if (!ReusableFunction(((FuncExpr *)node)->funcid)) {
			check->ok = false;
			return true;
		}
		break;
	case T_OpExpr: {
		OpExpr *op = (OpExpr *)node;
		if (!ReusableFunction(OidIsValid(op->opfuncid) ? op->opfuncid : get_opcode(op->opno))) {
			check->ok = false;
			return true;
		}
		break;
	}
	case T_Const:
	case T_RelabelType:
	case T_CaseExpr:
	case T_CaseWhen:
	case T_CaseTestExpr:
	case T_NullTest:
	case T_BoolExpr:
	case T_CoalesceExpr:
	case T_List:
		break;
	default:
		check->ok = false;
		return true;
	}
	return expression_tree_walker(node, (bool (*)())FormWalker, context);
}

// HasOutputForm reports (once per cached mask) whether rel->columns[index]
// can be compiled and kept.
bool
HasOutputForm(const GovernedRel *rel, int index) {
	MaskedColumn *col = &rel->columns[index];
	if (col->output_form == 0) {
		FormCheck check = {col->attnum, col->attnum > 0};
		(void)FormWalker(MaskExpression(rel, index), &check);
		col->output_form = check.ok ? 'y' : 'n';
	}
	return col->output_form == 'y';
}

// FunctionWalker collects the functions of a compiled form.
bool
FunctionWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	CompiledMask *mask = (CompiledMask *)context;
	Oid funcid = InvalidOid;
	if (IsA(node, FuncExpr))
		funcid = ((FuncExpr *)node)->funcid;
	else if (IsA(node, OpExpr))
		funcid = ((OpExpr *)node)->opfuncid;
	if (OidIsValid(funcid)) {
		mask->functions = (Oid *)repalloc(mask->functions, sizeof(Oid) * (mask->nfunctions + 1));
		mask->functions[mask->nfunctions++] = funcid;
	}
	return expression_tree_walker(node, (bool (*)())FunctionWalker, context);
}

// CheckExecute makes the EXECUTE checks ExecInitExpr made, for userid.
void
CheckExecute(CompiledMask *mask, Oid userid) {
	for (int i = 0; i < mask->nfunctions; i++) {
		AclResult result = pg_proc_aclcheck(mask->functions[i], userid, ACL_EXECUTE);
		if (result != ACLCHECK_OK)
			aclcheck_error(result, OBJECT_FUNCTION, get_func_name(mask->functions[i]));
		InvokeFunctionExecuteHook(mask->functions[i]);
	}
	mask->checked_user = userid;
}

// Compile builds rel->columns[index]'s mask for the current user in a new
// context under the current one (an error frees it with the caller's).
CompiledMask *
Compile(const GovernedRel *rel, int index, const CompiledKey *key, uint64 generation) {
	const MaskedColumn *col = &rel->columns[index];
	MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "pg_privacy output mask",
	                                              ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(context);
	CompiledMask *mask = (CompiledMask *)palloc0(sizeof(CompiledMask));
	mask->key = *key;
	mask->context = context;
	mask->generation = generation;
	// as the planner would: default arguments inserted, constants folded
	Expr *expr = expression_planner((Expr *)copyObject(MaskExpression(rel, index)));
	FormCheck check = {col->attnum, true};
	(void)FormWalker((Node *)expr, &check);
	mask->reusable = check.ok;
	// the value replaces the column's in the row (masks are coerced to the
	// column's type when declared; fail closed if one is not)
	if (exprType((Node *)expr) != col->atttype)
		elog(ERROR, "pg_privacy: mask of a different type than its column");
	// ExecInitExpr checks EXECUTE on every function for GetUserId(), the
	// key's user, as the substituted mask's executor startup would
	mask->state = ExecInitExpr(expr, NULL);
	mask->checked_user = GetUserId();
	mask->functions = (Oid *)palloc(sizeof(Oid));
	(void)FunctionWalker((Node *)expr, mask);
	TupleDesc desc = CreateTemplateTupleDesc(col->attnum);
	for (AttrNumber a = 1; a <= col->attnum; a++) {
		if (a == col->attnum) {
			TupleDescInitEntry(desc, a, NULL, col->atttype, col->atttypmod, 0);
			TupleDescInitEntryCollation(desc, a, col->attcollation);
		} else
			TupleDescInitEntry(desc, a, NULL, INT4OID, -1, 0);
	}
	mask->slot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	for (AttrNumber a = 0; a < col->attnum; a++) {
		mask->slot->tts_values[a] = (Datum)0;
		mask->slot->tts_isnull[a] = true;
	}
	MemoryContextSwitchTo(old);
	return mask;
}

// Acquire returns a compiled mask held by the caller until Release.
CompiledMask *
Acquire(const GovernedRel *rel, int index, Oid userid) {
	CompiledKey key;
	memset(&key, 0, sizeof(key));
	key.relid = rel->relid;
	key.attnum = rel->columns[index].attnum;
	uint64 generation = MaskGeneration();
	bool found;
	CompiledEntry *entry = (CompiledEntry *)hash_search(CompiledTable(), &key, HASH_ENTER, &found);
	if (!found)
		entry->mask = NULL;
	CompiledMask *mask = entry->mask;
	if (mask != NULL && !mask->busy) {
		if (mask->generation == generation) {
			if (mask->checked_user != userid)
				CheckExecute(mask, userid);
			mask->busy = true;
			return mask;
		}
		entry->mask = NULL;
		MemoryContextDelete(mask->context);
	}
	bool reusable = HasOutputForm(rel, index);
	mask = Compile(rel, index, &key, generation);
	// the table is looked up again: compiling read catalogs
	entry = (CompiledEntry *)hash_search(CompiledTable(), &key, HASH_ENTER, &found);
	if (!found)
		entry->mask = NULL;
	if (reusable && mask->reusable && entry->mask == NULL) {
		MemoryContextSetParent(mask->context, CacheMemoryContext);
		mask->cached = true;
		entry->mask = mask;
	}
	mask->busy = true;
	return mask;
}

// Release gives a compiled mask back; a stale one is freed.
void
Release(CompiledMask *mask) {
	if (!mask->cached)
		return; // freed with the executor's memory
	mask->busy = false;
	if (mask->generation == MaskGeneration())
		return;
	CompiledEntry *entry =
	        (CompiledEntry *)hash_search(CompiledTable(), &mask->key, HASH_FIND, NULL);
	if (entry != NULL && entry->mask == mask)
		entry->mask = NULL;
	MemoryContextDelete(mask->context);
}

// ---- the plan node -----------------------------------------------------

struct OutputMaskState {
	CustomScanState css;
	PlanState *child;
	int nmasks;
	int *column;          // [k]: output column (0-based) of mask k
	CompiledMask **masks; // [k]
	bool held;
};

Node *CreateState(CustomScan *plan);
void Begin(CustomScanState *node, EState *estate, int eflags);
TupleTableSlot *Exec(CustomScanState *node);
void End(CustomScanState *node);
void ReScan(CustomScanState *node);
void Explain(CustomScanState *node, List *ancestors, ExplainState *es);

CustomScanMethods plan_methods = {kNodeName, CreateState};
CustomExecMethods exec_methods = {kNodeName, Begin, Exec, End,  ReScan, NULL,   NULL,
                                  NULL,      NULL,  NULL, NULL, NULL,   Explain};

// statements planned while EXPLAIN runs are masked by substitution, so that
// EXPLAIN shows the masks in the plan it prints (BeginExplain)
int explain_depth = 0;

Node *
CreateState(CustomScan *plan) {
	OutputMaskState *state = (OutputMaskState *)newNode(sizeof(OutputMaskState), T_CustomScanState);
	state->css.methods = &exec_methods;
	return (Node *)state;
}

void
ReleaseAll(OutputMaskState *state) {
	if (!state->held)
		return;
	state->held = false;
	for (int k = 0; k < state->nmasks; k++)
		if (state->masks[k] != NULL)
			Release(state->masks[k]);
}

// ReleaseOnReset releases the masks when the executor's memory goes (an
// error skips End).
void
ReleaseOnReset(void *arg) {
	ReleaseAll((OutputMaskState *)arg);
}

void
Begin(CustomScanState *node, EState *estate, int eflags) {
	OutputMaskState *state = (OutputMaskState *)node;
	CustomScan *plan = (CustomScan *)node->ss.ps.plan;
	state->child = ExecInitNode((Plan *)linitial(plan->custom_plans), estate, eflags);
	node->custom_ps = list_make1(state->child);

	List *triples = plan->custom_private;
	int n = list_length(triples) / 3;
	state->column = (int *)palloc(sizeof(int) * (n + 1));
	state->masks = (CompiledMask **)palloc0(sizeof(CompiledMask *) * (n + 1));
	state->nmasks = 0;
	state->held = true;
	MemoryContextCallback *callback =
	        (MemoryContextCallback *)palloc0(sizeof(MemoryContextCallback));
	callback->func = ReleaseOnReset;
	callback->arg = state;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, callback);

	Oid userid = GetUserId();
	PinColumnPolicyCache();
	PG_TRY();
	{
		const GovernedRel *rel = NULL;
		const bool *masked = NULL;
		for (int t = 0; t < n; t++) {
			int column = list_nth_int(triples, 3 * t);
			Oid relid = (Oid)list_nth_int(triples, 3 * t + 1);
			AttrNumber attnum = (AttrNumber)list_nth_int(triples, 3 * t + 2);
			if (rel == NULL || rel->relid != relid) {
				rel = LookupGovernedRel(relid);
				bool any = false;
				masked = rel != NULL ? MaskedColumnsFor(rel, userid, &any) : NULL;
			}
			if (rel == NULL)
				continue; // no longer governed: what a new plan would return
			int index = -1;
			for (int c = 0; c < rel->ncolumns; c++)
				if (rel->columns[c].attnum == attnum)
					index = c;
			// decided for the user running the plan (a cached plan is
			// only reused by the role it was made for)
			if (index < 0 || !masked[index])
				continue;
			// a mask reading another column than its own cannot be
			// evaluated here: the plan was made before the policy changed
			// and no invalidation reached it (fail closed)
			if (!HasOutputForm(rel, index))
				ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				                errmsg("masking policies changed after the statement was planned"),
				                errhint("Run the statement again.")));
			state->column[state->nmasks] = column;
			state->masks[state->nmasks] = Acquire(rel, index, userid);
			state->nmasks++;
		}
	}
	PG_FINALLY();
	{ UnpinColumnPolicyCache(); }
	PG_END_TRY();
}

TupleTableSlot *
Exec(CustomScanState *node) {
	OutputMaskState *state = (OutputMaskState *)node;
	TupleTableSlot *out = node->ss.ss_ScanTupleSlot;
	TupleTableSlot *in = ExecProcNode(state->child);
	if (TupIsNull(in))
		return ExecClearTuple(out);
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	ResetExprContext(econtext);
	int natts = out->tts_tupleDescriptor->natts;
	slot_getallattrs(in);
	ExecClearTuple(out);
	memcpy(out->tts_values, in->tts_values, sizeof(Datum) * natts);
	memcpy(out->tts_isnull, in->tts_isnull, sizeof(bool) * natts);
	for (int k = 0; k < state->nmasks; k++) {
		CompiledMask *mask = state->masks[k];
		int column = state->column[k];
		TupleTableSlot *arg = mask->slot;
		AttrNumber attnum = (AttrNumber)mask->key.attnum;
		ExecClearTuple(arg);
		arg->tts_values[attnum - 1] = in->tts_values[column];
		arg->tts_isnull[attnum - 1] = in->tts_isnull[column];
		ExecStoreVirtualTuple(arg);
		econtext->ecxt_scantuple = arg;
		bool isnull;
		Datum value = ExecEvalExprSwitchContext(mask->state, econtext, &isnull);
		out->tts_values[column] = value;
		out->tts_isnull[column] = isnull;
	}
	return ExecStoreVirtualTuple(out);
}

void
End(CustomScanState *node) {
	OutputMaskState *state = (OutputMaskState *)node;
	ReleaseAll(state);
	ExecEndNode(state->child);
}

void
ReScan(CustomScanState *node) {
	OutputMaskState *state = (OutputMaskState *)node;
	ExecReScan(state->child);
}

// Explain names the columns the node masks (a plan made outside EXPLAIN
// and shown by EXPLAIN EXECUTE or auto_explain).
void
Explain(CustomScanState *node, List *ancestors, ExplainState *es) {
	List *triples = ((CustomScan *)node->ss.ps.plan)->custom_private;
	StringInfoData buf;
	initStringInfo(&buf);
	for (int t = 0; t + 2 < list_length(triples); t += 3) {
		Oid relid = (Oid)list_nth_int(triples, t + 1);
		AttrNumber attnum = (AttrNumber)list_nth_int(triples, t + 2);
		char *rel = get_rel_name(relid);
		char *att = get_attname(relid, attnum, true);
		appendStringInfo(&buf, "%s%s.%s", t > 0 ? ", " : "",
		                 rel != NULL ? quote_identifier(rel) : "?",
		                 att != NULL ? quote_identifier(att) : "?");
	}
	ExplainPropertyText("Masked Columns", buf.data, es);
}

// ---- planning ------------------------------------------------------------

struct RefCheck {
	LevelInfo *level;
	bool found; // a masked column (or a whole row with one) is read
};

bool
MaskedRefWalker(Node *node, void *context) {
	if (node == NULL)
		return false;
	RefCheck *check = (RefCheck *)context;
	if (IsA(node, Var)) {
		Var *var = (Var *)node;
		if (var->varlevelsup == 0 && (int)var->varno >= 1 &&
		    (int)var->varno <= check->level->nrtes && check->level->rels[var->varno] != NULL &&
		    (var->varattno == 0 || MaskedIndex(check->level, (int)var->varno, var->varattno) >= 0))
			check->found = true;
		return check->found;
	}
	if (IsA(node, Query)) {
		check->found = true; // not expected (no sublinks): refuse
		return true;
	}
	return expression_tree_walker(node, (bool (*)())MaskedRefWalker, context);
}

} // namespace

OutputMasks *
PlanOutputMasks(Query *parse, Oid userid, int cursor_options) {
	// cursors (DECLARE, PL/pgSQL cursors: CURSOR_OPT_FAST_PLAN) keep the
	// substitution: WHERE CURRENT OF looks for the scan at the plan's top
	if (explain_depth > 0 || parse->commandType != CMD_SELECT || parse->utilityStmt != NULL ||
	    (cursor_options & (CURSOR_OPT_SCROLL | CURSOR_OPT_FAST_PLAN)) || parse->hasAggs ||
	    parse->hasWindowFuncs || parse->hasTargetSRFs || parse->hasSubLinks ||
	    parse->hasDistinctOn || parse->hasRecursive || parse->hasModifyingCTE ||
	    parse->hasForUpdate || parse->rowMarks != NIL || parse->cteList != NIL ||
	    parse->setOperations != NULL || parse->groupClause != NIL || parse->groupingSets != NIL ||
	    parse->havingQual != NULL || parse->distinctClause != NIL || parse->windowClause != NIL ||
	    parse->returningList != NIL || parse->onConflict != NULL || parse->mergeActionList != NIL ||
	    parse->withCheckOptions != NIL || parse->jointree == NULL || parse->rtable == NIL)
		return NULL;
	// with Citus loaded, its plans keep their own shape (it looks for its
	// node at the top)
	if (CitusPreloaded())
		return NULL;
	// a relation's own policies see it raw; sublinks in them (of any
	// relation) would reach other relations, which the substitution masks
	ListCell *lc;
	foreach (lc, parse->rtable) {
		RangeTblEntry *rte = (RangeTblEntry *)lfirst(lc);
		if (rte->rtekind != RTE_RELATION ||
		    (rte->securityQuals != NIL && checkExprHasSubLink((Node *)rte->securityQuals)))
			return NULL;
	}
	LevelInfo *level = BuildLevel(parse, userid, true);
	bool any = false;
	for (int rti = 1; rti <= level->nrtes; rti++) {
		if (level->rels[rti] == NULL)
			continue;
		RangeTblEntry *rte = rt_fetch(rti, parse->rtable);
		if (rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_PARTITIONED_TABLE)
			return NULL;
		any = true;
	}
	if (!any)
		return NULL;

	RefCheck check = {level, false};
	if (MaskedRefWalker((Node *)parse->jointree, &check) ||
	    MaskedRefWalker(parse->limitOffset, &check) || MaskedRefWalker(parse->limitCount, &check))
		return NULL;
	int n = list_length(parse->targetList);
	OutputMasks *masks = (OutputMasks *)palloc(sizeof(OutputMasks));
	masks->noutputs = n;
	masks->display = parse->targetList;
	masks->masked = NIL;
	foreach (lc, parse->targetList) {
		TargetEntry *tle = (TargetEntry *)lfirst(lc);
		int i = foreach_current_index(lc);
		if (tle->resno != i + 1)
			return NULL;
		Var *var = (Var *)tle->expr;
		if (var != NULL && IsA(var, Var) && var->varlevelsup == 0 && var->varattno > 0) {
			int index = MaskedIndex(level, (int)var->varno, var->varattno);
			if (index >= 0) {
				const GovernedRel *rel = level->rels[var->varno];
				if (tle->ressortgroupref != 0 || !HasOutputForm(rel, index))
					return NULL;
				masks->masked = lappend_int(masks->masked, i);
				masks->masked = lappend_int(masks->masked, (int)rel->relid);
				masks->masked = lappend_int(masks->masked, var->varattno);
			}
		} else if (MaskedRefWalker((Node *)tle->expr, &check))
			return NULL;
	}
	return masks;
}

void
WrapOutputMasks(PlannedStmt *stmt, OutputMasks *masks) {
	Plan *top = stmt->planTree;
	if (top == NULL || list_length(top->targetlist) != masks->noutputs)
		elog(ERROR, "pg_privacy: unexpected plan shape for output masking");
	CustomScan *scan = makeNode(CustomScan);
	Plan *plan = &scan->scan.plan;
	plan->startup_cost = top->startup_cost;
	plan->total_cost = top->total_cost;
	plan->plan_rows = top->plan_rows;
	plan->plan_width = top->plan_width;
	plan->parallel_aware = false;
	plan->parallel_safe = false;
	plan->plan_node_id = -1;
	plan->extParam = bms_copy(top->extParam);
	plan->allParam = bms_copy(top->allParam);
	List *tlist = NIL;
	ListCell *lc;
	foreach (lc, top->targetlist) {
		TargetEntry *tle = (TargetEntry *)lfirst(lc);
		int i = foreach_current_index(lc);
		TargetEntry *shown = (TargetEntry *)list_nth(masks->display, i);
		Node *display = (Node *)shown->expr;
		if (tle->resno != i + 1 || shown->resno != tle->resno ||
		    exprType(display) != exprType((Node *)tle->expr))
			elog(ERROR, "pg_privacy: unexpected plan shape for output masking");
		Var *var = makeVar(INDEX_VAR, (AttrNumber)(i + 1), exprType(display), exprTypmod(display),
		                   exprCollation(display), 0);
		TargetEntry *out = makeTargetEntry((Expr *)var, tle->resno, tle->resname, tle->resjunk);
		out->ressortgroupref = tle->ressortgroupref;
		out->resorigtbl = tle->resorigtbl;
		out->resorigcol = tle->resorigcol;
		tlist = lappend(tlist, out);
	}
	plan->targetlist = tlist;
	scan->scan.scanrelid = 0;
	// rows come from the child in the executor's direction: backward when
	// the child can
	scan->flags = ExecSupportsBackwardScan(top) ? CUSTOMPATH_SUPPORT_BACKWARD_SCAN : 0;
	scan->custom_plans = list_make1(top);
	scan->custom_scan_tlist = masks->display;
	scan->custom_private = masks->masked;
	scan->methods = &plan_methods;
	stmt->planTree = (Plan *)scan;
}

void
BeginExplain() {
	explain_depth++;
}

void
EndExplain() {
	if (explain_depth > 0)
		explain_depth--;
}

void
InstallOutputMasking() {
	RegisterCustomScanMethods(&plan_methods);
}

} // namespace privacy::pg
