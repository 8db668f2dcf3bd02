// citus.cpp: SQL-callable parts of the scale-out functions
// (src/sql/parts/80_scale_out.sql, doc/scale-out.md).
//
//  privacy._citus_present()  whether Citus's metadata exists in this
//      database: the WHEN clause of the catalog triggers that propagate
//      policy changes to the workers. A syscache lookup, so that a bulk
//      consent grant without Citus pays one cheap call per statement and row.
//  privacy._citus_changed()  BEFORE statement trigger of the policy
//      catalogs: notes that this transaction changes policy state.
//  privacy._citus_purpose(purpose, proof, generation)  the marker of the purpose
//      carried to the shards (citus_purpose.hpp); always true.
//  privacy._citus_consent_changed()  row trigger of privacy._consent: notes
//      the ids of the consent rows the transaction writes.
//  privacy._citus_take_consent_ids()  those ids (NULL: too many), for the
//      push: a consent change sends the rows it wrote, not the registry.
//  privacy._citus_take_change()  whether this transaction changed policy
//      state since the last push (and forgets it): the deferred trigger
//      pushes once per change. Kept in backend memory, not in a setting a
//      session could preset to suppress a push.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/citus.hpp"
#include "pg/module.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "miscadmin.h"
#include "storage/proc.h"
}

namespace privacy::pg {

namespace {

// the local transaction id of the transaction that changed policy state
// since the last push, or InvalidLocalTransactionId
LocalTransactionId changed_in = InvalidLocalTransactionId;

// the consent rows (ids) the transaction consent_in wrote since the last
// push, in TopTransactionContext; consent_full: too many to list (the push
// sends the whole registry)
constexpr int kMaxConsentIds = 1000000;
LocalTransactionId consent_in = InvalidLocalTransactionId;
int64 *consent_ids = NULL;
int consent_count = 0;
int consent_capacity = 0;
bool consent_full = false;

// NoteConsentId records id for this transaction's next push.
void
NoteConsentId(int64 id) {
	if (consent_in != MyProc->lxid) {
		consent_in = MyProc->lxid;
		consent_ids = NULL;
		consent_count = 0;
		consent_capacity = 0;
		consent_full = false;
	}
	if (consent_full)
		return;
	if (consent_count >= kMaxConsentIds) {
		consent_full = true;
		return;
	}
	if (consent_count == consent_capacity) {
		int capacity = consent_capacity == 0 ? 64 : consent_capacity * 2;
		if (consent_ids == NULL)
			consent_ids =
			        (int64 *)MemoryContextAlloc(TopTransactionContext, sizeof(int64) * capacity);
		else
			consent_ids = (int64 *)repalloc(consent_ids, sizeof(int64) * capacity);
		consent_capacity = capacity;
	}
	consent_ids[consent_count++] = id;
}

// CitusConsentChangedImpl implements the row trigger
// privacy._citus_consent_changed() of privacy._consent: notes the id of the
// row written (its old and new version), so that the push at commit sends
// these rows instead of the whole registry.
Datum
CitusConsentChangedImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._citus_consent_changed() must be called as a trigger")));
	TriggerData *data = (TriggerData *)fcinfo->context;
	TupleDesc desc = RelationGetDescr(data->tg_relation);
	int attnum = SPI_fnumber(desc, "id");
	if (attnum <= 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("privacy._citus_consent_changed() needs an \"id\" column")));
	HeapTuple tuples[2] = {data->tg_trigtuple, data->tg_newtuple};
	for (HeapTuple tuple : tuples) {
		if (tuple == NULL)
			continue;
		bool isnull;
		Datum id = heap_getattr(tuple, attnum, desc, &isnull);
		if (!isnull)
			NoteConsentId(DatumGetInt64(id));
	}
	return PointerGetDatum(NULL);
}

// CitusTakeConsentIdsImpl implements privacy._citus_take_consent_ids(): the
// ids of the consent rows this transaction wrote since the last push (and
// forgets them), or NULL when they are too many to list.
Datum
CitusTakeConsentIdsImpl(FunctionCallInfo fcinfo) {
	bool mine = consent_in == MyProc->lxid;
	bool full = mine && consent_full;
	int count = mine ? consent_count : 0;
	Datum *elems = (Datum *)palloc(sizeof(Datum) * (count + 1));
	for (int i = 0; i < count; i++)
		elems[i] = Int64GetDatum(consent_ids[i]);
	consent_in = InvalidLocalTransactionId;
	consent_ids = NULL;
	consent_count = 0;
	consent_capacity = 0;
	consent_full = false;
	if (full)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
	                                      TYPALIGN_DOUBLE));
}

// CitusPresentImpl implements privacy._citus_present().
Datum
CitusPresentImpl(FunctionCallInfo fcinfo) {
	PG_RETURN_BOOL(CitusInstalled());
}

// CitusChangedImpl implements the trigger privacy._citus_changed().
Datum
CitusChangedImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._citus_changed() must be called as a trigger")));
	changed_in = MyProc->lxid;
	return PointerGetDatum(NULL);
}

// CitusPurposeImpl implements privacy._citus_purpose(text, text, bigint), the marker
// carrying the declared purpose in the statements Citus sends to the shards
// (citus_purpose.hpp): the planner reads it, the executor finds it true.
Datum
CitusPurposeImpl(FunctionCallInfo fcinfo) {
	PG_RETURN_BOOL(true);
}

// CitusTakeChangeImpl implements privacy._citus_take_change().
Datum
CitusTakeChangeImpl(FunctionCallInfo fcinfo) {
	bool changed = changed_in != InvalidLocalTransactionId && changed_in == MyProc->lxid;
	changed_in = InvalidLocalTransactionId;
	PG_RETURN_BOOL(changed);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_citus_present, privacy::pg::CitusPresentImpl)
PRIVACY_FUNCTION(_citus_changed, privacy::pg::CitusChangedImpl)
PRIVACY_FUNCTION(_citus_purpose, privacy::pg::CitusPurposeImpl)
PRIVACY_FUNCTION(_citus_consent_changed, privacy::pg::CitusConsentChangedImpl)
PRIVACY_FUNCTION(_citus_take_consent_ids, privacy::pg::CitusTakeConsentIdsImpl)
PRIVACY_FUNCTION(_citus_take_change, privacy::pg::CitusTakeChangeImpl)
