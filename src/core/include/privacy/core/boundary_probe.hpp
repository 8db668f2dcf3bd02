// boundary_probe.hpp: objects used only to test the C++/PostgreSQL error
// boundary. A Tracked object counts live instances, so a test can prove that
// destructors ran (no longjmp skipped them) after an error crossed a frame
// holding one.
#pragma once

#include "privacy/core/config.hpp"

#include <string>

namespace privacy::core::probe {

class Tracked {
  public:
	Tracked() noexcept;
	~Tracked() noexcept;
	Tracked(const Tracked &) = delete;
	Tracked &operator=(const Tracked &) = delete;

  private:
	std::string payload_; // a non-trivial member: leaks if the destructor is skipped
};

// LiveCount returns the number of Tracked objects alive in this process.
long LiveCount() noexcept;

// ThrowCoreError throws the core Error kind named by `what`
// ("invalid_parameter", "out_of_range", "bad_alloc", "std_exception", "unknown").
// Unknown names throw Error{kInvalidParameter}.
[[noreturn]] void ThrowNamed(const std::string &what);

} // namespace privacy::core::probe
