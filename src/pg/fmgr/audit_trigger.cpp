// audit_trigger.cpp: privacy._audit_policy_change(), the row trigger that
// logs every change to a policy catalog table into privacy.audit_log, in the
// same transaction, whoever makes it (API or direct DML).
//
// Rows a superuser loads with COPY FROM (pg_restore) are not logged again.
//
// Rows are rendered with the row type's output function, except privacy._key,
// whose rows are logged by name and version only (the wrapped key material
// never reaches the log; a re-wrap under a new master key shows as an update
// of each version, with one more row naming the master key ids). The insert is a plain heap insert:
// the acting role needs no privilege on the log, and cannot forge or remove its rows.
#include "pg/fmgr/audit_trigger.hpp"
#include "pg/catalog/extension_schema.hpp"

#include "pg/boundary/boundary.hpp"
#include "pg/hooks/caller_identity.hpp"
#include "pg/hooks/process_utility.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
}

namespace privacy::pg {

void
WritePolicyAudit(const char *action, const char *object, const char *old_text,
                 const char *new_text) {
	Oid log_table = PrivacyTable("audit_log");
	if (!OidIsValid(log_table))
		ereport(ERROR,
		        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		         errmsg("policy changes cannot be audited: privacy.audit_log does not exist")));
	Relation log = table_open(log_table, RowExclusiveLock);
	TupleDesc desc = RelationGetDescr(log);
	Datum *values = (Datum *)palloc0(sizeof(Datum) * desc->natts);
	bool *nulls = (bool *)palloc(sizeof(bool) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
		nulls[i] = true;
	NameData role;
	NameData session_role;
	namestrcpy(&role, GetUserNameFromId(CallerUserId(), false));
	namestrcpy(&session_role, GetUserNameFromId(GetSessionUserId(), false));
	for (int i = 0; i < desc->natts; i++) {
		const char *column = NameStr(TupleDescAttr(desc, i)->attname);
		if (strcmp(column, "logged_at") == 0) {
			values[i] = TimestampTzGetDatum(GetCurrentTimestamp());
			nulls[i] = false;
		} else if (strcmp(column, "role_name") == 0) {
			values[i] = NameGetDatum(&role);
			nulls[i] = false;
		} else if (strcmp(column, "session_role") == 0) {
			values[i] = NameGetDatum(&session_role);
			nulls[i] = false;
		} else if (strcmp(column, "action") == 0) {
			values[i] = CStringGetTextDatum(action);
			nulls[i] = false;
		} else if (strcmp(column, "object") == 0) {
			values[i] = CStringGetTextDatum(object);
			nulls[i] = false;
		} else if (strcmp(column, "old_definition") == 0 && old_text != NULL) {
			values[i] = CStringGetTextDatum(old_text);
			nulls[i] = false;
		} else if (strcmp(column, "new_definition") == 0 && new_text != NULL) {
			values[i] = CStringGetTextDatum(new_text);
			nulls[i] = false;
		}
	}
	HeapTuple tup = heap_form_tuple(desc, values, nulls);
	simple_heap_insert(log, tup);
	table_close(log, RowExclusiveLock);
}

namespace {

// Render describes one catalog row (NULL for none).
char *
Render(Relation rel, HeapTuple tuple) {
	if (tuple == NULL)
		return NULL;
	TupleDesc desc = RelationGetDescr(rel);
	StringInfoData out;
	initStringInfo(&out);
	bool is_key = strcmp(RelationGetRelationName(rel), "_key") == 0;
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped)
			continue;
		if (is_key && strcmp(NameStr(att->attname), "name") != 0 &&
		    strcmp(NameStr(att->attname), "version") != 0)
			continue;
		bool isnull;
		Datum value = heap_getattr(tuple, att->attnum, desc, &isnull);
		appendStringInfo(&out, "%s%s=", out.len > 0 ? ", " : "", NameStr(att->attname));
		if (isnull) {
			appendStringInfoString(&out, "NULL");
		} else {
			Oid output;
			bool varlena;
			getTypeOutputInfo(att->atttypid, &output, &varlena);
			appendStringInfoString(&out, OidOutputFunctionCall(output, value));
		}
	}
	return out.data;
}

// AuditPolicyChangeImpl implements the trigger.
Datum
AuditPolicyChangeImpl(FunctionCallInfo fcinfo) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._audit_policy_change() must be called as a trigger")));
	TriggerData *trigger = (TriggerData *)fcinfo->context;
	if (!TRIGGER_FIRED_FOR_ROW(trigger->tg_event) || !TRIGGER_FIRED_AFTER(trigger->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("privacy._audit_policy_change() must be an AFTER ROW trigger")));
	// a superuser's COPY into the catalog - pg_restore bringing back the
	// extension's configuration - is not logged a second time: the restored
	// audit log already holds the history of those rows (issue 21)
	if (TRIGGER_FIRED_BY_INSERT(trigger->tg_event) && InSuperuserCatalogCopy())
		return PointerGetDatum(NULL);
	Relation rel = trigger->tg_relation;
	const char *operation = TRIGGER_FIRED_BY_INSERT(trigger->tg_event)   ? "insert"
	                        : TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? "update"
	                                                                     : "delete";
	HeapTuple old_row = TRIGGER_FIRED_BY_INSERT(trigger->tg_event) ? NULL : trigger->tg_trigtuple;
	HeapTuple new_row = TRIGGER_FIRED_BY_INSERT(trigger->tg_event)   ? trigger->tg_trigtuple
	                    : TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? trigger->tg_newtuple
	                                                                 : NULL;
	char *old_text = Render(rel, old_row);
	char *new_text = Render(rel, new_row);
	char *action =
	        psprintf("%s %s", operation,
	                 RelationGetRelationName(rel) + (RelationGetRelationName(rel)[0] == '_'));
	WritePolicyAudit(action, quote_qualified_identifier("privacy", RelationGetRelationName(rel)),
	                 old_text, new_text);
	return PointerGetDatum(NULL);
}

} // namespace

} // namespace privacy::pg

PRIVACY_FUNCTION(_audit_policy_change, privacy::pg::AuditPolicyChangeImpl)
