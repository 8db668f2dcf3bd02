// master_key.hpp: the master key (and the previous one during a master-key
// rotation), read from outside the database on demand; key material for
// import_key read from a file or a command the same way.
#pragma once

#include <cstddef>

namespace privacy::pg {

inline constexpr std::size_t kMasterKeyBytes = 32;
// a master key id: 16 hexadecimal characters and a NUL
inline constexpr std::size_t kMasterKeyIdChars = 16;

enum class MasterKeySlot {
	kCurrent,  // privacy.master_key_file / privacy.master_key_command: wraps and unwraps
	kPrevious, // privacy.previous_master_key_file / _command: only unwraps (rotation)
};

// MasterKeyConfigured reports whether a source for slot is set (it does not
// read it).
bool MasterKeyConfigured(MasterKeySlot slot);

// AcquireMasterKey returns the 32-byte master key of slot in sodium_malloc'd
// memory (guard pages, locked, excluded from core dumps); the caller frees it
// with sodium_free at once after use. Raises 55000 when no source is set or
// the file is missing, F0000 for a file with a bad owner, mode, type or
// content, or when both a file and a command are set, 38000 when the command
// fails or times out. Every error hides the statement and its context; none
// contains key bytes or command output. Nothing leaks on error.
unsigned char *AcquireMasterKey(MasterKeySlot slot);

// MasterKeyId writes the id of key (16 hex characters: the first 8 bytes of a
// BLAKE2b MAC of a fixed label under the key, which says nothing about the
// key) to id[0..16] and NUL-terminates it.
void MasterKeyId(const unsigned char *key, char id[kMasterKeyIdChars + 1]);

// ReadKeyMaterial reads data-key material for import_key from exactly one of
// file and command (the other NULL): 32, 48 or 64 hexadecimal characters
// (AES-128/192/256), optionally followed by whitespace. The file obeys the
// master key file's rules (regular file, owned by the server user, no group
// or world access); the command the master key command's (timeout, process
// group). Returns sodium_malloc'd memory and its length in *len. Raises as
// AcquireMasterKey, with 22023 for content of the wrong length.
unsigned char *ReadKeyMaterial(const char *file, const char *command, std::size_t *len);

} // namespace privacy::pg
