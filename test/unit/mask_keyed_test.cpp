// mask_keyed_test.cpp: noise, shift_date and pseudonym (keyed derivations: SipHash subkeys,
// BLAKE2b).
//
// Proves: determinism per (value, key); key sensitivity; bounds (noise within +-ratio, shifts
// within +-max_days and never zero); saturation at the int64 extremes without UB; NaN/infinity
// pass-through; pseudonym length, alphabet, documented encoding (known-answer against libsodium
// directly) and domain separation; argument errors.
#include "privacy/core/error.hpp"
#include "privacy/core/mask.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <sodium.h>

namespace {

using privacy::core::Error;
using privacy::core::ErrorKind;
namespace core = privacy::core;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

class MaskKeyed : public testing::Test {
  protected:
	static void
	SetUpTestSuite() {
		ASSERT_GE(sodium_init(), 0);
	}

	void
	SetUp() override {
		for (std::size_t i = 0; i < core::kMaskKeyBytes; i++) {
			key_[i] = static_cast<std::uint8_t>(i * 7 + 1);
			other_key_[i] = key_[i];
		}
		other_key_[31] ^= 0x01; // one bit apart
	}

	std::string
	Pseudonym(std::string_view value, std::string_view domain,
	          const std::uint8_t *key = nullptr) const {
		std::string out;
		core::Pseudonym(value, domain, key != nullptr ? key : key_, out);
		return out;
	}

	std::uint8_t key_[core::kMaskKeyBytes];
	std::uint8_t other_key_[core::kMaskKeyBytes];
};

// ExpectInvalidParameter asserts that fn throws Error{kInvalidParameter} whose texts never contain
// canary.
template <typename Fn>
void
ExpectInvalidParameter(Fn fn, std::string_view canary) {
	try {
		fn();
		ADD_FAILURE() << "no error raised";
	} catch (const Error &error) {
		EXPECT_EQ(error.kind(), ErrorKind::kInvalidParameter);
		for (const char *text : {error.message(), error.detail(), error.hint()}) {
			if (text != nullptr) {
				EXPECT_EQ(std::string_view(text).find(canary), std::string_view::npos);
			}
		}
	}
}

// ----- noise
// -------------------------------------------------------------------------------------------------

TEST_F(MaskKeyed, NoiseInt64IsDeterministicAndBounded) {
	double min_r = 1;
	double max_r = -1;
	int changed = 0;
	for (std::int64_t value = 1000; value < 21000; value++) {
		std::int64_t noisy = core::NoiseInt64(value, 0.1, key_);
		ASSERT_EQ(noisy, core::NoiseInt64(value, 0.1, key_));
		double r = static_cast<double>(noisy - value) / static_cast<double>(value);
		ASSERT_LE(std::fabs(r), 0.1 + 1.0 / static_cast<double>(value));
		min_r = std::min(min_r, r);
		max_r = std::max(max_r, r);
		changed += noisy != value;
	}
	EXPECT_LT(min_r, -0.099);
	EXPECT_GT(max_r, 0.099);
	EXPECT_GT(changed, 19000);
}

TEST_F(MaskKeyed, NoiseDependsOnKeyAndRatio) {
	int differs_by_key = 0;
	int differs_by_ratio = 0;
	for (std::int64_t value = 100000; value < 100200; value++) {
		differs_by_key +=
		        core::NoiseInt64(value, 0.5, key_) != core::NoiseInt64(value, 0.5, other_key_);
		differs_by_ratio +=
		        core::NoiseInt64(value, 0.5, key_) != core::NoiseInt64(value, 0.25, key_);
	}
	EXPECT_GT(differs_by_key, 190);
	EXPECT_GT(differs_by_ratio, 190);
}

// The subkeys noise and shift derive from the secret are cached per thread: a secret changed in
// place (same buffer, as the glue's cache does on rotation) must derive new ones, and forgetting
// them changes no result.
TEST_F(MaskKeyed, SubkeyCacheFollowsTheKeyContents) {
	std::uint8_t buffer[core::kMaskKeyBytes];
	std::memcpy(buffer, key_, sizeof(buffer));
	std::vector<std::int64_t> before;
	for (std::int64_t value = 5000; value < 5100; value++)
		before.push_back(core::NoiseInt64(value, 0.5, buffer) +
		                 core::ShiftDays(static_cast<std::int32_t>(value), 365, buffer));
	std::memcpy(buffer, other_key_, sizeof(buffer));
	int differs = 0;
	for (std::int64_t value = 5000; value < 5100; value++)
		differs += before[static_cast<std::size_t>(value - 5000)] !=
		           core::NoiseInt64(value, 0.5, buffer) +
		                   core::ShiftDays(static_cast<std::int32_t>(value), 365, buffer);
	EXPECT_GT(differs, 95);
	std::memcpy(buffer, key_, sizeof(buffer));
	core::ForgetMaskSubkeys();
	for (std::int64_t value = 5000; value < 5100; value++)
		EXPECT_EQ(before[static_cast<std::size_t>(value - 5000)],
		          core::NoiseInt64(value, 0.5, buffer) +
		                  core::ShiftDays(static_cast<std::int32_t>(value), 365, buffer));
}

TEST_F(MaskKeyed, NoiseInt64SaturatesAtExtremes) {
	for (std::int64_t value : {kMin, kMin + 1, kMax, kMax - 1, kMax / 2, kMin / 2}) {
		for (double ratio : {10.0, 1.0, 0.5}) {
			std::int64_t noisy =
			        core::NoiseInt64(value, ratio, key_); // UBSan checks the arithmetic
			EXPECT_EQ(noisy, core::NoiseInt64(value, ratio, key_));
		}
	}
	EXPECT_EQ(core::NoiseInt64(0, 10.0, key_), 0);
	EXPECT_EQ(core::NoiseInt64(12345, 0.0, key_), 12345);
	EXPECT_EQ(core::NoiseInt64(kMax, 0.0, key_), kMax);
}

TEST_F(MaskKeyed, NoiseDoublePassesNonFiniteThroughAndStaysFinite) {
	EXPECT_TRUE(std::isnan(core::NoiseDouble(std::nan(""), 0.5, key_)));
	EXPECT_EQ(core::NoiseDouble(HUGE_VAL, 0.5, key_), HUGE_VAL);
	EXPECT_EQ(core::NoiseDouble(-HUGE_VAL, 0.5, key_), -HUGE_VAL);
	EXPECT_TRUE(std::isfinite(core::NoiseDouble(DBL_MAX, 10.0, key_)));
	EXPECT_TRUE(std::isfinite(core::NoiseDouble(-DBL_MAX, 10.0, key_)));
	EXPECT_EQ(core::NoiseDouble(0.0, 1.0, key_), 0.0);
	for (double value = 1.5; value < 1e12; value *= 3.7) {
		double noisy = core::NoiseDouble(value, 0.2, key_);
		EXPECT_EQ(noisy, core::NoiseDouble(value, 0.2, key_));
		EXPECT_LE(std::fabs(noisy - value), 0.2 * value * (1 + 1e-12));
		EXPECT_NE(noisy, core::NoiseDouble(value, 0.2, other_key_));
	}
}

TEST_F(MaskKeyed, NoiseRatioIsChecked) {
	for (double ratio : {-0.01, 10.01, 1e300, std::nan(""), HUGE_VAL, -HUGE_VAL}) {
		ExpectInvalidParameter([&] { core::NoiseInt64(987654321, ratio, key_); }, "987654321");
		ExpectInvalidParameter([&] { core::NoiseDouble(987654321.0, ratio, key_); }, "987654321");
	}
	EXPECT_NO_THROW(core::NoiseInt64(5, 10.0, key_));
	EXPECT_NO_THROW(core::NoiseDouble(5, 0.0, key_));
}

// ----- shift_date
// ----------------------------------------------------------------------------------------------

TEST_F(MaskKeyed, ShiftDaysIsBoundedNonZeroAndDeterministic) {
	std::set<std::int64_t> offsets;
	for (std::int32_t day = 19000; day < 29000; day++) {
		std::int64_t shifted = core::ShiftDays(day, 30, key_);
		ASSERT_EQ(shifted, core::ShiftDays(day, 30, key_));
		std::int64_t offset = shifted - day;
		ASSERT_NE(offset, 0);
		ASSERT_GE(offset, -30);
		ASSERT_LE(offset, 30);
		offsets.insert(offset);
	}
	EXPECT_EQ(offsets.size(), 60u); // every non-zero offset is reachable
	for (std::int32_t day = 0; day < 2000; day++) {
		std::int64_t offset = core::ShiftDays(day, 1, key_) - day;
		ASSERT_TRUE(offset == -1 || offset == 1);
	}
}

TEST_F(MaskKeyed, ShiftDaysEdgeCases) {
	EXPECT_EQ(core::ShiftDays(12345, 0, key_), 12345);
	for (std::int32_t day : {INT32_MIN, INT32_MAX}) {
		std::int64_t shifted = core::ShiftDays(day, core::kMaxShiftDays, key_);
		EXPECT_LE(std::llabs(shifted - day), core::kMaxShiftDays);
	}
	int differs = 0;
	for (std::int32_t day = 0; day < 100; day++)
		differs += core::ShiftDays(day, 365, key_) != core::ShiftDays(day, 365, other_key_);
	EXPECT_GT(differs, 95);
	for (std::int64_t max_days : {std::int64_t{-1}, core::kMaxShiftDays + 1, kMax, kMin})
		ExpectInvalidParameter([&] { core::ShiftDays(424242, max_days, key_); }, "424242");
}

TEST_F(MaskKeyed, ShiftTimestampIsBoundedAndSaturates) {
	const std::int64_t limit = 7 * core::kMicrosPerDay;
	std::set<std::int64_t> seconds_of_day;
	for (std::int64_t i = 0; i < 5000; i++) {
		std::int64_t micros = 1700000000000000LL + i * 1000003;
		std::int64_t shifted = core::ShiftTimestamp(micros, 7, key_);
		ASSERT_EQ(shifted, core::ShiftTimestamp(micros, 7, key_));
		ASSERT_NE(shifted, micros);
		ASSERT_LE(std::llabs(shifted - micros), limit);
		seconds_of_day.insert((shifted / 1000000) % 86400);
	}
	EXPECT_GT(seconds_of_day.size(), 4500u); // the time of day is shifted too
	EXPECT_EQ(core::ShiftTimestamp(99, 0, key_), 99);
	for (std::int64_t micros : {kMin, kMin + 1, kMax, kMax - 1}) {
		std::int64_t shifted = core::ShiftTimestamp(micros, core::kMaxShiftDays, key_);
		EXPECT_EQ(shifted, core::ShiftTimestamp(micros, core::kMaxShiftDays, key_));
	}
	ExpectInvalidParameter([&] { core::ShiftTimestamp(1, -5, key_); }, "-5");
	ExpectInvalidParameter([&] { core::ShiftTimestamp(1, 36501, key_); }, "36501");
}

TEST_F(MaskKeyed, ShiftTimestampOffsetIsTheShiftAndStaysBoundedEverywhere) {
	// the offset is what ShiftTimestamp adds wherever nothing saturates
	for (std::int64_t micros :
	     {std::int64_t{0}, std::int64_t{1700000000000000LL}, std::int64_t{-5}}) {
		EXPECT_EQ(core::ShiftTimestamp(micros, 30, key_) - micros,
		          core::ShiftTimestampOffset(static_cast<std::uint64_t>(micros), 30, key_));
	}
	// keyed on wrapped bits, near the int64 limits too: distinct inputs keep
	// distinct, bounded, non-zero offsets instead of collapsing onto one
	const std::int64_t limit = core::kMaxShiftDays * core::kMicrosPerDay;
	std::set<std::int64_t> offsets;
	for (std::int64_t i = 0; i < 1000; i++) {
		std::uint64_t bits =
		        static_cast<std::uint64_t>(kMax) + static_cast<std::uint64_t>(i) * 86400000000ULL;
		std::int64_t offset = core::ShiftTimestampOffset(bits, core::kMaxShiftDays, key_);
		ASSERT_NE(offset, 0);
		ASSERT_LE(std::llabs(offset), limit);
		offsets.insert(offset);
	}
	EXPECT_GT(offsets.size(), 990u);
	EXPECT_EQ(core::ShiftTimestampOffset(99, 0, key_), 0);
}

// ----- pseudonym
// -----------------------------------------------------------------------------------------------

TEST_F(MaskKeyed, PseudonymHasFixedLengthAndAlphabet) {
	for (std::string_view value :
	     {"", "a", "Zoë", "日本語", "😀", "\xFF\xFE invalid", "alice@example.com"}) {
		std::string out = Pseudonym(value, "");
		ASSERT_EQ(out.size(), core::kPseudonymLength);
		for (char c : out)
			EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << out;
		EXPECT_EQ(out, Pseudonym(value, ""));
		EXPECT_NE(out, Pseudonym(value, "", other_key_));
	}
	std::string huge(1 << 20, 'x');
	EXPECT_EQ(Pseudonym(huge, "").size(), core::kPseudonymLength);
	EXPECT_NE(Pseudonym(huge, ""), Pseudonym(huge + "x", ""));
}

TEST_F(MaskKeyed, PseudonymSeparatesDomains) {
	EXPECT_NE(Pseudonym("bc", "a"), Pseudonym("c", "ab"));
	EXPECT_NE(Pseudonym("alice", "hr"), Pseudonym("alice", "sales"));
	EXPECT_NE(Pseudonym("alice", ""), Pseudonym("alice", " "));
	EXPECT_NE(Pseudonym("", "alice"), Pseudonym("alice", ""));
	std::set<std::string> seen;
	for (int i = 0; i < 10000; i++)
		seen.insert(Pseudonym(std::to_string(i), "customers"));
	EXPECT_EQ(seen.size(), 10000u);
}

TEST_F(MaskKeyed, PseudonymMatchesTheDocumentedEncoding) {
	// BLAKE2b-128 keyed with the secret over u64le(len(tag)) tag u64le(len(domain)) domain value,
	// then base32.
	auto u64le = [](std::uint64_t v) {
		std::string bytes(8, '\0');
		for (int i = 0; i < 8; i++)
			bytes[i] = static_cast<char>(v >> (8 * i));
		return bytes;
	};
	const std::string tag = "pg_privacy/pseudonym/v1";
	const std::string domain = "crm";
	const std::string value = "alice@example.com";
	std::string message = u64le(tag.size()) + tag + u64le(domain.size()) + domain + value;
	unsigned char digest[16];
	crypto_generichash(digest, sizeof(digest),
	                   reinterpret_cast<const unsigned char *>(message.data()), message.size(),
	                   key_, core::kMaskKeyBytes);
	const char *alphabet = "abcdefghijklmnopqrstuvwxyz234567";
	std::string expected;
	for (std::size_t bit = 0; bit < 128; bit += 5) {
		unsigned index = 0;
		for (std::size_t j = 0; j < 5; j++) {
			std::size_t b = bit + j;
			unsigned on = b < 128 ? (digest[b / 8] >> (7 - b % 8)) & 1u : 0u;
			index = (index << 1) | on;
		}
		expected.push_back(alphabet[index]);
	}
	EXPECT_EQ(Pseudonym(value, domain), expected);
}

} // namespace
