// row_policies.cpp: the row-policy cache and the decisions behind the quals
// that pg_privacy's restrictive row-security hook attaches.
//
// Quals are SQL built here from catalog values (quoted identifiers and
// literals, relation OIDs) plus canonical filter text that was validated
// when declared, and parsed with search_path = pg_catalog, pg_temp. They
// contain no subqueries, so plans stay parallel-safe: the per-statement
// decisions (exempt? purpose usable?) are cached in the helper's fn_extra,
// and consent is read from the registry with the statement's snapshot: an
// index probe per row for the first rows, then (for scans) a set of the
// purpose's standing consents built once for that execution. No consent
// state outlives a statement.
//
// Never uses SPI (called while the rewriter runs), and never frees cache
// memory while a build is in progress (invalidations arrive whenever a lock
// is taken).
#include "pg/catalog/row_policies.hpp"
#include "pg/catalog/cache_memory.hpp"
#include "pg/catalog/invalidation.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/stored_expressions.hpp"

extern "C" {
#include "access/genam.h"
#include "access/hash.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "rewrite/rowsecurity.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "lib/stringinfo.h"
#include "common/hashfn.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// PolicyRow is one row of privacy._row_policy.
struct PolicyRow {
	Oid relid;
	char *name;
	bool consent;   // kind consent
	bool retention; // kind retention (hide rows past the retention window)
	NameData subject_column;
	char *purpose;
	char *condition;        // canonical text (used only without condition_function)
	Oid condition_function; // a filter's stored expression (stored_expressions.hpp)
	int nroles;
	Oid *roles;
};

// RelPolicies is the cached set of policies for one queried relation.
struct RelPolicies {
	Oid relid; // hash key
	int npolicies;
	RowSecurityPolicy *policies; // consent ones first flagged by consent[]
	bool *consent;
};

MemoryContext cache_context = NULL;
bool loaded = false;
bool stale = false;
int in_use = 0;
Oid policy_table = InvalidOid;
int nrows = 0;
PolicyRow *rows = NULL;
HTAB *rel_cache = NULL;

void
ResetCache() {
	if (cache_context != NULL)
		MemoryContextReset(cache_context);
	loaded = false;
	stale = false;
	policy_table = InvalidOid;
	nrows = 0;
	rows = NULL;
	rel_cache = NULL;
}

// The last PurposeUsable answer: the gate of every consent-gated statement
// asks it once, so a point lookup should not scan two catalog tables.
char usable_purpose[NAMEDATALEN];
Oid usable_user = InvalidOid;
bool usable_answer = false;
bool usable_valid = false;

// RoleChangeCallback forgets the answer when roles or memberships change.
void
RoleChangeCallback(Datum arg, int cacheid, uint32 hashvalue) {
	usable_valid = false;
}

// ForgetConsentRelations drops the cached OIDs of the consent registry (see
// ConsentRelations) on an invalidation of any of them, or of everything.
void ForgetConsentRelations(Oid relid);

// RelcacheCallback marks the cache stale on any relevant invalidation: our
// catalog table, the column-policy table (the API's common signal), a cached
// relation, or everything.
void
RelcacheCallback(Datum arg, Oid relid) {
	ForgetConsentRelations(relid);
	// the purpose answer follows the same signal (privacy._invalidate_policies)
	// never IsCatalogTable here: it may read catalogs (see MaybeCatalogTable)
	if (!OidIsValid(relid) || MaybeCatalogTable(relid))
		usable_valid = false;
	if (!loaded)
		return;
	if (!OidIsValid(relid) || relid == policy_table || MaybeCatalogTable(relid) ||
	    !OidIsValid(policy_table)) {
		stale = true;
		return;
	}
	if (rel_cache != NULL && hash_search(rel_cache, &relid, HASH_FIND, NULL) != NULL)
		stale = true;
}

// ProcCallback marks the cache stale when a function changes: a stored
// filter's wrapper may have been dropped, or a function it calls may have
// changed owner (the trust check runs when a filter is loaded).
void
ProcCallback(Datum arg, int cacheid, uint32 hashvalue) {
	if (loaded && nrows > 0)
		stale = true;
}

// EnsureLoaded reads privacy._row_policy when needed.
void
EnsureLoaded() {
	if (stale && in_use == 0)
		ResetCache();
	if (loaded)
		return;
	EnsureCacheContext(&cache_context, "pg_privacy row policies");
	rel_cache = CreateOidHash("pg_privacy row-policy relations", 64, sizeof(RelPolicies),
	                          cache_context);
	MemoryContext old;

	Oid table = PrivacyTable("_row_policy");
	if (!OidIsValid(table)) {
		loaded = true;
		return;
	}

	int cap = 8;
	PolicyRow *found = (PolicyRow *)MemoryContextAllocZero(cache_context, sizeof(PolicyRow) * cap);
	int n = 0;
	Relation rel = table_open(table, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		if (n == cap) {
			cap *= 2;
			found = (PolicyRow *)repalloc(found, sizeof(PolicyRow) * cap);
		}
		PolicyRow *row = &found[n];
		memset(row, 0, sizeof(*row));
		old = MemoryContextSwitchTo(cache_context);
		row->relid = DatumGetObjectId(heap_getattr(tup, 1, desc, &isnull));
		row->name = TextDatumGetCString(heap_getattr(tup, 2, desc, &isnull));
		char *kind = TextDatumGetCString(heap_getattr(tup, 3, desc, &isnull));
		row->consent = strcmp(kind, "consent") == 0;
		row->retention = strcmp(kind, "retention") == 0;
		Datum column = heap_getattr(tup, 4, desc, &isnull);
		if (!isnull)
			namestrcpy(&row->subject_column, NameStr(*DatumGetName(column)));
		Datum purpose = heap_getattr(tup, 5, desc, &isnull);
		row->purpose = isnull ? NULL : TextDatumGetCString(purpose);
		Datum condition = heap_getattr(tup, 6, desc, &isnull);
		row->condition = isnull ? NULL : TextDatumGetCString(condition);
		// 0.2.0 stores a filter as a wrapper function (column 11); a 0.1.0
		// catalog, or a row copied without one, has the text only. A
		// dangling OID (dropped with something it used) fails closed.
		row->condition_function = InvalidOid;
		if (desc->natts >= 11) {
			Datum fn = heap_getattr(tup, 11, desc, &isnull);
			if (!isnull)
				row->condition_function = DatumGetObjectId(fn);
		}
		Datum roles = heap_getattr(tup, 8, desc, &isnull);
		if (!isnull) {
			ArrayType *array = DatumGetArrayTypePCopy(roles);
			Datum *elems;
			bool *nulls;
			int count;
			deconstruct_array(array, REGROLEOID, sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls,
			                  &count);
			row->roles = (Oid *)palloc0(sizeof(Oid) * (count > 0 ? count : 1));
			for (int i = 0; i < count; i++)
				if (!nulls[i])
					row->roles[row->nroles++] = DatumGetObjectId(elems[i]);
		}
		MemoryContextSwitchTo(old);
		n++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	rows = found;
	nrows = n;
	policy_table = table;
	loaded = true;
}

// ParseQual analyzes a qual over relation relid (varno 1) with the fixed
// search_path; *has_sublinks tells whether it contains subqueries.
Expr *
ParseQual(Oid relid, const char *text, bool *has_sublinks) {
	int nest_level = RunWithFixedSearchPath();
	List *raw = raw_parser(text, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *select = (SelectStmt *)linitial_node(RawStmt, raw)->stmt;
	ResTarget *target = linitial_node(ResTarget, select->targetList);
	Relation rel = relation_open(relid, AccessShareLock);
	ParseState *pstate = make_parsestate(NULL);
	pstate->p_sourcetext = text;
	ParseNamespaceItem *nsitem =
	        addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	addNSItemToQuery(pstate, nsitem, false, true, true);
	Node *expr = transformExpr(pstate, target->val, EXPR_KIND_POLICY);
	expr = coerce_to_boolean(pstate, expr, "row policy");
	assign_expr_collations(pstate, expr);
	*has_sublinks = pstate->p_hasSubLinks;
	free_parsestate(pstate);
	relation_close(rel, AccessShareLock);
	RestoreSearchPath(nest_level);
	return (Expr *)expr;
}

// RetentionWindow reads the time column and keep interval of relid's
// retention policy (privacy._retention_policy); false if there is none.
bool
RetentionWindow(Oid relid, char **time_column, char **keep) {
	Oid table = PrivacyTable("_retention_policy");
	if (!OidIsValid(table))
		return false;
	bool found = false;
	Relation rel = table_open(table, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while (!found && (tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		if (DatumGetObjectId(heap_getattr(tup, 1, desc, &isnull)) != relid)
			continue;
		*time_column = pstrdup(NameStr(*DatumGetName(heap_getattr(tup, 2, desc, &isnull))));
		Datum interval = heap_getattr(tup, 3, desc, &isnull);
		*keep = DatumGetCString(DirectFunctionCall1(interval_out, interval));
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

// BuildPolicies builds the RowSecurityPolicy nodes of relid.
void
BuildPolicies(RelPolicies *entry) {
	List *sources = list_make1_oid(entry->relid);
	// the relation's own policies, then its ancestors' (nearest first)
	sources = list_concat(sources, InheritanceAncestors(entry->relid));

	int count = 0;
	for (int i = 0; i < nrows; i++)
		if (list_member_oid(sources, rows[i].relid))
			count++;
	entry->npolicies = 0;
	entry->policies = (RowSecurityPolicy *)MemoryContextAllocZero(
	        cache_context, sizeof(RowSecurityPolicy) * (count + 1));
	entry->consent = (bool *)MemoryContextAllocZero(cache_context, sizeof(bool) * (count + 1));
	if (count == 0)
		return;

	ListCell *lc;
	foreach (lc, sources) {
		Oid source = lfirst_oid(lc);
		for (int i = 0; i < nrows; i++) {
			PolicyRow *row = &rows[i];
			if (row->relid != source)
				continue;
			StringInfoData qual;
			initStringInfo(&qual);
			if (row->consent) {
				if (get_attnum(entry->relid, NameStr(row->subject_column)) == InvalidAttrNumber)
					ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
					                errmsg("subject column \"%s\" of consent policy \"%s\" is "
					                       "missing from \"%s\"",
					                       NameStr(row->subject_column), row->name,
					                       get_rel_name(entry->relid))));
				appendStringInfo(&qual,
				                 "privacy._consent_allows(%u::pg_catalog.regclass, %s, "
				                 "(%s)::pg_catalog.text)",
				                 entry->relid, quote_literal_cstr(row->purpose),
				                 quote_identifier(NameStr(row->subject_column)));
			} else if (row->retention) {
				char *time_column = NULL;
				char *keep = NULL;
				if (!RetentionWindow(source, &time_column, &keep))
					ereport(ERROR,
					        (errcode(ERRCODE_UNDEFINED_OBJECT),
					         errmsg("row policy \"retention\" of \"%s\" has no retention policy",
					                get_rel_name(source)),
					         errhint("Drop it with privacy.drop_row_policy() or declare one with "
					                 "privacy.set_retention().")));
				appendStringInfo(
				        &qual,
				        "privacy._row_exempt(%u::pg_catalog.regclass) OR (%s) IS NULL OR (%s) >= "
				        "pg_catalog.now() OPERATOR(pg_catalog.-) %s::pg_catalog.interval",
				        entry->relid, quote_identifier(time_column), quote_identifier(time_column),
				        quote_literal_cstr(keep));
			} else if (!OidIsValid(row->condition_function)) {
				appendStringInfo(&qual, "privacy._row_exempt(%u::pg_catalog.regclass) OR (%s)",
				                 entry->relid, row->condition);
			} else {
				appendStringInfo(&qual, "privacy._row_exempt(%u::pg_catalog.regclass)",
				                 entry->relid);
			}
			bool has_sublinks = false;
			Expr *expr = ParseQual(entry->relid, qual.data, &has_sublinks);
			if (!row->consent && !row->retention && OidIsValid(row->condition_function)) {
				// the stored filter, no parsing; fails closed if it was dropped
				Node *filter = LoadStoredExpression(row->condition_function, entry->relid,
				                                    InvalidAttrNumber, "row filter");
				expr = makeBoolExpr(OR_EXPR, list_make2(expr, filter), -1);
			}

			MemoryContext old = MemoryContextSwitchTo(cache_context);
			RowSecurityPolicy *policy = &entry->policies[entry->npolicies];
			policy->policy_name = psprintf("pg_privacy %s", row->name);
			policy->polcmd = '*';
			if (row->nroles > 0) {
				Datum *elems = (Datum *)palloc(sizeof(Datum) * row->nroles);
				for (int r = 0; r < row->nroles; r++)
					elems[r] = ObjectIdGetDatum(row->roles[r]);
				policy->roles = construct_array(elems, row->nroles, OIDOID, sizeof(Oid), true,
				                                TYPALIGN_INT);
			} else {
				Datum public_role = ObjectIdGetDatum(ACL_ID_PUBLIC);
				policy->roles =
				        construct_array(&public_role, 1, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
			}
			policy->permissive = false;
			policy->qual = (Expr *)copyObject(expr);
			// consent and the retention window gate visibility; new and updated
			// rows are not checked against them (they are the application's
			// writes)
			bool visibility_only = row->consent || row->retention;
			policy->with_check_qual =
			        visibility_only ? (Expr *)makeBoolConst(true, false) : (Expr *)copyObject(expr);
			policy->hassublinks = has_sublinks;
			entry->consent[entry->npolicies] = visibility_only;
			entry->npolicies++;
			MemoryContextSwitchTo(old);
		}
	}
}

// ---- consent probes and per-query consent sets ----------------------
//
// Consent is read from privacy._consent itself with the statement's snapshot
// (the active snapshot: the leader's in parallel workers, the portal's for a
// cursor), through the partial indexes on standing consents (WHERE
// revoked_at IS NULL): the hash index _consent_subject (subject) for one
// subject, the btree _consent_standing (purpose, subject) for a purpose. Nothing is cached across
// statements, so a consent change costs other backends nothing and is visible (or not) exactly as
// MVCC says. A caller that probes many rows builds a per-query set of the purpose's standing
// consents instead (ConsentSet below).

// The OIDs of privacy._consent and its standing indexes, cached once the
// table and its btree exist (looked up again on every use until then, so a
// registry created later is found): a point lookup should not pay three
// catalog lookups for them. Any relcache invalidation of one of them or of
// the table (DROP, REINDEX, ALTER, CREATE INDEX on it) or of everything
// forgets them.
Oid cached_consent_table = InvalidOid;
Oid cached_standing_index = InvalidOid;
Oid cached_subject_index = InvalidOid;

void
ForgetConsentRelations(Oid relid) {
	if (!OidIsValid(relid) || relid == cached_consent_table || relid == cached_standing_index ||
	    relid == cached_subject_index)
		cached_consent_table = cached_standing_index = cached_subject_index = InvalidOid;
}

// ConsentRelations finds privacy._consent, its standing index by (purpose,
// subject) and its standing hash index by subject (either index may be
// missing: then the other one, or the heap, is scanned).
bool
ConsentRelations(Oid *table, Oid *index, Oid *subject_index = NULL) {
	if (!OidIsValid(cached_consent_table)) {
		*table = PrivacyTable("_consent");
		*index = PrivacyTable("_consent_standing");
		Oid by_subject = PrivacyTable("_consent_subject");
		if (subject_index != NULL)
			*subject_index = by_subject;
		if (OidIsValid(*table) && OidIsValid(*index)) {
			cached_consent_table = *table;
			cached_standing_index = *index;
			cached_subject_index = by_subject;
		}
		return OidIsValid(*table);
	}
	*table = cached_consent_table;
	*index = cached_standing_index;
	if (subject_index != NULL)
		*subject_index = cached_subject_index;
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

typedef bool (*StandingVisitor)(const char *subject, size_t len, TimestampTz until, void *arg);

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
	Oid table_oid, index_oid, subject_index_oid;
	if (!ConsentRelations(&table_oid, &index_oid, &subject_index_oid))
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
	// one subject: the hash index by subject (one bucket page, no key
	// comparisons on the way down); every subject: the btree by purpose
	Relation index = subject != NULL
	                         ? OpenIndexIfShaped(table_oid, subject_index_oid, HASH_AM_OID, 1, 2, 0)
	                         : NULL;
	if (index != NULL) {
		ScanKeyData key;
		ScanKeyEntryInitialize(&key, 0, 1, HTEqualStrategyNumber, InvalidOid,
		                       index->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(subject_text));
		IndexScanDesc scan = index_beginscan(rel, index, snapshot, 1, 0);
		index_rescan(scan, &key, 1, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
			if (!VisitRow(slot, purpose, purpose_len, subject, subject_len, visit, arg))
				break;
		index_endscan(scan);
		index_close(index, AccessShareLock);
	} else if ((index = OpenIndexIfShaped(table_oid, index_oid, BTREE_AM_OID, 2, 3, 2)) != NULL) {
		ScanKeyData keys[2];
		int nkeys = subject != NULL ? 2 : 1;
		// the index's own collations: its ordering decides where the scan lands
		ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
		                       index->rd_indcollation[0], F_TEXTEQ, PointerGetDatum(purpose_text));
		if (subject != NULL)
			ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
			                       index->rd_indcollation[1], F_TEXTEQ,
			                       PointerGetDatum(subject_text));
		IndexScanDesc scan = index_beginscan(rel, index, snapshot, nkeys, 0);
		index_rescan(scan, keys, nkeys, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
			if (!VisitRow(slot, purpose, purpose_len, subject, subject_len, visit, arg))
				break;
		index_endscan(scan);
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

bool
VisitProbe(const char *, size_t, TimestampTz until, void *arg) {
	if (StandsAt(until)) {
		*(bool *)arg = true;
		return false;
	}
	return true;
}

// The per-query set: open addressing over 8-byte slots (a 32-bit tag from
// the subject's hash and the offset of its record), and in front of it a
// blocked Bloom filter of about 20 bits per subject, small enough to stay in
// the CPU's cache while the slots do not: a subject without consent is
// usually refused there, without touching the slots. The records keep the
// subjects verbatim in one arena (length, expiry, bytes), so a hit is an
// exact comparison (no digest collision can let a row through) and costs
// one slot and one record, both cache misses on a large set.
constexpr size_t kRecordHeader = sizeof(uint32) + sizeof(TimestampTz);

struct Collected {
	size_t limit;
	size_t used;
	bool overflow;
	uint32 count;
	StringInfoData arena; // records: uint32 length, TimestampTz until, bytes
};

uint64
SubjectHash(const char *subject, size_t len) {
	return hash_bytes_extended((const unsigned char *)subject, (int)len,
	                           UINT64CONST(0x5bd1e9955bd1e995));
}

bool
VisitCollect(const char *subject, size_t len, TimestampTz until, void *arg) {
	Collected *c = (Collected *)arg;
	// a record, two slots (load factor at most 1/2) and its Bloom bits
	c->used += kRecordHeader + 2 * sizeof(uint64) + 4 + len;
	if (c->used > c->limit || (size_t)c->arena.len + kRecordHeader + len > MaxAllocSize / 2 ||
	    c->count >= PG_INT32_MAX / 4) {
		c->overflow = true;
		return false;
	}
	uint32 length = (uint32)len;
	appendBinaryStringInfo(&c->arena, (const char *)&length, sizeof(length));
	appendBinaryStringInfo(&c->arena, (const char *)&until, sizeof(until));
	appendBinaryStringInfo(&c->arena, subject, (int)len);
	c->count++;
	return true;
}

// BloomBits returns the block (of 8 words) and the three bits in it that
// stand for a subject's hash.
inline void
BloomBits(uint64 hash, uint64 block_mask, uint64 *block, uint64 bits[3]) {
	uint64 mixed = hash * UINT64CONST(0x9E3779B97F4A7C15);
	*block = (mixed >> 40) & block_mask;
	for (int k = 0; k < 3; k++)
		bits[k] = (mixed >> (9 * k)) & 511;
}

} // namespace

struct ConsentSet {
	uint64 mask;
	uint64 *slots; // 0: empty; else tag << 32 | (record offset + 1)
	char *arena;
	uint64 bloom_mask; // blocks - 1
	uint64 *bloom;     // blocks of 8 words (512 bits)
};

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

ConsentSet *
BuildConsentSet(const char *purpose, MemoryContext context, size_t limit) {
	MemoryContext build =
	        AllocSetContextCreate(context, "pg_privacy consent set", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(build);
	Collected c;
	c.limit = limit;
	c.used = 0;
	c.overflow = false;
	c.count = 0;
	initStringInfo(&c.arena);
	ScanStanding(purpose, NULL, 0, VisitCollect, &c);
	if (c.overflow) {
		MemoryContextSwitchTo(old);
		MemoryContextDelete(build);
		return NULL;
	}
	uint64 size = 16;
	while (size < (uint64)c.count * 2)
		size <<= 1;
	// about 20 bits per subject, in 512-bit blocks
	uint64 blocks = 1;
	while (blocks * 512 < (uint64)c.count * 20)
		blocks <<= 1;
	ConsentSet *set = (ConsentSet *)palloc(sizeof(ConsentSet));
	set->mask = size - 1;
	set->slots = (uint64 *)MemoryContextAllocHuge(build, sizeof(uint64) * size);
	memset(set->slots, 0, sizeof(uint64) * size);
	set->bloom_mask = blocks - 1;
	set->bloom = (uint64 *)MemoryContextAllocHuge(build, sizeof(uint64) * 8 * blocks);
	memset(set->bloom, 0, sizeof(uint64) * 8 * blocks);
	set->arena = c.arena.data;
	for (uint32 offset = 0; offset < (uint32)c.arena.len;) {
		uint32 len;
		TimestampTz until;
		memcpy(&len, set->arena + offset, sizeof(len));
		memcpy(&until, set->arena + offset + sizeof(len), sizeof(until));
		const char *subject = set->arena + offset + kRecordHeader;
		uint64 hash = SubjectHash(subject, len);
		uint64 tag = hash >> 32;
		uint64 at = hash & set->mask;
		uint64 block;
		uint64 bits[3];
		BloomBits(hash, set->bloom_mask, &block, bits);
		for (int k = 0; k < 3; k++)
			set->bloom[block * 8 + bits[k] / 64] |= UINT64CONST(1) << (bits[k] % 64);
		for (;;) {
			uint64 slot = set->slots[at];
			if (slot == 0) {
				set->slots[at] = tag << 32 | (uint64)(offset + 1);
				break;
			}
			char *other = set->arena + (slot & 0xFFFFFFFF) - 1;
			uint32 other_len;
			memcpy(&other_len, other, sizeof(other_len));
			if ((slot >> 32) == tag && other_len == len &&
			    memcmp(other + kRecordHeader, subject, len) == 0) {
				// two standing rows for one subject (direct DML): the later expiry wins
				TimestampTz other_until;
				memcpy(&other_until, other + sizeof(uint32), sizeof(other_until));
				if (until == DT_NOEND || (other_until != DT_NOEND && until > other_until))
					memcpy(other + sizeof(uint32), &until, sizeof(until));
				break;
			}
			at = (at + 1) & set->mask;
		}
		offset += kRecordHeader + len;
	}
	MemoryContextSwitchTo(old);
	return set;
}

bool
ConsentSetContains(const ConsentSet *set, const char *subject, size_t len) {
	uint64 hash = SubjectHash(subject, len);
	uint64 block;
	uint64 bits[3];
	BloomBits(hash, set->bloom_mask, &block, bits);
	const uint64 *words = set->bloom + block * 8;
	for (int k = 0; k < 3; k++)
		if ((words[bits[k] / 64] & (UINT64CONST(1) << (bits[k] % 64))) == 0)
			return false;
	uint64 tag = hash >> 32;
	uint64 at = hash & set->mask;
	for (;;) {
		uint64 slot = set->slots[at];
		if (slot == 0)
			return false;
		if ((slot >> 32) == tag) {
			const char *record = set->arena + (slot & 0xFFFFFFFF) - 1;
			uint32 record_len;
			memcpy(&record_len, record, sizeof(record_len));
			if (record_len == len && memcmp(record + kRecordHeader, subject, len) == 0) {
				TimestampTz until;
				memcpy(&until, record + sizeof(uint32), sizeof(until));
				return StandsAt(until);
			}
		}
		at = (at + 1) & set->mask;
	}
}

void
InitRowPolicyCache() {
	RegisterRelcacheInvalidation(RelcacheCallback, (Datum)0);
	RegisterSyscacheInvalidation(PROCOID, ProcCallback, (Datum)0);
	RegisterSyscacheInvalidation(AUTHMEMROLEMEM, RoleChangeCallback, (Datum)0);
	RegisterSyscacheInvalidation(AUTHOID, RoleChangeCallback, (Datum)0);
}

List *
RestrictiveRowPolicies(CmdType cmdtype, Relation relation) {
	if (IsBinaryUpgrade)
		return NIL;
	EnsureLoaded();
	if (nrows == 0)
		return NIL;
	Oid relid = RelationGetRelid(relation);
	bool found;
	RelPolicies *entry = (RelPolicies *)hash_search(rel_cache, &relid, HASH_ENTER, &found);
	if (!found) {
		entry->npolicies = 0;
		entry->policies = NULL;
		entry->consent = NULL;
		in_use++;
		PG_TRY();
		{ BuildPolicies(entry); }
		PG_FINALLY();
		{ in_use--; }
		PG_END_TRY();
	}
	List *result = NIL;
	for (int i = 0; i < entry->npolicies; i++) {
		if (entry->consent[i] && cmdtype == CMD_INSERT) // visibility-only policies
			continue;
		RowSecurityPolicy *copy = (RowSecurityPolicy *)palloc(sizeof(RowSecurityPolicy));
		*copy = entry->policies[i];
		copy->policy_name = pstrdup(entry->policies[i].policy_name);
		copy->roles = DatumGetArrayTypePCopy(PointerGetDatum(entry->policies[i].roles));
		copy->qual = (Expr *)copyObject(entry->policies[i].qual);
		copy->with_check_qual = (Expr *)copyObject(entry->policies[i].with_check_qual);
		result = lappend(result, copy);
	}
	return result;
}

bool
RowPolicyMentionsRelation(Oid relid) {
	EnsureLoaded();
	for (int i = 0; i < nrows; i++)
		if (rows[i].relid == relid)
			return true;
	return false;
}

bool
ExemptFromRowPolicies(Oid relid, Oid userid) {
	if (superuser_arg(userid))
		return true;
	return HasRelationExemption(relid, userid);
}

bool
PurposeUsable(const char *purpose, Oid userid) {
	if (purpose == NULL || purpose[0] == '\0')
		return false;
	if (usable_valid && usable_user == userid && strcmp(usable_purpose, purpose) == 0)
		return usable_answer;
	bool answer = PurposeUsableUncached(purpose, userid);
	strlcpy(usable_purpose, purpose, sizeof(usable_purpose));
	usable_user = userid;
	usable_answer = answer;
	usable_valid = strlen(purpose) < sizeof(usable_purpose);
	return answer;
}

bool
PurposeUsableUncached(const char *purpose, Oid userid) {
	Oid purposes = PrivacyTable("_purpose");
	Oid allowed = PrivacyTable("_purpose_role");
	if (!OidIsValid(purposes) || !OidIsValid(allowed))
		return false;

	bool exists = false;
	Relation rel = table_open(purposes, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;
	while (!exists && (tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		Datum name = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);
		if (!isnull && strcmp(TextDatumGetCString(name), purpose) == 0)
			exists = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!exists)
		return false;
	if (superuser_arg(userid))
		return true;

	bool usable = false;
	rel = table_open(allowed, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (!usable && (tup = systable_getnext(scan)) != NULL) {
		bool isnull[2];
		Datum role = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull[0]);
		Datum name = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull[1]);
		if (!isnull[0] && !isnull[1] && strcmp(TextDatumGetCString(name), purpose) == 0 &&
		    has_privs_of_role(userid, DatumGetObjectId(role)))
			usable = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return usable;
}

} // namespace privacy::pg
