// owner_exec.cpp: statements pg_privacy runs on someone's behalf, executed
// as the table's owner inside a security-restricted operation (see the
// header). The pattern is PostgreSQL's own (commands/matview.c
// refresh_matview_datafill, commands/vacuum.c vacuum_rel, commands/indexcmds.c
// DefineIndex): GetUserIdAndSecContext, SetUserIdAndSecContext(owner,
// ... | SECURITY_RESTRICTED_OPERATION), NewGUCNestLevel + search_path,
// AtEOXact_GUC, restore.
//
// The statement is parsed, rewritten, planned and executed here rather than
// through SPI, so that the two exemptions it needs (row security of the
// owner's own table, masking of its own expressions) are scoped exactly:
// to its rewrite and to its own planner call. Nothing executed on its
// behalf later (triggers, functions, rule actions) gets them.
//
// Must never: run a statement that is not pg_privacy's own text, keep the
// owner's identity after returning (also on error), or print values.
#include "pg/catalog/owner_exec.hpp"

#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/keyed_masks.hpp"
#include "pg/hooks/planner.hpp"
#include "pg/hooks/row_security_restrictive.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_cast.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "parser/parsetree.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace privacy::pg {

namespace {

// ValueReceiver keeps the first column of the first row as text.
struct ValueReceiver {
	DestReceiver pub;
	MemoryContext cxt;
	bool got;
	char *value;
};

bool
ValueReceive(TupleTableSlot *slot, DestReceiver *self) {
	ValueReceiver *receiver = (ValueReceiver *)self;
	if (receiver->got)
		return true;
	receiver->got = true;
	bool isnull;
	Datum datum = slot_getattr(slot, 1, &isnull);
	if (!isnull) {
		Oid output;
		bool varlena;
		getTypeOutputInfo(TupleDescAttr(slot->tts_tupleDescriptor, 0)->atttypid, &output, &varlena);
		MemoryContext old = MemoryContextSwitchTo(receiver->cxt);
		receiver->value = OidOutputFunctionCall(output, datum);
		MemoryContextSwitchTo(old);
	}
	return true;
}

void
ValueStartup(DestReceiver *self, int operation, TupleDesc typeinfo) {
}

void
ValueShutdown(DestReceiver *self) {
}

void
ValueDestroy(DestReceiver *self) {
}

// DeclarerIsSuperuser reports whether the role named in a catalog row
// (declared_by, placed_by) still exists and is a superuser.
bool
DeclarerIsSuperuser(Datum name) {
	Oid role = get_role_oid(NameStr(*DatumGetName(name)), true);
	return OidIsValid(role) && superuser_arg(role);
}

// PoliciesDeclaredBySuperusers reports whether every masking policy and
// every active legal hold of relid, of its ancestors and of its partitions
// or children was declared by a superuser.
bool
PoliciesDeclaredBySuperusers(Oid relid) {
	List *related =
	        list_concat(InheritanceAncestors(relid), find_all_inheritors(relid, NoLock, NULL));
	const char *tables[2] = {"_column_policy", "_legal_hold"};
	const char *who[2] = {"declared_by", "placed_by"};
	for (int t = 0; t < 2; t++) {
		Oid catalog = PrivacyTable(tables[t]);
		if (!OidIsValid(catalog))
			continue;
		AttrNumber relid_att = get_attnum(catalog, "relid");
		AttrNumber who_att = get_attnum(catalog, who[t]);
		AttrNumber released_att = t == 1 ? get_attnum(catalog, "released_at") : InvalidAttrNumber;
		Relation rel = table_open(catalog, AccessShareLock);
		SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
		HeapTuple tup;
		bool ok = true;
		while (ok && (tup = systable_getnext(scan)) != NULL) {
			bool isnull;
			Datum row_relid = heap_getattr(tup, relid_att, RelationGetDescr(rel), &isnull);
			if (isnull || !list_member_oid(related, DatumGetObjectId(row_relid)))
				continue;
			if (released_att != InvalidAttrNumber) {
				(void)heap_getattr(tup, released_att, RelationGetDescr(rel), &isnull);
				if (!isnull)
					continue;
			}
			Datum declarer = heap_getattr(tup, who_att, RelationGetDescr(rel), &isnull);
			if (isnull || !DeclarerIsSuperuser(declarer))
				ok = false;
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		if (!ok)
			return false;
	}
	return true;
}

// IsWritebackGuard reports whether trigger is pg_privacy's write-back guard
// (its name and privacy._writeback_guard()).
bool
IsWritebackGuard(const Trigger *trigger, Oid privacy_namespace) {
	if (strcmp(trigger->tgname, "~pg_privacy_writeback_guard") != 0)
		return false;
	HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(trigger->tgfoid));
	if (!HeapTupleIsValid(tup))
		return false;
	Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
	bool guard = proc->pronamespace == privacy_namespace &&
	             strcmp(NameStr(proc->proname), "_writeback_guard") == 0;
	ReleaseSysCache(tup);
	return guard;
}

// OmitWritebackGuard takes the write-back guard out of the triggers of
// every result relation of this execution, so that it is not even fired
// for the rows pg_privacy's own statement writes (it writes masked values
// over raw ones on purpose; the guard would refuse them, after a trigger
// call and a fetch and lock of the old row each). The trigger descriptors are this
// execution's own copies (InitResultRelInfo copies the relation's), and
// ExecutorStart has not fired any trigger yet; every other trigger stays.
void
OmitWritebackGuard(EState *estate) {
	Oid privacy_namespace = PrivacySchema();
	if (!OidIsValid(privacy_namespace))
		return;
	ListCell *lc;
	foreach (lc, estate->es_opened_result_relations) {
		ResultRelInfo *info = (ResultRelInfo *)lfirst(lc);
		TriggerDesc *triggers = info->ri_TrigDesc;
		if (triggers == NULL || !triggers->trig_update_before_row)
			continue;
		int kept = 0;
		bool before_update_row = false;
		for (int i = 0; i < triggers->numtriggers; i++) {
			Trigger *trigger = &triggers->triggers[i];
			if (IsWritebackGuard(trigger, privacy_namespace))
				continue;
			if (TRIGGER_TYPE_MATCHES(trigger->tgtype, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE,
			                         TRIGGER_TYPE_UPDATE))
				before_update_row = true;
			if (kept != i)
				triggers->triggers[kept] = *trigger;
			kept++;
		}
		triggers->numtriggers = kept;
		triggers->trig_update_before_row = before_update_row;
	}
}

// RunQuery runs a planned statement to completion. pg_privacy's own
// statement (planned on raw values) writes what it means to write, masked
// values over raw ones included: the write-back guard is not fired for its
// result relations (own). Everything else its execution runs - the owner's
// triggers and functions, on this table or any other - meets the guard as
// usual: nothing stands aside globally (red-team 5 F10).
void
RunQuery(QueryDesc *desc, bool own) {
	ExecutorStart(desc, 0);
	if (own)
		OmitWritebackGuard(desc->estate);
	ExecutorRun(desc, ForwardScanDirection, 0, true);
	ExecutorFinish(desc);
}

// UseEntryPointsInStatement makes the keyed masks that pg_privacy's own
// statement calls (anonymization applies the table's masks; a legal hold's
// condition may call one) go through their policy entry points, as when the
// planner places a mask: the owner the statement runs as need not be allowed
// to EXECUTE the public keyed masks (nobody is by default). Only the
// statement's own target list and WHERE clause: it is built by pg_privacy
// from validated, stored expressions and parameters.
void
UseEntryPointsInStatement(Query *query) {
	ListCell *lc;
	foreach (lc, query->targetList) {
		TargetEntry *entry = lfirst_node(TargetEntry, lc);
		entry->expr = (Expr *)UseMaskEntryPoints((Node *)entry->expr);
	}
	if (query->jointree != NULL)
		query->jointree->quals = UseMaskEntryPoints(query->jointree->quals);
}

// ExecuteOwnStatement parses, rewrites, plans and executes sql in the
// current identity (the owner, set by the caller). With reader valid the
// statement is a read of relid planned masked for reader
// (ReadAsTableOwner); otherwise it is planned on raw values.
uint64
ExecuteOwnStatement(const char *sql, int nargs, Oid *types, Datum *values, bool *nulls,
                    char **value, Oid relid = InvalidOid, Oid reader = InvalidOid) {
	List *raws = pg_parse_query(sql);
	if (list_length(raws) != 1)
		elog(ERROR, "pg_privacy statement must be a single statement");
	RawStmt *raw = linitial_node(RawStmt, raws);

	ParamListInfo params = NULL;
	if (nargs > 0) {
		params = makeParamList(nargs);
		for (int i = 0; i < nargs; i++) {
			params->params[i].value = values[i];
			params->params[i].isnull = nulls[i];
			params->params[i].pflags = PARAM_FLAG_CONST;
			params->params[i].ptype = types[i];
		}
	}

	// the owner sees every row of its own table (row security is decided
	// here, by the rewriter): only for this rewrite. A read run as its
	// reader (a superuser's table) leaves out pg_privacy's own row policies
	// of that table instead; other row-security policies still apply.
	Oid userid;
	int sec_context;
	GetUserIdAndSecContext(&userid, &sec_context);
	SetUserIdAndSecContext(userid, sec_context | SECURITY_NOFORCE_RLS);
	if (OidIsValid(reader))
		LiftRowFilters(relid);
	List *volatile queries = NIL;
	PG_TRY();
	{ queries = pg_analyze_and_rewrite_fixedparams(raw, sql, types, nargs, NULL); }
	PG_FINALLY();
	{
		LiftRowFilters(InvalidOid);
		SetUserIdAndSecContext(userid, sec_context);
	}
	PG_END_TRY();

	// pg_privacy's own statement is planned on raw values; statements added
	// by the owner's rules are planned as usual (masked for the owner)
	List *stmts = NIL;
	List *original = NIL;
	ListCell *lc;
	foreach (lc, queries) {
		Query *query = lfirst_node(Query, lc);
		if (query->commandType == CMD_UTILITY)
			elog(ERROR, "pg_privacy statement must not be a utility statement");
		PlannedStmt *stmt;
		if (query->querySource == QSRC_ORIGINAL && OidIsValid(reader)) {
			if (query->commandType != CMD_SELECT)
				elog(ERROR, "pg_privacy read must be a SELECT");
			stmt = PlanMaskedFor(query, sql, params, reader);
		} else if (query->querySource == QSRC_ORIGINAL) {
			UseEntryPointsInStatement(query);
			stmt = PlanUnmasked(query, sql, params);
		} else {
			stmt = pg_plan_query(query, sql, 0, params);
		}
		stmts = lappend(stmts, stmt);
		original = lappend_int(original, query->querySource == QSRC_ORIGINAL);
	}

	ValueReceiver receiver;
	memset(&receiver, 0, sizeof(receiver));
	receiver.pub.receiveSlot = ValueReceive;
	receiver.pub.rStartup = ValueStartup;
	receiver.pub.rShutdown = ValueShutdown;
	receiver.pub.rDestroy = ValueDestroy;
	receiver.pub.mydest = DestNone;
	receiver.cxt = CurrentMemoryContext;

	uint64 processed = 0;
	foreach (lc, stmts) {
		PlannedStmt *stmt = lfirst_node(PlannedStmt, lc);
		bool own = stmt->canSetTag;
		// only pg_privacy's own statement goes without the write-back guard:
		// never an action of the owner's rules, INSTEAD ones included (they
		// set the tag); a read writes nothing
		bool writes = list_nth_int(original, foreach_current_index(lc)) && !OidIsValid(reader);
		CommandCounterIncrement();
		PushActiveSnapshot(GetTransactionSnapshot());
		UpdateActiveSnapshotCommandId();
		DestReceiver *dest = own && value != NULL && stmt->commandType == CMD_SELECT
		                             ? (DestReceiver *)&receiver
		                             : None_Receiver;
		QueryDesc *desc = CreateQueryDesc(stmt, sql, GetActiveSnapshot(), InvalidSnapshot, dest,
		                                  params, NULL, 0);
		RunQuery(desc, writes);
		if (own)
			processed = desc->estate->es_processed;
		ExecutorEnd(desc);
		FreeQueryDesc(desc);
		PopActiveSnapshot();
	}
	CommandCounterIncrement();
	if (value != NULL)
		*value = receiver.value;
	return processed;
}

// RunRestricted runs sql as role inside a security-restricted operation
// with a fixed search_path, restoring identity and settings afterwards.
uint64
RunRestricted(Oid role, const char *sql, int nargs, Oid *types, Datum *values, bool *nulls,
              char **value, Oid relid, Oid reader) {
	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	volatile int nest_level = -1;
	volatile uint64 processed = 0;
	PG_TRY();
	{
		SetUserIdAndSecContext(role, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
		                                     SECURITY_RESTRICTED_OPERATION);
		nest_level = NewGUCNestLevel();
		(void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
		                        GUC_ACTION_SAVE, true, 0, false);
		processed = ExecuteOwnStatement(sql, nargs, types, values, nulls, value, relid, reader);
	}
	PG_FINALLY();
	{
		if (nest_level >= 0)
			AtEOXact_GUC(false, nest_level);
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return processed;
}

} // namespace

// TableOwner returns the owner of relid (ERROR when it is gone).
Oid
TableOwner(Oid relid) {
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation with OID %u does not exist", relid)));
	Oid owner = ((Form_pg_class)GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

uint64
RunAsTableOwner(Oid relid, const char *sql, int nargs, Oid *types, Datum *values, bool *nulls,
                char **value) {
	Oid owner = TableOwner(relid);
	// A superuser's table would run the masks and hold conditions of its
	// policies as that superuser: only when superusers declared them all
	// (the validator then also requires their functions to be owned by
	// superusers). Otherwise an administrator's expression - or a STABLE
	// built-in reading superuser-only settings or other tables - would run
	// with superuser rights.
	if (superuser_arg(owner) && !PoliciesDeclaredBySuperusers(relid))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("table \"%s\" is owned by a superuser and has policies declared by other "
		                "roles",
		                get_rel_name(relid)),
		         errdetail("pg_privacy runs its work on a table as the table's owner; it does not "
		                   "run masks or legal holds declared by other roles as a superuser."),
		         errhint("Make a role that is not a superuser own the table, or have a superuser "
		                 "declare its masks and legal holds.")));

	return RunRestricted(owner, sql, nargs, types, values, nulls, value, relid, InvalidOid);
}

namespace {

// TypeOfAnotherRole reports whether typid, or a type it is built from (an
// array's element, a domain's base, a composite's fields, a range's subtype,
// a multirange's range), recursively, is owned by a role that is not a
// superuser, or has a cast to json whose function is: that role's code runs
// wherever a value of the type is converted to json.
bool
TypeOfAnotherRole(Oid typid) {
	check_stack_depth();
	HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	Form_pg_type type = (Form_pg_type)GETSTRUCT(tup);
	Oid owner = type->typowner;
	Oid elem = type->typelem;
	Oid base = type->typbasetype;
	Oid rel = type->typrelid;
	char kind = type->typtype;
	ReleaseSysCache(tup);
	if (!superuser_arg(owner))
		return true;
	// to_jsonb converts a value through its type's cast to json, whose
	// function a superuser may have borrowed from another role
	HeapTuple cast =
	        SearchSysCache2(CASTSOURCETARGET, ObjectIdGetDatum(typid), ObjectIdGetDatum(JSONOID));
	if (HeapTupleIsValid(cast)) {
		Oid func = ((Form_pg_cast)GETSTRUCT(cast))->castfunc;
		ReleaseSysCache(cast);
		if (OidIsValid(func)) {
			HeapTuple proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(func));
			if (!HeapTupleIsValid(proc))
				elog(ERROR, "cache lookup failed for function %u", func);
			Oid proc_owner = ((Form_pg_proc)GETSTRUCT(proc))->proowner;
			ReleaseSysCache(proc);
			if (!superuser_arg(proc_owner))
				return true;
		}
	}
	if (OidIsValid(elem) && TypeOfAnotherRole(elem))
		return true;
	if (OidIsValid(base) && TypeOfAnotherRole(base))
		return true;
	if (kind == TYPTYPE_RANGE && TypeOfAnotherRole(get_range_subtype(typid)))
		return true;
	if (kind == TYPTYPE_MULTIRANGE && TypeOfAnotherRole(get_multirange_range(typid)))
		return true;
	if (OidIsValid(rel)) {
		Relation r = relation_open(rel, AccessShareLock);
		TupleDesc desc = RelationGetDescr(r);
		bool other = false;
		for (int i = 0; i < desc->natts && !other; i++) {
			Form_pg_attribute att = TupleDescAttr(desc, i);
			if (!att->attisdropped)
				other = TypeOfAnotherRole(att->atttypid);
		}
		relation_close(r, AccessShareLock);
		if (other)
			return true;
	}
	return false;
}

} // namespace

bool
ColumnTypesOfAnotherRole(Oid relid) {
	Relation r = relation_open(relid, AccessShareLock);
	TupleDesc desc = RelationGetDescr(r);
	bool other = false;
	for (int i = 0; i < desc->natts && !other; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!att->attisdropped)
			other = TypeOfAnotherRole(att->atttypid);
	}
	relation_close(r, AccessShareLock);
	return other;
}

char *
ReadAsTableOwner(Oid relid, Oid reader, const char *sql, int nargs, Oid *types, Datum *values,
                 bool *nulls) {
	Oid owner = TableOwner(relid);
	// A superuser's code gains nothing from running with the reader's rights,
	// and masks declared by administrators must not run as a superuser: a
	// superuser's table is read as the reader (restricted all the same).
	// The casts and functions of its columns' types are their owners' code:
	// a column whose type belongs to a role that is not a superuser is
	// refused, so that no such code runs with the reader's rights.
	if (superuser_arg(owner) && ColumnTypesOfAnotherRole(relid))
		ereport(ERROR,
		        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		         errmsg("cannot read table \"%s\" for you", get_rel_name(relid)),
		         errdetail("The table is owned by a superuser and has a column whose type, or the "
		                   "function of its cast to json, belongs to a role that is not a "
		                   "superuser; that role's code would run with your rights."),
		         errhint("Make a role that is not a superuser own the table (its reads then run "
		                 "as that role), or give the column a type owned by a superuser.")));
	Oid runner = superuser_arg(owner) ? reader : owner;
	char *value = NULL;
	(void)RunRestricted(runner, sql, nargs, types, values, nulls, &value, relid, reader);
	return value;
}

} // namespace privacy::pg
