// masking_secret.hpp: the per-backend cache of the database's masking secret.
//
// The secret (32 random bytes, stored in privacy._masking_secret wrapped
// under the master key like the data keys) keys pseudonym, noise, shift_date
// and the fake_* functions. It is read with a direct heap scan, never SPI, so
// masked roles (who have no privilege on the table) can call keyed masks, and
// parallel workers read it themselves; unwrapping reads the master key. The
// cached copy lives in sodium_malloc'd memory and is wiped (sodium_memzero)
// whenever the table gets a relcache invalidation (rotation and re-wrapping
// send one). The secret is never printed: not in errors, notices, logs or
// views.
#pragma once

#include "pg/postgres.hpp"

#include "privacy/core/mask.hpp"

namespace privacy::pg {

// InitMaskingSecretCache registers the relcache invalidation callback.
// Called once from _PG_init.
void InitMaskingSecretCache();

// MaskingSecret returns the cached secret (core::kMaskKeyBytes bytes), loading
// it on first use. It calls PostgreSQL directly and may ereport (55000 when
// the row is missing or cannot be unwrapped; the master key's errors), so call it from a frame with
// no live C++ object. The pointer stays valid until the next invalidation is processed: use it
// before calling anything that may take a lock (detoast arguments first).
const std::uint8_t *MaskingSecret();

// InvalidateMaskingSecret sends a relcache invalidation for the secret table
// (delivered to every backend at commit, and to this one at the next command).
void InvalidateMaskingSecret();

// MaskingSecretTable returns the OID of privacy._masking_secret, or
// InvalidOid when the extension is not installed in this database.
Oid MaskingSecretTable();

} // namespace privacy::pg
