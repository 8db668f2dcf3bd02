// masking.cpp: SQL wrappers of the core masking functions.
//
// Masks never fail because of their data: core redacts malformed input. The
// wrappers only unpack arguments, call core, and copy the result into a
// palloc'd text. Argument errors (not data errors) come from core with a
// SQLSTATE and a static message.
#include "pg/boundary/boundary.hpp"
#include "privacy/core/mask.hpp"

extern "C" {
#include "utils/builtins.h"
}

namespace {

// RedactImpl returns the fixed redaction text whatever the input.
Datum
RedactImpl(FunctionCallInfo fcinfo) {
	std::string_view redacted = privacy::core::RedactedText();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(redacted.data(), (int)redacted.size()));
}

} // namespace

PRIVACY_FUNCTION(redact, RedactImpl)
