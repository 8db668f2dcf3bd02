// boundary_probe.cpp: test helpers for the error boundary (see the header).
// Nothing here is reachable by non-superusers: the SQL wrappers are revoked
// from PUBLIC.
#include "privacy/core/boundary_probe.hpp"

#include "privacy/core/error.hpp"

#include <atomic>
#include <new>
#include <stdexcept>

namespace privacy::core::probe {

namespace {
std::atomic<long> live_count{0};
}

Tracked::Tracked() noexcept {
	live_count.fetch_add(1, std::memory_order_relaxed);
	try {
		payload_.assign(256, 'x');
	} catch (...) {
		// the payload only exists to make the object non-trivial
	}
}

Tracked::~Tracked() noexcept {
	live_count.fetch_sub(1, std::memory_order_relaxed);
}

long
LiveCount() noexcept {
	return live_count.load(std::memory_order_relaxed);
}

void
ThrowNamed(const std::string &what) {
	Tracked guard; // must be destroyed by unwinding before the error surfaces
	if (what == "invalid_parameter")
		throw Error(ErrorKind::kInvalidParameter, "probe: invalid parameter",
		            "Raised on purpose by a test.", "This is a test of the error boundary.");
	if (what == "out_of_range")
		throw Error(ErrorKind::kNumericOutOfRange, "probe: value out of range");
	if (what == "bad_alloc")
		throw std::bad_alloc();
	if (what == "std_exception")
		throw std::runtime_error("probe: a standard exception with a private message");
	if (what == "unknown")
		throw 42;
	throw Error(ErrorKind::kInvalidParameter, "probe: unknown probe name");
}

} // namespace privacy::core::probe
