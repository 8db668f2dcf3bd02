// consent_scan.cpp: the consent-gated sequential scan.
//
// A consent requirement reaches the planner as the row-security qual
// privacy._consent_allows(tbl, 'purpose', subject::text) (row_policy_quals.cpp).
// Evaluated as a qual it costs an ExprState step and an fmgr call per row,
// and each parallel process would read the purpose's standing consents into
// a set of its own. For a sequential scan of a relation whose quals include
// that check (with constant table and purpose, at the lowest security level
// of the relation's quals), set_rel_pathlist_hook replaces each sequential
// path (serial and parallel) by the same path as a CustomScan
// "ConsentGatedScan" with the same costs, which:
//
//  - reads the heap like a Seq Scan (parallel-aware like Parallel Seq Scan);
//  - decides the gate once per statement, exactly as the function does
//    (exempt role: every row; the purpose declared and usable: consenting
//    subjects; else nothing), and evaluates it inline on each row BEFORE any
//    other qual of the scan (which ExecScan evaluates afterwards on rows the
//    gate let through), so no user qual or leaky function sees a row the
//    gate rejects; an EvalPlanQual recheck (UPDATE/DELETE through the gate
//    under READ COMMITTED) applies the gate to the new row version too;
//  - answers "does this subject's consent stand?" with the same code as the
//    function (ConsentCheck: index probes with the statement's snapshot,
//    then a set of the purpose's standing consents compared bytewise), but a
//    scan expected to read more rows than ProbesBeforeSet builds the set at
//    once, and a parallel scan's leader builds it once and hands its flat
//    image to the workers in the query's dynamic shared memory (bounded by
//    work_mem * hash_mem_multiplier like a hashed subplan; beyond that every
//    process probes the index);
//  - with a set and a subject column, decides the visible tuples of each
//    heap page together (GatePage), in passes that overlap the set's cache
//    misses, and uses a verdict only for the tuple it was made for;
//  - keeps nothing after the query.
//
// Heap tables only (the scan reads heap pages and uses heap slots); other
// table access methods keep the Seq Scan and the function.
// The carried form privacy._consent_allows_carried (Citus shards) is left to
// the function. EXPLAIN shows "Custom Scan (ConsentGatedScan)" with the
// check as "Consent Gate".
#include "pg/hooks/consent_scan.hpp"

#include "pg/catalog/consent_registry.hpp"
#include "pg/catalog/consent_set.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/nodeCustom.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "storage/bufmgr.h"
#include "storage/shm_toc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

constexpr const char *kName = "ConsentGatedScan";

set_rel_pathlist_hook_type prev_set_rel_pathlist = NULL;

extern const CustomPathMethods path_methods;
extern const CustomScanMethods scan_methods;
extern const CustomExecMethods exec_methods;

// IsConsentCheck reports whether clause is privacy._consent_allows(tbl,
// purpose, subject) with a constant, non-null table and purpose.
bool
IsConsentCheck(Expr *clause) {
	if (!IsA(clause, FuncExpr))
		return false;
	FuncExpr *call = (FuncExpr *)clause;
	if (list_length(call->args) != 3 || call->funcretset)
		return false;
	Node *tbl = (Node *)linitial(call->args);
	Node *purpose = (Node *)lsecond(call->args);
	if (!IsA(tbl, Const) || ((Const *)tbl)->constisnull ||
	    ((Const *)tbl)->consttype != REGCLASSOID || !IsA(purpose, Const) ||
	    ((Const *)purpose)->constisnull || ((Const *)purpose)->consttype != TEXTOID ||
	    exprType((Node *)lthird(call->args)) != TEXTOID)
		return false;
	Oid schema = PrivacySchema();
	if (!OidIsValid(schema) || get_func_namespace(call->funcid) != schema)
		return false;
	char *name = get_func_name(call->funcid);
	return name != NULL && strcmp(name, "_consent_allows") == 0;
}

// GateClause returns the consent check among rel's quals that the scan may
// evaluate first, or NULL: one at the lowest security level of rel's quals
// (moving it before the others at its level or above is an order the
// planner could choose itself).
RestrictInfo *
GateClause(RelOptInfo *rel) {
	Index lowest = UINT_MAX;
	ListCell *lc;
	foreach (lc, rel->baserestrictinfo) {
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		lowest = Min(lowest, rinfo->security_level);
	}
	foreach (lc, rel->baserestrictinfo) {
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		if (rinfo->security_level == lowest && !rinfo->pseudoconstant &&
		    IsConsentCheck(rinfo->clause))
			return rinfo;
	}
	return NULL;
}

CustomPath *
GatedPath(Path *seq, RestrictInfo *gate) {
	CustomPath *path = makeNode(CustomPath);
	path->path.pathtype = T_CustomScan;
	path->path.parent = seq->parent;
	path->path.pathtarget = seq->pathtarget;
	path->path.param_info = seq->param_info;
	path->path.parallel_aware = seq->parallel_aware;
	path->path.parallel_safe = seq->parallel_safe;
	path->path.parallel_workers = seq->parallel_workers;
	path->path.rows = seq->rows;
	path->path.startup_cost = seq->startup_cost;
	path->path.total_cost = seq->total_cost;
	path->path.pathkeys = NIL;
	path->flags = CUSTOMPATH_SUPPORT_PROJECTION;
	path->custom_private = list_make1(gate);
	path->methods = &path_methods;
	return path;
}

// ReplaceSeqPaths replaces each unparameterized sequential path of list.
void
ReplaceSeqPaths(List *list, RestrictInfo *gate) {
	ListCell *lc;
	foreach (lc, list) {
		Path *path = (Path *)lfirst(lc);
		if (path->pathtype == T_SeqScan && IsA(path, Path) && path->param_info == NULL)
			lfirst(lc) = GatedPath(path, gate);
	}
}

void
PrivacySetRelPathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte) {
	if (prev_set_rel_pathlist != NULL)
		prev_set_rel_pathlist(root, rel, rti, rte);
	if (rte->rtekind != RTE_RELATION || rel->reloptkind == RELOPT_JOINREL ||
	    rel->baserestrictinfo == NIL || rte->tablesample != NULL)
		return;
	if (rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_MATVIEW)
		return;
	// heap tables only: the scan's slots are heap slots
	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(rte->relid));
	if (!HeapTupleIsValid(tuple))
		return;
	Oid am = ((Form_pg_class)GETSTRUCT(tuple))->relam;
	ReleaseSysCache(tuple);
	if (am != HEAP_TABLE_AM_OID)
		return;
	RestrictInfo *gate = GateClause(rel);
	if (gate == NULL)
		return;
	ReplaceSeqPaths(rel->pathlist, gate);
	ReplaceSeqPaths(rel->partial_pathlist, gate);
}

// PlanGatedPath builds the plan: the check in custom_exprs (so setrefs
// adjusts its Vars), every other qual in the plan's qual, the table's row
// estimate in custom_private.
Plan *
PlanGatedPath(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist, List *clauses,
              List *custom_plans) {
	RestrictInfo *gate = (RestrictInfo *)linitial(best_path->custom_private);
	List *quals = NIL;
	ListCell *lc;
	foreach (lc, clauses) {
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		// the gate itself is evaluated by the scan (were it left here too it
		// would merely run twice)
		if (rinfo == gate || rinfo->pseudoconstant)
			continue;
		quals = lappend(quals, rinfo->clause);
	}
	CustomScan *scan = makeNode(CustomScan);
	scan->scan.plan.targetlist = tlist;
	scan->scan.plan.qual = quals;
	scan->scan.scanrelid = rel->relid;
	scan->flags = best_path->flags;
	scan->custom_exprs = list_make1(copyObject(gate->clause));
	scan->custom_private = list_make1(
	        makeString(psprintf("%.0f", rel->tuples > 0 ? rel->tuples : rel->pages * 100.0)));
	scan->methods = &scan_methods;
	return &scan->scan.plan;
}

// ---- execution --------------------------------------------------------------

// The shared state of a parallel scan: the gate the leader decided, the
// table's parallel scan, the flat set (if any).
struct Shared {
	int gate;
	bool set_tried; // the leader tried a set (has_set: and it fit)
	bool has_set;
	Size scan_offset;
	Size set_offset;
};

struct GatedScanState {
	CustomScanState css;
	FuncExpr *check;
	AttrNumber subject_attno; // > 0: the subject is this column, read directly
	ExprState *subject;       // else its expression
	double expected_rows;
	int gate; // -1 until decided
	ConsentProbe probe;
	Size scan_len;
	Size set_len;
	ParallelTableScanDesc pscan;
	// the verdicts for the visible tuples of the heap page the scan is on
	// (with a set and a subject column): 0 refused, 1 passes, 2 decide on
	// the row (a compressed or out-of-line subject)
	BlockNumber batch_block; // InvalidBlockNumber: none
	uint8 verdict[MaxHeapTuplesPerPage];
	uint64 hashes[MaxHeapTuplesPerPage];
	const char *bytes[MaxHeapTuplesPerPage];
	uint32 lengths[MaxHeapTuplesPerPage];
};

Node *
CreateGatedScanState(CustomScan *cscan) {
	GatedScanState *state = (GatedScanState *)newNode(sizeof(GatedScanState), T_CustomScanState);
	state->css.methods = &exec_methods;
	state->gate = -1;
	state->batch_block = InvalidBlockNumber;
	return (Node *)state;
}

void
BeginGatedScan(CustomScanState *node, EState *estate, int eflags) {
	GatedScanState *state = (GatedScanState *)node;
	CustomScan *cscan = (CustomScan *)node->ss.ps.plan;
	// PostgreSQL 15 gives a custom scan a virtual scan slot, and built the
	// qual and projection for it; the scan reads heap tuples (and UPDATE,
	// DELETE and WHERE CURRENT OF need their system columns): a slot of the
	// table's own kind, and the qual and projection built again for it
	Relation rel = node->ss.ss_currentRelation;
	ExecInitScanTupleSlot(estate, &node->ss, RelationGetDescr(rel), table_slot_callbacks(rel));
	ExecAssignScanProjectionInfoWithVarno(&node->ss, cscan->scan.scanrelid);
	node->ss.ps.qual = ExecInitQual(cscan->scan.plan.qual, &node->ss.ps);
	state->check = (FuncExpr *)linitial(cscan->custom_exprs);
	state->expected_rows = strtod(strVal(linitial(cscan->custom_private)), NULL);
	Expr *subject = (Expr *)lthird(state->check->args);
	Expr *bare = subject;
	while (IsA(bare, RelabelType))
		bare = ((RelabelType *)bare)->arg;
	// a text (or varchar, binary-coercible) column read directly: its bytes
	// are what the function would receive
	if (IsA(bare, Var) && (Index)((Var *)bare)->varno == cscan->scan.scanrelid &&
	    ((Var *)bare)->varattno > 0 && ((Var *)bare)->varlevelsup == 0 &&
	    (((Var *)bare)->vartype == TEXTOID || ((Var *)bare)->vartype == VARCHAROID))
		state->subject_attno = ((Var *)bare)->varattno;
	else
		state->subject = ExecInitExpr(subject, &node->ss.ps);
	strlcpy(state->probe.purpose,
	        TextDatumGetCString(((Const *)lsecond(state->check->args))->constvalue),
	        sizeof(state->probe.purpose));
	state->probe.context = estate->es_query_cxt;
}

// DecideGate decides the gate (once, in the process that runs the plan's
// top: the leader), and builds the set at once for a scan expected to read
// more rows than the probes would pay for.
void
DecideGate(GatedScanState *state) {
	if (state->gate >= 0)
		return;
	Oid relid = DatumGetObjectId(((Const *)linitial(state->check->args))->constvalue);
	state->gate = ConsentGate(relid, state->probe.purpose, SessionPurpose());
	if (state->gate == 2 && !state->probe.set_tried) {
		uint32 threshold = ProbesBeforeSet(get_hash_memory_limit());
		state->probe.threshold = threshold;
		if (state->expected_rows > (double)threshold) {
			state->probe.set_tried = true;
			state->probe.set = BuildConsentSet(state->probe.purpose, state->probe.context,
			                                   get_hash_memory_limit());
		}
	}
}

// Passes applies the gate to the row in slot.
bool
Passes(GatedScanState *state, TupleTableSlot *slot) {
	if (state->gate != 2)
		return state->gate == 1;
	Datum value;
	bool isnull;
	if (state->subject_attno > 0) {
		value = slot_getattr(slot, state->subject_attno, &isnull);
	} else {
		ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
		econtext->ecxt_scantuple = slot;
		value = ExecEvalExprSwitchContext(state->subject, econtext, &isnull);
	}
	if (isnull)
		return false;
	struct varlena *raw = (struct varlena *)DatumGetPointer(value);
	if (VARATT_IS_EXTENDED(raw)) {
		MemoryContext old =
		        MemoryContextSwitchTo(state->css.ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
		raw = pg_detoast_datum_packed(raw);
		MemoryContextSwitchTo(old);
	}
	return ConsentCheck(&state->probe, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
}

// GatePage decides the gate for every visible tuple of the page a heap scan
// in page mode is on, in passes over the page so that the set's cache
// misses overlap: the subjects' hashes (prefetching their Bloom blocks and
// slots), a first look (prefetching the records), the exact comparisons.
// The tuples are read from the pinned page like heapgettup_pagemode does.
void
GatePage(GatedScanState *state, HeapScanDesc scan) {
	const ConsentSet *set = state->probe.set;
	Relation rel = state->css.ss.ss_currentRelation;
	TupleDesc desc = RelationGetDescr(rel);
	Page page = BufferGetPage(scan->rs_cbuf);
	int n = scan->rs_ntuples;
	for (int i = 0; i < n; i++) {
		ItemId item = PageGetItemId(page, scan->rs_vistuples[i]);
		HeapTupleData tuple;
		tuple.t_data = (HeapTupleHeader)PageGetItem(page, item);
		tuple.t_len = ItemIdGetLength(item);
		tuple.t_tableOid = RelationGetRelid(rel);
		ItemPointerSet(&tuple.t_self, scan->rs_cblock, scan->rs_vistuples[i]);
		bool isnull;
		Datum value = heap_getattr(&tuple, state->subject_attno, desc, &isnull);
		if (isnull) {
			state->verdict[i] = 0;
			continue;
		}
		struct varlena *raw = (struct varlena *)DatumGetPointer(value);
		if (VARATT_IS_EXTERNAL(raw) || VARATT_IS_COMPRESSED(raw)) {
			state->verdict[i] = 2;
			continue;
		}
		state->bytes[i] = VARDATA_ANY(raw);
		state->lengths[i] = VARSIZE_ANY_EXHDR(raw);
		state->hashes[i] = ConsentSetHash(set, state->bytes[i], state->lengths[i]);
		ConsentSetPrefetch(set, state->hashes[i]);
		state->verdict[i] = 3; // pending
	}
	for (int i = 0; i < n; i++)
		if (state->verdict[i] == 3 && !ConsentSetMaybe(set, state->hashes[i]))
			state->verdict[i] = 0;
	for (int i = 0; i < n; i++)
		if (state->verdict[i] == 3)
			state->verdict[i] =
			        ConsentSetFind(set, state->hashes[i], state->bytes[i], state->lengths[i]) ? 1
			                                                                                  : 0;
}

// Batched reports whether the gate can be decided a page at a time.
bool
Batched(GatedScanState *state, TableScanDesc scan) {
	return state->gate == 2 && state->probe.set != NULL && state->subject_attno > 0 &&
	       scan->rs_rd->rd_tableam == GetHeapamTableAmRoutine() &&
	       (scan->rs_flags & SO_ALLOW_PAGEMODE) != 0;
}

TupleTableSlot *
GatedNext(ScanState *ss) {
	GatedScanState *state = (GatedScanState *)ss;
	DecideGate(state);
	if (state->gate == 0)
		return NULL; // no row passes: nothing to read
	EState *estate = ss->ps.state;
	if (ss->ss_currentScanDesc == NULL)
		ss->ss_currentScanDesc =
		        state->pscan != NULL
		                ? table_beginscan_parallel(ss->ss_currentRelation, state->pscan)
		                : table_beginscan(ss->ss_currentRelation, estate->es_snapshot, 0, NULL);
	TupleTableSlot *slot = ss->ss_ScanTupleSlot;
	ExprContext *econtext = ss->ps.ps_ExprContext;
	if (Batched(state, ss->ss_currentScanDesc)) {
		HeapScanDesc scan = (HeapScanDesc)ss->ss_currentScanDesc;
		for (;;) {
			if (!table_scan_getnextslot(ss->ss_currentScanDesc, estate->es_direction, slot))
				return NULL;
			if (scan->rs_cblock != state->batch_block) {
				state->batch_block = InvalidBlockNumber;
				GatePage(state, scan);
				state->batch_block = scan->rs_cblock;
			}
			int at = scan->rs_cindex;
			// the verdict is used only for the very tuple it was made for
			if (at >= 0 && at < scan->rs_ntuples &&
			    ItemPointerGetBlockNumber(&slot->tts_tid) == state->batch_block &&
			    ItemPointerGetOffsetNumber(&slot->tts_tid) == scan->rs_vistuples[at] &&
			    state->verdict[at] != 2) {
				if (state->verdict[at] == 1)
					return slot;
			} else if (Passes(state, slot)) {
				return slot;
			}
			ResetExprContext(econtext);
			CHECK_FOR_INTERRUPTS();
		}
	}
	for (;;) {
		if (!table_scan_getnextslot(ss->ss_currentScanDesc, estate->es_direction, slot))
			return NULL;
		if (Passes(state, slot))
			return slot;
		ResetExprContext(econtext);
		CHECK_FOR_INTERRUPTS();
	}
}

bool
GatedRecheck(ScanState *ss, TupleTableSlot *slot) {
	GatedScanState *state = (GatedScanState *)ss;
	DecideGate(state);
	return Passes(state, slot);
}

TupleTableSlot *
ExecGatedScan(CustomScanState *node) {
	return ExecScan(&node->ss, GatedNext, GatedRecheck);
}

void
EndGatedScan(CustomScanState *node) {
	GatedScanState *state = (GatedScanState *)node;
	if (node->ss.ss_currentScanDesc != NULL)
		table_endscan(node->ss.ss_currentScanDesc);
	node->ss.ss_currentScanDesc = NULL;
	if (state->probe.set != NULL)
		FreeConsentSet(state->probe.set);
	state->probe.set = NULL;
}

void
ReScanGatedScan(CustomScanState *node) {
	((GatedScanState *)node)->batch_block = InvalidBlockNumber;
	if (node->ss.ss_currentScanDesc != NULL)
		table_rescan(node->ss.ss_currentScanDesc, NULL);
	ExecScanReScan(&node->ss);
}

Size
EstimateGatedDSM(CustomScanState *node, ParallelContext *pcxt) {
	GatedScanState *state = (GatedScanState *)node;
	DecideGate(state);
	state->scan_len = table_parallelscan_estimate(node->ss.ss_currentRelation,
	                                              node->ss.ps.state->es_snapshot);
	state->set_len = state->probe.set != NULL ? ConsentSetFlatSize(state->probe.set) : 0;
	return MAXALIGN(sizeof(Shared)) + MAXALIGN(state->scan_len) + MAXALIGN(state->set_len);
}

void
InitializeGatedDSM(CustomScanState *node, ParallelContext *pcxt, void *coordinate) {
	GatedScanState *state = (GatedScanState *)node;
	Shared *shared = (Shared *)coordinate;
	shared->gate = state->gate;
	shared->scan_offset = MAXALIGN(sizeof(Shared));
	shared->set_offset = shared->scan_offset + MAXALIGN(state->scan_len);
	shared->set_tried = state->probe.set_tried;
	shared->has_set = state->probe.set != NULL && state->set_len > 0;
	// the leader keeps its own copy (the segment may go before the scan
	// does: a Gather shut down early and started again)
	if (shared->has_set)
		ConsentSetFlatten(state->probe.set, (char *)coordinate + shared->set_offset);
	state->pscan = (ParallelTableScanDesc)((char *)coordinate + shared->scan_offset);
	table_parallelscan_initialize(node->ss.ss_currentRelation, state->pscan,
	                              node->ss.ps.state->es_snapshot);
	node->ss.ss_currentScanDesc =
	        table_beginscan_parallel(node->ss.ss_currentRelation, state->pscan);
}

void
ReInitializeGatedDSM(CustomScanState *node, ParallelContext *pcxt, void *coordinate) {
	GatedScanState *state = (GatedScanState *)node;
	table_parallelscan_reinitialize(node->ss.ss_currentRelation, state->pscan);
}

void
InitializeGatedWorker(CustomScanState *node, shm_toc *toc, void *coordinate) {
	GatedScanState *state = (GatedScanState *)node;
	Shared *shared = (Shared *)coordinate;
	// the leader's decision and set: the workers run its statement
	state->gate = shared->gate;
	state->probe.set_tried = shared->set_tried;
	if (shared->has_set) {
		MemoryContext old = MemoryContextSwitchTo(state->probe.context);
		state->probe.set = ConsentSetView((char *)coordinate + shared->set_offset);
		MemoryContextSwitchTo(old);
	}
	state->pscan = (ParallelTableScanDesc)((char *)coordinate + shared->scan_offset);
	node->ss.ss_currentScanDesc =
	        table_beginscan_parallel(node->ss.ss_currentRelation, state->pscan);
}

void
ExplainGatedScan(CustomScanState *node, List *ancestors, ExplainState *es) {
	GatedScanState *state = (GatedScanState *)node;
	List *context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, ancestors);
	char *text = deparse_expression((Node *)state->check, context, es->verbose, false);
	ExplainPropertyText("Consent Gate", text, es);
}

const CustomPathMethods path_methods = {
        .CustomName = kName,
        .PlanCustomPath = PlanGatedPath,
        .ReparameterizeCustomPathByChild = NULL,
};

const CustomScanMethods scan_methods = {
        .CustomName = kName,
        .CreateCustomScanState = CreateGatedScanState,
};

const CustomExecMethods exec_methods = {
        .CustomName = kName,
        .BeginCustomScan = BeginGatedScan,
        .ExecCustomScan = ExecGatedScan,
        .EndCustomScan = EndGatedScan,
        .ReScanCustomScan = ReScanGatedScan,
        .MarkPosCustomScan = NULL,
        .RestrPosCustomScan = NULL,
        .EstimateDSMCustomScan = EstimateGatedDSM,
        .InitializeDSMCustomScan = InitializeGatedDSM,
        .ReInitializeDSMCustomScan = ReInitializeGatedDSM,
        .InitializeWorkerCustomScan = InitializeGatedWorker,
        .ShutdownCustomScan = NULL,
        .ExplainCustomScan = ExplainGatedScan,
};

} // namespace

void
InstallConsentScan() {
	RegisterCustomScanMethods(&scan_methods);
	prev_set_rel_pathlist = set_rel_pathlist_hook;
	set_rel_pathlist_hook = PrivacySetRelPathlist;
}

} // namespace privacy::pg
