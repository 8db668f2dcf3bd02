// stored_expressions.cpp: the SQL side of stored policy expressions
// (catalog/stored_expressions.hpp).
//
//  privacy._create_stored_expression(tbl, col, canonical, what, label)
//      creates the wrapper of a validated canonical expression; called by
//      the SECURITY DEFINER catalog writers only.
//  privacy._stored_expression(fn, required)  the expression as canonical text over
//      its table, as it reads now (renames included); NULL if fn is not a
//      wrapper (dropped with something it used), or
//      with required an error (fail closed). A hold's condition only for
//      readers of privacy.legal_holds or privacy.policies, the table's
//      owner and superusers (42501 otherwise).
//  privacy._link_stored_expressions(fn column, table column [, masked
//      column])  row trigger on the policy tables: re-records each
//      wrapper's dependencies on its table, its columns and the extension,
//      which pg_restore does not recreate.
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/stored_expressions.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace privacy::pg {

namespace {

// MayReadHoldConditions reports whether the current user may read the
// conditions of the legal holds on table held.
bool
MayReadHoldConditions(Oid held) {
	Oid user = GetUserId();
	if (superuser_arg(user) || pg_class_ownercheck(held, user))
		return true;
	Oid nsp = PrivacySchema();
	for (const char *view : {"legal_holds", "policies"}) {
		Oid relid = OidIsValid(nsp) ? get_relname_relid(view, nsp) : InvalidOid;
		if (OidIsValid(relid) && pg_class_aclcheck(relid, user, ACL_SELECT) == ACLCHECK_OK)
			return true;
	}
	return false;
}

Datum
CreateStoredExpressionImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("table, expression and label must not be null")));
	Oid relid = PG_GETARG_OID(0);
	AttrNumber attnum = InvalidAttrNumber;
	if (!PG_ARGISNULL(1)) {
		attnum = get_attnum(relid, NameStr(*PG_GETARG_NAME(1)));
		if (attnum <= 0)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
			                errmsg("column \"%s\" of relation \"%s\" does not exist",
			                       NameStr(*PG_GETARG_NAME(1)), get_rel_name(relid))));
	}
	Oid funcid = CreateStoredExpression(relid, attnum, text_to_cstring(PG_GETARG_TEXT_PP(2)),
	                                    text_to_cstring(PG_GETARG_TEXT_PP(3)),
	                                    text_to_cstring(PG_GETARG_TEXT_PP(4)));
	PG_RETURN_OID(funcid);
}

Datum
StoredExpressionImpl(FunctionCallInfo fcinfo) {
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	// a hold's condition names whom a litigation concerns: only for those
	// who may read privacy.legal_holds (or privacy.policies), the table's
	// owner and superusers (red team F4)
	Oid held = HoldExpressionTable(PG_GETARG_OID(0));
	if (OidIsValid(held) && !MayReadHoldConditions(held))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("permission denied to read the condition of a legal hold"),
		                errhint("privacy.legal_holds shows hold conditions to policy "
		                        "administrators and auditors.")));
	char *text = StoredExpressionText(PG_GETARG_OID(0));
	if (text == NULL && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("a policy expression was dropped with an object it used"),
		                errdetail("The policy stays in force and fails closed until it is declared "
		                          "again or removed."),
		                errhint("Declare it again, or remove the policy.")));
	if (text == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(text));
}

Datum
LinkStoredExpressionsImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._link_stored_expressions() must be called as a trigger")));
	TriggerData *trigger = (TriggerData *)fcinfo->context;
	Relation rel = trigger->tg_relation;
	// arguments: the columns holding the wrapper and its table, and for
	// masks the one holding the masked column's name
	int nargs = trigger->tg_trigger->tgnargs;
	if (nargs != 2 && nargs != 3)
		elog(ERROR, "privacy._link_stored_expressions() takes two or three column names");
	TupleDesc desc = RelationGetDescr(rel);
	AttrNumber attnums[3] = {InvalidAttrNumber, InvalidAttrNumber, InvalidAttrNumber};
	for (int a = 0; a < nargs; a++) {
		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped &&
			    strcmp(NameStr(TupleDescAttr(desc, i)->attname), trigger->tg_trigger->tgargs[a]) ==
			            0)
				attnums[a] = i + 1;
		if (attnums[a] == InvalidAttrNumber)
			elog(ERROR, "column \"%s\" not found", trigger->tg_trigger->tgargs[a]);
	}
	// a row trigger: the new row names its wrapper (a scan here would not
	// see the rows the triggering statement inserted)
	if (!TRIGGER_FIRED_FOR_ROW(trigger->tg_event) || !TRIGGER_FIRED_BY_INSERT(trigger->tg_event))
		elog(ERROR, "privacy._link_stored_expressions() must be an AFTER INSERT row trigger");
	HeapTuple tup = trigger->tg_trigtuple;
	bool isnull;
	Datum fn = heap_getattr(tup, attnums[0], desc, &isnull);
	if (isnull)
		return PointerGetDatum(NULL);
	bool null_rel;
	Datum relid = heap_getattr(tup, attnums[1], desc, &null_rel);
	if (null_rel)
		return PointerGetDatum(NULL);
	AttrNumber own = InvalidAttrNumber;
	if (nargs == 3) {
		bool null_col;
		Datum column = heap_getattr(tup, attnums[2], desc, &null_col);
		if (!null_col)
			own = get_attnum(DatumGetObjectId(relid), NameStr(*DatumGetName(column)));
	}
	LinkStoredExpression(DatumGetObjectId(fn), DatumGetObjectId(relid),
	                     own > 0 ? own : InvalidAttrNumber);
	return PointerGetDatum(NULL);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_create_stored_expression, privacy::pg::CreateStoredExpressionImpl)
PRIVACY_FUNCTION(_stored_expression, privacy::pg::StoredExpressionImpl)
PRIVACY_FUNCTION(_link_stored_expressions, privacy::pg::LinkStoredExpressionsImpl)
