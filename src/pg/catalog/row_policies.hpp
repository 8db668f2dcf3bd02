// row_policies.hpp: the per-backend cache of row policies (consent
// requirements and attribute filters) and the decisions their quals call.
//
// The catalog (privacy._row_policy) is read with heap scans, never SPI. For
// each queried relation the cache holds ready-made RowSecurityPolicy quals,
// built from the relation's own policies and its ancestors' (so a partition
// queried directly is filtered like its parent) and invalidated with the
// same relcache signals as the column-policy cache. The quals are built in
// row_policy_quals.cpp; what they call reads consent_registry.hpp,
// consent_set.hpp and purposes.hpp.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/nodes.h"
#include "nodes/pg_list.h"
#include "utils/relcache.h"
}

namespace privacy::pg {

// InitRowPolicyCache registers invalidation callbacks (from _PG_init).
void InitRowPolicyCache();

// RestrictiveRowPolicies returns freshly copied RowSecurityPolicy nodes for
// the relation and command (consent requirements do not apply to INSERT).
List *RestrictiveRowPolicies(CmdType cmdtype, Relation relation);

// RowPolicyMentionsRelation reports whether a row policy names relid.
bool RowPolicyMentionsRelation(Oid relid);

// ExemptFromRowPolicies reports whether userid is exempt from relid's row
// policies: superusers, and roles with a masking exemption that covers the
// whole table (or everything), directly or through INHERIT membership.
bool ExemptFromRowPolicies(Oid relid, Oid userid);

} // namespace privacy::pg
