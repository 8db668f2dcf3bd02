// purge_worker.cpp: the retention launcher and the per-database purge
// workers.
//
//  launcher  a static background worker registered from
//            shared_preload_libraries, connected to no database, started at
//            BgWorkerStart_RecoveryFinished (so it never runs on a standby and
//            starts after a promotion). Each cycle it reads pg_database (a
//            shared catalog) and starts a short-lived dynamic worker for every
//            database that is due (privacy.purge_naptime after the previous
//            start) while fewer than privacy.purge_max_workers run. New
//            databases are picked up at the next cycle; nothing stays
//            connected to a database between cycles, so DROP DATABASE and
//            CREATE DATABASE ... TEMPLATE are not blocked.
//  worker    connects to one database by OID as the bootstrap superuser,
//            which only does pg_privacy's bookkeeping (the purge log, run
//            locks, catalog reads), exits 0 at once if pg_privacy is not
//            installed there, otherwise runs every retention policy
//            round-robin, one batch (privacy._purge_step) per transaction,
//            paced per batch by WAL bytes per second and by the share of
//            time spent in batches (Pacer), per-table rows per second and
//            standby replay lag, then exits 0. Every transaction that runs
//            table work is bounded by privacy.purge_statement_timeout: a
//            batch that runs or waits longer (a trigger of the owner that
//            sleeps or waits for a lock) is cancelled, its run recorded as
//            failed, and the worker goes on with the next table; a statement
//            that catches the cancellation ends the worker (FATAL) at twice
//            the timeout, its run recorded as failed on the way out. A run
//            that changed rows writes one LOG line (table, rows, duration);
//            a run that changed nothing leaves no purge log entry. Each
//            cycle prunes purge log entries older than
//            privacy.purge_log_retention. The table work of a batch
//            (its DELETE/UPDATE, hold conditions, masks, and the table's
//            triggers) runs as the table's owner inside a security-restricted
//            operation (privacy._exec_as_owner); PostgreSQL refuses to queue
//            deferred triggers there, so nothing of the owner's runs later,
//            at commit, as the superuser.
//
// Must never: hold a transaction across batches, wait on a latch without
// WL_EXIT_ON_PM_DEATH, log row values (only table names, counts and the
// primary error message; details and context of errors are dropped, since
// constraint violations put key values there), or let a C++ exception out
// (this file is C-style glue: no C++ objects, PG_TRY only).
#include "pg/workers/purge_worker.hpp"

#include <sys/resource.h>

#include <cerrno>

#include "pg/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/instrument.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

PGDLLEXPORT void pg_privacy_purge_launcher_main(Datum arg);
PGDLLEXPORT void pg_privacy_purge_worker_main(Datum arg);
}

namespace privacy::pg {

namespace {

constexpr const char *kLibrary = "pg_privacy";
constexpr long kBusyRetryMs = 200;
constexpr long kBusyGiveUpMs = 30000;
constexpr long kReplicaLagPollMs = 1000;
// partition detaches refused for a lock (privacy.purge_partition_lock_timeout)
// are retried this many times in a run, after pauses growing from
// kPartitionLockBackoffMs (doubled each time); then the partition waits for
// the next cycle
constexpr int kPartitionLockAttempts = 5;
constexpr long kPartitionLockBackoffMs = 100;
// the worker's session lock_timeout (everything but partition detaches)
constexpr const char *kWorkerLockTimeout = "1s";

// DbSlot is the launcher's record of one database.
struct DbSlot {
	Oid dboid;
	BackgroundWorkerHandle *handle; // NULL when no worker runs
	TimestampTz last_start;
	bool seen; // still in pg_database this cycle
};

// Run is the worker's record of one purge run.
struct Run {
	int64 run_id;
	Oid relid;
	char *relname; // for log lines only
	int max_rows_per_second;
	int64 rows;
	TimestampTz started;
	TimestampTz next_at; // earliest time of the next batch
	TimestampTz busy_since;
	bool active;
	bool deferred;     // its last run failed: runs after the others
	int lock_attempts; // detaches of the pending partition refused for a lock
};

// DetachResult is what one detach attempt did.
enum DetachResult { kDetached, kDetachLocked, kDetachFailed };

// StepResult is what one batch reports (filled inside PG_TRY).
struct StepResult {
	char status[16];
	int64 rows;
	bool failed;
};

// The statement timeout of the worker's table work (ArmTimeouts). The soft
// timeout cancels the statement as a statement timeout would; the hard one,
// at twice the time, ends the worker when the cancellation was caught (a
// PL/pgSQL handler for query_canceled in a trigger). Set in signal handlers.
volatile sig_atomic_t g_soft_fired = false;
volatile sig_atomic_t g_hard_fired = false;
TimeoutId g_soft_timeout = MAX_TIMEOUTS;
TimeoutId g_hard_timeout = MAX_TIMEOUTS;
bool g_armed = false;
// the run whose statement is bounded now (for the exit callback)
Run *g_current_run = NULL;

// StallMessage is the error stored for a run whose statement outlived
// privacy.purge_statement_timeout.
char *
StallMessage() {
	StringInfoData msg;
	initStringInfo(&msg);
	appendStringInfo(
	        &msg,
	        "57014: stalled: a purge statement ran longer than privacy.purge_statement_timeout (%d "
	        "ms); the table's triggers, masks or hold conditions ran or waited too long",
	        guc_purge_statement_timeout);
	return msg.data;
}

// SoftTimeoutHandler cancels the running statement (what the SIGINT
// handler of a backend does).
void
SoftTimeoutHandler() {
	g_soft_fired = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

// HardTimeoutHandler ends the worker: the statement outlived its
// cancellation. A FATAL error cannot be caught by SQL code.
void
HardTimeoutHandler() {
	g_hard_fired = true;
	ProcDiePending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

// ArmTimeouts bounds the table work that follows for run.
void
ArmTimeouts(Run *run) {
	g_soft_fired = false;
	g_hard_fired = false;
	g_current_run = run;
	enable_timeout_after(g_soft_timeout, guc_purge_statement_timeout);
	enable_timeout_after(g_hard_timeout, guc_purge_statement_timeout * 2);
	g_armed = true;
}

// DisarmTimeouts ends the bound; a cancellation that fired after the work
// had finished is dropped (it must not hit the worker's own bookkeeping).
void
DisarmTimeouts(bool succeeded) {
	if (!g_armed)
		return;
	disable_timeout(g_soft_timeout, false);
	disable_timeout(g_hard_timeout, false);
	g_armed = false;
	g_current_run = NULL;
	if (succeeded && g_soft_fired)
		QueryCancelPending = false;
}

// The purge worker's CPU priority (privacy.purge_nice): g_base_nice is the
// nice value the worker inherited from the postmaster, g_applied_nice the
// one it runs at (-100: not a purge worker, or not applied yet).
int g_base_nice = 0;
int g_applied_nice = -100;
bool g_is_worker = false;
bool g_nice_refused = false;

// ApplyNice sets the worker's nice value to the postmaster's plus
// privacy.purge_nice. Without CAP_SYS_NICE a process may only raise its nice
// value: a lower setting applies from the next worker (logged once).
void
ApplyNice() {
	if (!g_is_worker)
		return;
	int want = g_base_nice + guc_purge_nice;
	if (want > 19)
		want = 19;
	if (want == g_applied_nice)
		return;
	if (setpriority(PRIO_PROCESS, 0, want) != 0) {
		if (!g_nice_refused)
			ereport(LOG,
			        (errmsg("pg_privacy purge worker keeps nice value %d: the system refused "
			                "nice value %d",
			                g_applied_nice == -100 ? g_base_nice : g_applied_nice, want),
			         errhint("A lower privacy.purge_nice applies from the next purge worker.")));
		g_nice_refused = true;
		return;
	}
	g_applied_nice = want;
	ereport(DEBUG1, (errmsg_internal("pg_privacy purge worker runs at nice value %d", want)));
}

// ReloadConfigIfPending applies a SIGHUP.
void
ReloadConfigIfPending() {
	if (ConfigReloadPending) {
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		ApplyNice();
	}
}

// Nap sleeps up to ms (woken by the latch), exits if the postmaster died,
// and serves interrupts and reloads.
void
Nap(long ms) {
	if (ms < 1)
		ms = 1;
	(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
	                PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
	ReloadConfigIfPending();
}

// ---------------------------------------------------------------- launcher

// StartDatabaseWorker starts the purge worker of one database.
BackgroundWorkerHandle *
StartDatabaseWorker(Oid dboid) {
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "%s", kLibrary);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_privacy_purge_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_privacy purge worker for database %u", dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_privacy purge worker");
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	BackgroundWorkerHandle *handle = NULL;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

} // namespace

void
RegisterPurgeLauncher() {
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "%s", kLibrary);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_privacy_purge_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_privacy purge launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_privacy purge launcher");
	RegisterBackgroundWorker(&worker);
}

namespace {

// LauncherMain is the launcher's main loop.
void
LauncherMain(Datum arg) {
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	MemoryContext long_lived = AllocSetContextCreate(TopMemoryContext, "pg_privacy purge launcher",
	                                                 ALLOCSET_DEFAULT_SIZES);
	int cap = 16;
	int nslots = 0;
	DbSlot *slots = (DbSlot *)MemoryContextAllocZero(long_lived, sizeof(DbSlot) * cap);

	while (!ShutdownRequestPending) {
		CHECK_FOR_INTERRUPTS();
		ReloadConfigIfPending();

		// which databases exist (templates and databases that refuse
		// connections are skipped)
		for (int i = 0; i < nslots; i++)
			slots[i].seen = false;
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		Relation rel = table_open(DatabaseRelationId, AccessShareLock);
		TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
		HeapTuple tup;
		while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL) {
			Form_pg_database db = (Form_pg_database)GETSTRUCT(tup);
			if (!db->datallowconn || db->datistemplate || db->datconnlimit == -2)
				continue;
			int found = -1;
			for (int i = 0; i < nslots; i++)
				if (slots[i].dboid == db->oid)
					found = i;
			if (found < 0) {
				if (nslots == cap) {
					cap *= 2;
					slots = (DbSlot *)repalloc(slots, sizeof(DbSlot) * cap);
				}
				found = nslots++;
				memset(&slots[found], 0, sizeof(DbSlot));
				slots[found].dboid = db->oid;
			}
			slots[found].seen = true;
		}
		table_endscan(scan);
		table_close(rel, AccessShareLock);
		CommitTransactionCommand();
		// one line per cycle at DEBUG1: tests wait for it to know the launcher
		// has processed the invalidations queued before the cycle started
		ereport(DEBUG1,
		        (errmsg_internal("pg_privacy purge launcher scanned %d databases", nslots)));

		// forget finished workers and dropped databases; count running ones
		int running = 0;
		for (int i = 0; i < nslots; i++) {
			if (slots[i].handle != NULL) {
				pid_t pid;
				if (GetBackgroundWorkerPid(slots[i].handle, &pid) == BGWH_STOPPED) {
					pfree(slots[i].handle);
					slots[i].handle = NULL;
				} else {
					running++;
				}
			}
		}
		int kept = 0;
		for (int i = 0; i < nslots; i++)
			if (slots[i].seen || slots[i].handle != NULL)
				slots[kept++] = slots[i];
		nslots = kept;

		// start the due ones (round-robin: the least recently started first)
		TimestampTz now = GetCurrentTimestamp();
		long naptime_ms = (long)guc_purge_naptime * 1000L;
		long wait_ms = naptime_ms;
		while (running < guc_purge_max_workers) {
			int best = -1;
			for (int i = 0; i < nslots; i++) {
				if (!slots[i].seen || slots[i].handle != NULL)
					continue;
				if (slots[i].last_start != 0 &&
				    !TimestampDifferenceExceeds(slots[i].last_start, now, (int)naptime_ms))
					continue;
				if (best < 0 || slots[i].last_start < slots[best].last_start)
					best = i;
			}
			if (best < 0)
				break;
			MemoryContext old = MemoryContextSwitchTo(long_lived);
			slots[best].handle = StartDatabaseWorker(slots[best].dboid);
			MemoryContextSwitchTo(old);
			slots[best].last_start = now;
			if (slots[best].handle == NULL) {
				ereport(DEBUG1,
				        (errmsg("pg_privacy purge launcher found no free background worker slot"),
				         errhint("Raise max_worker_processes.")));
				break;
			}
			running++;
		}
		for (int i = 0; i < nslots; i++) {
			if (!slots[i].seen || slots[i].handle != NULL || slots[i].last_start == 0)
				continue;
			long remaining = naptime_ms - (long)((now - slots[i].last_start) / 1000);
			if (remaining < wait_ms)
				wait_ms = remaining;
		}
		if (wait_ms < 100)
			wait_ms = 100;
		// workers stopping set the latch (bgw_notify_pid)
		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms,
		                PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	proc_exit(0);
}

// RunQueryInt8 runs sql (one int8 parameter) in its own transaction and
// returns the first column of the first row (is_null when none/NULL).
int64
RunQueryInt8(const char *sql, int nargs, Oid *types, Datum *values, bool *is_null) {
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, sql);
	int rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_privacy purge query failed: %s", SPI_result_code_string(rc));
	int64 result = 0;
	*is_null = true;
	if (SPI_processed > 0) {
		bool isnull;
		Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull) {
			result = DatumGetInt64(d);
			*is_null = false;
		}
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

// RunQueryText runs sql in its own transaction and returns the first column
// of the first row as text allocated in cxt (NULL when none/NULL).
char *
RunQueryText(const char *sql, int nargs, Oid *types, Datum *values, MemoryContext cxt) {
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, sql);
	int rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_privacy purge query failed: %s", SPI_result_code_string(rc));
	char *result = NULL;
	if (SPI_processed > 0) {
		char *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		if (v != NULL)
			result = MemoryContextStrdup(cxt, v);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

// ExitCallback records, on the way out, the run whose statement ignored
// its cancellation and ended the worker (HardTimeoutHandler): the purge
// log shows it failed as stalled (not merely interrupted) and the log says
// which table it was. It runs before the backend's own shutdown callback,
// so the catalog is still usable; interrupts stay held (the FATAL was
// already raised) and any error here is only logged.
void
ExitCallback(int code, Datum arg) {
	if (!g_hard_fired || g_current_run == NULL)
		return;
	Run *run = g_current_run;
	g_current_run = NULL;
	disable_all_timeouts(false);
	g_armed = false;
	HOLD_INTERRUPTS();
	QueryCancelPending = false;
	ProcDiePending = false;
	MemoryContextSwitchTo(TopMemoryContext);
	ereport(LOG, (errmsg("pg_privacy purge of table \"%s\" stalled after %lld rows; the worker was "
	                     "stopped",
	                     run->relname, (long long)run->rows),
	              errdetail("A purge statement ignored its cancellation at "
	                        "privacy.purge_statement_timeout (%d ms).",
	                        guc_purge_statement_timeout),
	              errhint("Look for triggers, masks or hold conditions of the table that catch "
	                      "query_canceled; the next cycle retries the table after the others.")));
	PG_TRY();
	{
		AbortOutOfAnyTransaction();
		Oid types[3] = {INT8OID, TEXTOID, TEXTOID};
		Datum values[3] = {Int64GetDatum(run->run_id), CStringGetTextDatum("failed"),
		                   CStringGetTextDatum(StallMessage())};
		bool is_null;
		(void)RunQueryInt8("SELECT 0::int8 FROM privacy._purge_finish($1, $2, $3)", 3, types,
		                   values, &is_null);
	}
	PG_CATCH();
	{
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
}

// PruneLog deletes purge log entries older than privacy.purge_log_retention
// (never a running run's, nor the newest entry of a table with a policy,
// which retention_status shows as its last run).
void
PruneLog() {
	if (guc_purge_log_retention <= 0)
		return;
	Oid types[1] = {INT4OID};
	Datum values[1] = {Int32GetDatum(guc_purge_log_retention)};
	bool is_null;
	int64 n = RunQueryInt8(
	        "WITH d AS (DELETE FROM privacy._purge_log l WHERE l.status OPERATOR(pg_catalog.<>) "
	        "'running' AND l.finished OPERATOR(pg_catalog.<) (pg_catalog.now() "
	        "OPERATOR(pg_catalog.-) pg_catalog.make_interval(mins => $1)) AND NOT (l.id "
	        "OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(x.id) FROM privacy._purge_log x WHERE "
	        "x.relid OPERATOR(pg_catalog.=) l.relid) AND EXISTS (SELECT 1 FROM "
	        "privacy._retention_policy p WHERE p.relid::pg_catalog.oid OPERATOR(pg_catalog.=) "
	        "l.relid)) RETURNING 1) SELECT pg_catalog.count(*)::pg_catalog.int8 FROM d",
	        1, types, values, &is_null);
	if (n > 0)
		ereport(DEBUG1, (errmsg("pg_privacy pruned %lld purge log entries older than "
		                        "privacy.purge_log_retention",
		                        (long long)n)));
}

// LogRunDone writes the one LOG line of a run that changed rows or dropped
// partitions: table, action, counts, duration (never values). A run that
// changed nothing has no purge log entry left (privacy._purge_finish).
void
LogRunDone(Run *run, MemoryContext cxt) {
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(run->run_id)};
	char *done = RunQueryText(
	        "SELECT l.action OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) l.rows "
	        "OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) l.partitions_dropped FROM "
	        "privacy._purge_log l WHERE l.id OPERATOR(pg_catalog.=) $1",
	        1, types, values, cxt);
	if (done == NULL)
		return;
	char action[16];
	long long rows = 0;
	int parts = 0;
	if (sscanf(done, "%15s %lld %d", action, &rows, &parts) != 3 || (rows == 0 && parts == 0))
		return;
	// the whole messages of each method (with and without dropped partitions)
	const char *with_parts =
	        strcmp(action, "anonymize") == 0
	                ? gettext_noop(
	                          "pg_privacy purge of table \"%s\" done: %lld rows anonymized, %d "
	                          "partitions dropped in %ld.%03d s")
	        : strcmp(action, "nullify") == 0
	                ? gettext_noop("pg_privacy purge of table \"%s\" done: %lld rows nullified, %d "
	                               "partitions dropped in %ld.%03d s")
	                : gettext_noop("pg_privacy purge of table \"%s\" done: %lld rows deleted, %d "
	                               "partitions dropped in %ld.%03d s");
	const char *rows_only =
	        strcmp(action, "anonymize") == 0
	                ? gettext_noop("pg_privacy purge of table \"%s\" done: %lld rows anonymized in "
	                               "%ld.%03d s")
	        : strcmp(action, "nullify") == 0
	                ? gettext_noop("pg_privacy purge of table \"%s\" done: %lld rows nullified in "
	                               "%ld.%03d s")
	                : gettext_noop("pg_privacy purge of table \"%s\" done: %lld rows deleted in "
	                               "%ld.%03d s");
	long secs;
	int usecs;
	TimestampDifference(run->started, GetCurrentTimestamp(), &secs, &usecs);
	if (parts > 0)
		ereport(LOG, (errmsg(with_parts, run->relname, rows, parts, secs, usecs / 1000)));
	else
		ereport(LOG, (errmsg(rows_only, run->relname, rows, secs, usecs / 1000)));
}

// Pacer spaces the worker's batches (issue 15): after each batch the
// worker pauses until (a) the WAL that batch wrote fits
// privacy.purge_max_wal_rate and (b) the batch's own duration is at most
// privacy.purge_max_busy percent of the time since it started. Both are
// measured per batch, not averaged since the worker started: a pause (a
// lock, a lagging standby, a busy table) never earns a burst afterwards.
struct Pacer {
	TimestampTz batch_start;
	TimestampTz batch_end;
	uint64 wal_before;
	uint64 wal_after;
	bool have;
};

// PaceStart marks the start of a batch.
void
PaceStart(Pacer *pacer) {
	pacer->batch_start = GetCurrentTimestamp();
	pacer->wal_before = pgWalUsage.wal_bytes;
}

// PaceEnd marks the end of a batch.
void
PaceEnd(Pacer *pacer) {
	pacer->batch_end = GetCurrentTimestamp();
	pacer->wal_after = pgWalUsage.wal_bytes;
	pacer->have = true;
}

// PaceWait sleeps until the next batch may start.
void
PaceWait(const Pacer *pacer) {
	if (!pacer->have)
		return;
	for (;;) {
		TimestampTz now = GetCurrentTimestamp();
		double wait_ms = 0;
		if (guc_purge_max_wal_rate > 0) {
			double bytes = (double)(pacer->wal_after - pacer->wal_before);
			double need_ms = bytes * 1000.0 / ((double)guc_purge_max_wal_rate * 1024.0);
			double since_ms = (double)(now - pacer->batch_start) / 1000.0;
			wait_ms = need_ms - since_ms;
		}
		if (guc_purge_max_busy < 100) {
			double busy_ms = (double)(pacer->batch_end - pacer->batch_start) / 1000.0;
			double pause_ms = busy_ms * (100 - guc_purge_max_busy) / guc_purge_max_busy;
			double idle_ms = (double)(now - pacer->batch_end) / 1000.0;
			if (pause_ms - idle_ms > wait_ms)
				wait_ms = pause_ms - idle_ms;
		}
		if (wait_ms < 1.0)
			return;
		Nap(wait_ms > 1000.0 ? 1000 : (long)wait_ms);
	}
}

// WaitForReplicas pauses while a standby replays further behind than
// privacy.purge_max_replica_lag.
void
WaitForReplicas() {
	for (;;) {
		if (guc_purge_max_replica_lag <= 0)
			return;
		bool is_null;
		int64 lag = RunQueryInt8(
		        "SELECT coalesce(max(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), "
		        "replay_lsn)), 0)::int8 FROM pg_catalog.pg_stat_replication WHERE replay_lsn IS "
		        "NOT NULL",
		        0, NULL, NULL, &is_null);
		if (is_null || lag <= (int64)guc_purge_max_replica_lag * 1024)
			return;
		ereport(DEBUG1, (errmsg("pg_privacy purge pauses: a standby lags %lld bytes behind",
		                        (long long)lag)));
		Nap(kReplicaLagPollMs);
	}
}

// RecordFailure ends a run as failed, storing and logging the primary
// message only (never detail or context: they can carry row values).
// stalled: the statement timeout cancelled it.
void
RecordFailure(Run *run, ErrorData *edata, bool stalled) {
	StringInfoData msg;
	initStringInfo(&msg);
	if (stalled) {
		appendStringInfoString(&msg, StallMessage());
		ereport(LOG, (errmsg("pg_privacy purge of table \"%s\" stalled after %lld rows and was "
		                     "cancelled",
		                     run->relname, (long long)run->rows),
		              errdetail("A purge statement ran longer than privacy.purge_statement_timeout "
		                        "(%d ms).",
		                        guc_purge_statement_timeout),
		              errhint("Look for triggers, masks or hold conditions of the table that run "
		                      "or wait for long; the worker goes on with the next table and "
		                      "retries this one next cycle.")));
	} else {
		appendStringInfo(&msg, "%s: %s", unpack_sql_state(edata->sqlerrcode),
		                 edata->message != NULL ? edata->message : "unknown error");
		ereport(LOG, (errmsg("pg_privacy purge of table \"%s\" failed after %lld rows",
		                     run->relname, (long long)run->rows),
		              errdetail_internal("%s", msg.data)));
	}
	Oid types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum values[3] = {Int64GetDatum(run->run_id), CStringGetTextDatum("failed"),
	                   CStringGetTextDatum(msg.data)};
	bool is_null;
	(void)RunQueryInt8("SELECT 0::int8 FROM privacy._purge_finish($1, $2, $3)", 3, types, values,
	                   &is_null);
	run->active = false;
}

// Step runs one batch of run in its own transaction.
void
Step(Run *run, StepResult *result, MemoryContext worker_cxt) {
	result->failed = false;
	result->rows = 0;
	strlcpy(result->status, "failed", sizeof(result->status));
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "pg_privacy purge batch");
		Oid types[1] = {INT8OID};
		Datum values[1] = {Int64GetDatum(run->run_id)};
		ArmTimeouts(run);
		int rc = SPI_execute_with_args(
		        "SELECT status, batch_rows FROM privacy._purge_step($1, false)", 1, types, values,
		        NULL, false, 1);
		DisarmTimeouts(true);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pg_privacy purge step failed: %s", SPI_result_code_string(rc));
		char *status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		bool isnull;
		Datum rows = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		strlcpy(result->status, status != NULL ? status : "done", sizeof(result->status));
		result->rows = isnull ? 0 : DatumGetInt64(rows);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_CATCH();
	{
		bool stalled = g_soft_fired;
		DisarmTimeouts(false);
		MemoryContextSwitchTo(worker_cxt);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		result->failed = true;
		RecordFailure(run, edata, stalled && edata->sqlerrcode == ERRCODE_QUERY_CANCELED);
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

// SetWorkerLockTimeout sets the worker's session lock_timeout.
void
SetWorkerLockTimeout(const char *value) {
	SetConfigOption("lock_timeout", value, PGC_SUSET, PGC_S_SESSION);
}

// Detach runs ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (or
// FINALIZE) for the run's pending partition as a top-level statement: it
// commits internally and cannot run inside a transaction block or SPI.
// Its lock waits are bounded by privacy.purge_partition_lock_timeout: the
// parent is locked in SHARE UPDATE EXCLUSIVE mode (no live read or write
// waits behind it), the partition in ACCESS EXCLUSIVE mode once no new
// query sees it; a refused lock (kDetachLocked) is retried by the caller.
// Any other error falls back to deleting the partition's rows.
DetachResult
Detach(Run *run, bool finalize, MemoryContext worker_cxt, MemoryContext scratch) {
	bool is_null;
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(run->run_id)};
	int64 part =
	        RunQueryInt8("SELECT pending_partition::int8 FROM privacy._purge_log WHERE id = $1", 1,
	                     types, values, &is_null);
	if (is_null)
		return kDetached;
	DetachResult outcome = kDetached;
	char timeout[32];
	snprintf(timeout, sizeof(timeout), "%dms", guc_purge_partition_lock_timeout);
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		// statement text and plan must outlive the transactions the
		// command commits internally: they live in the scratch context
		MemoryContext old = MemoryContextSwitchTo(scratch);
		Oid part_oid = (Oid)part;
		char *parent_name = get_rel_name(run->relid);
		char *part_name = get_rel_name(part_oid);
		if (parent_name == NULL || part_name == NULL)
			elog(ERROR, "partition to detach no longer exists");
		StringInfoData sql;
		initStringInfo(&sql);
		appendStringInfo(&sql, "ALTER TABLE %s DETACH PARTITION %s %s",
		                 quote_qualified_identifier(
		                         get_namespace_name(get_rel_namespace(run->relid)), parent_name),
		                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(part_oid)),
		                                            part_name),
		                 finalize ? "FINALIZE" : "CONCURRENTLY");
		List *raw = raw_parser(sql.data, RAW_PARSE_DEFAULT);
		RawStmt *stmt = linitial_node(RawStmt, raw);
		PlannedStmt *planned = makeNode(PlannedStmt);
		planned->commandType = CMD_UTILITY;
		planned->canSetTag = true;
		planned->utilityStmt = stmt->stmt;
		planned->stmt_location = stmt->stmt_location;
		planned->stmt_len = stmt->stmt_len;
		MemoryContextSwitchTo(old);
		pgstat_report_activity(STATE_RUNNING, sql.data);
		PushActiveSnapshot(GetTransactionSnapshot());
		Snapshot pushed = GetActiveSnapshot();
		// DETACH ... CONCURRENTLY keeps names in PortalContext across its
		// internal commit (a backend has a portal there; we lend scratch)
		// and runs in the portal's memory, which outlives the internal
		// commit as scratch does
		PortalContext = scratch;
		MemoryContext before = MemoryContextSwitchTo(scratch);
		SetWorkerLockTimeout(timeout);
		ArmTimeouts(run);
		ProcessUtility(planned, sql.data, false, PROCESS_UTILITY_TOPLEVEL, NULL, NULL,
		               None_Receiver, NULL);
		DisarmTimeouts(true);
		SetWorkerLockTimeout(kWorkerLockTimeout);
		PortalContext = NULL;
		(void)before;
		if (ActiveSnapshotSet() && GetActiveSnapshot() == pushed)
			PopActiveSnapshot();
		CommitTransactionCommand();
		MemoryContextSwitchTo(worker_cxt);
		pgstat_report_activity(STATE_IDLE, NULL);
		ereport(DEBUG1,
		        (errmsg("pg_privacy purge detached a partition of table \"%s\"", run->relname)));
	}
	PG_CATCH();
	{
		DisarmTimeouts(false);
		PortalContext = NULL;
		MemoryContextSwitchTo(worker_cxt);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		SetWorkerLockTimeout(kWorkerLockTimeout);
		if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE) {
			// retried by the caller (a DETACH ... CONCURRENTLY that timed out
			// while waiting for older queries left the partition detach
			// pending: the retry finalizes it)
			outcome = kDetachLocked;
			ereport(DEBUG1, (errmsg_internal("pg_privacy purge could not lock a partition of "
			                                 "table \"%s\" to detach it",
			                                 run->relname)));
		} else {
			outcome = kDetachFailed;
			ereport(LOG, (errmsg("pg_privacy purge could not detach a partition of table \"%s\"; "
			                     "deleting its rows instead",
			                     run->relname),
			              errdetail_internal("%s: %s", unpack_sql_state(edata->sqlerrcode),
			                                 edata->message != NULL ? edata->message
			                                                        : "unknown error")));
			(void)RunQueryInt8("SELECT 0::int8 FROM privacy._purge_detach_failed($1)", 1, types,
			                   values, &is_null);
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextReset(scratch);
	return outcome;
}

// DeferPartition gives up on the run's pending partition for this cycle:
// its detach was refused for a lock kPartitionLockAttempts times. The run
// goes on with its other targets and ends as skipped with the reason in its
// error (retention_status.last_error); the next cycle tries again. When the
// previous run already left it so, its rows are deleted instead
// (privacy._purge_partition_deferred): a lock holder cannot keep expired
// rows.
void
DeferPartition(Run *run) {
	char *msg = psprintf("55P03: an expired partition was left for the next cycle: its lock was "
	                     "not available in %d attempts of privacy.purge_partition_lock_timeout "
	                     "(%d ms)",
	                     kPartitionLockAttempts, guc_purge_partition_lock_timeout);
	Oid types[2] = {INT8OID, TEXTOID};
	Datum values[2] = {Int64GetDatum(run->run_id), CStringGetTextDatum(msg)};
	bool is_null;
	int64 deferred = RunQueryInt8("SELECT privacy._purge_partition_deferred($1, $2)::int4::int8", 2,
	                              types, values, &is_null);
	if (is_null || deferred != 0)
		ereport(LOG,
		        (errmsg("pg_privacy purge left an expired partition of table \"%s\" for the next "
		                "cycle: its lock was not available in %d attempts",
		                run->relname, kPartitionLockAttempts),
		         errhint("Each attempt waits at most privacy.purge_partition_lock_timeout (%d ms) "
		                 "for a lock held by another session.",
		                 guc_purge_partition_lock_timeout)));
	else
		ereport(LOG, (errmsg("pg_privacy purge could not lock an expired partition of table \"%s\" "
		                     "in two cycles; deleting its rows instead",
		                     run->relname)));
}

// WorkerMain is the main function of a database's purge worker;
// bgw_main_arg is the database OID.
void
WorkerMain(Datum arg) {
	Oid dboid = DatumGetObjectId(arg);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("pg_privacy purge");

	MemoryContext worker_cxt = AllocSetContextCreate(TopMemoryContext, "pg_privacy purge worker",
	                                                 ALLOCSET_DEFAULT_SIZES);
	MemoryContext scratch =
	        AllocSetContextCreate(worker_cxt, "pg_privacy purge scratch", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(worker_cxt);
	// never wait long for a lock: a busy table is retried next cycle
	SetWorkerLockTimeout(kWorkerLockTimeout);
	// a lower CPU priority (privacy.purge_nice): the live workload first
	errno = 0;
	g_base_nice = getpriority(PRIO_PROCESS, 0);
	if (errno != 0)
		g_base_nice = 0;
	g_is_worker = true;
	ApplyNice();
	// and never let table work run unbounded (privacy.purge_statement_timeout)
	g_soft_timeout = RegisterTimeout(USER_TIMEOUT, SoftTimeoutHandler);
	g_hard_timeout = RegisterTimeout(USER_TIMEOUT, HardTimeoutHandler);
	before_shmem_exit(ExitCallback, (Datum)0);

	// is pg_privacy (with retention) installed here?
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	bool installed = !RecoveryInProgress() && OidIsValid(get_extension_oid("pg_privacy", true));
	CommitTransactionCommand();
	MemoryContextSwitchTo(worker_cxt);
	if (!installed)
		proc_exit(0);
	bool is_null;
	(void)RunQueryInt8(
	        "SELECT 1::int8 WHERE "
	        "pg_catalog.to_regprocedure('privacy._purge_step(bigint,boolean)') IS NOT NULL",
	        0, NULL, NULL, &is_null);
	if (is_null)
		proc_exit(0);
	// on a Citus worker node (its local group is not the coordinator's, 0)
	// the coordinator purges the distributed tables for the whole cluster:
	// this node would find only shards and empty shell tables
	// (doc/scale-out.md)
	(void)RunQueryInt8("SELECT 1::int8 WHERE "
	                   "pg_catalog.to_regclass('pg_catalog.pg_dist_local_group') IS NOT NULL",
	                   0, NULL, NULL, &is_null);
	if (!is_null) {
		int64 group = RunQueryInt8("SELECT min(groupid)::int8 FROM pg_catalog.pg_dist_local_group",
		                           0, NULL, NULL, &is_null);
		if (!is_null && group != 0)
			proc_exit(0);
	}

	// the tables, least recently purged first, and their runs
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	// a table whose last run failed (a stall, an error) is deferred: it
	// gets its batches once the other tables are done, so it cannot hold
	// them up cycle after cycle
	int rc = SPI_execute(
	        "SELECT p.relid::oid, coalesce(p.max_rows_per_second, 0), coalesce(x.failed, false) "
	        "FROM privacy._retention_policy p LEFT JOIN LATERAL (SELECT l.id AS last, l.status = "
	        "'failed' AS failed FROM privacy._purge_log l WHERE l.relid = p.relid::oid ORDER BY "
	        "l.id DESC LIMIT 1) x ON true ORDER BY x.last NULLS FIRST, p.relid::oid",
	        true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_privacy purge could not read the retention policies");
	int nruns = (int)SPI_processed;
	Run *runs = (Run *)MemoryContextAllocZero(worker_cxt, sizeof(Run) * (nruns > 0 ? nruns : 1));
	for (int i = 0; i < nruns; i++) {
		bool isnull;
		runs[i].relid = DatumGetObjectId(
		        SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		runs[i].max_rows_per_second = DatumGetInt32(
		        SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		runs[i].deferred = DatumGetBool(
		        SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
		char *name = get_rel_name(runs[i].relid);
		Oid nsp = get_rel_namespace(runs[i].relid);
		char *nspname = OidIsValid(nsp) ? get_namespace_name(nsp) : NULL;
		runs[i].relname = MemoryContextStrdup(
		        worker_cxt, name == NULL      ? "?"
		                    : nspname == NULL ? name
		                                      : quote_qualified_identifier(nspname, name));
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(worker_cxt);

	PruneLog();

	for (int i = 0; i < nruns; i++) {
		Oid types[1] = {OIDOID};
		Datum values[1] = {ObjectIdGetDatum(runs[i].relid)};
		PG_TRY();
		{
			// the start evaluates hold conditions as the table's owner
			// (partition recovery, the method probe): bounded too
			ArmTimeouts(&runs[i]);
			runs[i].run_id = RunQueryInt8("SELECT privacy._purge_start($1::regclass, 'worker')", 1,
			                              types, values, &is_null);
			DisarmTimeouts(true);
			runs[i].active = !is_null;
		}
		PG_CATCH();
		{
			bool stalled = g_soft_fired;
			DisarmTimeouts(false);
			MemoryContextSwitchTo(worker_cxt);
			ErrorData *edata = CopyErrorData();
			FlushErrorState();
			AbortCurrentTransaction();
			stalled = stalled && edata->sqlerrcode == ERRCODE_QUERY_CANCELED;
			ereport(LOG,
			        (errmsg("pg_privacy purge could not start on table \"%s\"", runs[i].relname),
			         errdetail_internal(
			                 "%s", stalled ? StallMessage()
			                               : psprintf("%s: %s", unpack_sql_state(edata->sqlerrcode),
			                                          edata->message != NULL ? edata->message
			                                                                 : "unknown error"))));
			FreeErrorData(edata);
			runs[i].active = false;
		}
		PG_END_TRY();
		runs[i].started = GetCurrentTimestamp();
	}

	Pacer pacer;
	memset(&pacer, 0, sizeof(pacer));
	StepResult result;
	for (;;) {
		bool any = false;
		bool stepped = false;
		TimestampTz next = 0;
		bool undeferred_active = false;
		for (int i = 0; i < nruns; i++)
			if (runs[i].active && !runs[i].deferred)
				undeferred_active = true;
		for (int i = 0; i < nruns; i++) {
			Run *run = &runs[i];
			if (!run->active)
				continue;
			any = true;
			if (run->deferred && undeferred_active)
				continue;
			CHECK_FOR_INTERRUPTS();
			ReloadConfigIfPending();
			TimestampTz now = GetCurrentTimestamp();
			if (run->next_at > now) {
				if (next == 0 || run->next_at < next)
					next = run->next_at;
				continue;
			}
			PaceWait(&pacer);
			WaitForReplicas();
			PaceStart(&pacer);
			Step(run, &result, worker_cxt);
			PaceEnd(&pacer);
			stepped = true;
			if (result.failed)
				continue;
			now = GetCurrentTimestamp();
			if (strcmp(result.status, "done") == 0) {
				run->active = false;
				LogRunDone(run, worker_cxt);
			} else if (strcmp(result.status, "busy") == 0) {
				// a legal hold is being placed on the table
				if (run->busy_since == 0)
					run->busy_since = now;
				if (TimestampDifferenceExceeds(run->busy_since, now, (int)kBusyGiveUpMs)) {
					Oid types[3] = {INT8OID, TEXTOID, TEXTOID};
					Datum values[3] = {Int64GetDatum(run->run_id), CStringGetTextDatum("skipped"),
					                   CStringGetTextDatum("a legal hold was being placed")};
					(void)RunQueryInt8("SELECT 0::int8 FROM privacy._purge_finish($1, $2, $3)", 3,
					                   types, values, &is_null);
					run->active = false;
				}
				run->next_at = TimestampTzPlusMilliseconds(now, kBusyRetryMs);
			} else if (strcmp(result.status, "detach") == 0 ||
			           strcmp(result.status, "finalize") == 0) {
				run->busy_since = 0;
				// paced like a batch: detaching and dropping a partition
				// commits catalog changes that every backend reading the
				// parent has to reload
				PaceWait(&pacer);
				PaceStart(&pacer);
				DetachResult detached =
				        Detach(run, strcmp(result.status, "finalize") == 0, worker_cxt, scratch);
				PaceEnd(&pacer);
				if (detached != kDetachLocked) {
					run->lock_attempts = 0;
				} else if (++run->lock_attempts < kPartitionLockAttempts) {
					// never queue for long in front of live queries: retry
					// after a pause that grows with each refusal
					long ms = kPartitionLockBackoffMs << (run->lock_attempts - 1);
					run->next_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);
				} else {
					run->lock_attempts = 0;
					DeferPartition(run);
				}
			} else {
				run->busy_since = 0;
				run->rows += result.rows;
				if (run->max_rows_per_second > 0) {
					// the table's ceiling: the next batch waits until the
					// rows so far fit the rate
					long ms = (long)(run->rows * 1000 / run->max_rows_per_second);
					run->next_at = TimestampTzPlusMilliseconds(run->started, ms);
				}
			}
		}
		if (!any)
			break;
		if (!stepped && next != 0) {
			long ms = (long)((next - GetCurrentTimestamp()) / 1000);
			Nap(ms);
		}
	}
	proc_exit(0);
}

} // namespace

} // namespace privacy::pg

// The entry points the postmaster looks up by name (bgw_function_name).
extern "C" void
pg_privacy_purge_launcher_main(Datum arg) {
	privacy::pg::LauncherMain(arg);
}

extern "C" void
pg_privacy_purge_worker_main(Datum arg) {
	privacy::pg::WorkerMain(arg);
}
