// module.hpp: process-wide facts established by _PG_init.
#pragma once

namespace privacy::pg {

// LoadedViaPreload reports whether pg_privacy was loaded from
// shared_preload_libraries (hooks, workers and shared memory exist only then).
bool LoadedViaPreload() noexcept;

// RequirePreload raises 55000 with `message` (whole, naming the feature
// that needs shared_preload_libraries) and a hint when the library was
// loaded some other way.
void RequirePreload(const char *message);

} // namespace privacy::pg
