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
//  privacy._citus_take_change()  whether this transaction changed policy
//      state since the last push (and forgets it): the deferred trigger
//      pushes once per change. Kept in backend memory, not in a setting a
//      session could preset to suppress a push.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/citus.hpp"
#include "pg/module.hpp"

extern "C" {
#include "commands/trigger.h"
#include "miscadmin.h"
#include "storage/proc.h"
}

namespace privacy::pg {

namespace {

// the local transaction id of the transaction that changed policy state
// since the last push, or InvalidLocalTransactionId
LocalTransactionId changed_in = InvalidLocalTransactionId;

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
PRIVACY_FUNCTION(_citus_take_change, privacy::pg::CitusTakeChangeImpl)
