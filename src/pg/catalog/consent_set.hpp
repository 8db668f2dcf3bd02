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
// The same in steps, for a batch of subjects (consent_scan.cpp): the hash;
// a prefetch of what a lookup reads first; a first look (0: surely absent;
// 1: maybe present, the record prefetched); the exact answer.
uint64 ConsentSetHash(const ConsentSet *set, const char *subject, size_t len);
void ConsentSetPrefetch(const ConsentSet *set, uint64 hash);
int ConsentSetMaybe(const ConsentSet *set, uint64 hash);
bool ConsentSetContainsHashed(const ConsentSet *set, uint64 hash, const char *subject, size_t len);
// ConsentSetFind is ConsentSetContainsHashed after ConsentSetMaybe said 1
// (the Bloom filter already passed).
bool ConsentSetFind(const ConsentSet *set, uint64 hash, const char *subject, size_t len);
// FreeConsentSet releases a set (or a view of a flat image).
void FreeConsentSet(ConsentSet *set);

// A set's flat image, for dynamic shared memory (consent_scan.cpp): its
// size, a copy into dest (that many bytes, MAXALIGNed), and a read-only
// view of an image (allocated in the current memory context; the image
// must outlive it).
size_t ConsentSetFlatSize(const ConsentSet *set);
void ConsentSetFlatten(const ConsentSet *set, void *dest);
ConsentSet *ConsentSetView(const void *flat);

// ConsentProbe is one execution's way of answering "does subject's consent
// for purpose stand?" in one process: an index probe for each of the first
// rows, then (after ProbesBeforeSet) a set of the purpose's standing
// consents built once in context, or a set given by the caller (set_tried
// true). Zero it, then fill purpose and context.
struct ConsentProbe {
	char purpose[NAMEDATALEN];
	MemoryContext context; // the execution's (the set lives in a child)
	uint32 probes;         // index probes so far
	uint32 threshold;      // build the set after this many (0: not decided)
	bool set_tried;        // a set was built, given, or found too large
	ConsentSet *set;
};
bool ConsentCheck(ConsentProbe *probe, const char *subject, size_t len);

// ConsentGate decides, once per statement, what a consent requirement of
// relid for purpose lets through given the purpose the statement declares:
// 1 everything, 2 consenting subjects, 0 nothing (row_policies.cpp).
int ConsentGate(Oid relid, const char *purpose, const char *declared);
// SessionPurpose returns the session's declared purpose, or "".
const char *SessionPurpose();

} // namespace privacy::pg
