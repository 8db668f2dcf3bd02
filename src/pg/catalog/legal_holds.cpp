// legal_holds.cpp: legal holds across table families (issue 15). See
// legal_holds.hpp for what the hooks do with it.
//
// Invariants:
//  * privacy._legal_hold is read with a heap scan under the latest snapshot
//    (this transaction's own placements included), never through SPI.
//  * Held rows are looked for as the table's owner, inside
//    SECURITY_RESTRICTED_OPERATION with SECURITY_NOFORCE_RLS (which also
//    turns masking off: conditions compare raw values) and search_path
//    pg_catalog, pg_temp, the path hold conditions are canonical for. The
//    role running the DDL never runs a condition with its own rights.
//  * Messages name tables and holds (id, reason), never a row value or a
//    hold condition (conditions carry the values they match).
#include "pg/catalog/legal_holds.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/policy_expressions.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// Hold is one active legal hold.
struct Hold {
	int64 id;
	Oid relid;
	char *reason;
	char *condition;
	char *placed_by;
};

// tables cleared by the utility hook for the running statement(s), in
// TopMemoryContext (DETACH ... CONCURRENTLY commits in the middle)
Oid *cleared = NULL;
int ncleared = 0;
int cleared_cap = 0;
bool maintenance = false;

// ResetOnXactEnd forgets the per-statement state at the end of every
// transaction, committed or not.
void
ResetOnXactEnd(XactEvent event, void *arg) {
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
	    event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
	    event == XACT_EVENT_PREPARE) {
		maintenance = false;
		// a DETACH ... CONCURRENTLY commits inside its statement: keep the
		// marks of a running utility statement (ResetCleared drops them)
		if (event != XACT_EVENT_COMMIT)
			ncleared = 0;
	}
}

// AttnumOf returns the attribute number of a column of privacy._legal_hold.
AttrNumber
AttnumOf(TupleDesc desc, const char *name) {
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	elog(ERROR, "privacy._legal_hold has no column \"%s\"", name);
	return InvalidAttrNumber;
}

// ActiveHolds returns the active holds (palloc'd in the current context).
Hold *
ActiveHolds(int *count) {
	*count = 0;
	Oid relid = PrivacyTable("_legal_hold");
	if (!OidIsValid(relid))
		return NULL;
	Relation rel = table_open(relid, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	AttrNumber a_id = AttnumOf(desc, "id");
	AttrNumber a_relid = AttnumOf(desc, "relid");
	AttrNumber a_reason = AttnumOf(desc, "reason");
	AttrNumber a_condition = AttnumOf(desc, "condition");
	AttrNumber a_released = AttnumOf(desc, "released_at");
	AttrNumber a_placed_by = AttnumOf(desc, "placed_by");
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, snapshot, 0, NULL);
	int cap = 8;
	Hold *holds = (Hold *)palloc(sizeof(Hold) * cap);
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		bool isnull;
		(void)heap_getattr(tup, a_released, desc, &isnull);
		if (!isnull)
			continue;
		if (*count == cap) {
			cap *= 2;
			holds = (Hold *)repalloc(holds, sizeof(Hold) * cap);
		}
		Hold *h = &holds[(*count)++];
		h->id = DatumGetInt64(heap_getattr(tup, a_id, desc, &isnull));
		h->relid = DatumGetObjectId(heap_getattr(tup, a_relid, desc, &isnull));
		h->reason = TextDatumGetCString(heap_getattr(tup, a_reason, desc, &isnull));
		h->condition = TextDatumGetCString(heap_getattr(tup, a_condition, desc, &isnull));
		Datum placed_by = heap_getattr(tup, a_placed_by, desc, &isnull);
		h->placed_by = isnull ? NULL : pstrdup(NameStr(*DatumGetName(placed_by)));
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return holds;
}

// Roots lists the family roots of relid: relid and its ancestors that have
// no parent.
List *
Roots(Oid relid) {
	List *candidates = lcons_oid(relid, InheritanceAncestors(relid));
	List *roots = NIL;
	ListCell *lc;
	foreach (lc, candidates)
		if (!has_superclass(lfirst_oid(lc)))
			roots = lappend_oid(roots, lfirst_oid(lc));
	return roots;
}

// Applies reports whether hold h protects rows of the table whose roots
// are given.
bool
Applies(const Hold *h, List *roots) {
	List *hold_roots = Roots(h->relid);
	ListCell *lc;
	foreach (lc, hold_roots)
		if (list_member_oid(roots, lfirst_oid(lc)))
			return true;
	return false;
}

// DropCleared reports whether the utility hook cleared relid.
bool
DropCleared(Oid relid) {
	for (int i = 0; i < ncleared; i++)
		if (cleared[i] == relid)
			return true;
	return false;
}

// QualifiedName returns "schema"."table" for relid.
char *
QualifiedName(Oid relid) {
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
	                                  get_rel_name(relid));
}

// PlacedBySuperuser reports whether the role that placed hold h still
// exists and is a superuser.
bool
PlacedBySuperuser(const Hold *h) {
	Oid role = h->placed_by != NULL ? get_role_oid(h->placed_by, true) : InvalidOid;
	return OidIsValid(role) && superuser_arg(role);
}

// OneExpression reports whether a stored hold condition is exactly one
// expression. A syntax error (only a condition changed by hand has one) is
// reported as false, not with the parser's message, which would quote the
// condition: the caller raises its own error at once.
bool
OneExpression(const char *condition) {
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool one = false;
	PG_TRY();
	{
		bool with_clauses;
		one = ParseSingleExpression(condition, &with_clauses) != NULL;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		one = false;
	}
	PG_END_TRY();
	return one;
}

// RowsMatch reports whether ONLY relid has a row for which the condition of
// hold h (its canonical text) is true, read as the table's owner.
bool
RowsMatch(Oid relid, const Hold *h) {
	HeapTuple classtup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(classtup))
		return false;
	Oid owner = ((Form_pg_class)GETSTRUCT(classtup))->relowner;
	ReleaseSysCache(classtup);
	// A superuser's table would run the condition as that superuser: only
	// a superuser's hold (as RunAsTableOwner requires for pg_privacy's other
	// work on such a table). An administrator's condition - or a STABLE
	// built-in it calls that reads other tables - must not run with
	// superuser rights; the statement is refused instead, which keeps the
	// rows.
	if (superuser_arg(owner) && !PlacedBySuperuser(h))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("cannot look for rows under legal hold %lld in table \"%s\": the table is "
		                "owned by a superuser and the hold was placed by another role",
		                (long long)h->id, get_rel_name(relid)),
		         errdetail("pg_privacy looks for held rows as the owner of each table; it does not "
		                   "run a condition placed by another role as a superuser."),
		         errhint("Make a role that is not a superuser own the table, or have a superuser "
		                 "place the hold.")));
	// the text spliced below must be one expression, as place_hold stored
	// it: never several statements or clauses of its own
	if (!OneExpression(h->condition))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("legal hold %lld has a condition that is not a single expression",
		                       (long long)h->id),
		                errdetail("pg_privacy stores hold conditions validated and canonical; "
		                          "this one was changed outside privacy.place_hold()."),
		                errhint("Release the hold with privacy.release_hold() and place it "
		                        "again.")));
	char *sql = psprintf("SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE (%s) IS TRUE)",
	                     QualifiedName(relid), h->condition);

	int level = RunWithFixedSearchPath();
	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
	                                      SECURITY_RESTRICTED_OPERATION | SECURITY_NOFORCE_RLS);
	bool pushed = !ActiveSnapshotSet();
	if (pushed)
		PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int rc = SPI_execute(sql, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look for held rows: %s", SPI_result_code_string(rc));
	bool isnull;
	bool found =
	        DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (pushed)
		PopActiveSnapshot();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	RestoreSearchPath(level);
	return found && !isnull;
}

// IsHoldGuard reports whether funcoid is privacy._hold_guard().
bool
IsHoldGuard(Oid funcoid) {
	char *name = get_func_name(funcoid);
	if (name == NULL || strcmp(name, "_hold_guard") != 0)
		return false;
	Oid nsp = PrivacySchema();
	return OidIsValid(nsp) && get_func_namespace(funcoid) == nsp;
}

} // namespace

void
InitLegalHolds() {
	RegisterXactCallback(ResetOnXactEnd, NULL);
}

bool
AnyActiveHold() {
	int count;
	(void)ActiveHolds(&count);
	return count > 0;
}

namespace {

// HoldRefusal holds the whole messages refusing one HoldAction.
struct HoldRefusal {
	const char *placed; // %s: the table, %lld: the hold, %s: the table it was placed on
	const char *rows;   // %s: the table, %s: the member with held rows, %lld: the hold
};

const HoldRefusal &
RefusalOf(HoldAction action) {
	static const HoldRefusal kDetach = {
	        gettext_noop("cannot detach partition \"%s\": legal hold %lld is active on \"%s\""),
	        gettext_noop("cannot detach partition \"%s\": \"%s\" has rows under legal hold %lld")};
	static const HoldRefusal kDrop = {
	        gettext_noop("cannot drop table \"%s\": legal hold %lld is active on \"%s\""),
	        gettext_noop("cannot drop table \"%s\": \"%s\" has rows under legal hold %lld")};
	static const HoldRefusal kNoInherit = {
	        gettext_noop("cannot remove the inheritance of table \"%s\": legal hold %lld is "
	                     "active on \"%s\""),
	        gettext_noop("cannot remove the inheritance of table \"%s\": \"%s\" has rows under "
	                     "legal hold %lld")};
	static const HoldRefusal kSetUnlogged = {
	        gettext_noop("cannot make unlogged table \"%s\": legal hold %lld is active on \"%s\""),
	        gettext_noop("cannot make unlogged table \"%s\": \"%s\" has rows under legal hold "
	                     "%lld")};
	static const HoldRefusal kTruncate = {
	        gettext_noop("cannot truncate table \"%s\": legal hold %lld is active on \"%s\""),
	        gettext_noop("cannot truncate table \"%s\": \"%s\" has rows under legal hold %lld")};
	switch (action) {
	case HoldAction::kDetachPartition:
		return kDetach;
	case HoldAction::kDropTable:
		return kDrop;
	case HoldAction::kNoInherit:
		return kNoInherit;
	case HoldAction::kSetUnlogged:
		return kSetUnlogged;
	case HoldAction::kTruncate:
		break;
	}
	return kTruncate;
}

// RefuseHeldRows raises refusal.rows (the statement on relid) when a table
// of members has rows under one of the holds that applies to it: through
// the member's own family roots (own_roots), else through roots.
void
RefuseHeldRows(Oid relid, List *members, bool own_roots, List *roots, const Hold *holds, int nholds,
               const HoldRefusal &refusal) {
	ListCell *lc;
	foreach (lc, members) {
		Oid member = lfirst_oid(lc);
		if (get_rel_relkind(member) != RELKIND_RELATION)
			continue;
		List *applying = own_roots ? Roots(member) : roots;
		for (int i = 0; i < nholds; i++) {
			if (!Applies(&holds[i], applying) || !RowsMatch(member, &holds[i]))
				continue;
			ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
			                errmsg(refusal.rows, get_rel_name(relid), get_rel_name(member),
			                       (long long)holds[i].id),
			                errdetail("Legal hold %lld was placed for: %s.", (long long)holds[i].id,
			                          holds[i].reason),
			                errhint("Release the hold with privacy.release_hold() first.")));
		}
	}
}

} // namespace

void
CheckFamilyHolds(Oid relid, bool subtree, bool placed, HoldAction action, LOCKMODE lockmode) {
	const HoldRefusal &refusal = RefusalOf(action);
	int nholds;
	Hold *holds = ActiveHolds(&nholds);
	if (nholds == 0)
		return;
	// the statement's own lock, taken now, keeps held rows from arriving
	// between this check and the statement
	if (lockmode != NoLock)
		LockRelationOid(relid, lockmode);
	List *members = subtree ? find_all_inheritors(relid, lockmode, NULL) : list_make1_oid(relid);
	if (placed) {
		for (int i = 0; i < nholds; i++)
			if (list_member_oid(members, holds[i].relid))
				ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
				                errmsg(refusal.placed, get_rel_name(relid), (long long)holds[i].id,
				                       get_rel_name(holds[i].relid)),
				                errdetail("Legal hold %lld was placed for: %s.",
				                          (long long)holds[i].id, holds[i].reason),
				                errhint("Release the hold with privacy.release_hold() first.")));
	}
	RefuseHeldRows(relid, members, true, NIL, holds, nholds, refusal);
}

void
CheckLeavingRows(Oid relid, Oid old_parent, HoldAction action) {
	const HoldRefusal &refusal = RefusalOf(action);
	int nholds;
	Hold *holds = ActiveHolds(&nholds);
	if (nholds == 0)
		return;
	List *members = find_all_inheritors(relid, NoLock, NULL);
	RefuseHeldRows(relid, members, false, Roots(old_parent), holds, nholds, refusal);
}

void
ClearDrop(Oid relid) {
	if (ncleared == cleared_cap) {
		int cap = cleared_cap == 0 ? 16 : cleared_cap * 2;
		cleared = cleared == NULL ? (Oid *)MemoryContextAlloc(TopMemoryContext, sizeof(Oid) * cap)
		                          : (Oid *)repalloc(cleared, sizeof(Oid) * cap);
		cleared_cap = cap;
	}
	cleared[ncleared++] = relid;
}

int
ClearedMark() {
	return ncleared;
}

void
ResetCleared(int mark) {
	if (mark < ncleared)
		ncleared = mark;
}

void
SetHoldMaintenance(bool active) {
	maintenance = active;
}

bool
HasHoldTrigger(Oid relid, const char *name) {
	Relation rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_trigger_tgrelid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(relid));
	SysScanDesc scan = systable_beginscan(rel, TriggerRelidNameIndexId, true, NULL, 1, &key);
	bool found = false;
	HeapTuple tup;
	while (!found && (tup = systable_getnext(scan)) != NULL) {
		Form_pg_trigger trig = (Form_pg_trigger)GETSTRUCT(tup);
		found = IsHoldGuard(trig->tgfoid) &&
		        (name == NULL || strcmp(NameStr(trig->tgname), name) == 0);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

bool
HoldTriggersUseColumn(Oid relid, const char *column) {
	AttrNumber attnum = get_attnum(relid, column);
	if (attnum == InvalidAttrNumber)
		return false;
	Relation dep = table_open(DependRelationId, AccessShareLock);
	ScanKeyData keys[3];
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber, F_INT4EQ,
	            Int32GetDatum(attnum));
	SysScanDesc scan = systable_beginscan(dep, DependReferenceIndexId, true, NULL, 3, keys);
	List *triggers = NIL;
	HeapTuple tup;
	while ((tup = systable_getnext(scan)) != NULL) {
		Form_pg_depend d = (Form_pg_depend)GETSTRUCT(tup);
		if (d->classid == TriggerRelationId)
			triggers = lappend_oid(triggers, d->objid);
	}
	systable_endscan(scan);
	table_close(dep, AccessShareLock);
	if (triggers == NIL)
		return false;
	Relation trg = table_open(TriggerRelationId, AccessShareLock);
	bool found = false;
	ListCell *lc;
	foreach (lc, triggers) {
		ScanKeyData key;
		ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ,
		            ObjectIdGetDatum(lfirst_oid(lc)));
		SysScanDesc tscan = systable_beginscan(trg, TriggerOidIndexId, true, NULL, 1, &key);
		HeapTuple ttup = systable_getnext(tscan);
		if (HeapTupleIsValid(ttup) && IsHoldGuard(((Form_pg_trigger)GETSTRUCT(ttup))->tgfoid))
			found = true;
		systable_endscan(tscan);
		if (found)
			break;
	}
	table_close(trg, AccessShareLock);
	return found;
}

void
CheckDropOfRelation(Oid relid) {
	char relkind = get_rel_relkind(relid);
	if ((relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE) ||
	    get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		return;
	int nholds;
	Hold *holds = ActiveHolds(&nholds);
	for (int i = 0; i < nholds; i++)
		if (holds[i].relid == relid)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
			                errmsg("cannot drop table \"%s\": legal hold %lld is active on it",
			                       get_rel_name(relid), (long long)holds[i].id),
			                errdetail("Legal hold %lld was placed for: %s.", (long long)holds[i].id,
			                          holds[i].reason),
			                errhint("Release the hold with privacy.release_hold() first.")));
	if (nholds == 0 || DropCleared(relid))
		return;
	List *roots = Roots(relid);
	for (int i = 0; i < nholds; i++)
		if (Applies(&holds[i], roots))
			ereport(ERROR,
			        (errcode(ERRCODE_OBJECT_IN_USE),
			         errmsg("cannot drop table \"%s\": legal hold %lld protects rows of its family",
			                get_rel_name(relid), (long long)holds[i].id),
			         errdetail("Legal hold %lld was placed for: %s.", (long long)holds[i].id,
			                   holds[i].reason),
			         errhint("Drop it with DROP TABLE, which looks for held rows, or release the "
			                 "hold first.")));
}

void
CheckDropOfTrigger(Oid trigger_oid) {
	if (maintenance)
		return;
	Relation rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(trigger_oid));
	SysScanDesc scan = systable_beginscan(rel, TriggerOidIndexId, true, NULL, 1, &key);
	HeapTuple tup = systable_getnext(scan);
	bool guarded = false;
	NameData name;
	Oid tgrelid = InvalidOid;
	if (HeapTupleIsValid(tup)) {
		Form_pg_trigger trig = (Form_pg_trigger)GETSTRUCT(tup);
		tgrelid = trig->tgrelid;
		name = trig->tgname;
		// a temporary child of a held family goes at the end of its
		// session, whatever it holds
		guarded = IsHoldGuard(trig->tgfoid) && !DropCleared(tgrelid) &&
		          get_rel_persistence(tgrelid) != RELPERSISTENCE_TEMP;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (guarded)
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_IN_USE),
		         errmsg("cannot drop trigger \"%s\" on table \"%s\": it enforces a legal hold",
		                NameStr(name), get_rel_name(tgrelid)),
		         errhint("Release the hold with privacy.release_hold(); its triggers go with "
		                 "it.")));
}

void
CheckFamilyRoot(Oid relid, const char *what) {
	if (!has_superclass(relid))
		return;
	// the whole message of each action the API names (privacy._check_family_root)
	struct Refusal {
		const char *what;
		const char *message;
	};
	static const Refusal kRefusals[] = {
	        {"add row policies to",
	         gettext_noop("cannot add row policies to \"%s\": it is a partition or inheritance "
	                      "child")},
	        {"apply a category protection to",
	         gettext_noop("cannot apply a category protection to \"%s\": it is a partition or "
	                      "inheritance child")},
	        {"mask columns of",
	         gettext_noop("cannot mask columns of \"%s\": it is a partition or inheritance child")},
	        {"set default deny on",
	         gettext_noop("cannot set default deny on \"%s\": it is a partition or inheritance "
	                      "child")},
	};
	const char *message = gettext_noop("cannot declare a policy on \"%s\": it is a partition or "
	                                   "inheritance child");
	for (const Refusal &refusal : kRefusals)
		if (what != NULL && strcmp(refusal.what, what) == 0)
			message = refusal.message;
	StringInfoData roots;
	initStringInfo(&roots);
	ListCell *lc;
	foreach (lc, Roots(relid))
		appendStringInfo(&roots, "%s%s", roots.len > 0 ? ", " : "", QualifiedName(lfirst_oid(lc)));
	ereport(ERROR,
	        (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg(message, get_rel_name(relid)),
	         errdetail("Queries through its parent would not apply a policy declared on a member "
	                   "of a table family."),
	         errhint("Declare it on the root table %s: it applies to every partition and child.",
	                 roots.data)));
}

} // namespace privacy::pg
