// decimal.cpp: the decimal conversions of noise(numeric) without text round trips (see mask.hpp).
//
// Base10000ToDouble writes the digits as "[-]DDDD...DDDDe<exp>" on the stack and parses it with
// std::from_chars, which rounds to nearest, ties to even, exactly as glibc's strtod does in
// PostgreSQL's default rounding mode. DoubleToDecimal takes the 15 significant digits from
// std::to_chars (scientific, precision 14: exact, ties to even, as glibc's printf "%.15g" whose
// digits are those of "%.14e"), then rounds them half away from zero to the scale as numeric_round
// does. Unit tests compare both with strtod and snprintf.
#include "privacy/core/mask.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace privacy::core {

bool
Base10000ToDouble(bool negative, const std::int16_t *digits, std::size_t ndigits, int weight,
                  double *out) {
	if (ndigits == 0) {
		*out = negative ? -0.0 : 0.0;
		return true;
	}
	if (ndigits > kMaxFastBase10000Digits)
		return false;
	char text[1 + 4 * kMaxFastBase10000Digits + 16];
	char *p = text;
	if (negative)
		*p++ = '-';
	for (std::size_t i = 0; i < ndigits; ++i) {
		const int digit = digits[i];
		if (digit < 0 || digit > 9999)
			return false;
		p[0] = static_cast<char>('0' + digit / 1000);
		p[1] = static_cast<char>('0' + digit / 100 % 10);
		p[2] = static_cast<char>('0' + digit / 10 % 10);
		p[3] = static_cast<char>('0' + digit % 10);
		p += 4;
	}
	// The last digit weighs 10000^(weight - ndigits + 1).
	const long exponent = 4L * (static_cast<long>(weight) - static_cast<long>(ndigits) + 1);
	*p++ = 'e';
	const auto written = std::to_chars(p, text + sizeof(text), exponent);
	if (written.ec != std::errc())
		return false;
	double value = 0.0;
	const auto parsed = std::from_chars(text, written.ptr, value);
	if (parsed.ec != std::errc() || parsed.ptr != written.ptr)
		return false;
	// Subnormal or zero results of a non-zero value: leave them to strtod (glibc's ERANGE
	// behaviour).
	if (!std::isnormal(value))
		return false;
	*out = value;
	return true;
}

bool
DoubleToDecimal(double value, int scale, std::int64_t *mantissa, int *log10_divisor) {
	static constexpr std::int64_t kPow10[] = {1,
	                                          10,
	                                          100,
	                                          1000,
	                                          10000,
	                                          100000,
	                                          1000000,
	                                          10000000,
	                                          100000000,
	                                          1000000000,
	                                          10000000000,
	                                          100000000000,
	                                          1000000000000,
	                                          10000000000000,
	                                          100000000000000,
	                                          1000000000000000,
	                                          10000000000000000,
	                                          100000000000000000,
	                                          1000000000000000000};
	if (!std::isfinite(value) || scale < 0)
		return false;
	// "-d.ddddddddddddddde-308": at most 23 characters.
	char text[40];
	const auto written =
	        std::to_chars(text, text + sizeof(text), value, std::chars_format::scientific, 14);
	if (written.ec != std::errc())
		return false;
	const char *p = text;
	const bool negative = *p == '-';
	if (negative)
		++p;
	std::int64_t digits = 0; // the 15 significant digits as an integer
	int count = 0;
	for (; p < written.ptr && *p != 'e'; ++p) {
		if (*p == '.')
			continue;
		digits = digits * 10 + (*p - '0');
		++count;
	}
	if (count != 15 || p == written.ptr)
		return false;
	int exponent = 0;
	const auto exp_parsed = std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), written.ptr, exponent);
	if (exp_parsed.ec != std::errc() || exp_parsed.ptr != written.ptr)
		return false;
	// value ~ digits / 10^(14 - exponent); the digits beyond scale decimals are rounded off.
	const int divisor_digits = 14 - exponent;
	std::int64_t magnitude;
	if (digits == 0 || divisor_digits <= scale) {
		magnitude = digits; // exact at scale decimals already
		*log10_divisor = digits == 0 ? scale : divisor_digits;
	} else {
		const int drop = divisor_digits - scale; // > 0
		if (drop > 18) {
			magnitude = 0; // digits < 10^15 <= 10^(drop - 3): far below one half
		} else {
			const std::int64_t divisor = kPow10[drop];
			magnitude = digits / divisor;
			if (2 * (digits % divisor) >= divisor) // half away from zero, on the magnitude
				++magnitude;
		}
		*log10_divisor = scale;
	}
	*mantissa = negative ? -magnitude : magnitude;
	return true;
}

} // namespace privacy::core
