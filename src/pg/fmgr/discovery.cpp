// discovery.cpp: value validators of privacy.discover() that need core:
// privacy._known_name(text), whether a sampled value starts with a first name
// (or is a first or last name) of the fake_* dictionaries.
//
// Never prints, logs or keeps the value it is given.
#include "pg/boundary/boundary.hpp"

#include "privacy/core/mask_dictionaries.hpp"

#include <string_view>

extern "C" {
#include "fmgr.h"
#include "utils/builtins.h"
}

namespace {

// KnownNameImpl implements privacy._known_name(text).
Datum
KnownNameImpl(FunctionCallInfo fcinfo) {
	text *value = PG_GETARG_TEXT_PP(0);
	std::string_view v(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
	PG_RETURN_BOOL(privacy::core::LooksLikeKnownName(v));
}

} // namespace

PRIVACY_FUNCTION(_known_name, KnownNameImpl)
