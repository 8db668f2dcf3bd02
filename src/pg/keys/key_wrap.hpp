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
unsigned char *UnwrapDataKey(const char *name, int32 version, const bytea *wrapped, const unsigned char *master,
                             size_t *len);

} // namespace privacy::pg
