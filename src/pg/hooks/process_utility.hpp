// process_utility.hpp: pg_privacy's ProcessUtility_hook.
#pragma once
namespace privacy::pg {
void InstallProcessUtilityHook();
// InSuperuserCatalogCopy reports whether the running statement is a
// superuser's COPY FROM into one of pg_privacy's catalog tables (what
// pg_restore does with extension configuration tables): the policy audit
// trigger does not log its rows again (the restored privacy.audit_log holds
// their history).
bool InSuperuserCatalogCopy();
} // namespace privacy::pg
