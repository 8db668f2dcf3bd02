// boundary_probe.cpp: superuser-only SQL functions that exercise the error
// boundary in both directions, for sql/boundary_errors.sql. They are part of
// the extension (revoked from PUBLIC) so the tests run against the real
// library, not a test build.
#include "pg/boundary/boundary.hpp"
#include "privacy/core/boundary_probe.hpp"

#include <string>

extern "C" {
#include "utils/builtins.h"
}

namespace {

// ThrowImpl throws a C++ exception of the requested kind from core.
Datum
ThrowImpl(FunctionCallInfo fcinfo) {
	const char *what = text_to_cstring(PG_GETARG_TEXT_PP(0));
	privacy::core::probe::ThrowNamed(what);
}

// ParseInt4WithLiveObject calls int4in through CallPg while a C++ object with
// a destructor is alive in this frame. If int4in raises, the ERROR must come
// back as a C++ exception, unwind this frame (destroying `guard`) and be
// re-raised by CallCore with its own SQLSTATE.
Datum
ParseInt4WithLiveObject(const char *input) {
	privacy::core::probe::Tracked guard;
	std::string copy(input); // more live C++ state across the PostgreSQL call
	return privacy::pg::CallPg(
	        [&] { return DirectFunctionCall1(int4in, CStringGetDatum(copy.c_str())); });
}

// PgErrorImpl parses its argument as int4 through the guarded path.
Datum
PgErrorImpl(FunctionCallInfo fcinfo) {
	const char *input = text_to_cstring(PG_GETARG_TEXT_PP(0));
	return ParseInt4WithLiveObject(input);
}

// LiveObjectsImpl returns how many probe objects are alive in this backend.
Datum
LiveObjectsImpl(FunctionCallInfo fcinfo) {
	PG_RETURN_INT64(privacy::core::probe::LiveCount());
}

} // namespace

PRIVACY_FUNCTION(_boundary_throw, ThrowImpl)
PRIVACY_FUNCTION(_boundary_pg_error, PgErrorImpl)
PRIVACY_FUNCTION(_boundary_live_objects, LiveObjectsImpl)
