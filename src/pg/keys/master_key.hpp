// master_key.hpp: the master key, read from outside the database on demand.
#pragma once

#include <cstddef>

namespace privacy::pg {

inline constexpr std::size_t kMasterKeyBytes = 32;

// LoadMasterKey writes the 32-byte master key to key (which the caller wipes)
// from privacy.master_key_file or privacy.master_key_command. Raises 55000
// when neither is set or the file is missing, F0000 for a file with a bad
// owner, mode or content, 38000 when the command fails. Every error hides
// the statement; none contains key bytes.
void LoadMasterKey(unsigned char *key);

} // namespace privacy::pg
