// version.hpp: library initialisation and version reporting for core.
#pragma once

#include "privacy/core/config.hpp"

#include <string>

namespace privacy::core {

// Initialize prepares the crypto libraries (sodium_init). Safe to call twice.
// Throws Error{kInternal} if libsodium cannot be initialised.
void Initialize();

// LibraryVersions describes the linked OpenSSL and libsodium versions, for
// privacy.version(). The string holds no secret.
std::string LibraryVersions();

} // namespace privacy::core
