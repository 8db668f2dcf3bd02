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

// MaskingSuspended reports whether a statement pg_privacy runs on raw values
// on purpose is executing, from SuspendMasking to ResumeMasking (the
// write-back guard stands aside for the rows it writes; its planning
// exemption ended with its first planner call).
bool MaskingSuspended();

} // namespace privacy::pg
