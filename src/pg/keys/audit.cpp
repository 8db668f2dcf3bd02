// audit.cpp: pending detokenize counts and their rows in privacy.audit_log.
//
// Invariants: counts live in a fixed static array (no allocation, no C++
// objects); rows are written with heap inserts after the counts are cleared,
// so writing never re-enters itself. Must never: record a value or token.
#include "pg/keys/audit.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
}

namespace privacy::pg {

namespace {

constexpr int kMaxPending = 16;
constexpr int kFormatNameBytes = 64;

struct PendingCount {
	char format[kFormatNameBytes];
	int64 count;
};

PendingCount pending[kMaxPending];
int npending = 0;

// AuditXactCallback writes what is left before commit and forgets it on abort.
void
AuditXactCallback(XactEvent event, void *arg) {
	switch (event) {
	case XACT_EVENT_PRE_COMMIT:
		if (npending > 0)
			FlushAudit();
		break;
	case XACT_EVENT_ABORT:
	case XACT_EVENT_PARALLEL_ABORT:
		npending = 0;
		break;
	default:
		break;
	}
}

} // namespace

void
InitAudit() {
	RegisterXactCallback(AuditXactCallback, NULL);
}

bool
AuditPending() {
	return npending > 0;
}

void
CountDetokenized(const char *format, int64 n) {
	for (int i = 0; i < npending; i++) {
		if (strcmp(pending[i].format, format) == 0) {
			pending[i].count += n;
			return;
		}
	}
	if (npending == kMaxPending)
		FlushAudit();
	strlcpy(pending[npending].format, format, kFormatNameBytes);
	pending[npending].count = n;
	npending++;
}

void
FlushAudit() {
	if (npending == 0)
		return;
	PendingCount rows[kMaxPending];
	int nrows = npending;
	memcpy(rows, pending, sizeof(PendingCount) * nrows);
	npending = 0;

	Oid nsp = get_namespace_oid("privacy", true);
	Oid table = OidIsValid(nsp) ? get_relname_relid("audit_log", nsp) : InvalidOid;
	if (!OidIsValid(table))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("detokenized values cannot be audited: privacy.audit_log does not exist"),
		                errhidestmt(true)));
	Relation rel = table_open(table, RowExclusiveLock);
	TupleDesc desc = RelationGetDescr(rel);
	TimestampTz now = GetCurrentTimestamp();
	NameData role;
	NameData session_role;
	namestrcpy(&role, GetUserNameFromId(GetUserId(), false));
	namestrcpy(&session_role, GetUserNameFromId(GetSessionUserId(), false));
	int natts = desc->natts;
	Datum *values = (Datum *)palloc0(sizeof(Datum) * natts);
	bool *nulls = (bool *)palloc(sizeof(bool) * natts);
	for (int i = 0; i < nrows; i++) {
		// columns after value_count (object, definitions) stay NULL
		for (int a = 0; a < natts; a++)
			nulls[a] = a >= 6;
		values[0] = TimestampTzGetDatum(now);
		values[1] = NameGetDatum(&role);
		values[2] = NameGetDatum(&session_role);
		values[3] = CStringGetTextDatum("detokenize");
		values[4] = CStringGetTextDatum(rows[i].format);
		values[5] = Int64GetDatum(rows[i].count);
		HeapTuple tup = heap_form_tuple(desc, values, nulls);
		simple_heap_insert(rel, tup);
		heap_freetuple(tup);
	}
	table_close(rel, RowExclusiveLock);
}

} // namespace privacy::pg
