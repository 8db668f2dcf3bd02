// citus_purpose.hpp: the purpose a session declares, carried to the Citus
// nodes that read its shards (doc/scale-out.md, "Declaring the purpose").
//
// A consent filter on a shard lets rows through for the purpose declared on
// the node that reads the shard, usually a worker. A session setting never
// reaches the workers (Citus sends only SET LOCAL, and only inside
// transaction blocks), so the node that plans a statement on a Citus table
// with row policies writes the purpose into the statement itself: every
// query level that reads such a table gets the qual
//     privacy._citus_purpose('<purpose>', '<proof>', <generation>)
// (always true), which Citus deparses into every shard query it sends. The
// proof is a keyed hash (masking secret, the same on every node) of the
// purpose and the role planning the statement: a role cannot write a marker
// for a purpose it has not declared, nor take another role's.
//
// The node that plans a shard query carrying markers checks them (all equal,
// proof valid for the role it runs as, purpose still allowed to the role;
// otherwise 42501) and binds every consent check of the statement to the
// carried purpose (an empty one included: a purpose cleared on the
// coordinator is cleared on the shards, whatever the worker's own setting
// says). A statement without markers keeps the node's own setting.
//
// Plans carry the purpose they were made for: a change of privacy.purpose
// forgets the session's cached plans (guc.cpp) when Citus is preloaded, so
// the next statement is planned, and carries, the new one.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
}

namespace privacy::pg {

// CarryCitusPurpose adds the markers to parse (a statement reading a Citus
// table pg_privacy governs) and returns true, or checks the markers parse
// carries (purpose, and the policy generation this node holds: 55000 when it
// differs) and binds its consent checks to their purpose, and refuses (55000)
// shards under row security on a worker that never received the policy
// state. Modifies parse in place; may raise 42501. No-op without Citus.
bool CarryCitusPurpose(Query *parse);

// DependOnCitusState makes plan depend on privacy._citus_sync_state (a push
// of the policy state, a new generation, which the markers carry,
// invalidates it) and on the role (the proof names it).
void DependOnCitusState(PlannedStmt *plan);

// CitusPreloaded reports whether Citus is in shared_preload_libraries.
bool CitusPreloaded();

// CarriedPurposeProof writes into proof (33 bytes) the hex proof of purpose
// for the role named role_name.
void CarriedPurposeProof(const char *purpose, const char *role_name, char *proof);

} // namespace privacy::pg
