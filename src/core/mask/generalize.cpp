// generalize.cpp: generalization of numbers to [lo, hi) buckets and of dates/timestamps to calendar
// periods.
//
// Invariants: no signed overflow anywhere (floor division is done without computing value -
// remainder out of range, and timestamp bounds saturate); civil-date arithmetic uses Howard
// Hinnant's days_from_civil / civil_from_days algorithms on int64, exact for every int32 day count.
// Only argument checks throw.
#include "privacy/core/mask.hpp"

#include "privacy/core/error.hpp"

#include <cmath>
#include <limits>

namespace privacy::core {

namespace {

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// FloorDiv returns floor(a / b) for b > 0 without overflow.
inline std::int64_t
FloorDiv(std::int64_t a, std::int64_t b) noexcept {
	std::int64_t quotient = a / b;
	if ((a % b) < 0)
		quotient--;
	return quotient;
}

// FloorMod returns a - b * floor(a / b), in [0, b) for b > 0.
inline std::int64_t
FloorMod(std::int64_t a, std::int64_t b) noexcept {
	std::int64_t remainder = a % b;
	return remainder < 0 ? remainder + b : remainder;
}

// AsciiEqualsLower returns true when text equals lower (lower-case ASCII) ignoring ASCII case.
bool
AsciiEqualsLower(std::string_view text, std::string_view lower) noexcept {
	if (text.size() != lower.size())
		return false;
	for (std::size_t i = 0; i < text.size(); i++) {
		char c = text[i];
		if (c >= 'A' && c <= 'Z')
			c = static_cast<char>(c - 'A' + 'a');
		if (c != lower[i])
			return false;
	}
	return true;
}

// SaturatingDayMicros returns days * kMicrosPerDay clamped to the int64 range.
std::int64_t
SaturatingDayMicros(std::int64_t days) noexcept {
	__int128 product = static_cast<__int128>(days) * kMicrosPerDay;
	if (product > kInt64Max)
		return kInt64Max;
	if (product < kInt64Min)
		return kInt64Min;
	return static_cast<std::int64_t>(product);
}

// DateBucketOfDays returns the bucket of unit holding days; days must be far inside the int64 range
// (|days| below 10^14), which every caller guarantees.
DateBucket
DateBucketOfDays(std::int64_t days, DateUnit unit) noexcept {
	switch (unit) {
	case DateUnit::kDay:
		return {days, days + 1};
	case DateUnit::kWeek: {
		// 1970-01-01 was a Thursday: (days + 3) mod 7 is 0 on Mondays.
		std::int64_t start = days - FloorMod(days + 3, 7);
		return {start, start + 7};
	}
	default:
		break;
	}
	CivilDate date = CivilFromDays(days);
	CivilDate start{date.year, 1, 1};
	CivilDate end{date.year + 1, 1, 1};
	switch (unit) {
	case DateUnit::kMonth:
		start.month = date.month;
		end = date.month == 12 ? CivilDate{date.year + 1, 1, 1}
		                       : CivilDate{date.year, date.month + 1, 1};
		break;
	case DateUnit::kQuarter: {
		int first_month = ((date.month - 1) / 3) * 3 + 1;
		start.month = first_month;
		end = first_month == 10 ? CivilDate{date.year + 1, 1, 1}
		                        : CivilDate{date.year, first_month + 3, 1};
		break;
	}
	case DateUnit::kDecade:
		start.year = FloorDiv(date.year, 10) * 10;
		end.year = start.year + 10;
		break;
	default: // kYear
		break;
	}
	return {DaysFromCivil(start), DaysFromCivil(end)};
}

} // namespace

Int64Bucket
GeneralizeInt64(std::int64_t value, std::int64_t width) {
	if (width <= 0)
		throw Error(ErrorKind::kInvalidParameter, "bucket width must be positive");
	// lo = value - FloorMod(value, width) is computed in __int128 and clamped: it can only leave
	// the int64 range downwards (value near INT64_MIN).
	__int128 lo = static_cast<__int128>(value) - FloorMod(value, width);
	__int128 hi = lo + width;
	Int64Bucket bucket{};
	bucket.lo = lo < kInt64Min ? kInt64Min : static_cast<std::int64_t>(lo);
	bucket.upper_unbounded = hi > kInt64Max;
	bucket.hi = bucket.upper_unbounded ? kInt64Max : static_cast<std::int64_t>(hi);
	return bucket;
}

DoubleBucket
GeneralizeDouble(double value, double width) {
	if (!std::isfinite(width) || !(width > 0.0))
		throw Error(ErrorKind::kInvalidParameter, "bucket width must be a positive finite number");
	constexpr double kInfinity = std::numeric_limits<double>::infinity();
	if (!std::isfinite(value))
		return {-kInfinity, kInfinity};
	double quotient = std::floor(value / width);
	double lo = quotient * width;
	double hi = (quotient + 1.0) * width;
	if (!(lo <= value && value < hi) || !std::isfinite(lo) || !std::isfinite(hi)) {
		// The width is below the precision of value (or the bucket overflows): the narrowest honest
		// bucket.
		if (std::isfinite(lo) && lo <= value && !std::isfinite(hi))
			return {lo, kInfinity};
		return {value, std::nextafter(value, kInfinity)};
	}
	return {lo, hi};
}

DateUnit
ParseDateUnit(std::string_view unit) {
	if (AsciiEqualsLower(unit, "day"))
		return DateUnit::kDay;
	if (AsciiEqualsLower(unit, "week"))
		return DateUnit::kWeek;
	if (AsciiEqualsLower(unit, "month"))
		return DateUnit::kMonth;
	if (AsciiEqualsLower(unit, "quarter"))
		return DateUnit::kQuarter;
	if (AsciiEqualsLower(unit, "year"))
		return DateUnit::kYear;
	if (AsciiEqualsLower(unit, "decade"))
		return DateUnit::kDecade;
	throw Error(ErrorKind::kInvalidParameter, "unrecognized date unit",
	            "Valid units are day, week, month, quarter, year and decade.");
}

std::int64_t
DaysFromCivil(CivilDate date) noexcept {
	std::int64_t year = date.year - (date.month <= 2 ? 1 : 0);
	std::int64_t era = FloorDiv(year, 400);
	std::int64_t year_of_era = year - era * 400;                                 // [0, 399]
	std::int64_t month_index = date.month > 2 ? date.month - 3 : date.month + 9; // March = 0
	std::int64_t day_of_year = (153 * month_index + 2) / 5 + date.day - 1;       // [0, 365]
	std::int64_t day_of_era =
	        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year; // [0, 146096]
	return era * 146097 + day_of_era - 719468;
}

CivilDate
CivilFromDays(std::int64_t days) noexcept {
	std::int64_t shifted = days + 719468;
	std::int64_t era = FloorDiv(shifted, 146097);
	std::int64_t day_of_era = shifted - era * 146097; // [0, 146096]
	std::int64_t year_of_era =
	        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	std::int64_t day_of_year =
	        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
	std::int64_t month_index = (5 * day_of_year + 2) / 153;                         // [0, 11]
	CivilDate date{};
	date.day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
	date.month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
	date.year = year_of_era + era * 400 + (date.month <= 2 ? 1 : 0);
	return date;
}

DateBucket
GeneralizeDate(std::int32_t days, DateUnit unit) noexcept {
	return DateBucketOfDays(days, unit);
}

TimestampBucket
GeneralizeTimestamp(std::int64_t micros, DateUnit unit) noexcept {
	std::int64_t days = FloorDiv(micros, kMicrosPerDay);
	DateBucket bucket = DateBucketOfDays(days, unit);
	return {SaturatingDayMicros(bucket.start), SaturatingDayMicros(bucket.end)};
}

} // namespace privacy::core
