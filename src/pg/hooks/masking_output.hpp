// masking_output.hpp: masks evaluated at a statement's output (issue 19).
//
// The planner hook normally substitutes every masked column's mask for its
// Vars (masking_rewrite.hpp), so that nothing computes on a raw value. For a
// SELECT in which the masked columns are only *returned* (bare columns of
// the top-level target list: no qual, join, sort or group key, aggregate,
// window, DISTINCT, set operation, sublink, CTE, row mark or whole-row
// reference reads them; only plain tables; not a scrollable cursor), there
// is nothing to compute on: the statement is planned unmasked and one
// custom plan node on top replaces each masked output value by its mask.
// The masks are evaluated from a per-backend compiled form (an ExprState
// with its FmgrInfo, built once per backend and masked column; EXECUTE
// checked again for each role that uses it) instead of being planned
// and set up as function nodes at every statement: PostgreSQL's planner and
// executor-startup costs per function node were most of a masked point
// lookup's overhead (doc/performance.md).
//
// What decides:
//  * The plan records which output column is which governed relation's
//    column; the node masks each one that is masked for the user running
//    it (GetUserId() at executor start), with the mask current then.
//  * A compiled mask is used only within one MaskGeneration() (masks,
//    exemptions, governed relations, pg_proc, role membership unchanged);
//    ExecInitExpr checked EXECUTE on every function it calls for the user
//    who built it, and the same checks are made again whenever another
//    user acquires it (GRANT/REVOKE EXECUTE change pg_proc and so the
//    generation).
//  * One executor at a time holds a compiled mask; another (a nested or
//    concurrent statement) compiles a private one, as the substitution
//    path would.
//  * Only masks made of built-in functions and pg_privacy's own C functions
//    (whose call-site state, fn_extra, is valid across statements), of
//    their own column only, are kept across statements; a statement whose
//    masks are not all such is masked by substitution.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
}

namespace privacy::pg {

struct OutputMasks;

// PlanOutputMasks returns what WrapOutputMasks needs when parse (the
// top-level statement, about to be planned for userid) can be masked at its
// output, else NULL (mask it by substitution).
OutputMasks *PlanOutputMasks(Query *parse, Oid userid, int cursor_options);

// WrapOutputMasks puts the masking node on top of stmt's plan.
void WrapOutputMasks(PlannedStmt *stmt, OutputMasks *masks);

// BeginExplain / EndExplain bracket an EXPLAIN (ProcessUtility hook):
// statements planned meanwhile are masked by substitution, so that EXPLAIN
// prints the masks where they are evaluated.
void BeginExplain();
void EndExplain();

// InstallOutputMasking registers the custom plan node (from _PG_init).
void InstallOutputMasking();

} // namespace privacy::pg
