// citus_maintenance.cpp: the Citus maintenance launcher and its
// per-database workers (doc/scale-out.md, "Automatic maintenance").
//
//  launcher  a static background worker, registered only when Citus is
//            preloaded before pg_privacy, connected to no database, started
//            at BgWorkerStart_RecoveryFinished. Every
//            privacy.citus_maintenance_interval (0: off) it starts a
//            short-lived worker for every database that accepts connections
//            (one at a time per database, at most kMaxRunning at once).
//            Nothing stays connected to a database between runs, so DROP
//            DATABASE is not blocked.
//  worker    connects to its database as the bootstrap superuser (like the
//            audit writer) and exits at once unless pg_privacy and Citus are
//            installed there and this node is the coordinator
//            (pg_dist_local_group.groupid 0; privacy._citus_maintain checks
//            it). Then, in one transaction, privacy._citus_maintain()
//            collects every reachable worker's detokenization records
//            (exactly once, as privacy.citus_collect_audit) and copies the
//            policy state to every reachable worker that does not hold the
//            coordinator's generation. A worker that cannot be reached is
//            skipped and logged once (until it is reachable again: the
//            nodes reported are kept in shared memory).
//
// Must never: run on a Citus worker node, take a lock a policy change waits
// for (the collection lock is taken with NOWAIT; the synchronization takes
// none), log a record or the policy state (only node names and counts), or
// let a C++ exception out (C-style glue, PG_TRY only).
#include "pg/workers/citus_maintenance.hpp"

#include "pg/guc.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PGDLLEXPORT void pg_privacy_citus_launcher_main(Datum arg);
PGDLLEXPORT void pg_privacy_citus_maintenance_main(Datum arg);
}

namespace privacy::pg {

namespace {

constexpr const char *kLibrary = "pg_privacy";
constexpr int kMaxRunning = 2;
constexpr int kMaxDown = 64; // unreachable nodes remembered (logged once)
constexpr long kOffWaitMs = 60000;

// The unreachable nodes already logged, per database (shared memory).
struct DownNode {
	Oid dboid;
	char node[2 * NAMEDATALEN];
};
struct DownNodes {
	slock_t mutex;
	DownNode nodes[kMaxDown];
};
DownNodes *down = NULL;
shmem_request_hook_type prev_shmem_request = NULL;
shmem_startup_hook_type prev_shmem_startup = NULL;

void
DownShmemRequest() {
	if (prev_shmem_request != NULL)
		prev_shmem_request();
	RequestAddinShmemSpace(sizeof(DownNodes));
}

void
DownShmemStartup() {
	if (prev_shmem_startup != NULL)
		prev_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	bool found;
	down = (DownNodes *)ShmemInitStruct("pg_privacy citus maintenance", sizeof(DownNodes), &found);
	if (!found) {
		memset(down, 0, sizeof(DownNodes));
		SpinLockInit(&down->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

// MarkDown records node of dboid as unreachable (reachable: forgets it);
// returns true when that changes what was recorded.
bool
MarkDown(Oid dboid, const char *node, bool unreachable) {
	if (down == NULL)
		return true;
	bool changed = false;
	SpinLockAcquire(&down->mutex);
	int found = -1, free_slot = -1;
	for (int i = 0; i < kMaxDown; i++) {
		if (down->nodes[i].dboid == dboid && strcmp(down->nodes[i].node, node) == 0)
			found = i;
		else if (down->nodes[i].dboid == InvalidOid && free_slot < 0)
			free_slot = i;
	}
	if (unreachable && found < 0) {
		changed = true;
		if (free_slot >= 0) {
			down->nodes[free_slot].dboid = dboid;
			strlcpy(down->nodes[free_slot].node, node, sizeof(down->nodes[free_slot].node));
		}
	} else if (!unreachable && found >= 0) {
		changed = true;
		down->nodes[found].dboid = InvalidOid;
		down->nodes[found].node[0] = '\0';
	}
	SpinLockRelease(&down->mutex);
	return changed;
}

struct DbSlot {
	Oid dboid;
	BackgroundWorkerHandle *handle; // NULL when no worker runs
	TimestampTz last_start;
	bool seen;
};

BackgroundWorkerHandle *
StartMaintenance(Oid dboid) {
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "%s", kLibrary);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_privacy_citus_maintenance_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_privacy citus maintenance for database %u", dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_privacy citus maintenance");
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	BackgroundWorkerHandle *handle = NULL;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

void
LauncherMain(Datum arg) {
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	MemoryContext long_lived = AllocSetContextCreate(
	        TopMemoryContext, "pg_privacy citus maintenance launcher", ALLOCSET_DEFAULT_SIZES);
	int cap = 16;
	int nslots = 0;
	DbSlot *slots = (DbSlot *)MemoryContextAllocZero(long_lived, sizeof(DbSlot) * cap);

	while (!ShutdownRequestPending) {
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending) {
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		// finished workers
		int running = 0;
		for (int i = 0; i < nslots; i++) {
			pid_t pid;
			if (slots[i].handle == NULL)
				continue;
			if (GetBackgroundWorkerPid(slots[i].handle, &pid) == BGWH_STOPPED) {
				pfree(slots[i].handle);
				slots[i].handle = NULL;
			} else {
				running++;
			}
		}
		long interval_ms = (long)guc_citus_maintenance_interval * 1000L;
		if (interval_ms <= 0) {
			(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, kOffWaitMs,
			                PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			continue;
		}

		// the databases (templates and those refusing connections skipped)
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
		int kept = 0;
		for (int i = 0; i < nslots; i++)
			if (slots[i].seen || slots[i].handle != NULL)
				slots[kept++] = slots[i];
		nslots = kept;

		TimestampTz now = GetCurrentTimestamp();
		long wait_ms = interval_ms;
		while (running < kMaxRunning) {
			int best = -1;
			for (int i = 0; i < nslots; i++) {
				if (!slots[i].seen || slots[i].handle != NULL)
					continue;
				if (slots[i].last_start != 0 &&
				    !TimestampDifferenceExceeds(slots[i].last_start, now, (int)interval_ms))
					continue;
				if (best < 0 || slots[i].last_start < slots[best].last_start)
					best = i;
			}
			if (best < 0)
				break;
			MemoryContext old = MemoryContextSwitchTo(long_lived);
			slots[best].handle = StartMaintenance(slots[best].dboid);
			MemoryContextSwitchTo(old);
			slots[best].last_start = now;
			if (slots[best].handle == NULL) {
				ereport(DEBUG1, (errmsg("pg_privacy citus maintenance launcher found no free "
				                        "background worker slot"),
				                 errhint("Raise max_worker_processes.")));
				break;
			}
			running++;
		}
		for (int i = 0; i < nslots; i++) {
			if (!slots[i].seen || slots[i].handle != NULL || slots[i].last_start == 0)
				continue;
			long remaining = interval_ms - (long)((now - slots[i].last_start) / 1000);
			if (remaining < wait_ms)
				wait_ms = remaining;
		}
		if (wait_ms < 100)
			wait_ms = 100;
		// workers stopping and reloads set the latch
		(void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms,
		                PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	proc_exit(0);
}

// Installed reports whether pg_privacy and Citus are installed here.
bool
Installed() {
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	bool result = OidIsValid(get_extension_oid("pg_privacy", true)) &&
	              OidIsValid(get_extension_oid("citus", true));
	CommitTransactionCommand();
	return result;
}

void
MaintenanceMain(Datum arg) {
	Oid dboid = DatumGetObjectId(arg);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("pg_privacy citus maintenance");
	// nothing a database's users created is looked up by name
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	if (!Installed())
		proc_exit(0);

	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "pg_privacy citus maintenance",
	                                          ALLOCSET_DEFAULT_SIZES);
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		const char *sql = "SELECT m.node, m.action, m.n FROM privacy._citus_maintain() m";
		pgstat_report_activity(STATE_RUNNING, sql);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		int rc = SPI_execute(sql, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "pg_privacy citus maintenance failed: %s", SPI_result_code_string(rc));
		for (uint64 i = 0; i < SPI_processed; i++) {
			HeapTuple row = SPI_tuptable->vals[i];
			TupleDesc desc = SPI_tuptable->tupdesc;
			char *node = SPI_getvalue(row, desc, 1);
			char *action = SPI_getvalue(row, desc, 2);
			char *n = SPI_getvalue(row, desc, 3);
			if (node == NULL || action == NULL)
				continue;
			if (strcmp(action, "unreachable") == 0) {
				if (MarkDown(dboid, node, true))
					ereport(LOG, (errmsg("pg_privacy citus maintenance skips Citus node %s: it "
					                     "cannot be reached or refused the check",
					                     node),
					              errhint("It is retried every "
					                      "privacy.citus_maintenance_interval; this is "
					                      "logged once until it is reachable again.")));
				continue;
			}
			if (MarkDown(dboid, node, false))
				ereport(LOG,
				        (errmsg("pg_privacy citus maintenance reaches Citus node %s again", node)));
			if (strcmp(action, "synchronized") == 0)
				ereport(LOG, (errmsg("pg_privacy citus maintenance copied the policy state "
				                     "(generation %s) to Citus node %s",
				                     n != NULL ? n : "?", node)));
			else if (strcmp(action, "collected") == 0)
				ereport(DEBUG1, (errmsg_internal("pg_privacy citus maintenance collected %s "
				                                 "audit records of Citus node %s",
				                                 n != NULL ? n : "?", node)));
			else if (strcmp(action, "reachable") != 0)
				ereport(LOG, (errmsg("pg_privacy citus maintenance: %s on Citus node %s", action,
				                     node)));
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		// the primary message only (details and contexts may quote values)
		ereport(LOG,
		        (errmsg("pg_privacy citus maintenance failed in database %u; it is retried "
		                "at the next interval",
		                dboid),
		         errdetail_internal("%s: %s", unpack_sql_state(edata->sqlerrcode),
		                            edata->message != NULL ? edata->message : "unknown error")));
		proc_exit(0);
	}
	PG_END_TRY();
	proc_exit(0);
}

} // namespace

void
RegisterCitusMaintenanceLauncher() {
	// only with Citus preloaded (before pg_privacy: Citus refuses to start
	// otherwise); its GUCs exist once its _PG_init ran
	if (GetConfigOption("citus.node_conninfo", true, false) == NULL)
		return;
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = DownShmemRequest;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = DownShmemStartup;
	BackgroundWorker worker;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "%s", kLibrary);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_privacy_citus_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_privacy citus maintenance launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_privacy citus maintenance launcher");
	RegisterBackgroundWorker(&worker);
}

} // namespace privacy::pg

extern "C" void
pg_privacy_citus_launcher_main(Datum arg) {
	privacy::pg::LauncherMain(arg);
}

extern "C" void
pg_privacy_citus_maintenance_main(Datum arg) {
	privacy::pg::MaintenanceMain(arg);
}
