// mask_saturation_test.cpp: noise and shift never wrap around at the limits of their integer
// representation (issue 13, class 6: a wrapped noise(9223372036854775806, 10) came out negative,
// and output + 2^63 gave the raw value back).
//
// Proves, for many values next to INT64_MIN/INT64_MAX (and DBL_MAX), every ratio and several keys:
// the result is the exact value * (1 + r) clamped to the representable range, so it never moves
// further from the value than ratio * |value| (a wrapped result would be about 2^64 away), and it
// never leaves the value's side of zero unless 1 + r itself is negative. Shifts stay within
// max_days of the value, clamped at the extremes.
#include "privacy/core/mask.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

#include <sodium.h>

namespace {

namespace core = privacy::core;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

class MaskSaturation : public testing::TestWithParam<int> {
  protected:
	static void
	SetUpTestSuite() {
		ASSERT_GE(sodium_init(), 0);
	}

	void
	SetUp() override {
		for (std::size_t i = 0; i < core::kMaskKeyBytes; i++)
			key_[i] = static_cast<std::uint8_t>(i * 13 + 5 + GetParam() * 31);
		core::ForgetMaskSubkeys();
	}

	std::uint8_t key_[core::kMaskKeyBytes];
};

// Distance returns |a - b| exactly (as long double, enough for a bound check on int64 values).
long double
Distance(std::int64_t a, std::int64_t b) {
	__int128 d = static_cast<__int128>(a) - static_cast<__int128>(b);
	return static_cast<long double>(d < 0 ? -d : d);
}

TEST_P(MaskSaturation, NoiseInt64NeverWraps) {
	int clamped_high = 0;
	int clamped_low = 0;
	for (double ratio : {10.0, 3.0, 1.0, 0.5, 0.01}) {
		for (std::int64_t i = 0; i < 2000; i++) {
			for (std::int64_t value :
			     {kMax - i, kMin + i, kMax / 2 + i * 7919, kMin / 2 - i * 7919}) {
				std::int64_t noisy = core::NoiseInt64(value, ratio, key_);
				long double bound = ratio * std::fabs(static_cast<long double>(value)) + 1.0L;
				ASSERT_LE(Distance(noisy, value), bound)
				        << "value index " << i << " ratio " << ratio;
				// without a factor at or below zero (ratio < 1), the sign of the value is kept
				if (ratio < 1.0) {
					ASSERT_EQ(noisy > 0, value > 0) << "value index " << i << " ratio " << ratio;
				}
				clamped_high += noisy == kMax;
				clamped_low += noisy == kMin;
			}
		}
	}
	// near the limits, large ratios must hit the clamp (the case that used to wrap)
	EXPECT_GT(clamped_high, 0);
	EXPECT_GT(clamped_low, 0);
}

TEST_P(MaskSaturation, NoiseDoubleStaysFiniteAndBounded) {
	for (double ratio : {10.0, 1.0, 0.25}) {
		double value = DBL_MAX;
		for (int i = 0; i < 2000; i++, value = std::nextafter(value, 0.0)) {
			for (double v : {value, -value}) {
				double noisy = core::NoiseDouble(v, ratio, key_);
				ASSERT_TRUE(std::isfinite(noisy));
				ASSERT_LE(std::fabs(static_cast<long double>(noisy) - v),
				          ratio * std::fabs(static_cast<long double>(v)) * (1 + 1e-12L));
			}
		}
	}
}

TEST_P(MaskSaturation, ShiftTimestampClampsAtTheExtremes) {
	const long double limit = static_cast<long double>(core::kMaxShiftDays) * core::kMicrosPerDay;
	int clamped = 0;
	for (std::int64_t i = 0; i < 5000; i++) {
		for (std::int64_t micros : {kMax - i, kMin + i}) {
			std::int64_t shifted = core::ShiftTimestamp(micros, core::kMaxShiftDays, key_);
			ASSERT_LE(Distance(shifted, micros), limit);
			ASSERT_EQ(shifted > 0, micros > 0); // a wrap would flip the sign
			clamped += shifted == kMax || shifted == kMin;
		}
	}
	EXPECT_GT(clamped, 0);
}

TEST_P(MaskSaturation, ShiftDaysStaysWithinMaxDays) {
	for (std::int64_t i = 0; i < 5000; i++) {
		for (std::int32_t day :
		     {static_cast<std::int32_t>(INT32_MAX - i), static_cast<std::int32_t>(INT32_MIN + i)}) {
			std::int64_t shifted = core::ShiftDays(day, core::kMaxShiftDays, key_);
			ASSERT_LE(Distance(shifted, day), static_cast<long double>(core::kMaxShiftDays));
			ASSERT_NE(shifted, day);
		}
	}
}

INSTANTIATE_TEST_SUITE_P(Keys, MaskSaturation, testing::Range(0, 4));

} // namespace
