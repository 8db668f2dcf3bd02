// purge_worker.hpp: the retention background workers (doc/retention.md).
#pragma once

namespace privacy::pg {

// RegisterPurgeLauncher registers the static purge launcher. Called from
// _PG_init only while shared_preload_libraries is being processed.
void RegisterPurgeLauncher();

} // namespace privacy::pg
