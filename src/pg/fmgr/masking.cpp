// masking.cpp: SQL wrappers of the core masking functions.
//
// Masks never fail because of their data: core redacts malformed input, and
// the glue passes infinite dates/timestamps and NaN/infinite numbers through
// or widens their bucket to "everything". Argument errors (keep counts,
// widths, units, ratios, locales) come from core as privacy::core::Error with
// a static message and become SQLSTATE 22023 at the boundary; they are
// checked before the value is looked at, so whether a call fails never
// depends on the data.
//
// Frame discipline (boundary.hpp): every Impl first unpacks its arguments
// (detoasting may ereport), then reads the masking secret if it needs it,
// and only then creates C++ objects (the output std::string). The result is
// copied into a palloc'd text with CopyToText, which cannot ereport
// (MCXT_ALLOC_NO_OOM; failure throws std::bad_alloc -> 53200), so the hot
// path needs no CallPg/sigsetjmp per row.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "privacy/core/mask.hpp"

#include "pg/boundary/boundary.hpp"
#include "pg/catalog/keyed_masks.hpp"
#include "pg/catalog/masking_secret.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include <sys/socket.h> /* AF_INET, used by utils/inet.h macros */
#include "utils/inet.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "catalog/pg_type.h"
}

namespace {

namespace core = privacy::core;

// TextArg returns argument n (text, detoasted) as a string_view. It may
// ereport, so call it before any C++ object is alive.
std::string_view
TextArg(FunctionCallInfo fcinfo, int n) {
	text *value = PG_GETARG_TEXT_PP(n);
	return std::string_view(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

// CopyToText copies out into a new text in the current memory context. It
// never ereports: an impossible size or an allocation failure throws
// std::bad_alloc, which CallCore reports as 53200.
text *
CopyToText(const std::string &out) {
	Size size = out.size() + VARHDRSZ;
	if (!AllocSizeIsValid(size))
		throw std::bad_alloc();
	text *result = (text *)palloc_extended(size, MCXT_ALLOC_NO_OOM);
	if (result == NULL)
		throw std::bad_alloc();
	SET_VARSIZE(result, size);
	memcpy(VARDATA(result), out.data(), out.size());
	return result;
}

// TextResult runs fill(out) on a fresh buffer and returns the text Datum.
template <typename Fill>
Datum
TextResult(std::size_t reserve, Fill &&fill) {
	text *result;
	{
		std::string out;
		out.reserve(reserve);
		fill(out);
		result = CopyToText(out);
	}
	return PointerGetDatum(result);
}

// ---------------------------------------------------------------------------
// Text masks
// ---------------------------------------------------------------------------

// RedactImpl returns the fixed redaction text whatever the input.
Datum
RedactImpl(FunctionCallInfo fcinfo) {
	std::string_view redacted = core::RedactedText();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(redacted.data(), (int)redacted.size()));
}

// PartialImpl keeps a prefix and a suffix of code points (core rule: never
// more than a third of the value).
Datum
PartialImpl(FunctionCallInfo fcinfo) {
	std::string_view value = TextArg(fcinfo, 0);
	int32 keep_prefix = PG_GETARG_INT32(1);
	std::string_view padding = TextArg(fcinfo, 2);
	int32 keep_suffix = PG_GETARG_INT32(3);
	return TextResult(padding.size() + value.size() / 3 + 16, [&](std::string &out) {
		core::Partial(value, keep_prefix, padding, keep_suffix, out);
	});
}

// MaskEmailImpl keeps the first character of the local part and the domain.
Datum
MaskEmailImpl(FunctionCallInfo fcinfo) {
	std::string_view value = TextArg(fcinfo, 0);
	return TextResult(value.size() + 16, [&](std::string &out) { core::MaskEmail(value, out); });
}

// MaskPhoneImpl keeps the last 4 digits, separators and '+'.
Datum
MaskPhoneImpl(FunctionCallInfo fcinfo) {
	std::string_view value = TextArg(fcinfo, 0);
	return TextResult(value.size() + 16, [&](std::string &out) { core::MaskPhone(value, out); });
}

// MaskCardImpl keeps the last 4 digits of a card number.
Datum
MaskCardImpl(FunctionCallInfo fcinfo) {
	std::string_view value = TextArg(fcinfo, 0);
	return TextResult(value.size() + 16, [&](std::string &out) { core::MaskCard(value, 0, out); });
}

// MaskCardKeepFirstImpl keeps the last 4 and, with keep_first 6, the BIN.
Datum
MaskCardKeepFirstImpl(FunctionCallInfo fcinfo) {
	std::string_view value = TextArg(fcinfo, 0);
	int32 keep_first = PG_GETARG_INT32(1);
	return TextResult(value.size() + 16,
	                  [&](std::string &out) { core::MaskCard(value, keep_first, out); });
}

// MaskIbanImpl keeps the country code and the last 4 characters.
Datum
MaskIbanImpl(FunctionCallInfo fcinfo) {
	std::string_view value = TextArg(fcinfo, 0);
	return TextResult(value.size() + 16, [&](std::string &out) { core::MaskIban(value, out); });
}

// ---------------------------------------------------------------------------
// Network masks
// ---------------------------------------------------------------------------

// CheckPrefixBits validates both prefix lengths whatever the value's family,
// so an argument error never depends on the data.
void
CheckPrefixBits(int32 v4_bits, int32 v6_bits) {
	if (v4_bits < 0 || v4_bits > 32)
		throw core::Error(core::ErrorKind::kInvalidParameter,
		                  "IPv4 prefix length must be between 0 and 32");
	if (v6_bits < 0 || v6_bits > 128)
		throw core::Error(core::ErrorKind::kInvalidParameter,
		                  "IPv6 prefix length must be between 0 and 128");
}

// TruncateInet returns value with every bit after the family's prefix zeroed
// and its netmask length min(original, prefix).
Datum
TruncateInet(inet *value, int32 v4_bits, int32 v6_bits) {
	inet *result = (inet *)palloc0(sizeof(inet));
	bool v4 = ip_family(value) == PGSQL_AF_INET;
	int prefix = v4 ? v4_bits : v6_bits;
	ip_family(result) = ip_family(value);
	ip_bits(result) = (unsigned char)(ip_bits(value) < prefix ? ip_bits(value) : prefix);
	memcpy(ip_addr(result), ip_addr(value), ip_addrsize(value));
	core::ZeroHostBits(ip_addr(result), ip_addrsize(result), prefix);
	SET_INET_VARSIZE(result);
	return InetPGetDatum(result);
}

// MaskIpImpl truncates to /24 (IPv4) or /48 (IPv6).
Datum
MaskIpImpl(FunctionCallInfo fcinfo) {
	inet *value = PG_GETARG_INET_PP(0);
	return TruncateInet(value, core::kDefaultIpv4PrefixBits, core::kDefaultIpv6PrefixBits);
}

// MaskIpBitsImpl truncates to the given prefix lengths.
Datum
MaskIpBitsImpl(FunctionCallInfo fcinfo) {
	inet *value = PG_GETARG_INET_PP(0);
	int32 v4_bits = PG_GETARG_INT32(1);
	int32 v6_bits = PG_GETARG_INT32(2);
	CheckPrefixBits(v4_bits, v6_bits);
	return TruncateInet(value, v4_bits, v6_bits);
}

// ---------------------------------------------------------------------------
// Generalization to ranges
// ---------------------------------------------------------------------------

// MakeRange builds a range of type rngtypid from two bounds (infinite when
// the matching flag says so). lower_inclusive/upper_inclusive as given.
Datum
MakeRange(FunctionCallInfo fcinfo, Oid rngtypid, Datum lo, bool lo_infinite, bool lo_inclusive,
          Datum hi, bool hi_infinite, bool hi_inclusive) {
	TypeCacheEntry *typcache = range_get_typcache(fcinfo, rngtypid);
	RangeBound lower;
	RangeBound upper;
	lower.val = lo;
	lower.infinite = lo_infinite;
	lower.inclusive = lo_infinite ? false : lo_inclusive;
	lower.lower = true;
	upper.val = hi;
	upper.infinite = hi_infinite;
	upper.inclusive = hi_infinite ? false : hi_inclusive;
	upper.lower = false;
	return RangeTypePGetDatum(make_range(typcache, &lower, &upper, false));
}

// GeneralizeInt8Impl returns [floor(value / width) * width, + width).
Datum
GeneralizeInt8Impl(FunctionCallInfo fcinfo) {
	int64 value = PG_GETARG_INT64(0);
	int64 width = PG_GETARG_INT64(1);
	core::Int64Bucket bucket = core::GeneralizeInt64(value, width);
	return MakeRange(fcinfo, INT8RANGEOID, Int64GetDatum(bucket.lo), false, true,
	                 Int64GetDatum(bucket.hi), bucket.upper_unbounded, false);
}

// GeneralizeInt4Impl is generalize for integer (without it integer
// arguments would be ambiguous between bigint and numeric); a bucket
// reaching past the int4 range is unbounded on that side.
Datum
GeneralizeInt4Impl(FunctionCallInfo fcinfo) {
	int32 value = PG_GETARG_INT32(0);
	int32 width = PG_GETARG_INT32(1);
	core::Int64Bucket bucket = core::GeneralizeInt64(value, width);
	bool lo_infinite = bucket.lo < PG_INT32_MIN;
	bool hi_infinite = bucket.hi > PG_INT32_MAX;
	return MakeRange(fcinfo, INT4RANGEOID, lo_infinite ? (Datum)0 : Int32GetDatum((int32)bucket.lo),
	                 lo_infinite, true, hi_infinite ? (Datum)0 : Int32GetDatum((int32)bucket.hi),
	                 hi_infinite, false);
}

// GeneralizeNumericImpl is the exact numeric version; NaN and infinite values
// give (,), which reveals nothing.
Datum
GeneralizeNumericImpl(FunctionCallInfo fcinfo) {
	Numeric value = PG_GETARG_NUMERIC(0);
	Numeric width = PG_GETARG_NUMERIC(1);
	Datum zero = NumericGetDatum(int64_to_numeric(0));
	if (numeric_is_nan(width) || numeric_is_inf(width) ||
	    DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(width), zero)) <= 0)
		throw core::Error(core::ErrorKind::kInvalidParameter,
		                  "bucket width must be a positive finite number");
	if (numeric_is_nan(value) || numeric_is_inf(value))
		return MakeRange(fcinfo, NUMRANGEOID, (Datum)0, true, false, (Datum)0, true, false);
	// trunc(value / width) is exact; step down for negative values with a
	// remainder to get the floor.
	Datum quotient =
	        DirectFunctionCall2(numeric_div_trunc, NumericGetDatum(value), NumericGetDatum(width));
	Datum lo = DirectFunctionCall2(numeric_mul, quotient, NumericGetDatum(width));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, lo, NumericGetDatum(value))) > 0)
		lo = DirectFunctionCall2(numeric_sub, lo, NumericGetDatum(width));
	Datum hi = DirectFunctionCall2(numeric_add, lo, NumericGetDatum(width));
	return MakeRange(fcinfo, NUMRANGEOID, lo, false, true, hi, false, false);
}

// ParseUnit reads the unit argument (text) into a DateUnit.
core::DateUnit
ParseUnit(std::string_view unit) {
	return core::ParseDateUnit(unit);
}

// GeneralizeDateImpl returns the day/week/month/quarter/year/decade holding
// the date; bounds outside PostgreSQL's date range become unbounded;
// infinite dates give [value, value].
Datum
GeneralizeDateImpl(FunctionCallInfo fcinfo) {
	DateADT value = PG_GETARG_DATEADT(0);
	std::string_view unit_text = TextArg(fcinfo, 1);
	core::DateUnit unit = ParseUnit(unit_text);
	if (DATE_NOT_FINITE(value))
		return MakeRange(fcinfo, DATERANGEOID, DateADTGetDatum(value), false, true,
		                 DateADTGetDatum(value), false, true);
	core::DateBucket bucket =
	        core::GeneralizeDate((std::int32_t)(value + core::kPostgresEpochDays), unit);
	std::int64_t start = bucket.start - core::kPostgresEpochDays;
	std::int64_t end = bucket.end - core::kPostgresEpochDays;
	constexpr std::int64_t kMinDate = DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE;
	constexpr std::int64_t kEndDate = DATE_END_JULIAN - POSTGRES_EPOCH_JDATE;
	bool lo_infinite = start < kMinDate;
	bool hi_infinite = end >= kEndDate;
	return MakeRange(fcinfo, DATERANGEOID, lo_infinite ? (Datum)0 : DateADTGetDatum((DateADT)start),
	                 lo_infinite, true, hi_infinite ? (Datum)0 : DateADTGetDatum((DateADT)end),
	                 hi_infinite, false);
}

// GeneralizeTimestamptzImpl buckets in UTC (so the result never depends on
// the session's TimeZone and the function can be IMMUTABLE); bounds outside
// the timestamp range become unbounded; infinite values give [value, value].
Datum
GeneralizeTimestamptzImpl(FunctionCallInfo fcinfo) {
	TimestampTz value = PG_GETARG_TIMESTAMPTZ(0);
	std::string_view unit_text = TextArg(fcinfo, 1);
	core::DateUnit unit = ParseUnit(unit_text);
	if (TIMESTAMP_NOT_FINITE(value))
		return MakeRange(fcinfo, TSTZRANGEOID, TimestampTzGetDatum(value), false, true,
		                 TimestampTzGetDatum(value), false, true);
	// Every unit is a whole number of UTC days, so bucket the UTC day (this
	// also avoids overflowing int64 when moving the epoch of late values).
	std::int64_t day = value / USECS_PER_DAY;
	if (value % USECS_PER_DAY < 0)
		day--;
	core::DateBucket bucket =
	        core::GeneralizeDate((std::int32_t)(day + core::kPostgresEpochDays), unit);
	__int128 start = (__int128)(bucket.start - core::kPostgresEpochDays) * USECS_PER_DAY;
	__int128 end = (__int128)(bucket.end - core::kPostgresEpochDays) * USECS_PER_DAY;
	bool lo_infinite = start < MIN_TIMESTAMP;
	bool hi_infinite = end >= END_TIMESTAMP;
	return MakeRange(fcinfo, TSTZRANGEOID,
	                 lo_infinite ? (Datum)0 : TimestampTzGetDatum((TimestampTz)start), lo_infinite,
	                 true, hi_infinite ? (Datum)0 : TimestampTzGetDatum((TimestampTz)end),
	                 hi_infinite, false);
}

// ---------------------------------------------------------------------------
// Keyed masks: noise, date shifts, pseudonyms
// ---------------------------------------------------------------------------

// CheckRatio repeats core's check for values core never sees (NaN numerics).
void
CheckRatio(double ratio) {
	if (!(ratio >= 0.0 && ratio <= core::kMaxNoiseRatio))
		throw core::Error(core::ErrorKind::kInvalidParameter,
		                  "noise ratio must be between 0 and 10");
}

// CheckMaxDays repeats core's check for values core never sees (infinities).
void
CheckMaxDays(int32 max_days) {
	if (max_days < 0 || max_days > core::kMaxShiftDays)
		throw core::Error(core::ErrorKind::kInvalidParameter,
		                  "maximum shift must be between 0 and 36500 days");
}

// NoiseInt4Impl perturbs an integer by up to ratio, clamped to int4.
Datum
NoiseInt4Impl(FunctionCallInfo fcinfo) {
	int32 value = PG_GETARG_INT32(0);
	double ratio = PG_GETARG_FLOAT8(1);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	std::int64_t noised = core::NoiseInt64(value, ratio, key);
	if (noised > PG_INT32_MAX)
		noised = PG_INT32_MAX;
	if (noised < PG_INT32_MIN)
		noised = PG_INT32_MIN;
	PG_RETURN_INT32((int32)noised);
}

// NoiseInt2Impl perturbs a smallint by up to ratio, clamped to int2.
Datum
NoiseInt2Impl(FunctionCallInfo fcinfo) {
	int16 value = PG_GETARG_INT16(0);
	double ratio = PG_GETARG_FLOAT8(1);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	std::int64_t noised = core::NoiseInt64(value, ratio, key);
	if (noised > PG_INT16_MAX)
		noised = PG_INT16_MAX;
	if (noised < PG_INT16_MIN)
		noised = PG_INT16_MIN;
	PG_RETURN_INT16((int16)noised);
}

// NoiseInt8Impl perturbs a bigint by up to ratio (saturating).
Datum
NoiseInt8Impl(FunctionCallInfo fcinfo) {
	int64 value = PG_GETARG_INT64(0);
	double ratio = PG_GETARG_FLOAT8(1);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	PG_RETURN_INT64(core::NoiseInt64(value, ratio, key));
}

// NoiseFloat8Impl perturbs a double by up to ratio; NaN/infinity unchanged.
Datum
NoiseFloat8Impl(FunctionCallInfo fcinfo) {
	double value = PG_GETARG_FLOAT8(0);
	double ratio = PG_GETARG_FLOAT8(1);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	PG_RETURN_FLOAT8(core::NoiseDouble(value, ratio, key));
}

// The on-disk layout of a numeric, from PostgreSQL's numeric.c (struct NumericData; not in a
// header). It is part of the stored format that pg_upgrade carries over unchanged, so it is stable
// across major versions. After the 4-byte varlena header: a uint16 header word; the long format
// adds an int16 weight; then base-10000 digits (int16), most significant first.
constexpr uint16 kNumericSignMask = 0xC000;
constexpr uint16 kNumericNeg = 0x4000;
constexpr uint16 kNumericShort = 0x8000;
constexpr uint16 kNumericSpecial = 0xC000;
constexpr uint16 kNumericShortSignMask = 0x2000;
constexpr uint16 kNumericShortWeightSignMask = 0x0040;
constexpr uint16 kNumericShortWeightMask = 0x003F;
constexpr uint16 kNumericShortDscaleMask = 0x1F80;
constexpr int kNumericShortDscaleShift = 7;
constexpr uint16 kNumericDscaleMask = 0x3FFF;
constexpr int kNumericMaxResultScale = 2000; // numeric.c's NUMERIC_MAX_RESULT_SCALE
static_assert(PG_VERSION_NUM >= 140000 && PG_VERSION_NUM < 190000,
              "numeric layout checked for PostgreSQL 14-18");

// NumericScale returns the display scale of a finite numeric (numeric_scale) from its header.
int32
NumericScale(Numeric value) {
	uint16 header;
	std::memcpy(&header, VARDATA(value), sizeof(header));
	if ((header & kNumericSignMask) == kNumericShort)
		return (header & kNumericShortDscaleMask) >> kNumericShortDscaleShift;
	return header & kNumericDscaleMask;
}

// SetNumericScale sets the display scale of result, a numeric just built by make_result (so
// palloc'd by this call, and normalized) whose digits end at or left of scale, exactly as
// numeric_round(result, scale) would build it: the same digits and weight, only the scale field
// changes. False when numeric_round's result would take another layout (a short header cannot
// hold scale) or scale is beyond what numeric_round keeps: the caller then calls it.
bool
SetNumericScale(Numeric result, int32 scale) {
	if (scale < 0 || scale > kNumericMaxResultScale)
		return false;
	auto *data = reinterpret_cast<char *>(VARDATA(result));
	uint16 header;
	std::memcpy(&header, data, sizeof(header));
	if ((header & kNumericSignMask) == kNumericSpecial)
		return false;
	if ((header & kNumericSignMask) == kNumericShort) {
		if (scale > (kNumericShortDscaleMask >> kNumericShortDscaleShift))
			return false;
		header = static_cast<uint16>((header & ~kNumericShortDscaleMask) |
		                             (scale << kNumericShortDscaleShift));
	} else {
		header = static_cast<uint16>((header & kNumericSignMask) | (scale & kNumericDscaleMask));
	}
	std::memcpy(data, &header, sizeof(header));
	return true;
}

// FastNumericToDouble reads the sign, weight and digits of a finite numeric and rounds them once
// (core::Base10000ToDouble); false for what that does not take.
bool
FastNumericToDouble(Numeric value, double *out) {
	const auto *data = reinterpret_cast<const char *>(VARDATA(value));
	const std::size_t size = VARSIZE(value) - VARHDRSZ;
	if (size < sizeof(uint16))
		return false;
	uint16 header;
	std::memcpy(&header, data, sizeof(header));
	bool negative;
	int weight;
	std::size_t offset;
	if ((header & kNumericSignMask) == kNumericSpecial) {
		return false;
	} else if ((header & kNumericSignMask) == kNumericShort) {
		negative = (header & kNumericShortSignMask) != 0;
		weight = header & kNumericShortWeightMask;
		if ((header & kNumericShortWeightSignMask) != 0)
			weight -= kNumericShortWeightMask + 1;
		offset = sizeof(uint16);
	} else {
		if (size < sizeof(uint16) + sizeof(int16))
			return false;
		negative = (header & kNumericSignMask) == kNumericNeg;
		int16 long_weight;
		std::memcpy(&long_weight, data + sizeof(uint16), sizeof(long_weight));
		weight = long_weight;
		offset = sizeof(uint16) + sizeof(int16);
	}
	const std::size_t ndigits = (size - offset) / sizeof(int16);
	if (ndigits > core::kMaxFastBase10000Digits)
		return false;
	int16 digits[core::kMaxFastBase10000Digits];
	if (ndigits > 0)
		std::memcpy(digits, data + offset, ndigits * sizeof(int16));
	return core::Base10000ToDouble(negative, digits, ndigits, weight, out);
}

// NumericToDouble is numeric_float8_no_overflow (numeric_out, then strtod)
// without the text where FastNumericToDouble applies, the PostgreSQL way
// otherwise (over 256 significant digits, beyond the normal double range).
double
NumericToDouble(Numeric value) {
	double result;
	if (FastNumericToDouble(value, &result))
		return result;
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(value)));
}

// NoiseNumericImpl perturbs through float8 and rounds back to the value's
// scale. NaN/infinity are returned unchanged; magnitudes beyond float8 are
// treated as +-DBL_MAX (the result reveals only that the value is huge).
// The result is exactly round(float8_numeric(noised), scale), built from an
// integer of at most 15 digits (core::DoubleToDecimal, then
// int64_div_fast_to_numeric) instead of printf and numeric_in; numeric_round
// only sets the display scale when the digits end left of it.
Datum
NoiseNumericImpl(FunctionCallInfo fcinfo) {
	Numeric value = PG_GETARG_NUMERIC(0);
	double ratio = PG_GETARG_FLOAT8(1);
	CheckRatio(ratio);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	if (numeric_is_nan(value) || numeric_is_inf(value))
		PG_RETURN_NUMERIC(value);
	double d = NumericToDouble(value);
	if (std::isinf(d))
		d = std::copysign(DBL_MAX, d);
	double noised = core::NoiseDouble(d, ratio, key);
	const int32 scale = NumericScale(value);
	std::int64_t mantissa;
	int log10_divisor;
	if (core::DoubleToDecimal(noised, scale, &mantissa, &log10_divisor)) {
		Numeric result = int64_div_fast_to_numeric(mantissa, log10_divisor);
		// digits that end left of the scale: numeric_round would only set the display scale
		if (log10_divisor == scale || SetNumericScale(result, scale))
			PG_RETURN_NUMERIC(result);
		return DirectFunctionCall2(numeric_round, NumericGetDatum(result), Int32GetDatum(scale));
	}
	Datum result = DirectFunctionCall1(float8_numeric, Float8GetDatum(noised));
	return DirectFunctionCall2(numeric_round, result, Int32GetDatum(scale));
}

// ShiftDateImpl moves a date by a keyed, non-zero number of days within
// max_days, clamped to the date range; infinite dates pass through.
Datum
ShiftDateImpl(FunctionCallInfo fcinfo) {
	DateADT value = PG_GETARG_DATEADT(0);
	int32 max_days = PG_GETARG_INT32(1);
	CheckMaxDays(max_days);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	if (DATE_NOT_FINITE(value))
		PG_RETURN_DATEADT(value);
	std::int64_t shifted =
	        core::ShiftDays((std::int32_t)(value + core::kPostgresEpochDays), max_days, key) -
	        core::kPostgresEpochDays;
	constexpr std::int64_t kMinDate = DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE;
	constexpr std::int64_t kEndDate = DATE_END_JULIAN - POSTGRES_EPOCH_JDATE;
	if (shifted < kMinDate)
		shifted = kMinDate;
	if (shifted >= kEndDate)
		shifted = kEndDate - 1;
	PG_RETURN_DATEADT((DateADT)shifted);
}

// ShiftMicros moves a finite timestamp (microseconds since 2000-01-01, the
// same representation for timestamp and timestamptz) by a keyed, non-zero
// offset within max_days days, clamped to the timestamp range.
std::int64_t
ShiftMicros(std::int64_t value, int32 max_days) {
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	// The offset is keyed on the microseconds since 1970 (as in 0.1.0), taken
	// modulo 2^64 so that the last ~30 years of the range, past INT64_MAX in
	// that epoch, are neither saturated nor collapsed onto one key input, and
	// it is applied in PostgreSQL's own epoch: |result - value| <= max_days.
	std::uint64_t unix_bits = (std::uint64_t)value + (std::uint64_t)core::kPostgresEpochMicros;
	__int128 shifted = (__int128)value + core::ShiftTimestampOffset(unix_bits, max_days, key);
	if (shifted < MIN_TIMESTAMP)
		shifted = MIN_TIMESTAMP;
	if (shifted >= END_TIMESTAMP)
		shifted = END_TIMESTAMP - 1;
	return (std::int64_t)shifted;
}

// ShiftTimestamptzImpl moves a timestamptz by a keyed, non-zero number of
// microseconds within max_days days, clamped to the timestamp range;
// infinities pass through.
Datum
ShiftTimestamptzImpl(FunctionCallInfo fcinfo) {
	TimestampTz value = PG_GETARG_TIMESTAMPTZ(0);
	int32 max_days = PG_GETARG_INT32(1);
	CheckMaxDays(max_days);
	if (TIMESTAMP_NOT_FINITE(value))
		PG_RETURN_TIMESTAMPTZ(value);
	PG_RETURN_TIMESTAMPTZ((TimestampTz)ShiftMicros(value, max_days));
}

// ShiftTimestampImpl is ShiftTimestamptzImpl for timestamp without time zone
// (no conversion through the session's TimeZone, which could overflow).
Datum
ShiftTimestampImpl(FunctionCallInfo fcinfo) {
	Timestamp value = PG_GETARG_TIMESTAMP(0);
	int32 max_days = PG_GETARG_INT32(1);
	CheckMaxDays(max_days);
	if (TIMESTAMP_NOT_FINITE(value))
		PG_RETURN_TIMESTAMP(value);
	PG_RETURN_TIMESTAMP((Timestamp)ShiftMicros(value, max_days));
}

// PseudonymImpl returns the keyed 26-character pseudonym of (value, domain).
Datum
PseudonymImpl(FunctionCallInfo fcinfo) {
	std::string_view value = TextArg(fcinfo, 0);
	std::string_view domain = TextArg(fcinfo, 1);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	return TextResult(core::kPseudonymLength,
	                  [&](std::string &out) { core::Pseudonym(value, domain, key, out); });
}

// ---------------------------------------------------------------------------
// Deterministic fake values
// ---------------------------------------------------------------------------

using FakeFunction = void (*)(std::string_view, core::FakeLocale, const std::uint8_t *,
                              std::string &);

// FakeResult unpacks (seed, locale), reads the secret and runs fake.
Datum
FakeResult(FunctionCallInfo fcinfo, FakeFunction fake) {
	std::string_view seed = TextArg(fcinfo, 0);
	std::string_view locale_text = TextArg(fcinfo, 1);
	core::FakeLocale locale = core::ParseFakeLocale(locale_text);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	return TextResult(48, [&](std::string &out) { fake(seed, locale, key, out); });
}

Datum
FakeFirstNameImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeFirstName);
}

Datum
FakeLastNameImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeLastName);
}

Datum
FakeFullNameImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeFullName);
}

Datum
FakeEmailImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeEmail);
}

Datum
FakePhoneImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakePhone);
}

Datum
FakeCityImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeCity);
}

Datum
FakeStreetAddressImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeStreetAddress);
}

Datum
FakeCompanyImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeCompany);
}

Datum
FakeIbanImpl(FunctionCallInfo fcinfo) {
	return FakeResult(fcinfo, core::FakeIban);
}

// FakeCardImpl returns a Luhn-valid test card number (no locale).
Datum
FakeCardImpl(FunctionCallInfo fcinfo) {
	std::string_view seed = TextArg(fcinfo, 0);
	const std::uint8_t *key = privacy::pg::MaskingSecret();
	return TextResult(24, [&](std::string &out) { core::FakeCard(seed, key, out); });
}

// MaskEntryPoint is the body of privacy._mask_<name>: the keyed mask impl,
// for calls that a masking policy placed into a plan (keyed_masks.hpp).
template <Datum (*Impl)(FunctionCallInfo)>
Datum
MaskEntryPoint(FunctionCallInfo fcinfo) {
	if (!privacy::pg::CalledFromMaskPolicy(fcinfo))
		throw core::Error(core::ErrorKind::kInsufficientPrivilege,
		                  "this function can only be called by a masking policy",
		                  "It is the policy-only entry point of a keyed mask.",
		                  "Call the public function; keyed masks are executable by superusers and "
		                  "by roles granted EXECUTE on them.");
	return Impl(fcinfo);
}

} // namespace

PRIVACY_FUNCTION(redact, RedactImpl)
PRIVACY_FUNCTION(partial, PartialImpl)
PRIVACY_FUNCTION(mask_email, MaskEmailImpl)
PRIVACY_FUNCTION(mask_phone, MaskPhoneImpl)
PRIVACY_FUNCTION(mask_card, MaskCardImpl)
PRIVACY_FUNCTION(mask_card_keep_first, MaskCardKeepFirstImpl)
PRIVACY_FUNCTION(mask_iban, MaskIbanImpl)
PRIVACY_FUNCTION(mask_ip, MaskIpImpl)
PRIVACY_FUNCTION(mask_ip_bits, MaskIpBitsImpl)
PRIVACY_FUNCTION(generalize_int4, GeneralizeInt4Impl)
PRIVACY_FUNCTION(generalize_int8, GeneralizeInt8Impl)
PRIVACY_FUNCTION(generalize_numeric, GeneralizeNumericImpl)
PRIVACY_FUNCTION(generalize_date, GeneralizeDateImpl)
PRIVACY_FUNCTION(generalize_timestamptz, GeneralizeTimestamptzImpl)
PRIVACY_FUNCTION(noise_int2, NoiseInt2Impl)
PRIVACY_FUNCTION(noise_int4, NoiseInt4Impl)
PRIVACY_FUNCTION(noise_int8, NoiseInt8Impl)
PRIVACY_FUNCTION(noise_float8, NoiseFloat8Impl)
PRIVACY_FUNCTION(noise_numeric, NoiseNumericImpl)
PRIVACY_FUNCTION(shift_date_date, ShiftDateImpl)
PRIVACY_FUNCTION(shift_date_timestamp, ShiftTimestampImpl)
PRIVACY_FUNCTION(shift_date_timestamptz, ShiftTimestamptzImpl)
PRIVACY_FUNCTION(pseudonym, PseudonymImpl)
PRIVACY_FUNCTION(fake_first_name, FakeFirstNameImpl)
PRIVACY_FUNCTION(fake_last_name, FakeLastNameImpl)
PRIVACY_FUNCTION(fake_full_name, FakeFullNameImpl)
PRIVACY_FUNCTION(fake_email, FakeEmailImpl)
PRIVACY_FUNCTION(fake_phone, FakePhoneImpl)
PRIVACY_FUNCTION(fake_city, FakeCityImpl)
PRIVACY_FUNCTION(fake_street_address, FakeStreetAddressImpl)
PRIVACY_FUNCTION(fake_company, FakeCompanyImpl)
PRIVACY_FUNCTION(fake_iban, FakeIbanImpl)
PRIVACY_FUNCTION(fake_card, FakeCardImpl)

// Policy-only entry points of the keyed masks (keyed_masks.hpp).
PRIVACY_FUNCTION(_mask_noise_int2, MaskEntryPoint<NoiseInt2Impl>)
PRIVACY_FUNCTION(_mask_noise_int4, MaskEntryPoint<NoiseInt4Impl>)
PRIVACY_FUNCTION(_mask_noise_int8, MaskEntryPoint<NoiseInt8Impl>)
PRIVACY_FUNCTION(_mask_noise_float8, MaskEntryPoint<NoiseFloat8Impl>)
PRIVACY_FUNCTION(_mask_noise_numeric, MaskEntryPoint<NoiseNumericImpl>)
PRIVACY_FUNCTION(_mask_shift_date_date, MaskEntryPoint<ShiftDateImpl>)
PRIVACY_FUNCTION(_mask_shift_date_timestamp, MaskEntryPoint<ShiftTimestampImpl>)
PRIVACY_FUNCTION(_mask_shift_date_timestamptz, MaskEntryPoint<ShiftTimestamptzImpl>)
PRIVACY_FUNCTION(_mask_pseudonym, MaskEntryPoint<PseudonymImpl>)
PRIVACY_FUNCTION(_mask_fake_first_name, MaskEntryPoint<FakeFirstNameImpl>)
PRIVACY_FUNCTION(_mask_fake_last_name, MaskEntryPoint<FakeLastNameImpl>)
PRIVACY_FUNCTION(_mask_fake_full_name, MaskEntryPoint<FakeFullNameImpl>)
PRIVACY_FUNCTION(_mask_fake_email, MaskEntryPoint<FakeEmailImpl>)
PRIVACY_FUNCTION(_mask_fake_phone, MaskEntryPoint<FakePhoneImpl>)
PRIVACY_FUNCTION(_mask_fake_city, MaskEntryPoint<FakeCityImpl>)
PRIVACY_FUNCTION(_mask_fake_street_address, MaskEntryPoint<FakeStreetAddressImpl>)
PRIVACY_FUNCTION(_mask_fake_company, MaskEntryPoint<FakeCompanyImpl>)
PRIVACY_FUNCTION(_mask_fake_iban, MaskEntryPoint<FakeIbanImpl>)
PRIVACY_FUNCTION(_mask_fake_card, MaskEntryPoint<FakeCardImpl>)
