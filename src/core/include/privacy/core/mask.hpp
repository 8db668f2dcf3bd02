// mask.hpp: the pure masking algorithms behind the privacy.* masking functions.
//
// Purpose: partial/redact, email, phone, card, IBAN, IP truncation, generalization of numbers and
// dates, keyed noise, keyed date shifts, keyed pseudonyms and deterministic fake values. The glue
// (src/pg/fmgr) wraps each function into SQL; this header is the contract it relies on.
//
// Invariants shared by every function here:
// - Total on data. A value never causes an exception: malformed, non-UTF-8 or surprising values are
// fully
//   redacted (the output is RedactedText()) instead. Only ARGUMENTS (keep counts, widths, units,
//   ratios, locales...) raise Error{ErrorKind::kInvalidParameter}, and messages are string literals
//   that never contain a value.
// - Text outputs are APPENDED to the caller's std::string (never cleared), so one buffer can be
// reserved once and
//   reused. Outputs are valid UTF-8 whenever the input value was; a mask never splits a code point.
// - Keyed functions take the 32-byte per-database secret as `const std::uint8_t key[kMaskKeyBytes]`
// and use
//   keyed BLAKE2b (libsodium crypto_generichash; noise and shift: SipHash-2-4 under BLAKE2b-derived
//   subkeys) over a domain-separated encoding, so every function family derives independent values
//   from one secret. The caller must have called sodium_init().
// - Dates are days since 1970-01-01 (proleptic Gregorian, astronomical year numbering: year 0 = 1
// BC) and
//   timestamps are microseconds since 1970-01-01 00:00:00. PostgreSQL counts from 2000-01-01: the
//   glue adds or subtracts kPostgresEpochDays / kPostgresEpochMicros, and passes infinite
//   dates/timestamps through itself.
//
// This header must never include PostgreSQL headers.
#pragma once

#include "privacy/core/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace privacy::core {

// -------------------------------------------------------------------------------------------------
// Common constants
// -------------------------------------------------------------------------------------------------

// kMaskKeyBytes is the size of the secret that keyed masks take.
inline constexpr std::size_t kMaskKeyBytes = 32;

// kPostgresEpochDays is 2000-01-01 (PostgreSQL's date epoch) in days since 1970-01-01.
inline constexpr std::int64_t kPostgresEpochDays = 10957;

// kPostgresEpochMicros is 2000-01-01 00:00:00 in microseconds since 1970-01-01 00:00:00.
inline constexpr std::int64_t kPostgresEpochMicros = kPostgresEpochDays * 86400LL * 1000000LL;

// kMicrosPerDay is the number of microseconds in a (civil, leap-second free) day.
inline constexpr std::int64_t kMicrosPerDay = 86400LL * 1000000LL;

// -------------------------------------------------------------------------------------------------
// Text masks (IMMUTABLE, never raise because of the value)
// -------------------------------------------------------------------------------------------------

// RedactedText returns the fixed replacement "[REDACTED]" used by redact() and by every mask for
// malformed input. It reveals nothing about the value, not even its length.
std::string_view RedactedText() noexcept;

// Redact appends RedactedText() to out, whatever the value.
void Redact(std::string &out);

// Partial appends the first keep_prefix and last keep_suffix CODE POINTS of value with padding
// (copied verbatim) between them. Rule: it never reveals the whole value. With n code points it
// reveals at most floor(n / 3) code points in total; the prefix is served first (min(keep_prefix,
// budget)) and the suffix gets what remains (min(keep_suffix, budget - prefix)). So values of 0..2
// code points reveal nothing (output = padding), "Alice" with (1, "***", 1) gives "A***", a
// 16-digit card with (0, "XXXX", 4) gives "XXXX1234". Invalid UTF-8 values give RedactedText().
// Throws kInvalidParameter when keep_prefix or keep_suffix is negative.
void Partial(std::string_view value, std::int64_t keep_prefix, std::string_view padding,
             std::int64_t keep_suffix, std::string &out);

// kEmailFiller is the fixed-length filler that replaces the local part after its first code point.
inline constexpr std::string_view kEmailFiller = "*****";

// MaskEmail appends first code point of the local part + kEmailFiller + "@" + domain (domain kept
// verbatim), e.g. "john.doe@example.com" -> "j*****@example.com". The length of the local part is
// never revealed. Values that are not a plausible address are fully redacted: not exactly one '@',
// empty local part or domain, invalid UTF-8, or any ASCII whitespace/control character (bytes <=
// 0x20 and 0x7F).
void MaskEmail(std::string_view value, std::string &out);

// kPhoneMaskChar replaces hidden phone digits.
inline constexpr char kPhoneMaskChar = '*';

// MaskPhone appends value with every digit replaced by kPhoneMaskChar except the last 4 digits;
// separators (space ( ) - . / and '+') stay where they are: "+1 (212) 555-0123" -> "+* (***)
// ***-0123". Rule: it never reveals more than half of the digits, so 5..7 digits keep only the
// last 2. Fully redacted when the value has fewer than 5 digits or any character other than ASCII
// digits, space and ()-.+/.
void MaskPhone(std::string_view value, std::string &out);

// kCardMaskChar replaces hidden card digits.
inline constexpr char kCardMaskChar = '*';

// MaskCard appends value with every digit replaced by kCardMaskChar except the last 4 and, when
// keep_first is 6 and the number has at least 16 digits, the first 6 (the PCI DSS maximum of 6 + 4,
// allowed only when at least 6 digits stay hidden). Separators (spaces and dashes) stay where they
// are: "4111 1111 1111 1234" -> "**** **** **** 1234", with keep_first 6 -> "4111 11** **** 1234".
// Fully redacted unless the value is 12..19 ASCII digits with optional spaces/dashes. Throws
// kInvalidParameter when keep_first is neither 0 nor 6.
void MaskCard(std::string_view value, std::int64_t keep_first, std::string &out);

// kIbanMaskChar replaces hidden IBAN characters.
inline constexpr char kIbanMaskChar = '*';

// MaskIban appends the 2-letter country code, then kIbanMaskChar for every character up to the last
// 4, then the last 4 characters (letters keep their case). Output is compact when value has no
// space, else printed in groups of 4 separated by one space: "DE89 3704 0044 0532 0130 00" -> "DE**
// **** **** **** **30 00". Fully redacted unless, after removing ASCII spaces, value is 15..34
// ASCII letters/digits starting with 2 letters and 2 digits (the check digits are not verified:
// masking never depends on validity).
void MaskIban(std::string_view value, std::string &out);

// -------------------------------------------------------------------------------------------------
// Network masks
// -------------------------------------------------------------------------------------------------

inline constexpr int kDefaultIpv4PrefixBits = 24;
inline constexpr int kDefaultIpv6PrefixBits = 48;

// ZeroHostBits zeroes every bit after the first prefix_bits bits of the raw network-order address
// (4 bytes for IPv4, 16 for IPv6), in place: 192.168.10.77 with 24 -> 192.168.10.0. Throws
// kInvalidParameter when address_length is not 4 or 16, or prefix_bits is outside 0..32 (IPv4) /
// 0..128 (IPv6). The glue sets the inet netmask length itself (suggested: min(original bits,
// prefix_bits)).
void ZeroHostBits(std::uint8_t *address, std::size_t address_length, std::int64_t prefix_bits);

// -------------------------------------------------------------------------------------------------
// Generalization (IMMUTABLE)
// -------------------------------------------------------------------------------------------------

// Int64Bucket is the half-open range [lo, hi) holding a value. When upper_unbounded is true the
// bucket reaches past INT64_MAX (lo + width overflowed): the glue must return an upper-unbounded
// range, and hi is INT64_MAX.
struct Int64Bucket {
	std::int64_t lo;
	std::int64_t hi;
	bool upper_unbounded;
};

// GeneralizeInt64 returns the bucket [floor(value / width) * width, that + width) using
// overflow-free floor division: -1 with width 10 -> [-10, 0). lo is clamped to INT64_MIN when it
// would underflow. Throws kInvalidParameter when width <= 0.
Int64Bucket GeneralizeInt64(std::int64_t value, std::int64_t width);

// DoubleBucket is the half-open range [lo, hi) holding a value; lo = -inf and hi = +inf for
// non-finite values.
struct DoubleBucket {
	double lo;
	double hi;
};

// GeneralizeDouble returns [floor(value / width) * width, lo + width). A NaN or infinite value
// returns
// (-inf, +inf), which reveals nothing. When width is below the precision of value, the bucket
// shrinks to [value, nextafter(value, +inf)). Throws kInvalidParameter when width is not finite or
// <= 0.
DoubleBucket GeneralizeDouble(double value, double width);

// DateUnit is the granularity of date generalization. Weeks are ISO weeks (starting on Monday);
// decades start at years divisible by 10 (2020-01-01 .. 2030-01-01).
enum class DateUnit { kDay, kWeek, kMonth, kQuarter, kYear, kDecade };

// ParseDateUnit maps 'day', 'week', 'month', 'quarter', 'year', 'decade' (ASCII, case-insensitive)
// to a DateUnit. Throws kInvalidParameter for any other text.
DateUnit ParseDateUnit(std::string_view unit);

// CivilDate is a proleptic Gregorian date; year uses astronomical numbering (0 = 1 BC),
// month 1..12, day 1..31.
struct CivilDate {
	std::int64_t year;
	int month;
	int day;
};

// DaysFromCivil returns the days since 1970-01-01 of a valid civil date (|year| below 10^12).
std::int64_t DaysFromCivil(CivilDate date) noexcept;

// CivilFromDays returns the civil date of days since 1970-01-01 (|days| below 10^14).
CivilDate CivilFromDays(std::int64_t days) noexcept;

// DateBucket is the half-open range [start, end) of days since 1970-01-01 holding a date.
struct DateBucket {
	std::int64_t start;
	std::int64_t end;
};

// GeneralizeDate returns the bucket of unit that holds days (days since 1970-01-01): 2024-05-17
// with kMonth -> [2024-05-01, 2024-06-01). Every int32 input is valid; the results are int64 and
// may fall outside PostgreSQL's date range at the extremes, which the glue checks.
DateBucket GeneralizeDate(std::int32_t days, DateUnit unit) noexcept;

// TimestampBucket is the half-open range [start, end) in microseconds since 1970-01-01 00:00:00.
struct TimestampBucket {
	std::int64_t start;
	std::int64_t end;
};

// GeneralizeTimestamp returns the bucket of unit that holds micros (wall-clock microseconds since
// 1970-01-01; the glue converts timestamptz to the wall clock it wants). Bounds saturate at
// INT64_MIN / INT64_MAX instead of overflowing.
TimestampBucket GeneralizeTimestamp(std::int64_t micros, DateUnit unit) noexcept;

// -------------------------------------------------------------------------------------------------
// Keyed masks (STABLE: they depend on the secret)
// -------------------------------------------------------------------------------------------------

inline constexpr double kMaxNoiseRatio = 10.0;

// ForgetMaskSubkeys wipes the per-thread cache of subkeys that noise and shift derive from the
// secret; call it when the secret changes or is dropped (a new secret also simply misses the
// cache).
void ForgetMaskSubkeys() noexcept;

// NoiseInt64 returns round(value * (1 + r)) where r in [-ratio, +ratio) is derived from a keyed PRF
// of (value, ratio) (SipHash-2-4 under a per-family subkey derived with keyed BLAKE2b): the same
// (value, ratio, key) always gives the same result, so repeating a query cannot average the noise
// away. The result saturates at INT64_MIN / INT64_MAX. ratio 0 returns value. Throws
// kInvalidParameter unless 0 <= ratio <= kMaxNoiseRatio (NaN included).
std::int64_t NoiseInt64(std::int64_t value, double ratio, const std::uint8_t key[kMaskKeyBytes]);

// NoiseDouble is NoiseInt64 for doubles: value * (1 + r); NaN and infinities pass through
// unchanged, -0.0 is hashed as 0.0, and a finite value never becomes infinite (the result is
// clamped to +-DBL_MAX).
double NoiseDouble(double value, double ratio, const std::uint8_t key[kMaskKeyBytes]);

// Decimal conversions for noise(numeric), which perturbs a numeric through a double. They compute
// exactly what PostgreSQL's text round trips compute (numeric_float8_no_overflow: numeric_out then
// strtod; float8_numeric: printf "%.15g" then numeric_in; then numeric_round), without the text,
// and say false where the caller must take that slow path instead. Their results never depend on
// the locale or the rounding mode.
//
// Base10000ToDouble stores in *out the double nearest to (-1)^negative * sum digits[i] *
// 10000^(weight - i) (ties to even, as strtod), for 0 <= digits[i] <= 9999 and ndigits <=
// kMaxFastBase10000Digits. False when the digits are out of range, too many, or the value rounds
// outside the normal finite doubles (overflow or underflow), where strtod's own ERANGE results
// apply.
inline constexpr std::size_t kMaxFastBase10000Digits = 64;
bool Base10000ToDouble(bool negative, const std::int16_t *digits, std::size_t ndigits, int weight,
                       double *out);

// DoubleToDecimal rounds a finite value as float8_numeric then numeric_round(scale) do: to 15
// significant decimal digits (printf "%.15g", ties to even), then half away from zero to scale >= 0
// decimals. The result is *mantissa / 10^*log10_divisor exactly, with |*mantissa| < 10^15 and
// *log10_divisor <= scale (less than scale when the 15 digits end left of the scale; the result
// then needs no rounding, only its display scale set). False for a non-finite value or a negative
// scale.
bool DoubleToDecimal(double value, int scale, std::int64_t *mantissa, int *log10_divisor);

inline constexpr std::int64_t kMaxShiftDays = 36500;

// ShiftDays returns days + s where s in [-max_days, -1] U [1, max_days] (never 0 when max_days > 0,
// so a shifted date never equals the raw one) is derived from the keyed PRF of (days, max_days).
// max_days 0 returns days. Throws kInvalidParameter unless 0 <= max_days <= kMaxShiftDays. Days
// since 1970-01-01 in, days out; the result may leave PostgreSQL's date range at the extremes,
// which the glue checks.
std::int64_t ShiftDays(std::int32_t days, std::int64_t max_days,
                       const std::uint8_t key[kMaskKeyBytes]);

// ShiftTimestamp returns micros + s where s is a non-zero number of MICROSECONDS in
// [-max_days * kMicrosPerDay, +max_days * kMicrosPerDay], derived from the keyed PRF of (micros,
// max_days), so the time of day is hidden too. Saturates at INT64_MIN / INT64_MAX. Same argument
// rule as ShiftDays.
std::int64_t ShiftTimestamp(std::int64_t micros, std::int64_t max_days,
                            const std::uint8_t key[kMaskKeyBytes]);

// ShiftTimestampOffset returns the offset ShiftTimestamp adds, keyed on the 64 bits micros_bits
// (the microseconds since 1970 as an unsigned, wrapping value): a caller whose own epoch differs
// computes the key input with wrapping arithmetic and applies the offset in its own epoch, so no
// value is ever saturated before it is shifted. Same argument rule as ShiftDays.
std::int64_t ShiftTimestampOffset(std::uint64_t micros_bits, std::int64_t max_days,
                                  const std::uint8_t key[kMaskKeyBytes]);

// kPseudonymLength is the length of every pseudonym: 128 bits in lower-case RFC 4648 base32 without
// padding.
inline constexpr std::size_t kPseudonymLength = 26;

// Pseudonym appends kPseudonymLength characters [a-z2-7] derived from keyed BLAKE2b-128 (the secret
// as BLAKE2b key) over the injective encoding u64le(len(tag)) || tag || u64le(len(domain)) ||
// domain || value, with tag "pg_privacy/pseudonym/v1", then RFC 4648 base32 (lower-case, unpadded).
// Deterministic per (value, domain, key), irreversible without the key, and ("a", "bc") never
// collides with ("ab", "c") by construction. Any bytes are accepted (value and domain need not be
// UTF-8).
void Pseudonym(std::string_view value, std::string_view domain,
               const std::uint8_t key[kMaskKeyBytes], std::string &out);

// -------------------------------------------------------------------------------------------------
// Deterministic fake values (STABLE: they depend on the secret)
// -------------------------------------------------------------------------------------------------
//
// Each fake is chosen from the shipped dictionaries (src/core/mask/data/<locale>/) by keyed BLAKE2b
// of (kind, locale, seed): same seed + key + locale -> same fake. First name, last name, full name
// and email share one derivation, so for one seed they describe the same person. Fakes never point
// at real contacts: emails use the reserved example.com/.net/.org domains (RFC 2606), phones use
// numbers reserved for drama/fiction, cards use test BINs, IBANs are random but check-digit valid.
// Fakes index the dictionaries, so a release that reorders or inserts dictionary entries changes
// them (generate.py: append only). Seeds may be any bytes.

// FakeLocale selects the dictionaries: en (United Kingdom), fr (France), de (Germany).
enum class FakeLocale : std::uint8_t { kEn = 0, kFr = 1, kDe = 2 };

// ParseFakeLocale maps 'en', 'fr', 'de' (ASCII, case-insensitive) to a FakeLocale. Throws
// kInvalidParameter for any other text.
FakeLocale ParseFakeLocale(std::string_view locale);

// FakeFirstName appends a first name, e.g. "Olivia" (en), "Camille" (fr), "Lukas" (de).
void FakeFirstName(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
                   std::string &out);

// FakeLastName appends a last name, e.g. "Thompson", "Lefèvre", "Müller".
void FakeLastName(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
                  std::string &out);

// FakeFullName appends FakeFirstName + " " + FakeLastName of the same seed.
void FakeFullName(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
                  std::string &out);

// FakeEmail appends "first.last" + two digits + "@example.(com|net|org)", the names of the same
// seed folded to lower-case ASCII (é -> e, ß -> ss, ü -> ue...; other characters dropped), e.g.
// "lukas.mueller42@example.org".
void FakeEmail(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
               std::string &out);

// FakePhone appends a national-format number from ranges reserved for fiction: en "020 7946
// 0nnn"-style Ofcom drama numbers, fr "01 99 00 nn nn"-style ARCEP fiction numbers, de "030 23125
// nnn"-style Bundesnetzagentur numbers.
void FakePhone(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
               std::string &out);

// FakeCity appends a real city or town name of the locale's country.
void FakeCity(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
              std::string &out);

// FakeStreetAddress appends a house number and street in the locale's order: "42 Station Road"
// (en), "17 rue des Lilas" (fr), "Lindenstraße 8" (de).
void FakeStreetAddress(std::string_view seed, FakeLocale locale,
                       const std::uint8_t key[kMaskKeyBytes], std::string &out);

// FakeCompany appends a company name built from last names, business words and the locale's legal
// form: "Thompson Logistics Ltd", "Harris & Patel LLP", "Transports Martin SAS", "Martin et Fils
// SARL", "Weber Holzbau GmbH".
void FakeCompany(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
                 std::string &out);

// FakeIban appends a compact IBAN (no spaces) of the locale's country (GB 22, FR 27, DE 22
// characters) with random BBAN digits and valid ISO 13616 mod-97 check digits (and a valid French
// RIB key).
void FakeIban(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
              std::string &out);

// FakeCard appends a Luhn-valid 16-digit card number (no separators) from test BIN ranges: "400000"
// (Visa test range) or "555555" (Mastercard test range) followed by 9 keyed digits and the Luhn
// check digit.
void FakeCard(std::string_view seed, const std::uint8_t key[kMaskKeyBytes], std::string &out);

} // namespace privacy::core
