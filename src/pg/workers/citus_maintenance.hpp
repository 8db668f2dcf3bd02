// citus_maintenance.hpp: the background workers that, on a Citus
// coordinator, collect the workers' detokenization records and copy the
// policy state to workers that do not hold its generation
// (privacy.citus_maintenance_interval).
#pragma once

namespace privacy::pg {

// RegisterCitusMaintenanceLauncher registers the static launcher when Citus
// is preloaded (before pg_privacy); called from _PG_init when preloaded.
void RegisterCitusMaintenanceLauncher();

} // namespace privacy::pg
