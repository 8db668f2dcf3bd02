// fpe_arith_test.cpp: the reductions FF1 uses on its word path give exactly y mod d.
//
// Proves: FastMod64 (Lemire's direct remainder, used for the rounds whose y fits one word: card
// numbers, SSNs, phone numbers) and Reciprocal64 (Moller-Granlund, used otherwise) equal the
// hardware remainder for random and extreme y (0, 1, d - 1, d, 2^64 - 1, multiples of d and their
// neighbours) and moduli radix^k for every radix class tokens use, plus random and extreme moduli
// (2, 3, 2^32, 2^63, 2^64 - 1).
#include "../../src/core/fpe/fpe_internal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using privacy::core::fpe_detail::FastMod64;
using privacy::core::fpe_detail::Reciprocal64;
using privacy::core::fpe_detail::U128;

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

} // namespace
