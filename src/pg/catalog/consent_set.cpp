// consent_set.cpp: the per-query set of a purpose's standing consents,
// read once with the active snapshot (consent_registry.hpp) and allocated in
// the caller's per-execution context: nothing outlives the statement.
#include "pg/catalog/consent_set.hpp"

#include "pg/catalog/consent_registry.hpp"
#include "pg/guc.hpp"

extern "C" {
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"
}

namespace privacy::pg {

namespace {

// The per-query set: open addressing over 8-byte slots (a 32-bit tag from
// the subject's hash and the offset of its record), and in front of it a
// blocked Bloom filter of about 20 bits per subject, small enough to stay in
// the CPU's cache while the slots do not: a subject without consent is
// usually refused there, without touching the slots. The records keep the
// subjects verbatim in one arena (length, expiry, bytes), so a hit is an
// exact comparison (no digest collision can let a row through) and costs
// one slot and one record, both cache misses on a large set.
constexpr size_t kRecordHeader = sizeof(uint32) + sizeof(TimestampTz);

struct Collected {
	size_t limit;
	size_t used;
	bool overflow;
	uint32 count;
	StringInfoData arena; // records: uint32 length, TimestampTz until, bytes
};

// SubjectHash: a 64-bit hash of a subject, eight bytes at a time with a
// final avalanche (murmur3's fmix64), seeded per set: subjects are short, and
// a general byte hash cost as much as the set's lookup. The seed is drawn per
// build, so no fixed list of subjects collides in every query's set.
inline uint64
Mix(uint64 h) {
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

uint64
SubjectHash(uint64 seed, const char *subject, size_t len) {
	constexpr uint64 kMul = UINT64CONST(0x9E3779B97F4A7C15);
	uint64 h = seed ^ ((uint64)len * kMul);
	if (len >= 8) {
		// whole words, then the last eight bytes (overlapping the last word)
		size_t at = 0;
		for (; at + 8 < len; at += 8) {
			uint64 word;
			memcpy(&word, subject + at, 8);
			h = (h ^ word) * kMul;
			h = (h << 29) | (h >> 35);
		}
		uint64 word;
		memcpy(&word, subject + len - 8, 8);
		h = (h ^ word) * kMul;
	} else if (len >= 4) {
		uint32 first, last;
		memcpy(&first, subject, 4);
		memcpy(&last, subject + len - 4, 4);
		h = (h ^ ((uint64)first << 32 | last)) * kMul;
	} else {
		uint64 word = 0;
		for (size_t i = 0; i < len; i++)
			word = word << 8 | (unsigned char)subject[i];
		h = (h ^ word) * kMul;
	}
	return Mix(h);
}

bool
VisitCollect(const char *subject, size_t len, TimestampTz until, void *arg) {
	Collected *c = (Collected *)arg;
	// a record, two slots (load factor at most 1/2) and its Bloom bits
	c->used += kRecordHeader + 2 * sizeof(uint64) + 4 + len;
	if (c->used > c->limit || (size_t)c->arena.len + kRecordHeader + len > MaxAllocSize / 2 ||
	    c->count >= PG_INT32_MAX / 4) {
		c->overflow = true;
		return false;
	}
	uint32 length = (uint32)len;
	appendBinaryStringInfo(&c->arena, (const char *)&length, sizeof(length));
	appendBinaryStringInfo(&c->arena, (const char *)&until, sizeof(until));
	appendBinaryStringInfo(&c->arena, subject, (int)len);
	c->count++;
	return true;
}

// BloomBits returns the block (of 8 words) and the three bits in it that
// stand for a subject's hash.
inline void
BloomBits(uint64 hash, uint64 block_mask, uint64 *block, uint64 bits[3]) {
	uint64 mixed = hash * UINT64CONST(0x9E3779B97F4A7C15);
	*block = (mixed >> 40) & block_mask;
	for (int k = 0; k < 3; k++)
		bits[k] = (mixed >> (9 * k)) & 511;
}

} // namespace

struct ConsentSet {
	MemoryContext context; // owns everything below (NULL: a view of a flat image)
	uint64 mask;
	uint64 *slots; // 0: empty; else tag << 32 | (record offset + 1)
	char *arena;
	uint64 bloom_mask; // blocks - 1
	uint64 *bloom;     // blocks of 8 words (512 bits)
	uint64 arena_len;
	uint64 seed;
	uint64 keep; // the hash bits used (0: every subject collides; testing)
};

namespace {

// The flat image of a set (for dynamic shared memory): this header, the
// Bloom blocks, the slots, the arena; slots hold arena offsets, so the image
// needs no pointer fix-up.
struct FlatHeader {
	uint64 mask;
	uint64 bloom_mask;
	uint64 arena_len;
	uint64 seed;
	uint64 keep;
};

} // namespace

size_t
ConsentSetFlatSize(const ConsentSet *set) {
	return sizeof(FlatHeader) + sizeof(uint64) * 8 * (set->bloom_mask + 1) +
	       sizeof(uint64) * (set->mask + 1) + set->arena_len;
}

void
ConsentSetFlatten(const ConsentSet *set, void *dest) {
	char *out = (char *)dest;
	FlatHeader header = {set->mask, set->bloom_mask, set->arena_len, set->seed, set->keep};
	memcpy(out, &header, sizeof(header));
	out += sizeof(header);
	memcpy(out, set->bloom, sizeof(uint64) * 8 * (set->bloom_mask + 1));
	out += sizeof(uint64) * 8 * (set->bloom_mask + 1);
	memcpy(out, set->slots, sizeof(uint64) * (set->mask + 1));
	out += sizeof(uint64) * (set->mask + 1);
	memcpy(out, set->arena, set->arena_len);
}

ConsentSet *
ConsentSetView(const void *flat) {
	const char *in = (const char *)flat;
	FlatHeader header;
	memcpy(&header, in, sizeof(header));
	ConsentSet *set = (ConsentSet *)palloc(sizeof(ConsentSet));
	set->context = NULL;
	set->mask = header.mask;
	set->bloom_mask = header.bloom_mask;
	set->arena_len = header.arena_len;
	set->seed = header.seed;
	set->keep = header.keep;
	in += sizeof(header);
	set->bloom = (uint64 *)in;
	in += sizeof(uint64) * 8 * (header.bloom_mask + 1);
	set->slots = (uint64 *)in;
	in += sizeof(uint64) * (header.mask + 1);
	set->arena = (char *)in;
	return set;
}

void
FreeConsentSet(ConsentSet *set) {
	if (set != NULL && set->context != NULL)
		MemoryContextDelete(set->context); // the struct lives in it too
	else if (set != NULL)
		pfree(set);
}

bool
ConsentCheck(ConsentProbe *probe, const char *bytes, size_t len) {
	if (probe->set != NULL)
		return ConsentSetContains(probe->set, bytes, len);
	// after the first rows (64 when the set surely fits; a point lookup never
	// gets there) read the purpose's standing consents once; bounded like a
	// hashed subplan, larger registries keep probing
	if (!probe->set_tried && ++probe->probes > 64) {
		if (probe->threshold == 0)
			probe->threshold = ProbesBeforeSet(get_hash_memory_limit());
		if (probe->probes > probe->threshold) {
			probe->set_tried = true;
			probe->set = BuildConsentSet(probe->purpose, probe->context, get_hash_memory_limit());
		}
	}
	if (probe->set != NULL)
		return ConsentSetContains(probe->set, bytes, len);
	return ConsentStandsNow(probe->purpose, bytes, len);
}

ConsentSet *
BuildConsentSet(const char *purpose, MemoryContext context, size_t limit) {
	MemoryContext build =
	        AllocSetContextCreate(context, "pg_privacy consent set", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(build);
	Collected c;
	c.limit = limit;
	c.used = 0;
	c.overflow = false;
	c.count = 0;
	initStringInfo(&c.arena);
	ScanStanding(purpose, NULL, 0, VisitCollect, &c);
	if (c.overflow) {
		MemoryContextSwitchTo(old);
		MemoryContextDelete(build);
		return NULL;
	}
	uint64 size = 16;
	while (size < (uint64)c.count * 2)
		size <<= 1;
	// about 20 bits per subject, in 512-bit blocks
	uint64 blocks = 1;
	while (blocks * 512 < (uint64)c.count * 20)
		blocks <<= 1;
	ConsentSet *set = (ConsentSet *)palloc(sizeof(ConsentSet));
	set->context = build;
	set->arena_len = (uint64)c.arena.len;
	set->seed = pg_prng_uint64(&pg_global_prng_state);
	set->keep = guc_debug_consent_collisions ? 0 : ~UINT64CONST(0);
	set->mask = size - 1;
	set->slots = (uint64 *)MemoryContextAllocHuge(build, sizeof(uint64) * size);
	memset(set->slots, 0, sizeof(uint64) * size);
	set->bloom_mask = blocks - 1;
	set->bloom = (uint64 *)MemoryContextAllocHuge(build, sizeof(uint64) * 8 * blocks);
	memset(set->bloom, 0, sizeof(uint64) * 8 * blocks);
	set->arena = c.arena.data;
	// a second cursor runs 8 records ahead and prefetches what their
	// insertion will touch, so that the random writes overlap
	uint32 ahead = 0;
	for (int k = 0; k < 8 && ahead < (uint32)c.arena.len; k++) {
		uint32 ahead_len;
		memcpy(&ahead_len, set->arena + ahead, sizeof(ahead_len));
		ahead += kRecordHeader + ahead_len;
	}
	for (uint32 offset = 0; offset < (uint32)c.arena.len;) {
		if (ahead < (uint32)c.arena.len) {
			uint32 ahead_len;
			memcpy(&ahead_len, set->arena + ahead, sizeof(ahead_len));
			uint64 ahead_hash =
			        SubjectHash(set->seed, set->arena + ahead + kRecordHeader, ahead_len) &
			        set->keep;
			ConsentSetPrefetch(set, ahead_hash);
			ahead += kRecordHeader + ahead_len;
		}
		uint32 len;
		TimestampTz until;
		memcpy(&len, set->arena + offset, sizeof(len));
		memcpy(&until, set->arena + offset + sizeof(len), sizeof(until));
		const char *subject = set->arena + offset + kRecordHeader;
		uint64 hash = SubjectHash(set->seed, subject, len) & set->keep;
		uint64 tag = hash >> 32;
		uint64 at = hash & set->mask;
		uint64 block;
		uint64 bits[3];
		BloomBits(hash, set->bloom_mask, &block, bits);
		for (int k = 0; k < 3; k++)
			set->bloom[block * 8 + bits[k] / 64] |= UINT64CONST(1) << (bits[k] % 64);
		for (;;) {
			uint64 slot = set->slots[at];
			if (slot == 0) {
				set->slots[at] = tag << 32 | (uint64)(offset + 1);
				break;
			}
			char *other = set->arena + (slot & 0xFFFFFFFF) - 1;
			uint32 other_len = 0;
			// the record only when the tag matches (another cache miss)
			if ((slot >> 32) == tag)
				memcpy(&other_len, other, sizeof(other_len));
			if ((slot >> 32) == tag && other_len == len &&
			    memcmp(other + kRecordHeader, subject, len) == 0) {
				// two standing rows for one subject (direct DML): the later expiry wins
				TimestampTz other_until;
				memcpy(&other_until, other + sizeof(uint32), sizeof(other_until));
				if (until == DT_NOEND || (other_until != DT_NOEND && until > other_until))
					memcpy(other + sizeof(uint32), &until, sizeof(until));
				break;
			}
			at = (at + 1) & set->mask;
		}
		offset += kRecordHeader + len;
	}
	MemoryContextSwitchTo(old);
	return set;
}

uint64
ConsentSetHash(const ConsentSet *set, const char *subject, size_t len) {
	return SubjectHash(set->seed, subject, len) & set->keep;
}

void
ConsentSetPrefetch(const ConsentSet *set, uint64 hash) {
	uint64 block;
	uint64 bits[3];
	BloomBits(hash, set->bloom_mask, &block, bits);
	__builtin_prefetch(set->bloom + block * 8);
	__builtin_prefetch(set->slots + (hash & set->mask));
}

int
ConsentSetMaybe(const ConsentSet *set, uint64 hash) {
	uint64 block;
	uint64 bits[3];
	BloomBits(hash, set->bloom_mask, &block, bits);
	const uint64 *words = set->bloom + block * 8;
	for (int k = 0; k < 3; k++)
		if ((words[bits[k] / 64] & (UINT64CONST(1) << (bits[k] % 64))) == 0)
			return 0;
	uint64 slot = set->slots[hash & set->mask];
	if (slot == 0)
		return 0;
	__builtin_prefetch(set->arena + (slot & 0xFFFFFFFF) - 1);
	return 1;
}

bool
ConsentSetContainsHashed(const ConsentSet *set, uint64 hash, const char *subject, size_t len) {
	uint64 block;
	uint64 bits[3];
	BloomBits(hash, set->bloom_mask, &block, bits);
	const uint64 *words = set->bloom + block * 8;
	for (int k = 0; k < 3; k++)
		if ((words[bits[k] / 64] & (UINT64CONST(1) << (bits[k] % 64))) == 0)
			return false;
	return ConsentSetFind(set, hash, subject, len);
}

bool
ConsentSetFind(const ConsentSet *set, uint64 hash, const char *subject, size_t len) {
	uint64 tag = hash >> 32;
	uint64 at = hash & set->mask;
	for (;;) {
		uint64 slot = set->slots[at];
		if (slot == 0)
			return false;
		if ((slot >> 32) == tag) {
			const char *record = set->arena + (slot & 0xFFFFFFFF) - 1;
			uint32 record_len;
			memcpy(&record_len, record, sizeof(record_len));
			if (record_len == len && memcmp(record + kRecordHeader, subject, len) == 0) {
				TimestampTz until;
				memcpy(&until, record + sizeof(uint32), sizeof(until));
				return StandsAt(until);
			}
		}
		at = (at + 1) & set->mask;
	}
}

bool
ConsentSetContains(const ConsentSet *set, const char *subject, size_t len) {
	return ConsentSetContainsHashed(set, SubjectHash(set->seed, subject, len) & set->keep, subject,
	                                len);
}

} // namespace privacy::pg
