// planner.hpp: dynamic column masking in planner_hook.
#pragma once

struct PlannedStmt;
struct Query;
struct ParamListInfoData;

namespace privacy::pg {

// InstallPlannerHook saves the previous planner_hook and installs ours.
void InstallPlannerHook();

// SuspendMasking / ResumeMasking bracket statements the extension runs on
// raw values on purpose (static anonymization). Nesting is counted.
void SuspendMasking();
void ResumeMasking();

// PlanUnmasked plans one statement pg_privacy built itself (purge, erasure,
// static anonymization) on raw values: masking is suspended for this one
// planner call only, never for statements planned while it runs (functions
// folded at plan time) nor for anything its execution plans later
// (triggers, functions), which are masked for the role running them.
::PlannedStmt *PlanUnmasked(::Query *query, const char *query_string, ::ParamListInfoData *params);

} // namespace privacy::pg
