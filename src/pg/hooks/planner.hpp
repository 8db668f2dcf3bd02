// planner.hpp: dynamic column masking in planner_hook.
#pragma once

namespace privacy::pg {

// InstallPlannerHook saves the previous planner_hook and installs ours.
void InstallPlannerHook();

// SuspendMasking / ResumeMasking bracket statements the extension runs on
// raw values on purpose (static anonymization). Nesting is counted.
void SuspendMasking();
void ResumeMasking();

} // namespace privacy::pg
