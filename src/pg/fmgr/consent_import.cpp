// consent_import.cpp: the write side of the bulk consent grant,
// privacy._grant_consents(subjects text[], purpose text, expires_at
// timestamptz, who name), called by privacy.grant_consent(text[], text,
// timestamptz) after its privilege, purpose and expiry checks (issue 19).
//
// It writes exactly the rows that one privacy.grant_consent(subject, ...)
// per distinct subject would write, in one pass:
//   1. the subjects are sorted bytewise (the order of the standing index,
//      collation "C") and deduplicated;
//   2. the standing consents they supersede are found in one sorted pass
//      over the standing index (FindSuperseded: a subject is looked for on
//      the leaf of the previous one first), checked on the heap with the
//      caller's snapshot; only those are revoked, by TID, with UPDATEs of
//      10,000 TIDs (revoked_at = now(), revoked_by = who): their per-row
//      triggers fire as for any UPDATE;
//   3. the new rows are inserted like COPY does (heap_multi_insert with a
//      BulkInsertState, then each row's index entries, in key order, so that
//      the standing index's inserts land on neighbouring leaves), with the
//      table's column defaults (the id from its sequence), its constraints,
//      and its statement and AFTER row triggers fired as for an INSERT in
//      session_replication_role = replica: the foreign key's per-row check
//      is skipped (the caller checked the purpose and locks it FOR KEY
//      SHARE; this function checks and locks it again), the Citus sync
//      triggers, enabled ALWAYS, fire. If the table has a BEFORE or
//      INSTEAD OF row trigger or a transition table (whatever its enabling),
//      the rows go through an ordinary INSERT instead.
//
// Never call it except from privacy.grant_consent(text[]): it trusts `who`.
// PUBLIC has no EXECUTE on it.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/module.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace privacy::pg {

namespace {

// one subject of the array: its bytes, and the array element (a text datum)
struct Subject {
	const char *bytes;
	int len;
	Datum datum;
};

// CompareSubjects orders subjects bytewise, shorter first on a common
// prefix: the order of text in collation "C".
int
CompareSubjects(const void *a, const void *b) {
	const Subject *x = (const Subject *)a;
	const Subject *y = (const Subject *)b;
	int common = Min(x->len, y->len);
	int c = common > 0 ? memcmp(x->bytes, y->bytes, common) : 0;
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

// the columns of privacy._consent the import sets
struct Columns {
	AttrNumber subject, purpose, granted_at, expires_at, revoked_at, granted_by;
};

AttrNumber
RequireColumn(Relation rel, const char *name) {
	AttrNumber attnum = get_attnum(RelationGetRelid(rel), name);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("privacy._consent has no column \"%s\"", name),
		                errhint("Run ALTER EXTENSION pg_privacy UPDATE.")));
	return attnum;
}

// StandingIndex opens privacy._consent_standing when it is a btree of rel
// over (purpose, subject) on the standing rows (WHERE revoked_at IS NULL),
// else returns NULL (then the supersede step is an ordinary UPDATE).
Relation
StandingIndex(Relation rel, const Columns &cols) {
	Oid index_oid = PrivacyTable("_consent_standing");
	if (!OidIsValid(index_oid))
		return NULL;
	Relation index = try_index_open(index_oid, AccessShareLock);
	if (index == NULL)
		return NULL;
	bool shaped = index->rd_index->indrelid == RelationGetRelid(rel) &&
	              index->rd_rel->relam == BTREE_AM_OID && index->rd_index->indnkeyatts >= 2 &&
	              index->rd_index->indkey.values[0] == cols.purpose &&
	              index->rd_index->indkey.values[1] == cols.subject &&
	              index->rd_index->indisvalid && index->rd_indcollation[0] == C_COLLATION_OID &&
	              index->rd_indcollation[1] == C_COLLATION_OID &&
	              // text_ops in "C": the bytewise order the subjects are sorted in
	              index->rd_opfamily[0] == TEXT_BTREE_FAM_OID &&
	              index->rd_opfamily[1] == TEXT_BTREE_FAM_OID;
	if (shaped) {
		// the predicate must be exactly "revoked_at IS NULL": the index then
		// holds every standing row, so a subject it lacks has none
		List *pred = RelationGetIndexPredicate(index);
		shaped = list_length(pred) == 1 && IsA(linitial(pred), NullTest);
		if (shaped) {
			NullTest *test = (NullTest *)linitial(pred);
			shaped = test->nulltesttype == IS_NULL && IsA(test->arg, Var) &&
			         ((Var *)test->arg)->varattno == cols.revoked_at;
		}
	}
	if (!shaped) {
		index_close(index, AccessShareLock);
		return NULL;
	}
	return index;
}

// TextIs compares a text datum with a byte string.
bool
TextIs(Datum value, const char *bytes, int len) {
	text *t = DatumGetTextPP(value);
	return (int)VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), bytes, len) == 0;
}

// a possible standing consent of subjects[subject]: an index entry's TID
struct Candidate {
	ItemPointerData tid;
	int subject;
};

void
AddCandidate(Candidate **list, int *count, int *capacity, ItemPointer tid, int subject) {
	if (*count == *capacity) {
		*capacity *= 2;
		*list = (Candidate *)repalloc(*list, sizeof(Candidate) * *capacity);
	}
	(*list)[*count].tid = *tid;
	(*list)[*count].subject = subject;
	(*count)++;
}

// ProbeIndexScan adds the index entries of (purpose, subjects[i]) found by
// an ordinary index scan: the heap rows the snapshot sees.
void
ProbeIndexScan(Relation rel, Relation index, text *purpose, const Subject *subject, int i,
               Snapshot snapshot, IndexScanDesc *scan, TupleTableSlot *slot, Candidate **list,
               int *count, int *capacity) {
	ScanKeyData keys[2];
	if (*scan == NULL)
		*scan = index_beginscan(rel, index, snapshot, 2, 0);
	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid, C_COLLATION_OID,
	                       F_TEXTEQ, PointerGetDatum(purpose));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid, C_COLLATION_OID,
	                       F_TEXTEQ, subject->datum);
	index_rescan(*scan, keys, 2, NULL, 0);
	// the heap rows' own TIDs (fetched again by TID below)
	while (index_getnext_slot(*scan, ForwardScanDirection, slot))
		AddCandidate(list, count, capacity, &slot->tts_tid, i);
}

// FindSuperseded collects the TIDs of the standing consents (revoked_at IS
// NULL, whatever their expiry: a new grant supersedes them as the scalar
// grant does) of the sorted subjects for purpose, seen by snapshot. Returns
// false when the standing index is not usable.
//
// One sorted pass over the standing index: the subjects are in its key
// order, so a subject is first looked for on the leaf page where the
// previous one was (a binary search of that page, under its share lock),
// and the tree is descended again only when the subject lies beyond that
// page's high key. Equal entries that may continue on the right sibling,
// and serializable transactions (whose reads must take predicate locks),
// use an ordinary index scan. The entries found are then checked on the
// heap with the snapshot, and again against purpose and subject.
bool
FindSuperseded(Relation rel, const Columns &cols, text *purpose, const Subject *subjects, int count,
               Snapshot snapshot, ItemPointerData **tids, int *ntids) {
	Relation index = StandingIndex(rel, cols);
	if (index == NULL)
		return false;
	int capacity = 64, found = 0;
	Candidate *list = (Candidate *)palloc(sizeof(Candidate) * capacity);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan = NULL;
	bool heapkeyspace, allequalimage;
	_bt_metaversion(index, &heapkeyspace, &allequalimage);
	bool leaf_pass = heapkeyspace && !IsolationIsSerializable();
	BTScanInsert key = _bt_mkscankey(index, NULL);
	key->heapkeyspace = heapkeyspace;
	key->allequalimage = allequalimage;
	key->anynullkeys = false;
	key->nextkey = false;
	key->pivotsearch = false;
	key->keysz = 2;
	key->scantid = NULL;
	key->scankeys[0].sk_flags &= ~SK_ISNULL;
	key->scankeys[0].sk_argument = PointerGetDatum(purpose);
	key->scankeys[1].sk_flags &= ~SK_ISNULL;
	Buffer buf = InvalidBuffer;
	// the subjects that need an ordinary scan
	int *slow = (int *)palloc(sizeof(int) * Max(count, 1));
	int nslow = 0;
	for (int i = 0; i < count && leaf_pass; i++) {
		if ((i & 1023) == 0) {
			// no page lock is held across an interrupt check
			if (BufferIsValid(buf))
				_bt_relbuf(index, buf);
			buf = InvalidBuffer;
			CHECK_FOR_INTERRUPTS();
		}
		key->scankeys[1].sk_argument = subjects[i].datum;
		if (BufferIsValid(buf)) {
			Page page = BufferGetPage(buf);
			BTPageOpaque opaque = BTPageGetOpaque(page);
			if (!P_RIGHTMOST(opaque) && _bt_compare(index, key, page, P_HIKEY) >= 0) {
				_bt_relbuf(index, buf);
				buf = InvalidBuffer;
			}
		}
		if (!BufferIsValid(buf)) {
			BTStack stack = _bt_search(index, key, &buf, BT_READ, snapshot);
			_bt_freestack(stack);
			if (!BufferIsValid(buf))
				break; // an empty index: nothing stands
		}
		Page page = BufferGetPage(buf);
		BTPageOpaque opaque = BTPageGetOpaque(page);
		OffsetNumber low = P_FIRSTDATAKEY(opaque);
		OffsetNumber high = PageGetMaxOffsetNumber(page) + 1;
		OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
		// the first entry >= the key
		while (low < high) {
			OffsetNumber mid = low + (high - low) / 2;
			if (_bt_compare(index, key, page, mid) > 0)
				low = mid + 1;
			else
				high = mid;
		}
		int before = found;
		OffsetNumber off = low;
		for (; off <= maxoff && _bt_compare(index, key, page, off) == 0; off++) {
			IndexTuple itup = (IndexTuple)PageGetItem(page, PageGetItemId(page, off));
			if (BTreeTupleIsPosting(itup)) {
				for (int p = 0; p < BTreeTupleGetNPosting(itup); p++)
					AddCandidate(&list, &found, &capacity, BTreeTupleGetPostingN(itup, p), i);
			} else
				AddCandidate(&list, &found, &capacity, &itup->t_tid, i);
		}
		// equal entries may continue on the right sibling: scan normally
		if (off > maxoff && !P_RIGHTMOST(opaque) && _bt_compare(index, key, page, P_HIKEY) >= 0) {
			found = before;
			slow[nslow++] = i;
		}
	}
	if (BufferIsValid(buf))
		_bt_relbuf(index, buf);
	if (!leaf_pass)
		for (int i = 0; i < count; i++)
			slow[nslow++] = i;
	// the leaf pass's entries: checked on the heap below
	int fast = found;
	for (int j = 0; j < nslow; j++) {
		if ((j & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		ProbeIndexScan(rel, index, purpose, &subjects[slow[j]], slow[j], snapshot, &scan, slot,
		               &list, &found, &capacity);
	}
	if (scan != NULL)
		index_endscan(scan);

	// check each entry on the heap with the snapshot (an index entry also
	// leads to versions that were revoked, deleted or never committed)
	*tids = (ItemPointerData *)palloc(sizeof(ItemPointerData) * Max(found, 1));
	*ntids = 0;
	IndexFetchTableData *fetch = table_index_fetch_begin(rel);
	const char *purpose_bytes = VARDATA_ANY(purpose);
	int purpose_len = (int)VARSIZE_ANY_EXHDR(purpose);
	for (int c = 0; c < found; c++) {
		if ((c & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (c < fast) {
			bool call_again = false, all_dead = false;
			ItemPointerData tid = list[c].tid;
			if (!table_index_fetch_tuple(fetch, &tid, snapshot, slot, &call_again, &all_dead))
				continue;
		} else if (!table_tuple_fetch_row_version(rel, &list[c].tid, snapshot, slot))
			continue;
		bool isnull_revoked, isnull_purpose, isnull_subject;
		(void)slot_getattr(slot, cols.revoked_at, &isnull_revoked);
		Datum row_purpose = slot_getattr(slot, cols.purpose, &isnull_purpose);
		Datum row_subject = slot_getattr(slot, cols.subject, &isnull_subject);
		const Subject *subject = &subjects[list[c].subject];
		// recheck on the heap row, as any lossy or partial index read does
		if (!isnull_revoked || isnull_purpose || isnull_subject ||
		    !TextIs(row_purpose, purpose_bytes, purpose_len) ||
		    !TextIs(row_subject, subject->bytes, subject->len))
			continue;
		(*tids)[(*ntids)++] = slot->tts_tid;
	}
	table_index_fetch_end(fetch);
	index_close(index, AccessShareLock);
	ExecDropSingleTupleTableSlot(slot);
	return true;
}

// RunSql runs one statement through SPI and returns how many rows it
// processed.
uint64
RunSql(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls) {
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	uint64 processed = SPI_processed;
	SPI_finish();
	return processed;
}

// LockPurpose checks that purpose exists and locks its row FOR KEY SHARE
// until the transaction ends (what the foreign key's check does per row).
void
LockPurpose(text *purpose) {
	Oid types[1] = {TEXTOID};
	Datum values[1] = {PointerGetDatum(purpose)};
	if (RunSql("SELECT FROM privacy._purpose p WHERE p.name OPERATOR(pg_catalog.=) $1 FOR KEY "
	           "SHARE",
	           1, types, values, NULL) == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT),
		         errmsg("purpose \"%s\" does not exist", text_to_cstring(purpose)),
		         errhint("Create it first with privacy.create_purpose(name, description).")));
}

// SubjectArray builds a text[] of the subjects.
ArrayType *
SubjectArray(const Subject *subjects, int count) {
	Datum *elems = (Datum *)palloc(sizeof(Datum) * Max(count, 1));
	for (int i = 0; i < count; i++)
		elems[i] = subjects[i].datum;
	return construct_array(elems, count, TEXTOID, -1, false, TYPALIGN_INT);
}

constexpr int kRevokeChunk = 10000;

// CompareTids orders TIDs in heap order.
int
CompareTids(const void *a, const void *b) {
	return ItemPointerCompare((ItemPointer)a, (ItemPointer)b);
}

// Supersede revokes the standing consents of the subjects (now(), who).
void
Supersede(Relation rel, const Columns &cols, text *purpose, const Subject *subjects, int count,
          Datum who) {
	ItemPointerData *tids;
	int ntids;
	if (FindSuperseded(rel, cols, purpose, subjects, count, GetActiveSnapshot(), &tids, &ntids)) {
		if (ntids == 0)
			return;
		// by TID (each found with this statement's snapshot; a row revoked
		// meanwhile by another transaction no longer qualifies), in heap
		// order, kRevokeChunk at a time (so that a call of a million
		// subjects does not plan and hold one statement of a million TIDs)
		qsort(tids, ntids, sizeof(ItemPointerData), CompareTids);
		Datum *elems = (Datum *)palloc(sizeof(Datum) * Min(ntids, kRevokeChunk));
		// a TID scan, whatever the planner estimates: for many TIDs it
		// prefers reading the whole registry (seconds at 10M rows)
		int nest = NewGUCNestLevel();
		(void)set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
		                        GUC_ACTION_SAVE, true, 0, false);
		(void)set_config_option("enable_tidscan", "on", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
		                        true, 0, false);
		for (int done = 0; done < ntids; done += kRevokeChunk) {
			int n = Min(kRevokeChunk, ntids - done);
			for (int i = 0; i < n; i++)
				elems[i] = PointerGetDatum(&tids[done + i]);
			ArrayType *array = construct_array(elems, n, TIDOID, sizeof(ItemPointerData), false,
			                                   TYPALIGN_SHORT);
			Oid types[3] = {TIDARRAYOID, NAMEOID, TEXTOID};
			Datum values[3] = {PointerGetDatum(array), who, PointerGetDatum(purpose)};
			RunSql("UPDATE privacy._consent c SET revoked_at = pg_catalog.now(), revoked_by = $2 "
			       "WHERE c.ctid OPERATOR(pg_catalog.=) ANY ($1) AND c.revoked_at IS NULL "
			       "AND c.purpose OPERATOR(pg_catalog.=) $3",
			       3, types, values, NULL);
			pfree(array);
		}
		AtEOXact_GUC(true, nest);
		return;
	}
	// no usable standing index: the statement of the scalar grant, once
	Oid types[3] = {TEXTARRAYOID, NAMEOID, TEXTOID};
	Datum values[3] = {PointerGetDatum(SubjectArray(subjects, count)), who,
	                   PointerGetDatum(purpose)};
	RunSql("UPDATE privacy._consent c SET revoked_at = pg_catalog.now(), revoked_by = $2 "
	       "FROM pg_catalog.unnest($1) AS n(subject) "
	       "WHERE c.purpose COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.=) $3 AND c.revoked_at IS "
	       "NULL "
	       "AND c.subject COLLATE pg_catalog.\"C\" OPERATOR(pg_catalog.=) n.subject",
	       3, types, values, NULL);
}

// NeedsOrdinaryInsert reports whether rel has row triggers or transition
// tables an INSERT would fire that the bulk path does not run (BEFORE and
// INSTEAD OF row triggers, transition tables).
bool
NeedsOrdinaryInsert(Relation rel) {
	TriggerDesc *trig = rel->trigdesc;
	return trig != NULL && (trig->trig_insert_before_row || trig->trig_insert_instead_row ||
	                        trig->trig_insert_new_table);
}

// InsertOrdinary inserts the rows with one INSERT statement.
uint64
InsertOrdinary(const Subject *subjects, int count, text *purpose, Datum expires_at,
               bool expires_null, Datum who) {
	Oid types[4] = {TEXTARRAYOID, TEXTOID, TIMESTAMPTZOID, NAMEOID};
	Datum values[4] = {PointerGetDatum(SubjectArray(subjects, count)), PointerGetDatum(purpose),
	                   expires_at, who};
	char nulls[5] = {' ', ' ', expires_null ? 'n' : ' ', ' ', '\0'};
	return RunSql(
	        "INSERT INTO privacy._consent (subject, purpose, granted_at, expires_at, granted_by) "
	        "SELECT s.subject, $2, pg_catalog.now(), $3, $4 FROM pg_catalog.unnest($1) WITH "
	        "ORDINALITY AS s(subject, n) "
	        "ORDER BY s.n",
	        4, types, values, nulls);
}

constexpr int kBatchRows = 1000;

// InsertBulk inserts one row per subject as COPY does: batches of heap
// tuples, then each row's index entries and AFTER row trigger events.
uint64
InsertBulk(Relation rel, const Columns &cols, const Subject *subjects, int count, text *purpose,
           Datum expires_at, bool expires_null, Datum who) {
	TupleDesc desc = RelationGetDescr(rel);
	int natts = desc->natts;
	EState *estate = CreateExecutorState();
	ResultRelInfo *info = makeNode(ResultRelInfo);
	InitResultRelInfo(info, rel, 0, NULL, 0);
	ExecOpenIndices(info, false);
	ExprContext *econtext = GetPerTupleExprContext(estate);
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	// the defaults of the columns the import does not set (the id)
	ExprState **defaults = (ExprState **)palloc0(sizeof(ExprState *) * natts);
	for (int a = 0; a < natts; a++) {
		Form_pg_attribute att = TupleDescAttr(desc, a);
		AttrNumber attnum = (AttrNumber)(a + 1);
		if (att->attisdropped || attnum == cols.subject || attnum == cols.purpose ||
		    attnum == cols.granted_at || attnum == cols.expires_at || attnum == cols.granted_by)
			continue;
		if (att->attgenerated)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			                errmsg("privacy._consent has a generated column")));
		Node *expr = build_column_default(rel, attnum);
		if (expr != NULL)
			defaults[a] = ExecInitExpr(expression_planner((Expr *)expr), NULL);
	}
	TupleTableSlot **slots = (TupleTableSlot **)palloc(sizeof(TupleTableSlot *) * kBatchRows);
	for (int i = 0; i < kBatchRows; i++)
		slots[i] = table_slot_create(rel, NULL);
	MemoryContextSwitchTo(old);
	BulkInsertState bistate = GetBulkInsertState();
	CommandId cid = GetCurrentCommandId(true);
	Datum granted_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	bool has_constraints =
	        desc->constr != NULL && (desc->constr->has_not_null || desc->constr->num_check > 0);
	bool has_after_row = rel->trigdesc != NULL && rel->trigdesc->trig_insert_after_row;

	AfterTriggerBeginQuery();
	ExecBSInsertTriggers(estate, info);
	for (int done = 0; done < count;) {
		CHECK_FOR_INTERRUPTS();
		int batch = Min(kBatchRows, count - done);
		for (int i = 0; i < batch; i++) {
			TupleTableSlot *slot = slots[i];
			ExecClearTuple(slot);
			for (int a = 0; a < natts; a++) {
				slot->tts_isnull[a] = true;
				slot->tts_values[a] = (Datum)0;
				if (defaults[a] != NULL)
					slot->tts_values[a] = ExecEvalExpr(defaults[a], econtext, &slot->tts_isnull[a]);
			}
			slot->tts_values[cols.subject - 1] = subjects[done + i].datum;
			slot->tts_isnull[cols.subject - 1] = false;
			slot->tts_values[cols.purpose - 1] = PointerGetDatum(purpose);
			slot->tts_isnull[cols.purpose - 1] = false;
			slot->tts_values[cols.granted_at - 1] = granted_at;
			slot->tts_isnull[cols.granted_at - 1] = false;
			slot->tts_values[cols.expires_at - 1] = expires_at;
			slot->tts_isnull[cols.expires_at - 1] = expires_null;
			slot->tts_values[cols.granted_by - 1] = who;
			slot->tts_isnull[cols.granted_by - 1] = false;
			ExecStoreVirtualTuple(slot);
			// the heap tuple is formed in the slot's own memory
			ExecMaterializeSlot(slot);
			if (has_constraints)
				ExecConstraints(info, slot, estate);
			ResetPerTupleExprContext(estate);
		}
		table_multi_insert(rel, slots, batch, cid, 0, bistate);
		for (int i = 0; i < batch; i++) {
			List *recheck = NIL;
			if (info->ri_NumIndices > 0)
				recheck = ExecInsertIndexTuples(info, slots[i], estate, false, false, NULL, NIL);
			if (has_after_row)
				ExecARInsertTriggers(estate, info, slots[i], recheck, NULL);
			list_free(recheck);
			ResetPerTupleExprContext(estate);
		}
		done += batch;
	}
	ExecASInsertTriggers(estate, info, NULL);
	AfterTriggerEndQuery(estate);

	FreeBulkInsertState(bistate);
	table_finish_bulk_insert(rel, 0);
	for (int i = 0; i < kBatchRows; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	ExecCloseIndices(info);
	ExecCloseResultRelations(estate);
	// the slots the fired triggers' result relations made
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	return (uint64)count;
}

// GrantConsentsImpl implements privacy._grant_consents(text[], text,
// timestamptz, name).
Datum
GrantConsentsImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("subjects and purpose must not be null")));
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(0);
	text *purpose = PG_GETARG_TEXT_PP(1);
	bool expires_null = PG_ARGISNULL(2);
	Datum expires_at = expires_null ? (Datum)0 : PG_GETARG_DATUM(2);
	Datum who = PG_GETARG_DATUM(3);
	// a direct write to the registry: the checks the executor makes for an
	// INSERT
	PreventCommandIfReadOnly("privacy.grant_consent()");
	PreventCommandIfParallelMode("privacy.grant_consent()");
	if (ARR_ELEMTYPE(array) != TEXTOID)
		ereport(ERROR,
		        (errcode(ERRCODE_DATATYPE_MISMATCH), errmsg("subjects must be an array of text")));
	if (!expires_null && DatumGetTimestampTz(expires_at) <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("consent must expire in the future")));

	Datum *elems;
	bool *nulls;
	int count;
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
	Subject *subjects = (Subject *)palloc(sizeof(Subject) * Max(count, 1));
	for (int i = 0; i < count; i++) {
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("subjects must not contain null"),
			                errhint("Remove the null elements; nothing was recorded.")));
		// array elements are never compressed or external, but may have a
		// short header
		text *t = (text *)PG_DETOAST_DATUM_PACKED(elems[i]);
		subjects[i].bytes = VARDATA_ANY(t);
		subjects[i].len = (int)VARSIZE_ANY_EXHDR(t);
		subjects[i].datum = PointerGetDatum(t);
	}
	pfree(nulls);
	if (count > 1)
		qsort(subjects, count, sizeof(Subject), CompareSubjects);
	int distinct = 0;
	for (int i = 0; i < count; i++)
		if (distinct == 0 || CompareSubjects(&subjects[distinct - 1], &subjects[i]) != 0)
			subjects[distinct++] = subjects[i];

	LockPurpose(purpose);
	if (distinct == 0)
		PG_RETURN_INT64(0);

	Oid table_oid = RequirePrivacyTable("_consent");
	Relation rel = table_open(table_oid, RowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("privacy._consent is not an ordinary table")));
	Columns cols;
	cols.subject = RequireColumn(rel, "subject");
	cols.purpose = RequireColumn(rel, "purpose");
	cols.granted_at = RequireColumn(rel, "granted_at");
	cols.expires_at = RequireColumn(rel, "expires_at");
	cols.revoked_at = RequireColumn(rel, "revoked_at");
	cols.granted_by = RequireColumn(rel, "granted_by");

	// new grants supersede standing ones (which stay in the history)
	Supersede(rel, cols, purpose, subjects, distinct, who);

	// the rows all carry the one purpose checked and locked above, so the
	// foreign key's per-row check is skipped for them: session_replication_role
	// = replica while they are written (transaction-local: an error restores
	// it with the transaction or subtransaction)
	const char *role = GetConfigOption("session_replication_role", false, false);
	char *saved_role = pstrdup(role != NULL ? role : "origin");
	(void)set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
	                        GUC_ACTION_LOCAL, true, 0, false);
	uint64 inserted;
	if (NeedsOrdinaryInsert(rel))
		inserted = InsertOrdinary(subjects, distinct, purpose, expires_at, expires_null, who);
	else
		inserted =
		        InsertBulk(rel, cols, subjects, distinct, purpose, expires_at, expires_null, who);
	(void)set_config_option("session_replication_role", saved_role, PGC_SUSET, PGC_S_SESSION,
	                        GUC_ACTION_LOCAL, true, 0, false);
	table_close(rel, NoLock);
	PG_RETURN_INT64((int64)inserted);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_grant_consents, privacy::pg::GrantConsentsImpl)
