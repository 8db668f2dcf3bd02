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

#include "pg/hooks/planner.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "parser/parsetree.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
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
ValueStartup(DestReceiver *self, int operation, TupleDesc typeinfo) {}

void
ValueShutdown(DestReceiver *self) {}

void
ValueDestroy(DestReceiver *self) {}

// RelationOwner returns the owner of relid (ERROR when it is gone).
Oid
RelationOwner(Oid relid) {
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
	Oid owner = ((Form_pg_class)GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

// ExecuteOwnStatement parses, rewrites, plans and executes sql in the
// current identity (the owner, set by the caller).
uint64
ExecuteOwnStatement(const char *sql, int nargs, Oid *types, Datum *values, bool *nulls, char **value) {
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
	// here, by the rewriter): only for this rewrite
	Oid userid;
	int sec_context;
	GetUserIdAndSecContext(&userid, &sec_context);
	SetUserIdAndSecContext(userid, sec_context | SECURITY_NOFORCE_RLS);
	List *queries = pg_analyze_and_rewrite_fixedparams(raw, sql, types, nargs, NULL);
	SetUserIdAndSecContext(userid, sec_context);

	// pg_privacy's own statement is planned on raw values; statements added
	// by the owner's rules are planned as usual (masked for the owner)
	List *stmts = NIL;
	ListCell *lc;
	foreach (lc, queries) {
		Query *query = lfirst_node(Query, lc);
		if (query->commandType == CMD_UTILITY)
			elog(ERROR, "pg_privacy statement must not be a utility statement");
		PlannedStmt *stmt = query->querySource == QSRC_ORIGINAL ? PlanUnmasked(query, sql, params)
		                                                        : pg_plan_query(query, sql, 0, params);
		stmts = lappend(stmts, stmt);
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
		CommandCounterIncrement();
		PushActiveSnapshot(GetTransactionSnapshot());
		UpdateActiveSnapshotCommandId();
		DestReceiver *dest =
		    own && value != NULL && stmt->commandType == CMD_SELECT ? (DestReceiver *)&receiver : None_Receiver;
		QueryDesc *desc = CreateQueryDesc(stmt, sql, GetActiveSnapshot(), InvalidSnapshot, dest, params, NULL, 0);
		ExecutorStart(desc, 0);
		ExecutorRun(desc, ForwardScanDirection, 0, true);
		ExecutorFinish(desc);
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

} // namespace

uint64
RunAsTableOwner(Oid relid, const char *sql, int nargs, Oid *types, Datum *values, bool *nulls, char **value) {
	Oid owner = RelationOwner(relid);

	Oid save_userid;
	int save_sec_context;
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	volatile int nest_level = -1;
	volatile uint64 processed = 0;
	PG_TRY();
	{
		SetUserIdAndSecContext(owner,
		                       save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
		nest_level = NewGUCNestLevel();
		(void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
		                        true, 0, false);
		processed = ExecuteOwnStatement(sql, nargs, types, values, nulls, value);
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

} // namespace privacy::pg
