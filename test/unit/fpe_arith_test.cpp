// fpe_arith_test.cpp: the reductions FF1 uses on its word path give exactly y mod d.
//
// Proves: FastMod64 (Lemire's direct remainder, used for the rounds whose y fits one word: card
// numbers, SSNs, phone numbers) and Reciprocal64 (Moller-Granlund, used otherwise) equal the
// hardware remainder for random and extreme y (0, 1, d - 1, d, 2^64 - 1, multiples of d and their
// neighbours) and moduli radix^k for every radix class tokens use, plus random and extreme moduli
// (2, 3, 2^32, 2^63, 2^64 - 1); Barrett96 (the rounds whose y takes 9 to 12 bytes) equals the
// 128-bit remainder for y below 2^96 and every modulus in (2^32, 2^63) of that list; AES-NI
// (AesEcb's own round keys, AES-128 and AES-256) gives the blocks EVP gives. WordDigits' Read and
// Write (the numeral conversions at both ends of a value, parallel forms for values below 2^64)
// agree with the schoolbook conversion for every radix class and length, both orders, and refuse
// a numeral outside the radix.
#include "privacy/core/aes.hpp"

#include "../../src/core/crypto/aes_ni.hpp"
#include "../../src/core/fpe/fpe_internal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

using privacy::core::AesEcb;
using privacy::core::fpe_detail::Barrett96;
using privacy::core::fpe_detail::Barrett96Top;
using privacy::core::fpe_detail::FastMod64;
using privacy::core::fpe_detail::Reciprocal64;
using privacy::core::fpe_detail::U128;
using privacy::core::fpe_detail::WordDigits;

std::vector<std::uint64_t>
Moduli() {
	std::vector<std::uint64_t> moduli = {2,
	                                     3,
	                                     7,
	                                     1000000,
	                                     4294967295ull,
	                                     4294967296ull,
	                                     4294967297ull,
	                                     1ull << 63,
	                                     (1ull << 63) + 1,
	                                     ~std::uint64_t{0},
	                                     ~std::uint64_t{0} - 1};
	for (const std::uint64_t radix :
	     {2ull, 3ull, 10ull, 16ull, 26ull, 36ull, 62ull, 255ull, 1000ull, 65535ull, 65536ull}) {
		U128 power = radix;
		while (power < (U128{1} << 64)) {
			moduli.push_back(static_cast<std::uint64_t>(power));
			power *= radix;
		}
	}
	std::mt19937_64 rng(3);
	for (int i = 0; i < 200; ++i)
		moduli.push_back((rng() >> (rng() % 62)) | 2);
	return moduli;
}

TEST(FpeArith, FastMod64AndReciprocal64AreExact) {
	std::mt19937_64 rng(17);
	for (const std::uint64_t d : Moduli()) {
		FastMod64 fast;
		fast.Init(d);
		Reciprocal64 reciprocal;
		reciprocal.Init(d);
		std::vector<std::uint64_t> ys = {
		        0, 1, d - 1, d, d + 1, ~std::uint64_t{0}, ~std::uint64_t{0} - 1};
		const std::uint64_t multiples = ~std::uint64_t{0} / d;
		for (int i = 0; i < 300; ++i) {
			const std::uint64_t k = multiples == 0 ? 0 : rng() % (multiples + 1);
			const std::uint64_t y = k * d;
			ys.push_back(y);
			ys.push_back(y - 1);
			ys.push_back(y + (rng() % d));
			ys.push_back(rng());
			ys.push_back(rng() >> (rng() % 64));
		}
		for (const std::uint64_t y : ys) {
			ASSERT_EQ(fast.Mod(y), y % d) << y << " mod " << d;
			ASSERT_EQ(reciprocal.Mod(y), y % d) << y << " mod " << d;
		}
	}
}

TEST(FpeArith, Barrett96IsExactBelow2To96) {
	std::mt19937_64 rng(29);
	int tested = 0;
	for (const std::uint64_t d : Moduli()) {
		if (!Barrett96::Fits(d))
			continue;
		++tested;
		Barrett96 barrett;
		barrett.Init(d);
		const U128 top = (U128{1} << 96) - 1;
		std::vector<U128> ys = {
		        0, 1, d - 1, d, d + 1, top, top - 1, top - (top % d), top - (top % d) - 1};
		for (int i = 0; i < 300; ++i) {
			const U128 y = ((static_cast<U128>(rng()) << 64) | rng()) & top;
			ys.push_back(y);
			ys.push_back(y >> (rng() % 96));
			const U128 multiple = (y / d) * d;
			ys.push_back(multiple);
			if (multiple != 0)
				ys.push_back(multiple - 1);
		}
		for (const U128 y : ys)
			ASSERT_EQ(barrett.Mod(y), static_cast<std::uint64_t>(y % d)) << " mod " << d;
	}
	EXPECT_GT(tested, 20);
	EXPECT_FALSE(Barrett96::Fits(std::uint64_t{1} << 32));
	EXPECT_FALSE(Barrett96::Fits(std::uint64_t{1} << 63));
}

TEST(FpeArith, Barrett96TopIsWithinTwoQuotients) {
	std::mt19937_64 rng(31);
	int tested = 0;
	for (const std::uint64_t d : Moduli()) {
		if (!Barrett96Top::Fits(d))
			continue;
		++tested;
		Barrett96Top top;
		top.Init(d);
		const U128 all = (U128{1} << 96) - 1;
		std::vector<U128> ys = {
		        0, 1, d - 1, d, d + 1, all, all - 1, all - (all % d), all - (all % d) - 1};
		for (int i = 0; i < 300; ++i) {
			const U128 y = ((static_cast<U128>(rng()) << 64) | rng()) & all;
			ys.push_back(y);
			ys.push_back(y >> (rng() % 96));
			const U128 multiple = (y / d) * d;
			ys.push_back(multiple);
			if (multiple != 0)
				ys.push_back(multiple - 1);
		}
		for (const U128 y : ys) {
			const auto hi = static_cast<std::uint64_t>(y >> 32);
			const auto lo = static_cast<std::uint64_t>(y);
			const std::uint64_t slack = top.Slack(hi, lo);
			const auto expected = static_cast<std::uint64_t>(y % d);
			ASSERT_LT(slack, 3 * d);
			ASSERT_EQ(top.Reduce3(slack), expected) << " mod " << d;
			const std::uint64_t a = rng() % d;
			ASSERT_EQ(top.AddSlack(a, slack), static_cast<std::uint64_t>((U128{a} + expected) % d));
		}
	}
	EXPECT_GT(tested, 20);
}

TEST(FpeArith, AesNiMatchesEvp) {
	std::mt19937_64 rng(41);
	for (const std::size_t key_len : {std::size_t{16}, std::size_t{24}, std::size_t{32}}) {
		for (int k = 0; k < 20; ++k) {
			std::uint8_t key[32];
			for (auto &byte : key)
				byte = static_cast<std::uint8_t>(rng());
			const AesEcb fast(key, key_len);
#if PRIVACY_HAVE_AESNI
			// the per-key check against OpenSSL accepts a correct schedule:
			// on an AES-NI CPU the fast path is the one compared below
			if (key_len != 24 && privacy::core::aesni::Available()) {
				EXPECT_NE(fast.RoundKeys(), nullptr) << key_len;
			}
#endif
			AesEcb evp(key, key_len);
			evp.UseEvpOnly();
			EXPECT_EQ(evp.RoundKeys(), nullptr);
			for (int i = 0; i < 50; ++i) {
				std::uint8_t block[16];
				for (auto &byte : block)
					byte = static_cast<std::uint8_t>(rng());
				std::uint8_t a[16];
				std::uint8_t b[16];
				fast.EncryptBlock(block, a);
				evp.EncryptBlock(block, b);
				ASSERT_EQ(0, std::memcmp(a, b, 16)) << key_len;
			}
		}
	}
	// FIPS 197 C.1 and C.3: the known answers, whichever path the CPU takes.
	const std::uint8_t plain[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	std::uint8_t key[32];
	for (int i = 0; i < 32; ++i)
		key[i] = static_cast<std::uint8_t>(i);
	const std::uint8_t c128[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
	                               0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
	const std::uint8_t c256[16] = {0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf,
	                               0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89};
	std::uint8_t out[16];
	AesEcb(key, 16).EncryptBlock(plain, out);
	EXPECT_EQ(0, std::memcmp(out, c128, 16));
	AesEcb(key, 32).EncryptBlock(plain, out);
	EXPECT_EQ(0, std::memcmp(out, c256, 16));
}

TEST(FpeArith, WordDigitsReadAndWriteMatchSchoolbook) {
	std::mt19937_64 rng(59);
	for (const std::uint32_t radix :
	     {2u, 3u, 7u, 10u, 16u, 26u, 36u, 62u, 255u, 256u, 1000u, 65535u, 65536u}) {
		WordDigits digits;
		digits.Init(radix);
		// every length whose values fit 96 bits (the word path), values random and extreme
		for (std::size_t len = 1; len <= 96; ++len) {
			U128 limit = 1; // radix^len, capped
			bool fits = true;
			for (std::size_t j = 0; j < len && fits; ++j) {
				limit *= radix;
				fits = limit <= (U128{1} << 96);
			}
			if (!fits)
				break;
			for (int i = 0; i < 60; ++i) {
				std::vector<std::uint16_t> numerals(len);
				for (auto &numeral : numerals)
					numeral = static_cast<std::uint16_t>(
					        i == 0 ? 0 : (i == 1 ? radix - 1 : rng() % radix));
				U128 value = 0;
				for (const std::uint16_t numeral : numerals)
					value = value * radix + numeral;
				SCOPED_TRACE(testing::Message() << "radix " << radix << " len " << len);
				ASSERT_TRUE(digits.Read<false>(numerals.data(), len) == value);
				std::vector<std::uint16_t> reversed(numerals.rbegin(), numerals.rend());
				ASSERT_TRUE(digits.Read<true>(reversed.data(), len) == value);
				std::vector<std::uint16_t> out(len + 1, 0xFFFF);
				digits.Write<false>(value, len, out.data());
				ASSERT_EQ(std::vector<std::uint16_t>(out.begin(), out.begin() + len), numerals);
				ASSERT_EQ(out[len], 0xFFFF); // nothing written past the value
				digits.Write<true>(value, len, out.data());
				ASSERT_EQ(std::vector<std::uint16_t>(out.begin(), out.begin() + len), reversed);
				// a numeral outside the radix, anywhere, is refused (not folded into the value)
				if (radix < 65536) {
					std::vector<std::uint16_t> bad = numerals;
					bad[rng() % len] = static_cast<std::uint16_t>(radix);
					EXPECT_THROW(digits.Read<false>(bad.data(), len), privacy::core::Error);
					EXPECT_THROW(digits.Read<true>(bad.data(), len), privacy::core::Error);
				}
			}
		}
	}
}

} // namespace
