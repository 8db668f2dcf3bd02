// module.cpp: the magic block and _PG_init, the ordered list of Init calls.
//
// _PG_init works in both situations:
//  * from shared_preload_libraries (the supported deployment): every
//    subsystem, including hooks and background workers, is installed;
//  * from a plain CREATE EXTENSION or LOAD: SQL functions work, and features
//    that need preloading refuse to run with SQLSTATE 55000 and a hint
//    (RequirePreload), rather than silently doing nothing.
// Order (citus): record the preload state, sanity checks, GUCs, shared memory
// requests, hooks, workers. Nothing here may allocate through C++ statics.
#include "pg/module.hpp"

#include "pg/audit/queue.hpp"
#include "pg/boundary/boundary.hpp"
#include "pg/catalog/column_policies.hpp"
#include "pg/catalog/extension_schema.hpp"
#include "pg/catalog/consent_registry.hpp"
#include "pg/catalog/legal_holds.hpp"
#include "pg/catalog/masking_secret.hpp"
#include "pg/catalog/purposes.hpp"
#include "pg/catalog/row_policies.hpp"
#include "pg/guc.hpp"
#include "pg/hooks/caller_identity.hpp"
#include "pg/hooks/consent_scan.hpp"
#include "pg/hooks/executor_end.hpp"
#include "pg/hooks/needs_fmgr.hpp"
#include "pg/hooks/object_access.hpp"
#include "pg/hooks/planner.hpp"
#include "pg/hooks/process_utility.hpp"
#include "pg/hooks/row_security_permissive.hpp"
#include "pg/hooks/row_security_restrictive.hpp"
#include "pg/keys/key_cache.hpp"
#include "pg/workers/audit_writer.hpp"
#include "pg/workers/citus_maintenance.hpp"
#include "pg/workers/purge_worker.hpp"
#include "privacy/core/version.hpp"

extern "C" {
#include "miscadmin.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

namespace {
bool loaded_via_preload = false;
}

namespace privacy::pg {

bool
LoadedViaPreload() noexcept {
	return loaded_via_preload;
}

void
RequirePreload(const char *message) {
	if (!loaded_via_preload)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE), errmsg("%s", _(message)),
		                errhint("Add pg_privacy to shared_preload_libraries in postgresql.conf and "
		                        "restart the server.")));
}

} // namespace privacy::pg

// _PG_init runs once per process when the library is loaded.
extern "C" void
_PG_init(void) {
	loaded_via_preload = process_shared_preload_libraries_in_progress;
	privacy::pg::CallCore([] { privacy::core::Initialize(); });
	privacy::pg::RegisterGucs();
	privacy::pg::InitExtensionSchema();
	privacy::pg::InitColumnPolicyCache();
	privacy::pg::InitMaskingSecretCache();
	privacy::pg::InitRowPolicyCache();
	privacy::pg::InitPurposeCache();
	privacy::pg::InitConsentRegistry();
	privacy::pg::InitLegalHolds();
	privacy::pg::InitTokenization();

	// Hooks only from shared_preload_libraries: a hook installed by a lazy
	// load would enforce policies in one backend and not in the others.
	if (!loaded_via_preload)
		return;
	privacy::pg::InstallPlannerHook();
	privacy::pg::InstallNeedsFmgrHook();
	privacy::pg::InstallCallerIdentityHook();
	privacy::pg::InstallProcessUtilityHook();
	privacy::pg::InstallObjectAccessHook();
	privacy::pg::InstallPermissivePolicyHook();
	privacy::pg::InstallRestrictivePolicyHook();
	privacy::pg::InstallExecutorEndHook();
	privacy::pg::InstallConsentScan();
	// the durable disclosure audit: a queue in shared memory
	privacy::pg::InstallAuditQueue();

	// Background workers (preload only): the retention purge launcher, the
	// audit launcher, and (with Citus preloaded) the Citus maintenance
	// launcher.
	privacy::pg::RegisterPurgeLauncher();
	privacy::pg::RegisterAuditLauncher();
	privacy::pg::RegisterCitusMaintenanceLauncher();
}
