// consent_registry.hpp: reads the consent registry privacy._consent with
// the active snapshot, through its partial indexes on standing consents.
// Nothing is cached across statements except the registry's OIDs.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace privacy::pg {

// InitConsentRegistry registers the invalidation callback of the cached
// OIDs (from _PG_init).
void InitConsentRegistry();

// ConsentStandsNow reports whether subject has standing consent for purpose
// in the active snapshot (an index probe into privacy._consent).
bool ConsentStandsNow(const char *purpose, const char *subject, size_t len);

// ProbesBeforeSet returns after how many index probes an execution should
// build the set: soon when the registry's standing consents surely fit in
// limit bytes, else only once probing has cost about what a failed build
// would.
uint32 ProbesBeforeSet(size_t limit);

// StandingVisitor receives one standing consent: its subject and expiry
// (DT_NOEND when it does not expire); it returns false to stop.
typedef bool (*StandingVisitor)(const char *subject, size_t len, TimestampTz until, void *arg);

// ScanStanding calls visit for every standing consent of purpose (and of
// subject, when not NULL) that the active snapshot sees.
void ScanStanding(const char *purpose, const char *subject, size_t subject_len,
                  StandingVisitor visit, void *arg);

// StandsAt reports whether a consent expiring at until stands at the start
// of the current transaction.
bool StandsAt(TimestampTz until);

} // namespace privacy::pg
