// error.hpp: the one exception type core code throws.
//
// Invariant: an Error carries only static strings (string literals), never a
// runtime value, so no protected value, key or plaintext can reach an error
// message through core. The glue maps ErrorKind to a SQLSTATE in exactly one
// table (src/pg/boundary/boundary.cpp).
#pragma once

#include "privacy/core/config.hpp"

#include <exception>

namespace privacy::core {

enum class ErrorKind {
	kInvalidParameter,          // 22023
	kInvalidTextRepresentation, // 22P02
	kNullValueNotAllowed,       // 22004
	kNumericOutOfRange,         // 22003
	kStringDataRightTruncation, // 22001
	kInsufficientPrivilege,     // 42501
	kUndefinedObject,           // 42704
	kDuplicateObject,           // 42710
	kPrerequisiteState,         // 55000
	kConfigFile,                // F0000
	kExternalRoutine,           // 38000
	kFeatureNotSupported,       // 0A000
	kCancelled,                 // 57014
	kInternal,                  // XX000
};

class Error : public std::exception {
  public:
	// message/detail/hint must be string literals (static storage).
	Error(ErrorKind kind, const char *message, const char *detail = nullptr,
	      const char *hint = nullptr) noexcept
	    : kind_(kind), message_(message), detail_(detail), hint_(hint) {
	}

	const char *
	what() const noexcept override {
		return message_;
	}
	ErrorKind
	kind() const noexcept {
		return kind_;
	}
	const char *
	message() const noexcept {
		return message_;
	}
	const char *
	detail() const noexcept {
		return detail_;
	}
	const char *
	hint() const noexcept {
		return hint_;
	}

  private:
	ErrorKind kind_;
	const char *message_;
	const char *detail_;
	const char *hint_;
};

// Cancellation: long core loops poll a callback that the glue implements by
// reading InterruptPending (never longjmp). When it returns true core throws
// Error{kCancelled}; glue then calls CHECK_FOR_INTERRUPTS after the boundary.
using CancelCheck = bool (*)() noexcept;

} // namespace privacy::core
