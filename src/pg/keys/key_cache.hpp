// key_cache.hpp: the per-backend cache of unwrapped data keys, token formats
// and detokenize grants.
//
// The catalog (privacy._key, privacy._token_format,
// privacy._token_format_version, privacy._detokenize_grant) is read with
// direct heap scans, never SPI, so callers need no privilege on it.
// Everything lives in one child of CacheMemoryContext; the C++ objects
// (core::Ff1/Ff31/TokenFormat) and the sodium_malloc'd key material are freed
// and wiped by a reset callback of that context (the AES key schedules inside
// OpenSSL's EVP contexts live on OpenSSL's heap and are cleansed by OpenSSL
// when freed: see doc/tokenization.md, "Key material in memory"). Relcache
// invalidations of the four tables (sent by every admin function through
// InvalidateKeyCache, and by any direct change to them) mark the cache stale
// when this backend processes them (at the start of its next transaction or
// command); it is then reset at the end of that transaction by a transaction
// callback (so key material does not outlive its key by more than one
// statement of each backend), or at the start of the next lookup
// (BeginKeyLookup), whichever comes first, never while a caller holds
// pointers into it. Parallel workers build their own cache.
#pragma once

#include "pg/postgres.hpp"

namespace privacy::core {
class Ff1;
class Ff31;
class TokenFormat;
} // namespace privacy::core

namespace privacy::pg {

struct DataKey {
	int32 version;
	unsigned char *material; // sodium_malloc'd, wiped by sodium_free
	size_t material_len;
	core::Ff1 *ff1;
	core::Ff31 *ff31; // built on first use
	DataKey *next;
};

struct KeyRing {
	char *name;
	DataKey *versions; // all versions, newest first
	DataKey *newest;
	DataKey *oldest;
	DataKey *by_slot[9];  // a version of each card version slot (version - 1) mod 9, or NULL
	int slot_versions[9]; // how many live versions share the slot (more than 1: only in
	                      // databases rotated past 9 versions before 0.2.0; such slots are refused)
	KeyRing *next;
};

struct FormatEntry {
	char *name;
	char *key_name;
	bool builtin;
	int32 key_version; // privacy._token_format_version: the version a non-card format uses, 0: the
	                   // key's oldest
	core::TokenFormat *format;
	FormatEntry *next;
};

// InitTokenization registers the key cache invalidation callback and the
// audit transaction callback; called once from _PG_init.
void InitTokenization();

// BeginKeyLookup resets a stale cache; call it before taking pointers into
// the cache. Returns the cache generation (changes on every reset).
uint64 BeginKeyLookup();

// KeyCacheUsable reports whether pointers taken under generation are still
// valid and current.
bool KeyCacheUsable(uint64 generation);

// LookupKeyRing returns the key ring of name, loading and unwrapping it;
// raises 42704 when the key does not exist.
KeyRing *LookupKeyRing(const char *name);

// FindVersion returns version of ring, or NULL.
DataKey *FindVersion(KeyRing *ring, int32 version);

// ConstructFf31 builds key->ff31 when needed.
core::Ff31 *KeyFf31(DataKey *key);

// LookupFormat returns the token format name; raises 42704 when unknown.
FormatEntry *LookupFormat(const char *name);

// IsFormatTweak reports whether a token format of key key_name uses tweak
// (its name) as its FF1 tweak.
bool IsFormatTweak(const char *key_name, const uint8 *tweak, size_t tweak_len);

// MayDetokenize reports whether the current user may detokenize format.
bool MayDetokenize(const char *format);

// InvalidateKeyCache sends relcache invalidations for the key tables (every
// backend resets its cache after the transaction commits).
void InvalidateKeyCache();

} // namespace privacy::pg
