// row_policies.hpp: the per-backend cache of row policies (consent
// requirements and attribute filters) and the decisions their quals call.
//
// The catalog (privacy._row_policy) is read with heap scans, never SPI. For
// each queried relation the cache holds ready-made RowSecurityPolicy quals,
// built from the relation's own policies and its ancestors' (so a partition
// queried directly is filtered like its parent) and invalidated with the
// same relcache signals as the column-policy cache.
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

// ConsentStandsNow reports whether subject has standing consent for purpose
// in the active snapshot (an index probe into privacy._consent).
bool ConsentStandsNow(const char *purpose, const char *subject, size_t len);
// ConsentSet is a per-query set of the standing consents of one purpose, read
// with the active snapshot and allocated in a child of context.
struct ConsentSet;
// BuildConsentSet builds it, or returns NULL (nothing kept) if it would take
// more than limit bytes.
ConsentSet *BuildConsentSet(const char *purpose, MemoryContext context, size_t limit);
// ProbesBeforeSet returns after how many index probes an execution should
// build the set: soon when the registry's standing consents surely fit in
// limit bytes, else only once probing has cost about what a failed build
// would.
uint32 ProbesBeforeSet(size_t limit);
// ConsentSetContains reports whether subject's consent in the set stands now.
bool ConsentSetContains(const ConsentSet *set, const char *subject, size_t len);

// PurposeUsable reports whether purpose exists and userid may declare it
// (the last answer is cached until roles or the purpose catalog change).
bool PurposeUsable(const char *purpose, Oid userid);
bool PurposeUsableUncached(const char *purpose, Oid userid);

} // namespace privacy::pg
