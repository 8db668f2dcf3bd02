// audit_writer.cpp: the audit launcher and the per-database audit writers.
//
//  launcher  a static background worker (no database, started at
//            BgWorkerStart_RecoveryFinished, restarted after 1 s if it
//            dies). Enqueuers set its latch. For every database with queued
//            disclosure records it starts a short-lived writer (one per
//            database at a time). Records of a database that no longer
//            exists are dropped (logged with their count). When a writer
//            stops, records it had claimed but not written go back to the
//            queue; a database whose writer keeps failing is retried with a
//            growing delay (up to 10 s).
//  writer    connects to its database (also one that refuses connections)
//            as the bootstrap superuser, and inserts the records in batches
//            of up to 64 rows, one transaction per batch, as the owner of
//            privacy.audit_log inside SECURITY_RESTRICTED_OPERATION with
//            search_path pg_catalog, pg_temp (an INSERT through the
//            executor: indexes, constraints and the owner's triggers of the
//            audit table apply). It exits 0 when no record of its database
//            is left. Where pg_privacy is not installed the records are
//            dropped and logged with their count.
//
// Must never: log a record's content beyond counts and the database,
// hold a transaction while waiting, or let a C++ exception out (C-style
// glue, PG_TRY only).
#include "pg/workers/audit_writer.hpp"
#include "pg/catalog/extension_schema.hpp"

#include "pg/audit/queue.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PGDLLEXPORT void pg_privacy_audit_launcher_main(Datum arg);
PGDLLEXPORT void pg_privacy_audit_writer_main(Datum arg);
}

namespace privacy::pg {

namespace {

constexpr const char *kLibrary = "pg_privacy";
constexpr int kMaxWriters = 64; // databases drained at the same time
constexpr int kBatch = 64;      // rows per writer transaction
constexpr long kRetryMs = 200;
constexpr long kMaxRetryMs = 10000;

// WriterSlot is the launcher's record of one database being drained.
struct WriterSlot {
	Oid dboid;
	BackgroundWorkerHandle *handle; // NULL when no writer runs
	TimestampTz not_before;         // retry delay after a failure
	long delay_ms;
};

BackgroundWorkerHandle *
StartWriter(Oid dboid) {
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "%s", kLibrary);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_privacy_audit_writer_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_privacy audit writer for database %u", dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_privacy audit writer");
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	BackgroundWorkerHandle *handle = NULL;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

// DatabaseExists reads pg_database (a shared catalog).
bool
DatabaseExists(Oid dboid) {
	bool found = false;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	Relation rel = table_open(DatabaseRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple tup;
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL) {
		Form_pg_database db = (Form_pg_database)GETSTRUCT(tup);
		if (db->oid == dboid && db->datconnlimit != -2)
			found = true;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return found;
}

void
LauncherMain(Datum arg) {
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	SetAuditWriterLatch(MyLatch);

	WriterSlot *slots = (WriterSlot *)MemoryContextAllocZero(TopMemoryContext,
	                                                         sizeof(WriterSlot) * kMaxWriters);
	int nslots = 0;
	Oid dbs[kMaxWriters];

	while (!ShutdownRequestPending) {
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending) {
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		TimestampTz now = GetCurrentTimestamp();
		long wait_ms = 1000;

		// writers that stopped: give back what they claimed and did not write
		for (int i = 0; i < nslots; i++) {
			pid_t pid;
			if (slots[i].handle == NULL ||
			    GetBackgroundWorkerPid(slots[i].handle, &pid) != BGWH_STOPPED)
				continue;
			pfree(slots[i].handle);
			slots[i].handle = NULL;
			int back = FinishClaims(slots[i].dboid, false);
			if (back > 0) {
				// it failed with records claimed: retry later, backing off
				slots[i].delay_ms =
				        slots[i].delay_ms == 0 ? kRetryMs : Min(slots[i].delay_ms * 2, kMaxRetryMs);
				slots[i].not_before = TimestampTzPlusMilliseconds(now, slots[i].delay_ms);
			}
		}

		int ndbs = QueuedDatabases(dbs, kMaxWriters);
		for (int d = 0; d < ndbs; d++) {
			int s = -1;
			for (int i = 0; i < nslots; i++)
				if (slots[i].dboid == dbs[d])
					s = i;
			if (s >= 0 && slots[s].handle != NULL)
				continue;
			if (s >= 0 && slots[s].not_before > now) {
				long left = (long)((slots[s].not_before - now) / 1000) + 1;
				wait_ms = Min(wait_ms, left);
				continue;
			}
			if (!DatabaseExists(dbs[d])) {
				int dropped = DropQueued(dbs[d]);
				ereport(LOG, (errmsg("pg_privacy audit dropped %d disclosure records of database "
				                     "%u, which no longer exists",
				                     dropped, dbs[d])));
				continue;
			}
			if (s < 0) {
				// reuse a slot without a writer, else take a new one
				for (int i = 0; i < nslots && s < 0; i++)
					if (slots[i].handle == NULL && QueuedFor(slots[i].dboid) == 0)
						s = i;
				if (s < 0 && nslots < kMaxWriters)
					s = nslots++;
				if (s < 0)
					break;
				memset(&slots[s], 0, sizeof(WriterSlot));
				slots[s].dboid = dbs[d];
			}
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
			slots[s].handle = StartWriter(dbs[d]);
			MemoryContextSwitchTo(old);
			if (slots[s].handle == NULL) {
				ereport(LOG,
				        (errmsg("pg_privacy audit launcher found no free background worker slot"),
				         errhint("Raise max_worker_processes.")));
				wait_ms = Min(wait_ms, kRetryMs);
				break;
			}
		}
		// a writer that drained everything resets its back-off
		for (int i = 0; i < nslots; i++)
			if (slots[i].handle == NULL && QueuedFor(slots[i].dboid) == 0)
				slots[i].delay_ms = 0;

		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms,
		                PG_WAIT_EXTENSION);
	}
	SetAuditWriterLatch(NULL);
	proc_exit(0);
}

// InsertRecords inserts rows into privacy.audit_log (SPI, inside the
// caller's transaction); returns false when pg_privacy or its audit table
// does not exist in this database.
bool
InsertRecords(DisclosureRecord *rows, int n) {
	if (!OidIsValid(get_extension_oid("pg_privacy", true)))
		return false;
	Oid table = PrivacyTable("audit_log");
	if (!OidIsValid(table))
		return false;
	Oid owner = InvalidOid;
	{
		Relation rel = table_open(table, AccessShareLock);
		owner = rel->rd_rel->relowner;
		table_close(rel, AccessShareLock);
	}
	Oid save_user;
	int save_sec;
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner,
	                       save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	int save_nestlevel = NewGUCNestLevel();
	(void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION,
	                        GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid types[7] = {TIMESTAMPTZOID, NAMEOID, NAMEOID, TEXTOID, TEXTOID, INT8OID, TEXTOID};
	SPIPlanPtr plan =
	        SPI_prepare("INSERT INTO privacy.audit_log (logged_at, role_name, session_role, "
	                    "action, format, value_count, object) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	                    7, types);
	if (plan == NULL)
		elog(ERROR, "pg_privacy audit could not prepare its insert: %s",
		     SPI_result_code_string(SPI_result));
	for (int i = 0; i < n; i++) {
		DisclosureRecord *r = &rows[i];
		bool detok = r->action == kDisclosureDetokenize;
		Datum values[7] = {TimestampTzGetDatum(r->logged_at),
		                   NameGetDatum(&r->role),
		                   NameGetDatum(&r->session_role),
		                   CStringGetTextDatum(detok ? "detokenize" : "export subject"),
		                   detok ? CStringGetTextDatum(r->format) : (Datum)0,
		                   Int64GetDatum(r->count),
		                   r->object[0] != '\0' ? CStringGetTextDatum(r->object) : (Datum)0};
		char nulls[7] = {
		        ' ', ' ', ' ', ' ', detok ? ' ' : 'n', ' ', r->object[0] != '\0' ? ' ' : 'n'};
		int rc = SPI_execute_plan(plan, values, nulls, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "pg_privacy audit insert failed: %s", SPI_result_code_string(rc));
	}
	SPI_finish();
	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_user, save_sec);
	return true;
}

void
WriterMain(Datum arg) {
	Oid dboid = DatumGetObjectId(arg);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, BGWORKER_BYPASS_ALLOWCONN);
	pgstat_report_appname("pg_privacy audit");
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "pg_privacy audit writer",
	                                          ALLOCSET_DEFAULT_SIZES);
	DisclosureRecord *rows =
	        (DisclosureRecord *)MemoryContextAlloc(cxt, sizeof(DisclosureRecord) * kBatch);

	for (;;) {
		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(cxt);
		int n = ClaimAuditRecords(dboid, rows, kBatch);
		if (n == 0)
			break;
		volatile bool written = false;
		PG_TRY();
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			pgstat_report_activity(STATE_RUNNING, "pg_privacy audit batch");
			written = InsertRecords(rows, n);
			PopActiveSnapshot();
			// no interrupt between the commit and freeing the records: a
			// committed batch is never written twice
			HOLD_INTERRUPTS();
			CommitTransactionCommand();
			(void)FinishClaims(dboid, true);
			RESUME_INTERRUPTS();
			pgstat_report_activity(STATE_IDLE, NULL);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			ErrorData *edata = CopyErrorData();
			FlushErrorState();
			AbortCurrentTransaction();
			// the records stay claimed: the launcher re-queues them when it
			// sees this writer stopped, and backs off before the next one
			ereport(LOG, (errmsg("pg_privacy audit could not write %d disclosure records; they "
			                     "stay queued",
			                     n),
			              errdetail_internal("%s: %s", unpack_sql_state(edata->sqlerrcode),
			                                 edata->message != NULL ? edata->message
			                                                        : "unknown error")));
			proc_exit(1);
		}
		PG_END_TRY();
		if (!written)
			ereport(LOG, (errmsg("pg_privacy audit dropped %d disclosure records: pg_privacy is "
			                     "not installed in database %u",
			                     n, dboid)));
	}
	proc_exit(0);
}

} // namespace

void
RegisterAuditLauncher() {
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "%s", kLibrary);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_privacy_audit_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_privacy audit launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_privacy audit launcher");
	RegisterBackgroundWorker(&worker);
}

} // namespace privacy::pg

extern "C" void
pg_privacy_audit_launcher_main(Datum arg) {
	privacy::pg::LauncherMain(arg);
}

extern "C" void
pg_privacy_audit_writer_main(Datum arg) {
	privacy::pg::WriterMain(arg);
}
