// boundary_probe_test.cpp: the core half of the error-boundary contract:
// core throws only privacy::core::Error (or std exceptions from the library),
// messages are static, and unwinding destroys live objects.
#include "privacy/core/boundary_probe.hpp"
#include "privacy/core/error.hpp"
#include "privacy/core/version.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <new>
#include <stdexcept>

namespace probe = privacy::core::probe;
using privacy::core::Error;
using privacy::core::ErrorKind;

TEST(BoundaryProbe, CoreErrorsCarryKindAndStaticText) {
	try {
		probe::ThrowNamed("invalid_parameter");
		FAIL() << "no exception";
	} catch (const Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidParameter);
		EXPECT_STREQ(e.message(), "probe: invalid parameter");
		ASSERT_NE(e.detail(), nullptr);
		ASSERT_NE(e.hint(), nullptr);
	}
	try {
		probe::ThrowNamed("out_of_range");
		FAIL() << "no exception";
	} catch (const Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kNumericOutOfRange);
		EXPECT_EQ(e.detail(), nullptr);
	}
}

TEST(BoundaryProbe, OtherExceptionTypes) {
	EXPECT_THROW(probe::ThrowNamed("bad_alloc"), std::bad_alloc);
	EXPECT_THROW(probe::ThrowNamed("std_exception"), std::runtime_error);
	EXPECT_THROW(probe::ThrowNamed("unknown"), int);
}

TEST(BoundaryProbe, UnknownNameIsNotEchoed) {
	const char *secret = "CANARY-"
	                     "DEADBEEF";
	try {
		probe::ThrowNamed(secret);
		FAIL() << "no exception";
	} catch (const Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidParameter);
		EXPECT_EQ(std::strstr(e.message(), "DEADBEEF"), nullptr);
	}
}

TEST(BoundaryProbe, UnwindingDestroysLiveObjects) {
	const long before = probe::LiveCount();
	for (const char *what : {"invalid_parameter", "bad_alloc", "std_exception", "unknown"}) {
		try {
			probe::ThrowNamed(what);
		} catch (...) {
		}
		EXPECT_EQ(probe::LiveCount(), before) << what;
	}
	{
		probe::Tracked a;
		probe::Tracked b;
		EXPECT_EQ(probe::LiveCount(), before + 2);
	}
	EXPECT_EQ(probe::LiveCount(), before);
}

TEST(Version, InitializeIsIdempotentAndVersionsNameBothLibraries) {
	privacy::core::Initialize();
	privacy::core::Initialize();
	const std::string v = privacy::core::LibraryVersions();
	EXPECT_NE(v.find("OpenSSL 3."), std::string::npos) << v;
	EXPECT_NE(v.find("libsodium "), std::string::npos) << v;
}
