// guc.cpp: every privacy.* setting, in alphabetical order, then the prefix
// reservation. No setting holds a secret: values show in pg_settings, in
// logged SET statements and in stored role settings.
#include "pg/guc.hpp"

#include <climits>
#include <cstring>

#include "pg/catalog/citus_purpose.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/purposes.hpp"
#include "pg/catalog/row_policies.hpp"

#include "pg/postgres.hpp"

extern "C" {
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
}

namespace privacy::pg {

char *guc_admin_role = NULL;
int guc_audit_queue_size = 1024;
int guc_citus_maintenance_interval = 10;
char *guc_auditor_role = NULL;
bool guc_masking = true;
char *guc_master_key_command = NULL;
int guc_master_key_command_timeout = 10000;
char *guc_master_key_file = NULL;
bool guc_output_masking = true;
bool guc_owners_may_declare = false;
bool guc_debug_consent_collisions = false;
char *guc_previous_master_key_command = NULL;
char *guc_previous_master_key_file = NULL;
char *guc_purpose = NULL;
int guc_purge_batch_size = 10000;
int guc_purge_batch_time = 0;
int guc_purge_lock_wait = 20;
int guc_purge_log_retention = 90 * 24 * 60;
int guc_purge_max_busy = 50;
int guc_purge_max_replica_lag = 65536;
int guc_purge_max_wal_rate = 8192;
int guc_purge_max_workers = 2;
int guc_purge_naptime = 60;
int guc_purge_nice = 10;
int guc_purge_partition_lock_timeout = 50;
int guc_purge_statement_timeout = 60000;

namespace {

// AssignMasking forgets cached plans when enforcement is switched, because a
// plan does not depend on a GUC: one made with masking off must not be
// reused once it is back on.
void
AssignMasking(bool newval, void *extra) {
	if (newval != guc_masking)
		ResetPlanCache();
}

// AssignPurpose forgets cached plans when the declared purpose changes and
// Citus is preloaded: a statement on a consent-gated Citus table carries the
// purpose it was planned for to the workers (citus_purpose.hpp).
void
AssignPurpose(const char *newval, void *extra) {
	const char *old = guc_purpose != NULL ? guc_purpose : "";
	if (strcmp(newval != NULL ? newval : "", old) != 0 && CitusPreloaded())
		ResetPlanCache();
}

// CheckPurpose, the check hook of privacy.purpose, accepts a purpose name
// and, inside a transaction of a normal backend, only a purpose the role
// may declare.
bool
CheckPurpose(char **newval, void **extra, GucSource source) {
	const char *value = *newval;
	if (value == NULL || value[0] == '\0')
		return true;
	bool syntax_ok = value[0] >= 'a' && value[0] <= 'z' && strlen(value) <= 63;
	for (const char *p = value; syntax_ok && *p; p++)
		syntax_ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	if (!syntax_ok) {
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("invalid purpose name");
		GUC_check_errdetail("A purpose name is a lower-case letter followed by lower-case letters, "
		                    "digits or underscores.");
		return false;
	}
	// Authorization needs the catalog: only inside a transaction of a normal
	// backend. Elsewhere (configuration files, parallel workers restoring the
	// leader's value) the value is accepted here and checked where it is
	// used: privacy._consent_allows() treats an unusable purpose as none.
	if (!IsTransactionState() || IsParallelWorker() || InitializingParallelWorker ||
	    !OidIsValid(MyDatabaseId) || source < PGC_S_DATABASE)
		return true;
	if (!OidIsValid(PrivacyTable("_purpose")))
		return true;
	if (!PurposeUsable(value, GetUserId())) {
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("permission denied to declare purpose \"%s\"", value);
		GUC_check_errhint("The purpose must exist (privacy.create_purpose) and be allowed to the "
		                  "role (privacy.allow_purpose).");
		return false;
	}
	return true;
}

} // namespace

void
RegisterGucs() {
	DefineCustomStringVariable(
	        "privacy.admin_role", "Role whose members administer privacy policies.",
	        "Members (with INHERIT) may declare and drop policies of every kind, grant exemptions "
	        "and detokenize rights. privacy.setup_roles() creates the role.",
	        &guc_admin_role, "privacy_admin", PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomStringVariable(
	        "privacy.auditor_role", "Role whose members read the compliance views.",
	        "Members may read every compliance view and the audit log, and change nothing.",
	        &guc_auditor_role, "privacy_auditor", PGC_SUSET, 0, NULL, NULL, NULL);

	// a postmaster setting can only be defined while preloading (it sizes
	// shared memory); without preloading there is no queue
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable(
		        "privacy.audit_queue_size", "Disclosure audit records shared memory can hold.",
		        "Detokenizations and subject exports are recorded through this queue, outside the "
		        "disclosing transaction; when it is full they are refused (SQLSTATE 53400).",
		        &guc_audit_queue_size, 1024, 16, 1048576, PGC_POSTMASTER, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("privacy.masking", "Enforces dynamic column masking.",
	                         "When off, masked columns return raw values to every role. Only "
	                         "superusers can change it; intended for maintenance.",
	                         &guc_masking, true, PGC_SUSET, 0, NULL, AssignMasking, NULL);

	DefineCustomStringVariable(
	        "privacy.master_key_command", "Shell command that prints the tokenization master key.",
	        "It must print 64 hexadecimal characters and exit with status 0; lets a KMS or Vault "
	        "supply the key. Holds a command, never a key.",
	        &guc_master_key_command, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.master_key_command_timeout",
	        "How long privacy.master_key_command may run before it is killed.",
	        "A command still running after this time (or when the statement is cancelled) is "
	        "killed with its process group and the key operation fails with SQLSTATE 38000.",
	        &guc_master_key_command_timeout, 10000, 100, 600000, PGC_SIGHUP,
	        GUC_SUPERUSER_ONLY | GUC_UNIT_MS, NULL, NULL, NULL);

	DefineCustomStringVariable(
	        "privacy.master_key_file", "File holding the tokenization master key.",
	        "64 hexadecimal characters; the file must be owned by the server user with mode 0600. "
	        "Holds a path, never a key.",
	        &guc_master_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);

	DefineCustomBoolVariable("privacy.debug_consent_collisions",
	                         "Testing only: every subject collides in the per-query consent sets.",
	                         "Sets built while on give every subject the same hash, so each lookup "
	                         "walks one chain and compares subjects exactly (consent_scan tests).",
	                         &guc_debug_consent_collisions, false, PGC_SUSET,
	                         GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);

	DefineCustomBoolVariable(
	        "privacy.output_masking", "Masks the columns a SELECT only returns at its output.",
	        "When on, the masks of columns that a SELECT only returns (no "
	        "condition, join, sort or grouping reads them) are evaluated on its "
	        "result rows from a form compiled once per backend and column, instead "
	        "of being planned into the statement. Both ways mask the same values.",
	        &guc_output_masking, true, PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("privacy.owners_may_declare",
	                         "Lets table owners declare policies on their own tables.",
	                         "Owners may then declare masks and row policies on tables they own; "
	                         "they can never grant exemptions. Off by default.",
	                         &guc_owners_may_declare, false, PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomStringVariable("privacy.previous_master_key_command",
	                           "Shell command that prints the master key being rotated out.",
	                           "Used only to unwrap keys wrapped under the previous master key, by "
	                           "privacy.rewrap_keys() and by key lookups until it has run. Holds a "
	                           "command, never a key.",
	                           &guc_previous_master_key_command, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY,
	                           NULL, NULL, NULL);

	DefineCustomStringVariable(
	        "privacy.previous_master_key_file", "File holding the master key being rotated out.",
	        "Used only to unwrap keys wrapped under the previous master key, by "
	        "privacy.rewrap_keys() and by key lookups until it has run. Holds a path, never a key.",
	        &guc_previous_master_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.purge_batch_size", "Rows per purge batch (one transaction each).",
	        "Used for tables whose retention policy sets no batch size.", &guc_purge_batch_size,
	        10000, 1, 1000000, PGC_SIGHUP, 0, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.purge_batch_time", "Time a purge worker's batch should take.",
	        "When set, the block range (or time slice) of a worker's next batch shrinks or grows "
	        "with the time the last one took, up to privacy.purge_batch_size rows; 0 sizes batches "
	        "by rows only. purge_now() is not affected.",
	        &guc_purge_batch_time, 0, 0, 60000, PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.purge_lock_wait",
	        "How long a purge batch may wait for a row lock before skipping locked rows.",
	        "After this wait the batch is redone with FOR UPDATE SKIP LOCKED; 0 always skips "
	        "locked rows without waiting.",
	        &guc_purge_lock_wait, 20, 0, 10000, PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);

	DefineCustomIntVariable("privacy.purge_log_retention",
	                        "How long purge workers keep purge log entries.",
	                        "Purge workers delete entries of privacy.purge_log whose run finished "
	                        "longer ago than this (the newest entry of each table with a policy is "
	                        "kept); 0 or -1 keeps them forever.",
	                        &guc_purge_log_retention, 90 * 24 * 60, -1, INT_MAX, PGC_SIGHUP,
	                        GUC_UNIT_MIN, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.purge_max_busy", "Share of time a purge worker may spend running batches.",
	        "In percent: after a batch that took d, the worker pauses at least d * (100 - this) / "
	        "this before the next one (as vacuum cost delays pace VACUUM); 100 disables the pause.",
	        &guc_purge_max_busy, 50, 1, 100, PGC_SIGHUP, 0, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.purge_max_replica_lag", "Replication lag above which purge workers pause.",
	        "Measured as the largest replay lag in pg_stat_replication; 0 disables the check.",
	        &guc_purge_max_replica_lag, 65536, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL,
	        NULL);

	DefineCustomIntVariable(
	        "privacy.purge_max_wal_rate", "WAL a purge worker may write per second.",
	        "Purge workers sleep between batches to stay below this rate; 0 disables the throttle.",
	        &guc_purge_max_wal_rate, 8192, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);

	DefineCustomIntVariable("privacy.purge_max_workers", "Purge workers running at the same time.",
	                        "One worker serves one database; they are dynamic background workers "
	                        "and share max_worker_processes.",
	                        &guc_purge_max_workers, 2, 0, 64, PGC_SIGHUP, 0, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.citus_maintenance_interval",
	        "Time between two maintenance runs on a Citus coordinator.",
	        "On the coordinator of every database where Citus and pg_privacy are installed, a "
	        "background worker collects the workers' detokenization records into the audit log "
	        "and copies the policy state to active workers that do not hold its generation; 0 "
	        "turns it off.",
	        &guc_citus_maintenance_interval, 10, 0, 86400, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL,
	        NULL);

	DefineCustomIntVariable("privacy.purge_naptime", "Time between purge cycles of a database.",
	                        NULL, &guc_purge_naptime, 60, 1, 86400, PGC_SIGHUP, GUC_UNIT_S, NULL,
	                        NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.purge_nice", "CPU priority of purge workers, as a nice increment.",
	        "Each purge worker lowers its own CPU priority by this many nice levels (0-19) "
	        "relative to the postmaster, so that on a busy machine the live workload's backends "
	        "run "
	        "first; 0 keeps the normal priority. A reload can raise it in a running worker; a "
	        "lower "
	        "value applies from the next worker.",
	        &guc_purge_nice, 10, 0, 19, PGC_SIGHUP, 0, NULL, NULL, NULL);

	DefineCustomIntVariable(
	        "privacy.purge_partition_lock_timeout",
	        "How long a purge worker's partition detach may wait for a table lock.",
	        "Each attempt of a purge worker to detach an expired partition waits at most this long "
	        "for its locks; it is retried with growing pauses, and after the last attempt the "
	        "partition is left for the next cycle (retention_status shows why).",
	        &guc_purge_partition_lock_timeout, 50, 1, 60000, PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL,
	        NULL);

	DefineCustomIntVariable("privacy.purge_statement_timeout",
	                        "How long one statement of a purge worker may run.",
	                        "A purge batch (with the table's triggers, masks and hold conditions) "
	                        "that runs or waits longer is cancelled, its run is recorded as failed "
	                        "and the worker goes on with the next table; a statement that ignores "
	                        "the cancellation ends the worker after twice this time.",
	                        &guc_purge_statement_timeout, 60000, 100, INT_MAX / 2, PGC_SIGHUP,
	                        GUC_UNIT_MS, NULL, NULL, NULL);

	DefineCustomStringVariable(
	        "privacy.purpose", "Declares what the session is doing with personal data.",
	        "Consent-gated rows are visible only under a declared purpose the role is allowed "
	        "(privacy.allow_purpose) and only for subjects consenting to it.",
	        &guc_purpose, "", PGC_USERSET, 0, CheckPurpose, AssignPurpose, NULL);

	MarkGUCPrefixReserved("privacy");
}

} // namespace privacy::pg
