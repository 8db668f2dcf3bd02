// write_taint.hpp: the masked-write check of the planner hook.
//
// A masked role's INSERT, UPDATE or MERGE may not write a value derived from
// a masked column (that would overwrite real data with masked data): such a
// statement fails with 42501 before anything is written. This static check
// gives the early, clear error; shapes it cannot see through (functions,
// triggers, rules) are stopped row by row by the write-back guard
// (fmgr/writeback_guard.cpp).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace privacy::pg {

struct TaintContext {
	Oid userid;
	List *levels; // LevelInfo *, innermost first
};

// RejectTaintedTargets raises 42501 if a written value of a modifying query
// can derive from a masked column.
void RejectTaintedTargets(Query *query, TaintContext *context);

// HasModification reports whether the statement writes (top level or in a
// data-modifying CTE).
bool HasModification(Query *query);

} // namespace privacy::pg
