// writeback_guard.cpp: privacy._writeback_guard(), the BEFORE UPDATE row
// trigger that pg_privacy installs on every governed table (and on every
// partition and inheritance child of one), so that no statement shape can
// write a masked value over the raw one.
//
// The planner's static check (hooks/write_taint.cpp) refuses statements whose
// written values visibly derive from a masked column. It cannot see inside
// functions, other triggers, rules or anything planned separately, so this
// guard looks at the outcome instead of the shape: for every column that the
// acting role (GetUserId(), the role the masking decision uses) sees masked,
// it refuses the row with 42501 when the new value differs from the old one
// and equals the mask of the old one, i.e. exactly what the role would have
// read. Trigger tuples are raw: OLD is the stored row, NEW the row about to
// be stored.
//
// Not guarded, on purpose:
//  * roles that see the column raw (exempt, superuser), statements run while
//    pg_privacy itself suspends masking (static anonymization), and
//    privacy.masking = off (nothing is masked then);
//  * a NULL new value and an unchanged value (nothing is destroyed).
//
// Guarded too: masked roles without SELECT on the column. They may read it
// through a view (or an ORM may hand them what another role read), so
// whether they could have seen the mask cannot be told; the refusal tells
// them at most that a value they write equals the mask, which every role
// that reads the column sees anyway, while storing it would destroy data.
//
// The trigger is named so that it sorts after ordinary trigger names and
// fires last among BEFORE UPDATE triggers, so it sees NEW as other triggers
// left it. Only the table owner can add triggers that sort after it (names
// starting with bytes above '~'), or drop it; owners are outside the
// masking guarantee (doc/security-model.md).
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/guc.hpp"
#include "pg/hooks/planner.hpp"

extern "C" {
#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "utils/acl.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"
}

namespace privacy::pg {

namespace {

// SameValue compares two non-NULL values of a column with the type's default
// equality (so 1.0 and 1.00 are the same numeric), or bytewise when the type
// has none.
bool
SameValue(Datum a, Datum b, Form_pg_attribute att) {
	TypeCacheEntry *type = lookup_type_cache(att->atttypid, TYPECACHE_EQ_OPR_FINFO);
	if (OidIsValid(type->eq_opr_finfo.fn_oid))
		return DatumGetBool(FunctionCall2Coll(&type->eq_opr_finfo, att->attcollation, a, b));
	return datumIsEqual(a, b, att->attbyval, att->attlen);
}

// MaskOfOld evaluates the column's mask over the old row (raw values); sets
// *isnull.
Datum
MaskOfOld(const GovernedRel *rel, int index, TupleTableSlot *old_slot, bool *isnull) {
	// planned like the mask in a query: default arguments filled in
	Expr *mask = expression_planner((Expr *)copyObject(MaskExpression(rel, index)));
	ExprState *state = ExecInitExpr(mask, NULL);
	ExprContext *econtext = CreateStandaloneExprContext();
	econtext->ecxt_scantuple = old_slot;
	Datum value = ExecEvalExprSwitchContext(state, econtext, isnull);
	if (!*isnull) {
		Form_pg_attribute att =
		        TupleDescAttr(old_slot->tts_tupleDescriptor, rel->columns[index].attnum - 1);
		value = datumCopy(value, att->attbyval, att->attlen);
	}
	FreeExprContext(econtext, true);
	return value;
}

// CheckRow raises 42501 if the update writes a masked value over a raw one.
void
CheckRow(TriggerData *trigger) {
	Relation relation = trigger->tg_relation;
	const GovernedRel *rel = LookupGovernedRel(RelationGetRelid(relation));
	if (rel == NULL)
		return;
	Oid userid = GetUserId();
	TupleTableSlot *old_slot = trigger->tg_trigslot;
	TupleTableSlot *new_slot = trigger->tg_newslot;
	TupleDesc desc = RelationGetDescr(relation);
	for (int i = 0; i < rel->ncolumns; i++) {
		AttrNumber attnum = rel->columns[i].attnum;
		if (attnum <= 0 || attnum > desc->natts)
			continue;
		bool new_null;
		bool old_null;
		Datum new_value = slot_getattr(new_slot, attnum, &new_null);
		Datum old_value = slot_getattr(old_slot, attnum, &old_null);
		if (new_null)
			continue;
		Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
		if (!old_null && datumIsEqual(old_value, new_value, att->attbyval, att->attlen))
			continue;
		if (!ColumnMaskedFor(rel, i, userid))
			continue;
		if (!old_null && SameValue(old_value, new_value, att))
			continue;
		bool mask_null;
		Datum mask = MaskOfOld(rel, i, old_slot, &mask_null);
		if (mask_null || !SameValue(mask, new_value, att))
			continue;
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("cannot write the masked value of column \"%s\" of table \"%s\" "
		                       "over its real value",
		                       NameStr(att->attname), RelationGetRelationName(relation)),
		                errdetail("The current role sees this column masked, and the new value is "
		                          "what it sees: storing it would destroy the real value."),
		                errhint("Write an explicit new value, or run the statement as a role "
		                        "exempt from masking.")));
	}
}

// WritebackGuardImpl implements the trigger.
Datum
WritebackGuardImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._writeback_guard() must be called as a trigger")));
	TriggerData *trigger = (TriggerData *)fcinfo->context;
	if (!TRIGGER_FIRED_FOR_ROW(trigger->tg_event) || !TRIGGER_FIRED_BEFORE(trigger->tg_event) ||
	    !TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._writeback_guard() must be a BEFORE UPDATE row trigger")));
	if (guc_masking && AnyColumnPolicy()) {
		PinColumnPolicyCache();
		PG_TRY();
		{ CheckRow(trigger); }
		PG_FINALLY();
		{ UnpinColumnPolicyCache(); }
		PG_END_TRY();
	}
	return PointerGetDatum(trigger->tg_newtuple);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_writeback_guard, privacy::pg::WritebackGuardImpl)
