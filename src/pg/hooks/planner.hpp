// planner.hpp: dynamic column masking in planner_hook.
#pragma once

namespace privacy::pg {

// InstallPlannerHook saves the previous planner_hook and installs ours.
void InstallPlannerHook();

// SuspendMasking / ResumeMasking bracket statements the extension runs on
// raw values on purpose (static anonymization). Nesting is counted.
void SuspendMasking();
void ResumeMasking();

// MaskingSuspended reports whether pg_privacy itself has suspended masking
// (the write-back guard stands aside for the extension's own writes).
bool MaskingSuspended();

} // namespace privacy::pg
