// version.cpp: privacy.version(), the end-to-end proof that SQL reaches the
// glue, the glue reaches core, and core reaches OpenSSL and libsodium.
#include "pg/boundary/boundary.hpp"
#include "pg/module.hpp"
#include "privacy/core/version.hpp"

#include <string>

extern "C" {
#include "utils/builtins.h"
}

#ifndef PRIVACY_EXTVERSION
#error "PRIVACY_EXTVERSION must be defined by the build"
#endif

namespace {

// VersionImpl builds "pg_privacy X.Y.Z (preloaded|not preloaded), OpenSSL ..., libsodium ...".
Datum
VersionImpl(FunctionCallInfo fcinfo) {
	std::string description = "pg_privacy " PRIVACY_EXTVERSION;
	description += privacy::pg::LoadedViaPreload() ? " (preloaded), " : " (not preloaded), ";
	description += privacy::core::LibraryVersions();
	text *result = privacy::pg::CallPg(
	        [&] { return cstring_to_text_with_len(description.data(), (int)description.size()); });
	PG_RETURN_TEXT_P(result);
}

} // namespace

PRIVACY_FUNCTION(version, VersionImpl)
