// version.cpp: core initialisation and the versions of the linked crypto
// libraries. Must never be called from a static initializer.
#include "privacy/core/version.hpp"

#include "privacy/core/error.hpp"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <sodium.h>

namespace privacy::core {

// Initialize calls sodium_init, which is idempotent and thread-safe.
void
Initialize() {
	if (sodium_init() < 0)
		throw Error(ErrorKind::kInternal, "could not initialize libsodium");
}

// LibraryVersions reports the runtime (not compile-time) library versions.
std::string
LibraryVersions() {
	std::string out;
	out += OpenSSL_version(OPENSSL_VERSION);
	out += ", libsodium ";
	out += sodium_version_string();
	return out;
}

} // namespace privacy::core
