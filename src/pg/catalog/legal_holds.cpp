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

#include "pg/catalog/cache_memory.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/invalidation.hpp"
#include "pg/catalog/owner_exec.hpp"
#include "pg/catalog/policy_expressions.hpp"
#include "pg/catalog/stored_expressions.hpp"
#include "pg/search_path.hpp"

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
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
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
	Oid condition_function;
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

// OptionalAttnumOf returns the attribute number of a column of
// privacy._legal_hold that a 0.1.0 schema lacks (InvalidAttrNumber there).
AttrNumber
OptionalAttnumOf(TupleDesc desc, const char *name) {
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
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
	AttrNumber a_function = OptionalAttnumOf(desc, "condition_function");
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
		Datum function = a_function == InvalidAttrNumber
		                         ? (Datum)0
		                         : heap_getattr(tup, a_function, desc, &isnull);
		h->condition_function =
		        a_function == InvalidAttrNumber || isnull ? InvalidOid : DatumGetObjectId(function);
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

// IsInterruption reports whether an error caught while loading or
// evaluating a hold condition must be raised again as it is (a cancel,
// shutdown or lack of resources says nothing about the condition).
bool
IsInterruption(int sqlerrcode) {
	int category = ERRCODE_TO_CATEGORY(sqlerrcode);
	return category == ERRCODE_OPERATOR_INTERVENTION ||
	       category == ERRCODE_INSUFFICIENT_RESOURCES ||
	       category == ERRCODE_PROGRAM_LIMIT_EXCEEDED || category == ERRCODE_SYSTEM_ERROR ||
	       category == ERRCODE_INTERNAL_ERROR;
}

// WarnUnusable reports (WARNING) that hold `hold` cannot be evaluated on
// relid and keeps its rows. It names the hold and the table, never the
// condition (which carries the values it matches) nor the validator's
// message (which may quote it).
void
WarnUnusable(int64 hold, Oid relid, const char *why) {
	ereport(WARNING, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
	                  errmsg("legal hold %lld cannot be evaluated on table \"%s\": %s",
	                         (long long)hold, get_rel_name(relid), why),
	                  errdetail("pg_privacy keeps every row of the table that the hold applies to "
	                            "(fail closed) until the hold is released."),
	                  errhint("Release the hold with privacy.release_hold() and place it again.")));
}

// CheckedCondition returns the condition of hold `hold` over relid as
// validated canonical text (ValidatePolicyExpression under the rules of hold
// conditions: only superusers' functions, no query-running built-ins, no
// untrusted types or JSON conversions of non-built-in types, no stored
// forms), read from its stored form (condition_function) when it has one,
// else from stored (the canonical text it was placed with, or the one a
// Citus hold trigger carries). The validation runs as relid's owner inside
// SECURITY_RESTRICTED_OPERATION, in a subtransaction: NULL (fail closed,
// *why says why, in words without values) when the condition does not
// validate any more, whatever the validator would have said.
char *
CheckedCondition(int64 hold, Oid condition_function, const char *stored, Oid relid,
                 const char **why) {
	*why = NULL;
	Oid owner = TableOwner(relid);
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner resowner = CurrentResourceOwner;
	char *volatile canonical = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		Oid save_userid;
		int save_sec_context;
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
		                                      SECURITY_RESTRICTED_OPERATION);
		// deparsed (constants written) under the settings conditions are
		// parsed and evaluated under (red-team 8 F1)
		int level = RunWithFixedSettings();
		const char *text =
		        OidIsValid(condition_function) ? StoredExpressionText(condition_function) : stored;
		char *result = NULL;
		if (text != NULL && OneExpression(text))
			result = ValidatePolicyExpression(relid, InvalidAttrNumber, text, "hold condition",
			                                  true, true);
		RestoreSearchPath(level);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = resowner;
		canonical = result == NULL ? NULL : pstrdup(result);
		if (canonical == NULL)
			*why = text == NULL ? "its stored form is missing"
			                    : "its stored condition is not a single expression";
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = resowner;
		if (IsInterruption(edata->sqlerrcode))
			ReThrowError(edata);
		FreeErrorData(edata);
		canonical = NULL;
		*why = "its condition does not pass the checks of hold conditions any more";
	}
	PG_END_TRY();
	return canonical;
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
	// the canonical text it was placed with must be one expression, as
	// place_hold stored it (a condition changed by hand is refused)
	if (!OneExpression(h->condition))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("legal hold %lld has a condition that is not a single expression",
		                       (long long)h->id),
		                errdetail("pg_privacy stores hold conditions validated and canonical; "
		                          "this one was changed outside privacy.place_hold()."),
		                errhint("Release the hold with privacy.release_hold() and place it "
		                        "again.")));
	// the text spliced below is the hold's stored condition validated
	// again (a function it calls may have changed owner, the hold may
	// predate a check): one validated expression, never several
	// statements or clauses of its own. One that does not validate keeps
	// every row (fail closed).
	const char *why;
	char *condition = CheckedCondition(h->id, h->condition_function, h->condition, relid, &why);
	if (condition == NULL) {
		WarnUnusable(h->id, relid, why);
		return true;
	}
	char *sql = psprintf("SELECT EXISTS (SELECT 1 FROM ONLY %s WHERE (%s) IS TRUE)",
	                     QualifiedName(relid), condition);

	// parsed and evaluated under the fixed settings of hold conditions, not
	// the session's (red-team 8 F1: a TimeZone must not un-hold a row)
	int level = RunWithFixedSettings();
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
	// read with a snapshot taken now, after the statement's lock (as RI
	// checks do under REPEATABLE READ, red-team 8 F4): every row committed
	// before the lock is seen, even by a REPEATABLE READ or SERIALIZABLE
	// transaction whose own snapshot is older, and the statement removes
	// those rows too (this transaction's own changes are seen: SPI copies
	// the snapshot with the current command id)
	SPIPlanPtr plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not look for held rows: %s", SPI_result_code_string(SPI_result));
	Snapshot latest = RegisterSnapshot(GetLatestSnapshot());
	int rc = SPI_execute_snapshot(plan, NULL, NULL, latest, InvalidSnapshot, false, false, 1);
	UnregisterSnapshot(latest);
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

namespace {
void ForgetRelation(Datum, Oid relid);
void ForgetAll(Datum, int, uint32);
} // namespace

void
InitLegalHolds() {
	RegisterXactCallback(ResetOnXactEnd, NULL);
	// the prepared hold conditions (HoldKeepsRow): a table's owner or
	// triggers, a function's owner or body, a type, a cast to json, an
	// operator, a role's superuser status
	RegisterRelcacheInvalidation(ForgetRelation, (Datum)0);
	RegisterSyscacheInvalidation(PROCOID, ForgetAll, (Datum)0);
	RegisterSyscacheInvalidation(TYPEOID, ForgetAll, (Datum)0);
	RegisterSyscacheInvalidation(CASTSOURCETARGET, ForgetAll, (Datum)0);
	RegisterSyscacheInvalidation(OPEROID, ForgetAll, (Datum)0);
	RegisterSyscacheInvalidation(AUTHOID, ForgetAll, (Datum)0);
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
	if (attnum == InvalidAttrNumber || !HasHoldTrigger(relid, NULL))
		return false;
	// the triggers carry no condition (issue 19): the conditions of the
	// active holds that apply to the table, validated again
	int nholds;
	Hold *holds = ActiveHolds(&nholds);
	List *roots = Roots(relid);
	for (int i = 0; i < nholds; i++) {
		if (!Applies(&holds[i], roots))
			continue;
		const char *why;
		char *condition = CheckedCondition(holds[i].id, holds[i].condition_function,
		                                   holds[i].condition, relid, &why);
		if (condition == NULL)
			return true;
		int level = RunWithFixedSettings();
		Node *expr = AnalyzeRelationExpression(relid, InvalidAttrNumber, condition, true, NULL,
		                                       "hold condition");
		RestoreSearchPath(level);
		Bitmapset *columns = NULL;
		pull_varattnos(expr, 1, &columns);
		if (bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, columns))
			return true;
	}
	return false;
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

// ---------------------------------------------------------------------------
// The C hold guard (issue 19): hold conditions evaluated by pg_privacy as the
// table's owner, not by PostgreSQL as the role running the DML (which a
// trigger's WHEN clause would do).

namespace {

// HoldCondition is one hold's prepared condition over one table, cached
// for this backend.
struct HoldCondition {
	HoldCondition *next;
	int64 hold;
	Oid relid;
	bool valid;        // cleared by invalidations
	MemoryContext cxt; // the expression state, its ExprContext
	// what it was built from (compared with the hold's row each statement)
	Oid condition_function;
	char *stored;
	char *placed_by;
	bool from_trigger;
	// the statement it was last checked for
	LocalTransactionId lxid;
	TimestampTz statement;
	LocalTransactionId warned_lxid;
	TimestampTz warned_statement;
	// the verdict
	bool released;
	const char *unusable; // why the hold keeps every row (NULL: evaluate)
	Oid owner;
	bool pin_path;    // the condition calls functions a search_path or another
	                  // setting may change (evaluated under RunWithFixedSettings)
	bool text_search; // ... and may read default_text_search_config
	int busy;         // evaluations running (a condition's function may change
	                  // the same table): their state is not freed under them
	ExprState *state;
	ExprContext *econtext;
};

MemoryContext hold_cxt = NULL;
HoldCondition *conditions = NULL;

// ForgetRelation marks the conditions of relid (all for InvalidOid) stale.
void
ForgetRelation(Datum, Oid relid) {
	for (HoldCondition *c = conditions; c != NULL; c = c->next)
		if (!OidIsValid(relid) || c->relid == relid)
			c->valid = false;
}

// ForgetAll marks every condition stale (a function, type, cast, operator
// or role changed: an owner, a body, superuser status).
void
ForgetAll(Datum, int, uint32) {
	for (HoldCondition *c = conditions; c != NULL; c = c->next)
		c->valid = false;
}

// HoldRow is a hold's row of privacy._legal_hold.
struct HoldRow {
	bool found;
	bool released;
	Oid condition_function;
	char *condition;
	char *placed_by;
};

// ReadHold reads hold id's row (latest snapshot, a heap scan).
HoldRow
ReadHold(int64 id) {
	HoldRow row = {false, false, InvalidOid, NULL, NULL};
	Oid relid = PrivacyTable("_legal_hold");
	if (!OidIsValid(relid))
		return row;
	Relation rel = table_open(relid, AccessShareLock);
	TupleDesc desc = RelationGetDescr(rel);
	AttrNumber a_id = AttnumOf(desc, "id");
	AttrNumber a_condition = AttnumOf(desc, "condition");
	AttrNumber a_released = AttnumOf(desc, "released_at");
	AttrNumber a_placed_by = AttnumOf(desc, "placed_by");
	AttrNumber a_function = OptionalAttnumOf(desc, "condition_function");
	ScanKeyData key;
	ScanKeyInit(&key, a_id, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, snapshot, 1, &key);
	HeapTuple tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup)) {
		bool isnull;
		row.found = true;
		(void)heap_getattr(tup, a_released, desc, &isnull);
		row.released = !isnull;
		Datum condition = heap_getattr(tup, a_condition, desc, &isnull);
		row.condition = isnull ? NULL : TextDatumGetCString(condition);
		Datum placed_by = heap_getattr(tup, a_placed_by, desc, &isnull);
		row.placed_by = isnull ? NULL : pstrdup(NameStr(*DatumGetName(placed_by)));
		Datum function = a_function == InvalidAttrNumber
		                         ? (Datum)0
		                         : heap_getattr(tup, a_function, desc, &isnull);
		row.condition_function =
		        a_function == InvalidAttrNumber || isnull ? InvalidOid : DatumGetObjectId(function);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return row;
}

bool
SameText(const char *a, const char *b) {
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

// DependsOnSearchPath reports whether funcid may behave differently under
// another search_path: a function that is not PostgreSQL's own, or a
// built-in that is not immutable (to_regclass, the reg* input functions
// of a cast of a column: names resolved through the search_path of the
// session that runs the statement).
bool
DependsOnSearchPath(Oid funcid, void *) {
	return funcid >= FirstNormalObjectId || func_volatile(funcid) != PROVOLATILE_IMMUTABLE;
}

// NeedsPinnedPath reports whether a node of expr calls a function
// DependsOnSearchPath.
bool
NeedsPinnedPath(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, DependsOnSearchPath, context))
		return true;
	// an I/O conversion: output functions labeled immutable still follow
	// settings (float8out extra_float_digits, interval_out IntervalStyle)
	if (IsA(node, CoerceViaIO))
		return true;
	return expression_tree_walker(node, (bool (*)())NeedsPinnedPath, context);
}

// ReadsTextSearchConfig reports whether funcid may read
// default_text_search_config: a function that is not PostgreSQL's own, one
// not written in C, or a text-search built-in (to_tsvector(text),
// to_tsquery(text), text @@ text, ts_headline, ... by the name of their C
// function; those taking a configuration match too: conservative).
bool
ReadsTextSearchConfig(Oid funcid, void *) {
	if (funcid >= FirstNormalObjectId)
		return true;
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return true;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	bool reads = proc->prolang != INTERNALlanguageId && proc->prolang != ClanguageId;
	if (!reads) {
		bool isnull;
		Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
		char *name = isnull ? NULL : TextDatumGetCString(src);
		static const char *const kTextSearch[] = {"tsvector", "tsquery",   "ts_headline",
		                                          "ts_match", "ts_config", "tsearch"};
		reads = name == NULL;
		for (const char *part : kTextSearch)
			reads = reads || strstr(name, part) != NULL;
	}
	ReleaseSysCache(tup);
	return reads;
}

// NeedsTextSearchConfig reports whether a node of expr calls a function
// ReadsTextSearchConfig.
bool
NeedsTextSearchConfig(Node *node, void *context) {
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, ReadsTextSearchConfig, context))
		return true;
	return expression_tree_walker(node, (bool (*)())NeedsTextSearchConfig, context);
}

// Prepare (re)builds c from the hold's row (or the trigger's condition).
void
Prepare(HoldCondition *c, const HoldRow &row, const char *fallback, const char *fallback_placer) {
	// an evaluation still running further up the stack keeps its state
	// (left to the cache's context, a rare leak rather than a dangling one)
	if (c->cxt != NULL && c->busy == 0)
		MemoryContextDelete(c->cxt);
	c->busy = 0;
	c->cxt = AllocSetContextCreate(hold_cxt, "pg_privacy hold condition", ALLOCSET_SMALL_SIZES);
	c->state = NULL;
	c->econtext = NULL;
	c->released = row.found && row.released;
	c->from_trigger = !row.found;
	c->condition_function = row.condition_function;
	c->stored =
	        row.found ? (row.condition == NULL ? NULL : MemoryContextStrdup(c->cxt, row.condition))
	                  : (fallback == NULL ? NULL : MemoryContextStrdup(c->cxt, fallback));
	// a Citus shard's trigger carries the hold's author with its condition
	const char *placed_by = row.found ? row.placed_by : fallback_placer;
	c->placed_by = placed_by == NULL ? NULL : MemoryContextStrdup(c->cxt, placed_by);
	c->owner = TableOwner(c->relid);
	c->unusable = NULL;
	c->pin_path = false;
	c->text_search = false;
	if (c->released)
		return;
	if (!row.found && fallback == NULL) {
		c->unusable = "it is not in privacy.legal_holds";
		return;
	}
	// a superuser's table: only a superuser's hold runs there (the rule of
	// all of pg_privacy's table work, RunAsTableOwner); a hold carried by a
	// Citus trigger names its author (a role Citus propagates to the nodes)
	Oid placer = c->placed_by != NULL ? get_role_oid(c->placed_by, true) : InvalidOid;
	if (superuser_arg(c->owner) && !(OidIsValid(placer) && superuser_arg(placer))) {
		c->unusable = "the table is owned by a superuser and the hold was not placed by one";
		return;
	}
	// the canonical text it was placed with, changed by hand
	if (c->stored == NULL || !OneExpression(c->stored)) {
		c->unusable = "its stored condition is not a single expression";
		return;
	}
	const char *why;
	char *canonical = CheckedCondition(c->hold, row.found ? row.condition_function : InvalidOid,
	                                   c->stored, c->relid, &why);
	if (canonical == NULL) {
		c->unusable = why;
		return;
	}
	// analyzed and prepared as the owner (EXECUTE on the functions is
	// checked for the owner; constants are folded with the owner's rights)
	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(c->owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
	                                         SECURITY_RESTRICTED_OPERATION);
	// constants parsed under the fixed settings (red-team 8 F1)
	int level = RunWithFixedSettings();
	Node *expr = AnalyzeRelationExpression(c->relid, InvalidAttrNumber, canonical, true, NULL,
	                                       "hold condition");
	MemoryContext old = MemoryContextSwitchTo(c->cxt);
	Expr *planned = expression_planner((Expr *)copyObject(expr));
	c->pin_path = NeedsPinnedPath((Node *)planned, NULL);
	c->text_search = c->pin_path && NeedsTextSearchConfig((Node *)planned, NULL);
	c->state = ExecInitExpr(planned, NULL);
	c->econtext = CreateStandaloneExprContext();
	MemoryContextSwitchTo(old);
	RestoreSearchPath(level);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

// Lookup returns the prepared condition of hold over relid, checked
// against the hold's row once per statement.
HoldCondition *
Lookup(int64 hold, Oid relid, const char *fallback, const char *fallback_placer) {
	(void)EnsureCacheContext(&hold_cxt, "pg_privacy hold conditions");
	HoldCondition *c = conditions;
	while (c != NULL && (c->hold != hold || c->relid != relid))
		c = c->next;
	if (c == NULL) {
		c = (HoldCondition *)MemoryContextAllocZero(hold_cxt, sizeof(HoldCondition));
		c->hold = hold;
		c->relid = relid;
		c->next = conditions;
		conditions = c;
	}
	LocalTransactionId lxid = MyProc->lxid;
	TimestampTz statement = GetCurrentStatementStartTimestamp();
	if (c->valid && c->lxid == lxid && c->statement == statement)
		return c;
	HoldRow row = ReadHold(hold);
	bool same = c->valid && c->from_trigger == !row.found &&
	            c->released == (row.found && row.released) &&
	            c->condition_function == row.condition_function &&
	            SameText(row.found ? row.condition : fallback, c->stored) &&
	            SameText(row.found ? row.placed_by : fallback_placer, c->placed_by);
	c->lxid = InvalidLocalTransactionId;
	if (!same) {
		// valid again only once prepared (an error leaves it stale)
		c->valid = false;
		Prepare(c, row, fallback, fallback_placer);
		c->valid = true;
	}
	c->lxid = lxid;
	c->statement = statement;
	return c;
}

} // namespace

bool
HoldKeepsRow(int64 hold, Relation rel, TupleTableSlot *slot, const char *fallback,
             const char *fallback_placer) {
	HoldCondition *c = Lookup(hold, RelationGetRelid(rel), fallback, fallback_placer);
	if (c->released)
		return false;
	if (c->unusable != NULL) {
		// once per statement
		if (c->warned_lxid != c->lxid || c->warned_statement != c->statement) {
			c->warned_lxid = c->lxid;
			c->warned_statement = c->statement;
			WarnUnusable(hold, c->relid, c->unusable);
		}
		return true;
	}
	ExprContext *econtext = c->econtext;
	econtext->ecxt_scantuple = slot;
	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(c->owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
	                                         SECURITY_RESTRICTED_OPERATION);
	// a condition whose result may depend on a setting runs under the fixed
	// settings of hold conditions (red-team 8 F1: the DML session's
	// TimeZone, DateStyle... must not decide which rows are held); one of
	// immutable built-ins only needs none (no nest level per row)
	int level = c->pin_path ? RunWithFixedSettings(c->text_search) : -1;
	bool isnull = true;
	Datum result = (Datum)0;
	MemoryContext cxt = CurrentMemoryContext;
	// a function of the condition may reach DML on the same table, whose
	// guard may prepare this condition again (an invalidation meanwhile):
	// Prepare leaves the state of a running evaluation alone (red-team 8 F3)
	c->busy++;
	PG_TRY();
	{ result = ExecEvalExprSwitchContext(c->state, econtext, &isnull); }
	PG_CATCH();
	{
		// the error may quote the condition's values or the row's: the row
		// stays held, and the statement fails with the hold's own error
		MemoryContextSwitchTo(cxt);
		if (c->busy > 0)
			c->busy--;
		if (level >= 0)
			RestoreSearchPath(level);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		ErrorData *edata = CopyErrorData();
		if (IsInterruption(edata->sqlerrcode))
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_IN_USE),
		         errmsg("cannot change a row of %s.%s: legal hold %lld could not be evaluated for "
		                "it",
		                quote_identifier(get_namespace_name(RelationGetNamespace(rel))),
		                quote_identifier(RelationGetRelationName(rel)), (long long)hold),
		         errdetail("Evaluating the hold's condition failed with SQLSTATE %s; the row stays "
		                   "held.",
		                   unpack_sql_state(edata->sqlerrcode)),
		         errhint("Release the hold with privacy.release_hold() and place it again.")));
	}
	PG_END_TRY();
	if (c->busy > 0)
		c->busy--;
	bool held = !isnull && DatumGetBool(result);
	ResetExprContext(econtext);
	if (level >= 0)
		RestoreSearchPath(level);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return held;
}

} // namespace privacy::pg
