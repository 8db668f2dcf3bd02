// consent_registry.cpp: index probes and scans of the consent registry
// privacy._consent with the statement's snapshot.
//
// Never uses SPI (called from row-security quals), and caches nothing
// across statements but the registry's OIDs.
#include "pg/catalog/consent_registry.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"

extern "C" {
#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/htup_details.h"
#include "miscadmin.h"
#include "nodes/tidbitmap.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type.h"
}

namespace privacy::pg {

namespace {

// Consent is read from privacy._consent itself with the statement's snapshot
// (the active snapshot: the leader's in parallel workers, the portal's for a
// cursor), through the partial indexes on standing consents (WHERE
// revoked_at IS NULL): the btree _consent_standing (purpose, subject),
// collation "C", descended by (purpose, subject) for one subject and read
// over one purpose's range for a set. Nothing is cached across statements,
// so a consent change costs other backends nothing and is visible (or not)
// exactly as MVCC says. A caller that probes many rows builds a per-query
// set of the purpose's standing consents instead (consent_set.cpp).

// The OIDs of privacy._consent and its standing index, cached once the
// table and its btree exist (looked up again on every use until then, so a
// registry created later is found): a point lookup should not pay three
// catalog lookups for them. Any relcache invalidation of one of them or of
// the table (DROP, REINDEX, ALTER, CREATE INDEX on it) or of everything
// forgets them.
Oid cached_consent_table = InvalidOid;
Oid cached_standing_index = InvalidOid;

void
ForgetConsentRelations(Oid relid) {
	if (!OidIsValid(relid) || relid == cached_consent_table || relid == cached_standing_index)
		cached_consent_table = cached_standing_index = InvalidOid;
}

// ConsentRelations finds privacy._consent and its standing index by
// (purpose, subject) (which may be missing: then the heap is scanned).
bool
ConsentRelations(Oid *table, Oid *index) {
	if (!OidIsValid(cached_consent_table)) {
		*table = PrivacyTable("_consent");
		*index = PrivacyTable("_consent_standing");
		if (OidIsValid(*table) && OidIsValid(*index)) {
			cached_consent_table = *table;
			cached_standing_index = *index;
		}
		return OidIsValid(*table);
	}
	*table = cached_consent_table;
	*index = cached_standing_index;
	return true;
}

// OpenIndexIfShaped opens index_oid when it is an index of table_oid
// (privacy._consent) with the expected access method whose first keys are
// the given columns, else returns NULL. (Whatever index is used, every row
// it leads to is checked again on the heap: see VisitRow.)
Relation
OpenIndexIfShaped(Oid table_oid, Oid index_oid, Oid am, int nkeys, AttrNumber first,
                  AttrNumber second) {
	if (!OidIsValid(index_oid))
		return NULL;
	Relation index = try_index_open(index_oid, AccessShareLock);
	if (index == NULL)
		return NULL;
	if (index->rd_index->indrelid != table_oid || index->rd_rel->relam != am ||
	    index->rd_index->indnatts < nkeys || index->rd_index->indkey.values[0] != first ||
	    (nkeys > 1 && index->rd_index->indkey.values[1] != second)) {
		index_close(index, AccessShareLock);
		return NULL;
	}
	return index;
}

// TextEquals compares a text datum with a byte string.
bool
TextEquals(Datum value, const char *bytes, size_t len) {
	text *t = DatumGetTextPP(value);
	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), bytes, len) == 0;
}

// VisitRow checks one heap row of privacy._consent and passes it on.
// columns: 1 id, 2 subject, 3 purpose, 4 granted_at, 5 expires_at, 6 revoked_at
bool
VisitRow(TupleTableSlot *slot, const char *purpose, size_t purpose_len, const char *subject,
         size_t subject_len, StandingVisitor visit, void *arg) {
	bool isnull[6];
	Datum values[6];
	slot_getsomeattrs(slot, 6);
	for (int i = 0; i < 6; i++) {
		values[i] = slot->tts_values[i];
		isnull[i] = slot->tts_isnull[i];
	}
	// recheck on the heap row: the index is partial and its keys collated
	if (!isnull[5] || isnull[1] || isnull[2] || !TextEquals(values[2], purpose, purpose_len))
		return true;
	if (subject != NULL && !TextEquals(values[1], subject, subject_len))
		return true;
	text *row_subject = DatumGetTextPP(values[1]);
	return visit(VARDATA_ANY(row_subject), VARSIZE_ANY_EXHDR(row_subject),
	             isnull[4] ? DT_NOEND : DatumGetTimestampTz(values[4]), arg);
}

// VisitInHeapOrder reads the TIDs of the purpose's range from the index
// into a bitmap and visits their visible heap rows in block order, as a
// bitmap heap scan does (each TID's HOT chain is followed with the
// snapshot; a lossy page is read whole, every row rechecked by VisitRow).
void
VisitInHeapOrder(Relation rel, Relation index, Snapshot snapshot, ScanKeyData *keys,
                 TupleTableSlot *slot, const char *purpose, size_t purpose_len,
                 StandingVisitor visit, void *arg) {
	IndexScanDesc scan = index_beginscan_bitmap(index, snapshot, 1);
	index_rescan(scan, keys, 1, NULL, 0);
	TIDBitmap *bitmap = tbm_create((long)work_mem * 1024L, NULL);
	(void)index_getbitmap(scan, bitmap);
	index_endscan(scan);
	TBMIterator *iterator = tbm_begin_iterate(bitmap);
	IndexFetchTableData *fetch = table_index_fetch_begin(rel);
	bool more = true;
	TBMIterateResult *page;
	while (more && (page = tbm_iterate(iterator)) != NULL) {
		int n = page->ntuples >= 0 ? page->ntuples : MaxHeapTuplesPerPage;
		for (int i = 0; more && i < n; i++) {
			ItemPointerData at;
			ItemPointerSet(&at, page->blockno,
			               page->ntuples >= 0 ? page->offsets[i] : (OffsetNumber)(i + 1));
			bool call_again = false;
			bool all_dead = false;
			do {
				if (!table_index_fetch_tuple(fetch, &at, snapshot, slot, &call_again, &all_dead))
					break;
				if (!VisitRow(slot, purpose, purpose_len, NULL, 0, visit, arg))
					more = false;
			} while (more && call_again);
		}
	}
	table_index_fetch_end(fetch);
	tbm_end_iterate(iterator);
	tbm_free(bitmap);
}

// LargeShare reports whether the registry's statistics (ANALYZE) say that
// at least a fifth of its rows are of purpose (its most common values);
// without statistics, no.
bool
LargeShare(Relation rel, const char *purpose, size_t purpose_len) {
	constexpr AttrNumber kPurposeColumn = 3;
	HeapTuple stats = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(RelationGetRelid(rel)),
	                                  Int16GetDatum(kPurposeColumn), BoolGetDatum(false));
	if (!HeapTupleIsValid(stats))
		return false;
	bool large = false;
	AttStatsSlot slot;
	if (get_attstatsslot(&slot, stats, STATISTIC_KIND_MCV, InvalidOid,
	                     ATTSTATSSLOT_VALUES | ATTSTATSSLOT_NUMBERS)) {
		if (slot.valuetype == TEXTOID)
			for (int i = 0; i < slot.nvalues && i < slot.nnumbers; i++)
				if (TextEquals(slot.values[i], purpose, purpose_len)) {
					large = slot.numbers[i] >= 0.2;
					break;
				}
		free_attstatsslot(&slot);
	}
	ReleaseSysCache(stats);
	return large;
}

} // namespace

// ScanStanding calls visit(subject, len, until, arg) for every standing
// (unrevoked) consent of purpose (and of subject, when not NULL) that the
// active snapshot sees; until is DT_NOEND when it does not expire. visit
// returns false to stop.
//
// The registry's locks are released when the scan ends, as catalog reads
// do: a role that may not read privacy._consent must not be able to hold a
// lock on it (and block its maintenance) from an idle transaction. (Keeping
// them to the end of the transaction saved nothing measurable per probe.)
void
ScanStanding(const char *purpose, const char *subject, size_t subject_len, StandingVisitor visit,
             void *arg) {
	Oid table_oid, index_oid;
	if (!ConsentRelations(&table_oid, &index_oid))
		return;
	// the statement's snapshot; called outside a statement (no active
	// snapshot), a fresh transaction snapshot
	bool pushed = !ActiveSnapshotSet();
	if (pushed)
		PushActiveSnapshot(GetTransactionSnapshot());
	Snapshot snapshot = GetActiveSnapshot();
	size_t purpose_len = strlen(purpose);
	Relation rel = table_open(table_oid, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	text *purpose_text = cstring_to_text_with_len(purpose, (int)purpose_len);
	text *subject_text =
	        subject != NULL ? cstring_to_text_with_len(subject, (int)subject_len) : NULL;
	// one subject: a descent by (purpose, subject); every subject: the
	// purpose's range
	Relation index = OpenIndexIfShaped(table_oid, index_oid, BTREE_AM_OID, 2, 3, 2);
	// a set of a purpose that holds a large share of the registry: reading
	// the whole heap in order costs less than the index and a heap fetch
	// per consent
	if (index != NULL && subject == NULL && LargeShare(rel, purpose, purpose_len)) {
		index_close(index, AccessShareLock);
		index = NULL;
	}
	if (index != NULL) {
		ScanKeyData keys[2];
		int nkeys = subject != NULL ? 2 : 1;
		// the index's own collations: its ordering decides where the scan lands
		ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
		                       index->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(purpose_text));
		if (subject != NULL)
			ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
			                       index->rd_indcollation[1], F_TEXTEQ,
			                       PointerGetDatum(subject_text));
		if (subject != NULL) {
			IndexScanDesc scan = index_beginscan(rel, index, snapshot, nkeys, 0);
			index_rescan(scan, keys, nkeys, NULL, 0);
			while (index_getnext_slot(scan, ForwardScanDirection, slot))
				if (!VisitRow(slot, purpose, purpose_len, subject, subject_len, visit, arg))
					break;
			index_endscan(scan);
		} else {
			// a purpose's range (a set being built): the heap in block
			// order, so that consecutive rows share their page (in subject
			// order they hardly ever do)
			VisitInHeapOrder(rel, index, snapshot, keys, slot, purpose, purpose_len, visit, arg);
		}
		index_close(index, AccessShareLock);
	} else {
		TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
			if (!VisitRow(slot, purpose, purpose_len, subject, subject_len, visit, arg))
				break;
		table_endscan(scan);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	if (pushed)
		PopActiveSnapshot();
}

bool
StandsAt(TimestampTz until) {
	return until == DT_NOEND || until > GetCurrentTransactionStartTimestamp();
}

namespace {

// RelcacheCallback forgets the registry's OIDs (see ConsentRelations).
void
RelcacheCallback(Datum arg, Oid relid) {
	ForgetConsentRelations(relid);
}

bool
VisitProbe(const char *, size_t, TimestampTz until, void *arg) {
	if (StandsAt(until)) {
		*(bool *)arg = true;
		return false;
	}
	return true;
}

} // namespace

void
InitConsentRegistry() {
	RegisterRelcacheInvalidation(RelcacheCallback, (Datum)0);
}

bool
ConsentStandsNow(const char *purpose, const char *subject, size_t len) {
	bool found = false;
	ScanStanding(purpose, subject, len, VisitProbe, &found);
	return found;
}

uint32
ProbesBeforeSet(size_t limit) {
	constexpr uint32 kMinimum = 64;
	// a record costs about 32 bytes and its subject
	double capacity = (double)limit / 48.0;
	Oid table_oid, index_oid;
	if (!ConsentRelations(&table_oid, &index_oid) || !OidIsValid(index_oid))
		return kMinimum;
	Relation index = index_open(index_oid, AccessShareLock);
	double standing = index->rd_rel->reltuples; // all purposes; -1 if never counted
	index_close(index, AccessShareLock);
	if (standing < 0 || standing <= capacity)
		return kMinimum;
	// the set may not fit: try only once the probes so far cost about what a
	// build that gives up would (it reads up to capacity entries, each far
	// cheaper than a probe's descent)
	return (uint32)Max((double)kMinimum, Min(capacity / 8.0, (double)PG_UINT32_MAX / 2));
}

} // namespace privacy::pg
