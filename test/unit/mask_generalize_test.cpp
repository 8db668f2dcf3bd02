// mask_generalize_test.cpp: IP truncation and generalization of integers, doubles, dates and
// timestamps.
//
// Proves: buckets always hold their value and have the requested width, also at INT64_MIN/INT64_MAX
// and INT32 extremes (no overflow under UBSan); calendar buckets start on the right day (ISO weeks
// on Monday, quarters, decades); civil-date conversion round-trips; argument errors raise
// kInvalidParameter without echoing values.
#include "privacy/core/error.hpp"
#include "privacy/core/mask.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace {

using privacy::core::DateUnit;
using privacy::core::Error;
using privacy::core::ErrorKind;
namespace core = privacy::core;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr DateUnit kAllUnits[] = {DateUnit::kDay,     DateUnit::kWeek, DateUnit::kMonth,
                                  DateUnit::kQuarter, DateUnit::kYear, DateUnit::kDecade};

// ExpectInvalidParameter asserts that fn throws Error{kInvalidParameter}.
template <typename Fn>
void
ExpectInvalidParameter(Fn fn) {
	try {
		fn();
		ADD_FAILURE() << "no error raised";
	} catch (const Error &error) {
		EXPECT_EQ(error.kind(), ErrorKind::kInvalidParameter);
	}
}

// ----- IP
// -------------------------------------------------------------------------------------------------

TEST(MaskIp, ZeroesHostBitsOfIpv4) {
	std::uint8_t address[4] = {192, 168, 10, 77};
	core::ZeroHostBits(address, 4, core::kDefaultIpv4PrefixBits);
	EXPECT_EQ(address[0], 192);
	EXPECT_EQ(address[1], 168);
	EXPECT_EQ(address[2], 10);
	EXPECT_EQ(address[3], 0);

	std::uint8_t partial[4] = {192, 168, 0xAF, 77};
	core::ZeroHostBits(partial, 4, 20);
	EXPECT_EQ(partial[2], 0xA0);
	EXPECT_EQ(partial[3], 0);

	std::uint8_t full[4] = {10, 1, 2, 3};
	core::ZeroHostBits(full, 4, 32);
	EXPECT_EQ(full[3], 3);
	core::ZeroHostBits(full, 4, 0);
	EXPECT_EQ(full[0] | full[1] | full[2] | full[3], 0);
}

TEST(MaskIp, ZeroesHostBitsOfIpv6ForEveryPrefix) {
	for (int bits = 0; bits <= 128; bits++) {
		std::uint8_t address[16];
		for (auto &byte : address)
			byte = 0xFF;
		core::ZeroHostBits(address, 16, bits);
		int set = 0;
		for (int bit = 0; bit < 128; bit++) {
			bool on = (address[bit / 8] >> (7 - bit % 8)) & 1;
			EXPECT_EQ(on, bit < bits) << bits << " " << bit;
			set += on;
		}
		EXPECT_EQ(set, bits);
	}
	std::uint8_t address[16] = {0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0x12, 0x34,
	                            1,    2,    3,    4,    5,    6,    7,    8};
	core::ZeroHostBits(address, 16, core::kDefaultIpv6PrefixBits);
	EXPECT_EQ(address[5], 0xa3);
	EXPECT_EQ(address[6], 0);
	EXPECT_EQ(address[15], 0);
}

TEST(MaskIp, RejectsBadPrefixesAndLengths) {
	std::uint8_t address[16] = {};
	ExpectInvalidParameter([&] { core::ZeroHostBits(address, 4, 33); });
	ExpectInvalidParameter([&] { core::ZeroHostBits(address, 4, -1); });
	ExpectInvalidParameter([&] { core::ZeroHostBits(address, 16, 129); });
	ExpectInvalidParameter([&] { core::ZeroHostBits(address, 5, 8); });
	ExpectInvalidParameter([&] { core::ZeroHostBits(address, 0, 0); });
}

// ----- integers
// ------------------------------------------------------------------------------------------------

TEST(MaskGeneralizeInt, BucketsByFloorDivision) {
	auto bucket = core::GeneralizeInt64(17, 10);
	EXPECT_EQ(bucket.lo, 10);
	EXPECT_EQ(bucket.hi, 20);
	EXPECT_FALSE(bucket.upper_unbounded);
	bucket = core::GeneralizeInt64(-1, 10);
	EXPECT_EQ(bucket.lo, -10);
	EXPECT_EQ(bucket.hi, 0);
	bucket = core::GeneralizeInt64(-10, 10);
	EXPECT_EQ(bucket.lo, -10);
	EXPECT_EQ(bucket.hi, 0);
	bucket = core::GeneralizeInt64(0, 1);
	EXPECT_EQ(bucket.lo, 0);
	EXPECT_EQ(bucket.hi, 1);
}

TEST(MaskGeneralizeInt, ExtremesClampInsteadOfOverflowing) {
	auto low = core::GeneralizeInt64(kMin, 10);
	EXPECT_EQ(low.lo, kMin);
	EXPECT_EQ(low.hi, kMin + 8); // floor bucket [...-810, ...-800) clamped at INT64_MIN
	auto high = core::GeneralizeInt64(kMax, 10);
	EXPECT_EQ(high.lo, kMax - 7);
	EXPECT_TRUE(high.upper_unbounded);
	auto widest = core::GeneralizeInt64(kMin, kMax);
	EXPECT_EQ(widest.lo, kMin);
	auto top = core::GeneralizeInt64(kMax, kMax);
	EXPECT_EQ(top.lo, kMax);
	EXPECT_TRUE(top.upper_unbounded);
	auto just_fits = core::GeneralizeInt64(kMax - 1, kMax);
	EXPECT_EQ(just_fits.lo, 0);
	EXPECT_EQ(just_fits.hi, kMax);
	EXPECT_FALSE(just_fits.upper_unbounded);
}

TEST(MaskGeneralizeInt, RandomValuesStayInsideTheirBucket) {
	std::mt19937_64 random(42);
	for (int i = 0; i < 200000; i++) {
		auto value = static_cast<std::int64_t>(random());
		std::int64_t width = static_cast<std::int64_t>(random() >> (random() % 63 + 1)) | 1;
		if (i % 3 == 0)
			width = static_cast<std::int64_t>(random() % 1000) + 1;
		auto bucket = core::GeneralizeInt64(value, width);
		ASSERT_LE(bucket.lo, value);
		ASSERT_TRUE(bucket.upper_unbounded || value < bucket.hi);
		if (!bucket.upper_unbounded && bucket.lo != kMin) {
			ASSERT_EQ(static_cast<__int128>(bucket.hi) - bucket.lo, width);
		}
	}
}

TEST(MaskGeneralizeInt, WidthMustBePositive) {
	ExpectInvalidParameter([] { core::GeneralizeInt64(5, 0); });
	ExpectInvalidParameter([] { core::GeneralizeInt64(5, -10); });
	ExpectInvalidParameter([] { core::GeneralizeInt64(5, kMin); });
}

// ----- doubles
// -------------------------------------------------------------------------------------------------

TEST(MaskGeneralizeDouble, BucketsAndNonFinite) {
	auto bucket = core::GeneralizeDouble(17.5, 10.0);
	EXPECT_EQ(bucket.lo, 10.0);
	EXPECT_EQ(bucket.hi, 20.0);
	bucket = core::GeneralizeDouble(-0.5, 1.0);
	EXPECT_EQ(bucket.lo, -1.0);
	EXPECT_EQ(bucket.hi, 0.0);
	for (double odd : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
		bucket = core::GeneralizeDouble(odd, 10.0);
		EXPECT_EQ(bucket.lo, -HUGE_VAL);
		EXPECT_EQ(bucket.hi, HUGE_VAL);
	}
	bucket = core::GeneralizeDouble(1e300, 1e-300);
	EXPECT_LE(bucket.lo, 1e300);
	EXPECT_LT(1e300, bucket.hi);
	bucket = core::GeneralizeDouble(1.7e308, 1e308);
	EXPECT_LE(bucket.lo, 1.7e308);
	EXPECT_LT(1.7e308, bucket.hi);
}

TEST(MaskGeneralizeDouble, WidthMustBePositiveAndFinite) {
	ExpectInvalidParameter([] { core::GeneralizeDouble(1.0, 0.0); });
	ExpectInvalidParameter([] { core::GeneralizeDouble(1.0, -1.0); });
	ExpectInvalidParameter([] { core::GeneralizeDouble(1.0, std::nan("")); });
	ExpectInvalidParameter([] { core::GeneralizeDouble(1.0, HUGE_VAL); });
}

// ----- dates
// -------------------------------------------------------------------------------------------------

TEST(MaskCivilDate, KnownDatesAndRoundTrip) {
	EXPECT_EQ(core::DaysFromCivil({1970, 1, 1}), 0);
	EXPECT_EQ(core::DaysFromCivil({2000, 1, 1}), core::kPostgresEpochDays);
	EXPECT_EQ(core::DaysFromCivil({2024, 2, 29}), 19782);
	EXPECT_EQ(core::DaysFromCivil({1, 1, 1}), -719162);
	EXPECT_EQ(core::DaysFromCivil({1969, 12, 31}), -1);
	for (std::int64_t days = -800000; days <= 800000; days += 7) {
		core::CivilDate date = core::CivilFromDays(days);
		ASSERT_EQ(core::DaysFromCivil(date), days);
		ASSERT_GE(date.month, 1);
		ASSERT_LE(date.month, 12);
		ASSERT_GE(date.day, 1);
		ASSERT_LE(date.day, 31);
	}
	core::CivilDate leap = core::CivilFromDays(19782);
	EXPECT_EQ(leap.year, 2024);
	EXPECT_EQ(leap.month, 2);
	EXPECT_EQ(leap.day, 29);
}

TEST(MaskGeneralizeDate, CalendarBuckets) {
	const std::int32_t may17 = 19860; // 2024-05-17, a Friday
	auto bucket = core::GeneralizeDate(may17, DateUnit::kDay);
	EXPECT_EQ(bucket.start, 19860);
	EXPECT_EQ(bucket.end, 19861);
	bucket = core::GeneralizeDate(may17, DateUnit::kWeek);
	EXPECT_EQ(bucket.start, 19856); // Monday 2024-05-13
	EXPECT_EQ(bucket.end, 19863);
	bucket = core::GeneralizeDate(may17, DateUnit::kMonth);
	EXPECT_EQ(bucket.start, 19844);
	EXPECT_EQ(bucket.end, 19875);
	bucket = core::GeneralizeDate(may17, DateUnit::kQuarter);
	EXPECT_EQ(bucket.start, 19814);
	EXPECT_EQ(bucket.end, 19905);
	bucket = core::GeneralizeDate(may17, DateUnit::kYear);
	EXPECT_EQ(bucket.start, 19723);
	EXPECT_EQ(bucket.end, 20089);
	bucket = core::GeneralizeDate(may17, DateUnit::kDecade);
	EXPECT_EQ(bucket.start, 18262);
	EXPECT_EQ(bucket.end, 21915);
	// December rolls into the next year for month and quarter.
	bucket = core::GeneralizeDate(19722, DateUnit::kMonth); // 2023-12-31
	EXPECT_EQ(bucket.end, 19723);
	bucket = core::GeneralizeDate(19722, DateUnit::kQuarter);
	EXPECT_EQ(bucket.start, 19631); // 2023-10-01
	EXPECT_EQ(bucket.end, 19723);
	// Before the epoch: 1969-12-31 is a Wednesday, its week starts Monday 1969-12-29.
	bucket = core::GeneralizeDate(-1, DateUnit::kWeek);
	EXPECT_EQ(bucket.start, -3);
	bucket = core::GeneralizeDate(-1, DateUnit::kDecade);
	EXPECT_EQ(bucket.start, -3653); // 1960-01-01
	EXPECT_EQ(bucket.end, 0);
}

TEST(MaskGeneralizeDate, NegativeYearsUseFloorDecades) {
	std::int64_t year_minus_5 = core::DaysFromCivil({-5, 6, 1});
	auto bucket = core::GeneralizeDate(static_cast<std::int32_t>(year_minus_5), DateUnit::kDecade);
	EXPECT_EQ(bucket.start, core::DaysFromCivil({-10, 1, 1}));
	EXPECT_EQ(bucket.end, core::DaysFromCivil({0, 1, 1}));
}

TEST(MaskGeneralizeDate, EveryInt32DayLandsInItsBucket) {
	std::mt19937 random(7);
	std::vector<std::int32_t> days = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX};
	for (int i = 0; i < 20000; i++)
		days.push_back(static_cast<std::int32_t>(random()));
	for (std::int32_t day : days) {
		for (DateUnit unit : kAllUnits) {
			auto bucket = core::GeneralizeDate(day, unit);
			ASSERT_LE(bucket.start, day);
			ASSERT_LT(day, bucket.end);
			ASSERT_LE(bucket.end - bucket.start, 3653);
			core::CivilDate start = core::CivilFromDays(bucket.start);
			if (unit == DateUnit::kMonth || unit == DateUnit::kQuarter || unit == DateUnit::kYear ||
			    unit == DateUnit::kDecade) {
				ASSERT_EQ(start.day, 1);
			}
			if (unit == DateUnit::kYear || unit == DateUnit::kDecade) {
				ASSERT_EQ(start.month, 1);
			}
		}
	}
}

TEST(MaskGeneralizeDate, ParsesUnits) {
	EXPECT_EQ(core::ParseDateUnit("day"), DateUnit::kDay);
	EXPECT_EQ(core::ParseDateUnit("WEEK"), DateUnit::kWeek);
	EXPECT_EQ(core::ParseDateUnit("Month"), DateUnit::kMonth);
	EXPECT_EQ(core::ParseDateUnit("quarter"), DateUnit::kQuarter);
	EXPECT_EQ(core::ParseDateUnit("year"), DateUnit::kYear);
	EXPECT_EQ(core::ParseDateUnit("decade"), DateUnit::kDecade);
	for (std::string_view bad : {"", "days", "hour", "century", "mon", "year ", "y\xC3\xA9"})
		ExpectInvalidParameter([&] { core::ParseDateUnit(bad); });
}

TEST(MaskGeneralizeTimestamp, BucketsAndSaturation) {
	const std::int64_t may17_1345 = 19860 * core::kMicrosPerDay + (13 * 3600 + 45 * 60) * 1000000LL;
	auto bucket = core::GeneralizeTimestamp(may17_1345, DateUnit::kDay);
	EXPECT_EQ(bucket.start, 19860 * core::kMicrosPerDay);
	EXPECT_EQ(bucket.end, 19861 * core::kMicrosPerDay);
	bucket = core::GeneralizeTimestamp(may17_1345, DateUnit::kMonth);
	EXPECT_EQ(bucket.start, 19844 * core::kMicrosPerDay);
	bucket = core::GeneralizeTimestamp(-1, DateUnit::kDay);
	EXPECT_EQ(bucket.start, -core::kMicrosPerDay);
	EXPECT_EQ(bucket.end, 0);
	for (std::int64_t micros : {kMin, kMin + 1, kMax - 1, kMax}) {
		for (DateUnit unit : kAllUnits) {
			bucket = core::GeneralizeTimestamp(micros, unit);
			EXPECT_LE(bucket.start, micros);
			EXPECT_TRUE(micros < bucket.end || bucket.end == kMax);
		}
	}
}

} // namespace
