// executor_end.hpp: the ExecutorEnd hook (detokenize audit, one row per
// statement and format).
#pragma once

namespace privacy::pg {

// InstallExecutorEndHook saves the previous hook and installs ours; called
// from _PG_init when preloaded.
void InstallExecutorEndHook();

} // namespace privacy::pg
