// keyed_masks.hpp: the internal entry points of the keyed masks.
//
// privacy.pseudonym, privacy.noise, privacy.shift_date and privacy.fake_*
// depend on the database's masking secret: whoever may call them can compute
// the mask of any guess and match it against what a masked column shows. So
// they are not executable by PUBLIC. A masking policy still uses them: when
// the planner places a mask into a masked role's statement, every call of a
// keyed mask in it becomes a call of the matching internal entry point
// privacy._mask_<name>, marked as coming from a policy. The entry points are
// executable by PUBLIC (the executor checks EXECUTE on the function in the
// plan, as the querying role) but refuse every call that does not carry the
// mark, which only this substitution sets: a call a user writes anywhere
// (query, view, default, generated column, constraint, index, PL/pgSQL,
// operator, aggregate) is parsed, never marked.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "fmgr.h"
#include "nodes/nodes.h"
}

namespace privacy::pg {

// UseMaskEntryPoints returns expr with every call of a public keyed mask
// replaced by its marked internal entry point (expr is modified in place).
Node *UseMaskEntryPoints(Node *expr);

// CheckDeclarerMayExecute raises 42501 unless userid may EXECUTE every
// function the mask expression calls. mask_column() applies it to callers
// that are not policy administrators (table owners, with
// privacy.owners_may_declare): otherwise an owner could declare
// pseudonym(c) on a table of its own, insert guesses and read their
// pseudonyms back, the oracle that revoking EXECUTE closes.
void CheckDeclarerMayExecute(Node *expr, Oid userid);

// CalledFromMaskPolicy reports whether this call of an internal entry point
// carries the policy mark (noexcept, reads no catalog).
bool CalledFromMaskPolicy(FunctionCallInfo fcinfo) noexcept;

} // namespace privacy::pg
