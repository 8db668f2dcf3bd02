// consent_set.hpp: a per-query set of the standing consents of one purpose.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// ConsentSet is a per-query set of the standing consents of one purpose, read
// with the active snapshot and allocated in a child of context.
struct ConsentSet;
// BuildConsentSet builds it, or returns NULL (nothing kept) if it would take
// more than limit bytes.
ConsentSet *BuildConsentSet(const char *purpose, MemoryContext context, size_t limit);
// ConsentSetContains reports whether subject's consent in the set stands now.
bool ConsentSetContains(const ConsentSet *set, const char *subject, size_t len);

} // namespace privacy::pg
