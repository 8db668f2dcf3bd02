// retention.cpp: the C part of the retention API (legal holds and table
// families).
//
//  privacy._analyze_hold_condition(tbl, condition)  validates a legal-hold
//      condition with the one validator of declared expressions
//      (ValidatePolicyExpression: one boolean expression, no subquery,
//      aggregate, window, set-returning or volatile function, no system
//      column or whole-row reference) under the trust rule of hold
//      conditions: only functions owned by superusers, whoever owns the table
//      (an administrator could otherwise redefine which rows the hold
//      protects, unaudited). Returns the canonical text, deparsed from the
//      analyzed tree with every name not in pg_catalog schema-qualified: only
//      that text ever reaches a purge statement; the text a user typed is
//      never spliced into SQL.
//  privacy._hold_trigger_quals(tbl, condition)  the WHEN clauses of the hold
//      triggers of a family member (the condition on old. and new.).
//  privacy._check_family_root(tbl, what)  raises 42809 when a policy is
//      declared on a partition or inheritance child (CheckFamilyRoot).
//  privacy._hold_maintenance(on)  lets privacy._sync_hold_triggers() drop
//      hold triggers in this transaction.
// Errors name tables, never values.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/legal_holds.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_proc.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// AnalyzeHoldConditionImpl implements privacy._analyze_hold_condition: the
// one validator of declared expressions (ValidatePolicyExpression, with its
// trust check) applied to a legal-hold condition.
Datum
AnalyzeHoldConditionImpl(FunctionCallInfo fcinfo) {
	Oid relid = PG_GETARG_OID(0);
	char *condition = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation with OID %u does not exist", relid)));
	// the one validator, with the stricter trust of hold conditions: only
	// superusers' functions, as an administrator could otherwise redefine
	// which rows the hold protects
	// parsed, and its canonical text written, under the fixed settings hold
	// conditions are evaluated under (red-team 8 F1): a timestamptz literal
	// without a zone is UTC whoever places the hold
	int level = RunWithFixedSettings();
	char *canonical = ValidatePolicyExpression(relid, InvalidAttrNumber, condition,
	                                           "hold condition", true, true);
	RestoreSearchPath(level);
	PG_RETURN_TEXT_P(cstring_to_text(canonical));
}

// HoldTriggerQualsImpl implements privacy._hold_trigger_quals: the
// canonical condition (search_path pg_catalog, pg_temp) is analyzed against
// the member and deparsed with every column prefixed by old. or new.
// Generated columns need no care: the triggers are AFTER triggers.
Datum
HoldTriggerQualsImpl(FunctionCallInfo fcinfo) {
	Oid relid = PG_GETARG_OID(0);
	char *condition = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation with OID %u does not exist", relid)));
	TupleDesc desc;
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	Relation rel = relation_open(relid, AccessShareLock);
	int level = RunWithFixedSettings();
	Node *expr = AnalyzeRelationExpression(relid, InvalidAttrNumber, condition, true, NULL,
	                                       "hold condition");
	char *on_old = deparse_expression(expr, deparse_context_for("old", relid), true, false);
	char *on_new = deparse_expression(expr, deparse_context_for("new", relid), true, false);
	RestoreSearchPath(level);
	relation_close(rel, AccessShareLock);

	Datum values[2];
	bool nulls[2] = {false, false};
	values[0] =
	        CStringGetTextDatum(psprintf("((%s) IS TRUE) AND ((%s) IS NOT TRUE)", on_old, on_new));
	values[1] = CStringGetTextDatum(psprintf("(%s) IS TRUE", on_old));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

// HoldGuardImpl implements privacy._hold_guard(hold_id [, condition]), the
// AFTER UPDATE / AFTER DELETE row trigger of every ordinary table a legal
// hold applies to (issue 19): the hold's condition is evaluated by
// pg_privacy for OLD (and NEW) as the table's owner inside
// SECURITY_RESTRICTED_OPERATION (HoldKeepsRow), never by PostgreSQL as the
// role running the statement (a WHEN clause would be). A DELETE (or a move
// to another partition) of a held row, or an UPDATE taking a row out of its
// hold, fails with 55006.
Datum
HoldGuardImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._hold_guard() must be called as a trigger")));
	TriggerData *trigdata = (TriggerData *)fcinfo->context;
	TriggerEvent event = trigdata->tg_event;
	Trigger *trigger = trigdata->tg_trigger;
	if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_ROW(event) ||
	    !(TRIGGER_FIRED_BY_DELETE(event) || TRIGGER_FIRED_BY_UPDATE(event)) ||
	    trigger->tgnargs < 1 || trigger->tgnargs > 3)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._hold_guard() must be an AFTER UPDATE or DELETE row "
		                       "trigger with a hold id")));
	// the hold id, parsed once per trigger and statement (fn_extra)
	struct GuardArgs {
		Oid tgoid;
		long long hold;
	};
	GuardArgs *args = (GuardArgs *)fcinfo->flinfo->fn_extra;
	if (args == NULL || args->tgoid != trigger->tgoid) {
		char *end = NULL;
		errno = 0;
		long long parsed = strtoll(trigger->tgargs[0], &end, 10);
		if (errno != 0 || end == trigger->tgargs[0] || *end != '\0')
			ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			                errmsg("privacy._hold_guard() must be an AFTER UPDATE or DELETE row "
			                       "trigger with a hold id")));
		if (args == NULL)
			args = (GuardArgs *)MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(GuardArgs));
		args->tgoid = trigger->tgoid;
		args->hold = parsed;
		fcinfo->flinfo->fn_extra = args;
	}
	long long hold = args->hold;
	// a Citus shard's trigger carries the condition and the hold's author
	const char *fallback = trigger->tgnargs >= 2 ? trigger->tgargs[1] : NULL;
	const char *fallback_placer = trigger->tgnargs == 3 ? trigger->tgargs[2] : NULL;
	Relation rel = trigdata->tg_relation;
	if (!HoldKeepsRow(hold, rel, trigdata->tg_trigslot, fallback, fallback_placer))
		return PointerGetDatum(NULL);
	const char *schema = quote_identifier(get_namespace_name(RelationGetNamespace(rel)));
	const char *table = quote_identifier(RelationGetRelationName(rel));
	if (TRIGGER_FIRED_BY_DELETE(event))
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_IN_USE),
		         errmsg("cannot delete a row of %s.%s under legal hold %lld", schema, table, hold),
		         errhint("Rows under a legal hold cannot be deleted, nor moved to another "
		                 "partition, until the hold is released.")));
	if (HoldKeepsRow(hold, rel, trigdata->tg_newslot, fallback, fallback_placer))
		return PointerGetDatum(NULL);
	ereport(ERROR,
	        (errcode(ERRCODE_OBJECT_IN_USE),
	         errmsg("cannot update a row of %s.%s out of legal hold %lld", schema, table, hold),
	         errhint("A held row must keep matching its hold condition until the hold is "
	                 "released.")));
	return PointerGetDatum(NULL);
}

// CheckFamilyRootImpl implements privacy._check_family_root.
Datum
CheckFamilyRootImpl(FunctionCallInfo fcinfo) {
	CheckFamilyRoot(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

// HoldMaintenanceImpl implements privacy._hold_maintenance.
Datum
HoldMaintenanceImpl(FunctionCallInfo fcinfo) {
	SetHoldMaintenance(PG_GETARG_BOOL(0));
	PG_RETURN_VOID();
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_analyze_hold_condition, privacy::pg::AnalyzeHoldConditionImpl)
PRIVACY_FUNCTION(_hold_trigger_quals, privacy::pg::HoldTriggerQualsImpl)
PRIVACY_FUNCTION(_hold_guard, privacy::pg::HoldGuardImpl)
PRIVACY_FUNCTION(_hold_maintenance, privacy::pg::HoldMaintenanceImpl)
PRIVACY_FUNCTION(_check_family_root, privacy::pg::CheckFamilyRootImpl)
