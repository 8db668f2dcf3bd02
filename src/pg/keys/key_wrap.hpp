// key_wrap.hpp: wrapping data keys under the master key (libsodium
// XChaCha20-Poly1305-IETF, key name and version bound as associated data).
#pragma once

#include "pg/postgres.hpp"

namespace privacy::pg {

// WrapDataKey returns a palloc'd bytea: 24-byte nonce || ciphertext of
// material[0..len) under master (32 bytes), bound to (name, version).
bytea *WrapDataKey(const char *name, int32 version, const unsigned char *material, size_t len,
                   const unsigned char *master);

// UnwrapDataKey returns the material in sodium_malloc'd memory (the caller
// frees it with sodium_free) and its length, or NULL when the wrapped key is
// malformed or does not authenticate under master for (name, version).
// Raises nothing.
unsigned char *UnwrapDataKey(const char *name, int32 version, const bytea *wrapped,
                             const unsigned char *master, size_t *len);

// kWrappedSecretBytes: the size of the wrapped masking secret (nonce, 32
// bytes of ciphertext, tag).
inline constexpr size_t kWrappedSecretBytes = 24 + 32 + 16;

// WrapMaskingSecret returns the 32-byte masking secret wrapped under master
// (associated data "pg_privacy masking secret"), palloc'd.
bytea *WrapMaskingSecret(const unsigned char *secret, const unsigned char *master);

// UnwrapMaskingSecret writes the secret (32 bytes) to out; false when wrapped
// does not authenticate under master (out then holds zeros). Raises nothing.
bool UnwrapMaskingSecret(const bytea *wrapped, const unsigned char *master, unsigned char *out);

// MasterKeys holds the master keys a job needs, in sodium_malloc'd memory,
// with their ids (see master_key.hpp). Plain data: it may live on a stack
// that PostgreSQL longjmps through, as long as FreeMasterKeys runs on the
// way out (the loaders below free what they hold when they raise).
struct MasterKeys {
	unsigned char *current;
	unsigned char *previous;
	char current_id[17];
	char previous_id[17]; // "" when no previous master key was loaded
};

// LoadCurrentMasterKey reads the configured master key into keys (zeroed by
// the caller first). Raises like AcquireMasterKey; keys then holds nothing.
void LoadCurrentMasterKey(MasterKeys *keys);

// LoadPreviousMasterKey also reads privacy.previous_master_key_*; when it
// raises, every key in keys is freed first. Does nothing when none is set.
void LoadPreviousMasterKey(MasterKeys *keys);

// FreeMasterKeys wipes and frees every key in keys.
void FreeMasterKeys(MasterKeys *keys);

// UnwrapStoredKey unwraps a data key row with the loaded master key whose id
// is stored_id (NULL, for keys wrapped before ids were recorded: the current
// key, then the previous one). Returns the material as UnwrapDataKey, or NULL.
unsigned char *UnwrapStoredKey(const MasterKeys *keys, const char *name, int32 version,
                               const bytea *wrapped, const char *stored_id, size_t *len);

// UnwrapStoredSecret likewise for the masking secret; false when it fails.
bool UnwrapStoredSecret(const MasterKeys *keys, const bytea *wrapped, const char *stored_id,
                        unsigned char *out);

// ReportUnwrapFailure raises 55000 for object (e.g. "data key \"k\" version
// 2"), which no loaded key of keys unwraps; call it after FreeMasterKeys (it
// reads only the ids). Names master key ids, never key bytes.
void ReportUnwrapFailure(const char *object, const char *stored_id, const MasterKeys *keys)
        pg_attribute_noreturn();

// MasterKeyFor returns the key of keys whose id is stored_id, NULL when it
// is not loaded (stored_id NULL: wrapped before 0.2.0 recorded ids, returns
// the current key).
const unsigned char *MasterKeyFor(const MasterKeys *keys, const char *stored_id);

} // namespace privacy::pg
