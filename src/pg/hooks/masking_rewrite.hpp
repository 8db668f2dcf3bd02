// masking_rewrite.hpp: the masking rewrite of a statement, applied by the
// planner hook (planner.cpp) and its per-level view of which columns are
// masked, which the write-taint analysis (write_taint.hpp) shares.
#pragma once

#include "pg/catalog/column_policies.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace privacy::pg {

// LevelInfo holds, for one query level, the masked columns of each RTE.
struct LevelInfo {
	Query *query;
	int nrtes;
	const GovernedRel **rels; // [rti], NULL when nothing is masked
	const bool **masked;      // [rti][column index]
};

struct MaskContext {
	Oid userid;
	List *levels;  // LevelInfo *, innermost first
	Oid raw_relid; // relation the expression being masked may see raw (RawRelationFor)
	int depth;     // nesting below the current query level's clauses (MaskMutator)
};

// BuildLevel computes the masked columns of every relation RTE of query.
// With for_masking, Citus tables are left out: their rows live in shards,
// and the shard queries Citus sends are masked where they are planned (a
// shard inherits its table's policies, citus.hpp); masking here too would
// mask twice.
LevelInfo *BuildLevel(Query *query, Oid userid, bool for_masking = false);

// MaskedIndex returns the column index masked for (level, varno, attno), or -1.
int MaskedIndex(LevelInfo *level, int varno, AttrNumber attno);

// MaskQuery masks one query level and everything nested in it.
Query *MaskQuery(Query *query, MaskContext *context);

// PolicyScan is what one walk over the statement finds.
struct PolicyScan {
	Oid userid;
	bool governed; // a governed relation is read or written
	bool masked;   // one of them has a column masked for userid
};

// PolicyWalker finds, in one walk, whether the statement touches a governed
// relation and whether a column of one is masked for the user (it stops at
// the first masked one: governed is then known too).
bool PolicyWalker(Node *node, void *context);

} // namespace privacy::pg
