// planner.hpp: dynamic column masking in planner_hook.
#pragma once

namespace privacy::pg {

// InstallPlannerHook saves the previous planner_hook and installs ours.
void InstallPlannerHook();

// SuspendMasking / ResumeMasking bracket a statement the extension runs on
// raw values on purpose (static anonymization). The suspension covers the
// first statement planned after SuspendMasking and nothing planned while it
// runs (its triggers and functions stay masked); its plan is transient
// (masking_authorship.cpp implements both).
void SuspendMasking();
void ResumeMasking();

} // namespace privacy::pg
