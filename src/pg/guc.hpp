// guc.hpp: the privacy.* settings, all defined in guc.cpp.
#pragma once

namespace privacy::pg {

// privacy.admin_role / privacy.auditor_role (superuser only): the roles
// whose members administer policies and read compliance data
// (catalog/privileges.hpp).
extern char *guc_admin_role;
extern char *guc_auditor_role;

// privacy.audit_queue_size (postmaster): capacity of the disclosure audit
// queue in records (audit/queue.hpp).
extern int guc_audit_queue_size;

// privacy.masking (superuser only): dynamic masking enforcement switch.
extern bool guc_masking;

// privacy.master_key_command / privacy.master_key_file (SIGHUP, superuser
// only): where the tokenization master key comes from (a command or a path,
// never the key itself).
extern char *guc_master_key_command;
extern int guc_master_key_command_timeout; // ms
extern char *guc_master_key_file;

// privacy.previous_master_key_command / privacy.previous_master_key_file
// (SIGHUP, superuser only): the master key being rotated out; used only to
// unwrap keys wrapped under it (privacy.rewrap_keys, and lookups meanwhile).
extern char *guc_previous_master_key_command;
extern char *guc_previous_master_key_file;

// privacy.output_masking (superuser only): masks of columns a SELECT only
// returns are evaluated at its output from a compiled form
// (hooks/masking_output.hpp) instead of being substituted.
extern bool guc_output_masking;

// privacy.owners_may_declare (superuser only): table owners may declare
// policies on their own tables.
extern bool guc_owners_may_declare;

// privacy.debug_consent_collisions (superuser, hidden, testing only): the
// consent sets built while on hash every subject alike (consent_set.cpp).
extern bool guc_debug_consent_collisions;

// privacy.purpose (user): the purpose the session declares.
extern char *guc_purpose;

// Retention (doc/retention.md): purge workers and batches.
extern int guc_purge_batch_size;        // privacy.purge_batch_size (rows)
extern int guc_purge_batch_time;        // privacy.purge_batch_time (ms; 0: rows only)
extern int guc_purge_lock_wait;         // privacy.purge_lock_wait (ms)
extern int guc_purge_log_retention;     // privacy.purge_log_retention (min; <= 0: keep)
extern int guc_purge_max_busy;          // privacy.purge_max_busy (percent)
extern int guc_purge_max_replica_lag;   // privacy.purge_max_replica_lag (kB)
extern int guc_purge_max_wal_rate;      // privacy.purge_max_wal_rate (kB/s)
extern int guc_purge_max_workers;       // privacy.purge_max_workers
extern int guc_purge_naptime;           // privacy.purge_naptime (s)
extern int guc_purge_nice;              // privacy.purge_nice (nice levels)
extern int guc_purge_statement_timeout; // privacy.purge_statement_timeout (ms)
// privacy.purge_partition_lock_timeout (ms)
extern int guc_purge_partition_lock_timeout;
// privacy.citus_maintenance_interval (s; 0: off)
extern int guc_citus_maintenance_interval;

// RegisterGucs defines every privacy.* setting and reserves the prefix.
void RegisterGucs();

} // namespace privacy::pg
