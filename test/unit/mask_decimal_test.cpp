// mask_decimal_test.cpp: the decimal conversions of noise(numeric) equal PostgreSQL's text round
// trips.
//
// Proves: Base10000ToDouble gives strtod's double for the decimal text numeric_out would print
// (random digit strings of every length up to the limit, weights across the double range, both
// signs), and refuses what it cannot promise (digits outside 0..9999, too many digits, overflow,
// underflow); DoubleToDecimal gives the value that printf "%.15g" followed by numeric_round(scale)
// gives (random doubles of every magnitude, exact ties at the 15th digit, halves at the scale,
// scales 0..24) as at most 15 digits and a power of ten.
#include "privacy/core/mask.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

namespace core = privacy::core;

// NumericText writes the digits as numeric_out would (up to trailing zeros, which strtod ignores).
std::string
NumericText(bool negative, const std::vector<std::int16_t> &digits, int weight) {
	std::string text = negative ? "-" : "";
	char buf[8];
	for (std::int16_t digit : digits) {
		std::snprintf(buf, sizeof(buf), "%04d", digit);
		text += buf;
	}
	text += "e" + std::to_string(4L * (weight - static_cast<long>(digits.size()) + 1));
	return text;
}

TEST(MaskDecimal, Base10000MatchesStrtod) {
	std::mt19937_64 rng(11);
	int checked = 0;
	for (int iter = 0; iter < 100000; ++iter) {
		const std::size_t n = 1 + rng() % core::kMaxFastBase10000Digits;
		std::vector<std::int16_t> digits(n);
		for (auto &digit : digits)
			digit = static_cast<std::int16_t>(rng() % 10000);
		if (rng() % 4 == 0)
			digits[n - 1] = static_cast<std::int16_t>(5000); // halves of the last place, for ties
		digits[0] = static_cast<std::int16_t>(1 + rng() % 9999);
		const int weight = static_cast<int>(rng() % 200) - 100 +
		                   (rng() % 8 == 0 ? static_cast<int>(rng() % 160) - 80 : 0);
		const bool negative = rng() % 2 == 0;
		const std::string text = NumericText(negative, digits, weight);
		const double expected = std::strtod(text.c_str(), nullptr);
		double got = 0.0;
		if (core::Base10000ToDouble(negative, digits.data(), digits.size(), weight, &got)) {
			ASSERT_EQ(std::memcmp(&got, &expected, sizeof(double)), 0) << text;
			++checked;
		} else {
			ASSERT_FALSE(std::isnormal(expected))
			        << text; // only overflow and underflow are refused
		}
	}
	EXPECT_GT(checked, 75000);
	// Short values (the common case) and exact ones.
	const std::int16_t one_seventh[] = {14,   2857, 1428,
	                                    5714, 2857, 1429}; // 142857.1428571428571429
	double got = 0.0;
	ASSERT_TRUE(core::Base10000ToDouble(false, one_seventh, 6, 1, &got));
	EXPECT_EQ(got, std::strtod("142857.1428571428571429", nullptr));
	ASSERT_TRUE(core::Base10000ToDouble(true, nullptr, 0, 0, &got));
	EXPECT_TRUE(got == 0.0 && std::signbit(got));
}

TEST(MaskDecimal, Base10000Refusals) {
	double got = 0.0;
	const std::int16_t bad_high[] = {1, 10000};
	const std::int16_t bad_negative[] = {1, -1};
	EXPECT_FALSE(core::Base10000ToDouble(false, bad_high, 2, 0, &got));
	EXPECT_FALSE(core::Base10000ToDouble(false, bad_negative, 2, 0, &got));
	std::vector<std::int16_t> many(core::kMaxFastBase10000Digits + 1, 1);
	EXPECT_FALSE(core::Base10000ToDouble(false, many.data(), many.size(), 0, &got));
	const std::int16_t one[] = {1};
	EXPECT_FALSE(core::Base10000ToDouble(false, one, 1, 100, &got)); // 10^400: overflow
	EXPECT_FALSE(core::Base10000ToDouble(true, one, 1, -100, &got)); // 10^-400: underflow
	EXPECT_FALSE(core::Base10000ToDouble(false, one, 1, -80, &got)); // 10^-320: subnormal
	EXPECT_TRUE(core::Base10000ToDouble(false, one, 1, 76, &got));   // 10^304
	EXPECT_EQ(got, 1e304);
}

// Reference: printf "%.14e" (the digits of "%.15g"), then numeric_round's half-away-from-zero at
// scale, on the decimal digits as text. Returns value * 10^scale after rounding, as a signed
// decimal integer string.
std::string
Reference(double value, int scale) {
	char text[64];
	std::snprintf(text, sizeof(text), "%.14e", std::fabs(value));
	std::string digits;
	const char *p = text;
	for (; *p != 'e'; ++p)
		if (*p != '.')
			digits += *p;
	const long exponent = std::strtol(p + 1, nullptr, 10);
	const long int_len =
	        exponent + 1 + scale; // digits of `digits` left of the point after * 10^scale
	std::string n;
	if (int_len >= 15) {
		n = digits + std::string(static_cast<std::size_t>(int_len - 15), '0');
	} else if (int_len >= 0) {
		std::int64_t kept =
		        int_len == 0 ? 0 : std::stoll(digits.substr(0, static_cast<std::size_t>(int_len)));
		if (digits[static_cast<std::size_t>(int_len)] >= '5')
			++kept;
		n = std::to_string(kept);
	} else {
		n = "0";
	}
	const std::size_t first = n.find_first_not_of('0');
	n = first == std::string::npos ? "0" : n.substr(first);
	return (value < 0 && n != "0" ? "-" : "") + n;
}

// Scaled writes mantissa / 10^log10_divisor times 10^scale as a signed decimal integer string.
std::string
Scaled(std::int64_t mantissa, int log10_divisor, int scale) {
	if (mantissa == 0)
		return "0";
	const std::string magnitude = std::to_string(mantissa < 0 ? -mantissa : mantissa);
	return (mantissa < 0 ? "-" : "") + magnitude +
	       std::string(static_cast<std::size_t>(scale - log10_divisor), '0');
}

TEST(MaskDecimal, DecimalMatchesPrintfAndNumericRound) {
	std::mt19937_64 rng(5);
	std::uniform_real_distribution<double> unit(-1.0, 1.0);
	for (int iter = 0; iter < 150000; ++iter) {
		double value;
		switch (iter % 5) {
		case 0: { // any finite double
			std::uint64_t bits = rng();
			std::memcpy(&value, &bits, sizeof(value));
			if (!std::isfinite(value))
				continue;
			break;
		}
		case 1: // noised numerics like id / 7 * (1 + r)
			value = static_cast<double>(rng() % 1000000) / 7.0 * (1.0 + 0.1 * unit(rng));
			break;
		case 2: // 13 integer digits and eighths: 16 significant digits ending in 5, exact ties at
		        // the 15th
			value = static_cast<double>(1000000000000LL +
			                            static_cast<std::int64_t>(rng() % 9000000000000LL)) +
			        static_cast<double>(1 + 2 * (rng() % 4)) / 8.0;
			break;
		case 3: // halves at the scale: x.5, x.25, x.125 ...
			value = static_cast<double>(static_cast<std::int64_t>(rng() % 2000000) - 1000000) /
			        static_cast<double>(1 << (rng() % 12));
			break;
		default:
			value = unit(rng) *
			        std::pow(10.0, static_cast<double>(static_cast<int>(rng() % 40) - 20));
		}
		const int scale = static_cast<int>(rng() % 25);
		std::int64_t mantissa = 0;
		int log10_divisor = 0;
		ASSERT_TRUE(core::DoubleToDecimal(value, scale, &mantissa, &log10_divisor)) << value;
		ASSERT_LT(mantissa < 0 ? -mantissa : mantissa, 1000000000000000) << value;
		ASSERT_LE(log10_divisor, scale) << value;
		ASSERT_EQ(Scaled(mantissa, log10_divisor, scale), Reference(value, scale))
		        << value << " " << scale;
	}
	std::int64_t mantissa = 0;
	int divisor = 0;
	const auto decimal = [&](double value, int scale) {
		EXPECT_TRUE(core::DoubleToDecimal(value, scale, &mantissa, &divisor));
		return Scaled(mantissa, divisor, scale);
	};
	EXPECT_EQ(decimal(2.5, 0), "3");
	EXPECT_EQ(decimal(-2.5, 0), "-3");
	EXPECT_EQ(decimal(0.125, 2), "13");
	EXPECT_EQ(decimal(1234567890123.125, 2), "123456789012312"); // "%.15g": ...123.12 (tie to even)
	EXPECT_EQ(decimal(1234567890123.375, 2), "123456789012338");
	EXPECT_EQ(decimal(1000000000000005.0, 0), "1000000000000000"); // 1e+15 (tie to even)
	EXPECT_EQ(decimal(142857.14285714287, 16), "1428571428571430000000");
	EXPECT_EQ(divisor, 9); // the 15 digits end 9 decimals in: only the display scale is set
	EXPECT_EQ(decimal(-0.0, 3), "0");
	EXPECT_EQ(decimal(DBL_MAX, 0), "17976931348623200" + std::string(292, '0'));
	EXPECT_FALSE(core::DoubleToDecimal(NAN, 0, &mantissa, &divisor));
	EXPECT_FALSE(core::DoubleToDecimal(INFINITY, 0, &mantissa, &divisor));
	EXPECT_FALSE(core::DoubleToDecimal(1.0, -1, &mantissa, &divisor));
}

} // namespace
