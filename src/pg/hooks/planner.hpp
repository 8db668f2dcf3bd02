// planner.hpp: dynamic column masking in planner_hook.
#pragma once

struct PlannedStmt;
struct Query;
struct ParamListInfoData;

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

// PlanUnmasked plans one statement pg_privacy built itself (purge, erasure,
// static anonymization) on raw values: masking is suspended for this one
// planner call only, never for statements planned while it runs (functions
// folded at plan time) nor for anything its execution plans later
// (triggers, functions), which are masked for the role running them.
::PlannedStmt *PlanUnmasked(::Query *query, const char *query_string, ::ParamListInfoData *params);

// PlanMaskedFor plans one SELECT pg_privacy built itself and runs as another
// role (a subject export read as the table's owner) masked for reader, the
// role the result is for, instead of for the role running it: only for this
// one planner call; anything planned while it runs or later by the
// execution is masked for the role running it. The plan is transient.
::PlannedStmt *PlanMaskedFor(::Query *query, const char *query_string, ::ParamListInfoData *params,
                             unsigned int reader);

} // namespace privacy::pg
