// ff1.cpp: FF1 format-preserving encryption (NIST SP 800-38G Rev. 1, Algorithms 7 and 8), written
// from the standard.
//
// How it is fast:
//   - The AES key schedule and EVP context live in Ff1::aes_ (once per key).
//   - PRF is a CBC-MAC over P || Q. P depends only on (radix, n, t), and Q = T || 0^pad || [i] ||
//   [NUM(B)]^b
//     changes from round to round only in its last b + 1 bytes. A Plan encrypts P and every
//     constant leading block of Q once; each round then runs CBC-MAC over the variable tail only:
//     one AES block whenever b <= 15, i.e. always on the word path below. The object keeps the last
//     Plan (keyed by radix, length and tweak), so repeated calls with the same format, like a
//     column of card numbers, skip it entirely.
//   - The Feistel state is kept as two integers NUM_radix(A), NUM_radix(B) instead of numeral
//   strings
//     (NUM_radix(STR_m(c)) = c), so STR/NUM conversions happen once per call, not once per round.
//     When radix^v < 2^96 (b <= 12, hence d <= 16) the integers are unsigned __int128 and y mod
//     radix^m uses a precomputed reciprocal (no hardware division) whenever radix^m < 2^64; longer
//     values take the numeral-string path with base-2^32 arithmetic.
//   - Nothing allocates per call for values of up to 64 numerals (the cached Plan is allocated once
//   per
//     object).
//
// Invariants: every input numeral is checked against the radix before anything is written to out
// (in and out may alias). Errors carry static strings only; the plaintext, tweak and key never
// reach them.
#include "privacy/core/fpe.hpp"

#include "../crypto/aes_ni.hpp"
#include "fpe_internal.hpp"

#include <cstring>

#include <openssl/crypto.h>

namespace privacy::core {

using fpe_detail::kStackNumerals;
using fpe_detail::ScratchArray;
using fpe_detail::U128;

// Plan holds what FF1 computes once per (key, radix, n, tweak): the split, b and d, the CBC-MAC
// state after P and the constant blocks of Q, and the constant bytes that start the first variable
// block of Q.
struct Ff1::Plan {
	bool valid = false; // false while being (re)built or after a failed build
	std::uint32_t radix = 0;
	std::size_t n = 0;
	std::size_t u = 0;
	std::size_t v = 0;
	std::size_t b = 0;
	std::size_t d = 0;
	std::size_t tail_prefix_len = 0; // constant bytes of Q before [i] in the first variable block
	std::size_t tail_len = 0;        // tail_prefix_len + 1 + b, a multiple of 16
	std::uint8_t tail_prefix[16] = {};
	std::uint8_t y0[16] = {}; // CBC-MAC chaining value after P and the constant blocks of Q
	// Word path (radix^v < 2^96).
	bool word_path = false;
	bool small_moduli = false; // radix^v < 2^64: reduce with mod_u / mod_v
	U128 radix_u = 0;          // radix^u
	U128 radix_v = 0;          // radix^v
	U128 block_base = 0;       // y0 xor (tail prefix || 0...), as a big-endian integer
	fpe_detail::Reciprocal64 mod_u;
	fpe_detail::Reciprocal64 mod_v;
	fpe_detail::FastMod64 fast_u; // the same moduli, for y < 2^64 (d == 8)
	fpe_detail::FastMod64 fast_v;
	fpe_detail::WordDigits digits;
	// y of 9..12 bytes: Barrett reduction (both moduli in (2^32, 2^63)).
	bool barrett = false;
	fpe_detail::Barrett96 barrett_u;
	fpe_detail::Barrett96 barrett_v;
	// d == 12 and both moduli in (2^32, 2^62): the one-multiplication estimate (AES-NI rounds).
	bool barrett_top = false;
	fpe_detail::Barrett96Top top_u;
	fpe_detail::Barrett96Top top_v;
	// The constant part of round i's variable CBC-MAC block, block_base xor ([i] << 8b), as the
	// block's bytes: the AES-NI rounds xor NUM_radix(B) into it in a register.
	alignas(16) std::uint8_t round_block[10][16] = {};
	// Numeral-string path.
	unsigned chunk_digits = 0;     // digits per 32-bit chunk
	std::uint64_t chunk_power = 0; // radix^chunk_digits (<= 2^32)
	// The tweak this plan was built for.
	std::size_t tweak_len = 0;
	std::uint8_t tweak[kMaxTweakLength] = {};
};

namespace {

constexpr int kRounds = 10;

// ByteLength returns the number of bytes needed to write x (x > 0).
std::size_t
ByteLength(U128 x) noexcept {
	std::size_t len = 0;
	while (x != 0) {
		++len;
		x >>= 8;
	}
	return len;
}

// PowerMinusOneByteLength returns the byte length of radix^v - 1, which equals
// ceil(ceil(v * log2(radix)) / 8), computed exactly with base-2^32 arithmetic.
std::size_t
PowerMinusOneByteLength(std::uint32_t radix, std::size_t v, unsigned chunk_digits,
                        std::uint64_t chunk_power) {
	ScratchArray<std::uint32_t, kStackNumerals> limbs(v / 2 + 3); // radix^v < 2^(16v)
	std::uint32_t *x = limbs.data();
	std::size_t count = 1;
	x[0] = 1;
	std::size_t left = v;
	for (; left >= chunk_digits; left -= chunk_digits)
		fpe_detail::MulAddSmall(x, count, chunk_power, 0);
	std::uint64_t rest = 1;
	for (; left > 0; --left)
		rest *= radix;
	fpe_detail::MulAddSmall(x, count, rest, 0);
	// Subtract one; x >= 2 so the borrow stops inside the number.
	std::size_t i = 0;
	while (x[i] == 0)
		x[i++] = 0xFFFFFFFFu;
	--x[i];
	while (count > 0 && x[count - 1] == 0)
		--count;
	std::size_t bits = (count - 1) * 32;
	for (std::uint32_t top = x[count - 1]; top != 0; top >>= 1)
		++bits;
	return (bits + 7) / 8;
}

// RunWords runs the ten Feistel rounds with NUM_radix(A) and NUM_radix(B) held in machine words:
// uint64_t when radix^v < 2^64 (keeping the state in general registers matters: 128-bit values get
// moved through memory), unsigned __int128 otherwise. The one variable CBC-MAC block is block_base
// xor ([i] << 8b) xor NUM_radix(B), and y is the top d bytes of R.
template <typename Word>
void
RunWords(const AesEcb &aes, const Ff1::Plan &plan, const std::uint16_t *in, std::uint16_t *out,
         bool encrypt) {
	constexpr bool kNarrow = sizeof(Word) == 8;
	auto a = static_cast<Word>(plan.digits.Read<false>(in, plan.u));
	auto b = static_cast<Word>(plan.digits.Read<false>(in + plan.u, plan.v));
	// Everything a round needs besides the chained value is copied into locals first, so that the
	// dependency chain from one AES block to the next holds only the reduction, the addition and
	// the byte moves.
	const auto radix_u = static_cast<Word>(plan.radix_u);
	const auto radix_v = static_cast<Word>(plan.radix_v);
	const fpe_detail::Reciprocal64 mod_u = plan.mod_u;
	const fpe_detail::Reciprocal64 mod_v = plan.mod_v;
	const bool small_moduli = kNarrow || plan.small_moduli;
	const unsigned round_shift = static_cast<unsigned>(8 * plan.b);
	const unsigned y_shift = static_cast<unsigned>(8 * (16 - plan.d));
	const U128 block_base = plan.block_base;
	alignas(16) std::uint8_t block[16];
	// One round: i selects [i] in Q and whether m = u (even i) or v (odd i); inlined with a
	// constant parity.
	const auto round = [&](int i, Word modulus, const fpe_detail::Reciprocal64 &reduce) {
		const U128 x =
		        block_base ^ (static_cast<U128>(i) << round_shift) ^ U128 { encrypt ? b : a };
		fpe_detail::StoreBigEndian128(x, block);
		aes.EncryptBlock(block, block);
		const U128 y = fpe_detail::LoadBigEndian128(block) >> y_shift;
		const Word ym =
		        small_moduli ? static_cast<Word>(reduce.Mod(y)) : static_cast<Word>(y % modulus);
		if (encrypt) {
			const Word c = fpe_detail::AddMod<Word>(a, ym, modulus);
			a = b;
			b = c;
		} else {
			const Word c = fpe_detail::SubMod<Word>(b, ym, modulus);
			b = a;
			a = c;
		}
	};
	static_assert(kRounds % 2 == 0, "rounds run in (even, odd) pairs");
	if (encrypt) {
		for (int i = 0; i < kRounds; i += 2) {
			round(i, radix_u, mod_u);
			round(i + 1, radix_v, mod_v);
		}
	} else {
		for (int i = kRounds - 1; i > 0; i -= 2) {
			round(i, radix_v, mod_v);
			round(i - 1, radix_u, mod_u);
		}
	}
	plan.digits.Write<false>(a, plan.u, out);
	plan.digits.Write<false>(b, plan.v, out + plan.u);
}

// RunWordsOneWordY is RunWords<uint64_t> for d == 8 (b <= 4: radix^v <= 2^32, which covers card
// numbers, SSNs and phone numbers): y is then the first 8 bytes of R, read with one load, and
// reduced with FastMod64.
void
RunWordsOneWordY(const AesEcb &aes, const Ff1::Plan &plan, const std::uint16_t *in,
                 std::uint16_t *out, bool encrypt) {
	std::uint64_t a = static_cast<std::uint64_t>(plan.digits.Read<false>(in, plan.u));
	std::uint64_t b = static_cast<std::uint64_t>(plan.digits.Read<false>(in + plan.u, plan.v));
	const auto radix_u = static_cast<std::uint64_t>(plan.radix_u);
	const auto radix_v = static_cast<std::uint64_t>(plan.radix_v);
	const fpe_detail::FastMod64 fast_u = plan.fast_u;
	const fpe_detail::FastMod64 fast_v = plan.fast_v;
	const unsigned round_shift = static_cast<unsigned>(8 * plan.b);
	const U128 block_base = plan.block_base;
	alignas(16) std::uint8_t block[16];
	const auto round = [&](int i, std::uint64_t modulus, const fpe_detail::FastMod64 &reduce) {
		const U128 x =
		        block_base ^ (static_cast<U128>(i) << round_shift) ^ U128 { encrypt ? b : a };
		fpe_detail::StoreBigEndian128(x, block);
		aes.EncryptBlock(block, block);
		const std::uint64_t y = fpe_detail::LoadBigEndian64(block);
		const std::uint64_t ym = reduce.Mod(y);
		if (encrypt) {
			const std::uint64_t c = fpe_detail::AddMod<std::uint64_t>(a, ym, modulus);
			a = b;
			b = c;
		} else {
			const std::uint64_t c = fpe_detail::SubMod<std::uint64_t>(b, ym, modulus);
			b = a;
			a = c;
		}
	};
	if (encrypt) {
		for (int i = 0; i < kRounds; i += 2) {
			round(i, radix_u, fast_u);
			round(i + 1, radix_v, fast_v);
		}
	} else {
		for (int i = kRounds - 1; i > 0; i -= 2) {
			round(i, radix_v, fast_v);
			round(i - 1, radix_u, fast_u);
		}
	}
	plan.digits.Write<false>(a, plan.u, out);
	plan.digits.Write<false>(b, plan.v, out + plan.u);
}

#if PRIVACY_HAVE_AESNI

// RunWordsNi is RunWords with AES-NI: the Feistel block stays in a register from one round to the
// next (no store and reload around an EVP call, no EVP dispatch). The block of round i is
// round_block[i] xor NUM_radix(B) (big-endian, in its last b bytes); y is the top d bytes of R.
// kY: 8 (y is one word: FastMod64), 12 (y of 9..12 bytes in uint64 moduli: Barrett96 or
// Reciprocal64), 16 (128-bit moduli: hardware division).
template <typename Word, int kAesRounds, int kY, bool encrypt>
PRIVACY_AESNI_TARGET void
RunWordsNi(const std::uint8_t *round_keys, const Ff1::Plan &plan, const std::uint16_t *in,
           std::uint16_t *out) {
	const auto *rk = reinterpret_cast<const __m128i *>(round_keys);
	Word a = static_cast<Word>(plan.digits.Read<false>(in, plan.u));
	Word b = static_cast<Word>(plan.digits.Read<false>(in + plan.u, plan.v));
	const auto radix_u = static_cast<Word>(plan.radix_u);
	const auto radix_v = static_cast<Word>(plan.radix_v);
	const fpe_detail::FastMod64 fast_u = plan.fast_u;
	const fpe_detail::FastMod64 fast_v = plan.fast_v;
	const fpe_detail::Barrett96 barrett_u = plan.barrett_u;
	const fpe_detail::Barrett96 barrett_v = plan.barrett_v;
	const fpe_detail::Barrett96Top top_u = plan.top_u;
	const fpe_detail::Barrett96Top top_v = plan.top_v;
	const bool barrett = plan.barrett;
	const unsigned y_shift = static_cast<unsigned>(8 * (16 - plan.d));
	const auto *round_block = reinterpret_cast<const __m128i *>(plan.round_block);
#pragma GCC unroll 10
	for (int step = 0; step < kRounds; ++step) {
		const int i = encrypt ? step : kRounds - 1 - step;
		const bool even = (i % 2 == 0);
		const Word x = encrypt ? b : a;
		__m128i numeral;
		if constexpr (sizeof(Word) == 8)
			numeral = _mm_cvtsi64_si128(static_cast<long long>(x));
		else
			numeral = _mm_set_epi64x(static_cast<long long>(static_cast<std::uint64_t>(x >> 64)),
			                         static_cast<long long>(static_cast<std::uint64_t>(x)));
		const __m128i block =
		        _mm_xor_si128(_mm_load_si128(round_block + i), aesni::ReverseBytes(numeral));
		const __m128i r = aesni::Encrypt<kAesRounds>(block, rk);
		const Word modulus = even ? radix_u : radix_v;
		Word ym;
		if constexpr (kY == 8) {
			const auto y = __builtin_bswap64(static_cast<std::uint64_t>(_mm_cvtsi128_si64(r)));
			ym = (even ? fast_u : fast_v).Mod(y);
		} else if constexpr (kY == 13) {
			// y is the first 12 bytes: its top 64 bits are the first 8 (one load), the quotient
			// estimate needs only them; the remainder stays in [0, 3 * modulus) until the
			// addition folds the corrections in
			const auto hi = __builtin_bswap64(static_cast<std::uint64_t>(_mm_cvtsi128_si64(r)));
			const auto lo32 =
			        __builtin_bswap32(static_cast<std::uint32_t>(_mm_extract_epi32(r, 2)));
			const fpe_detail::Barrett96Top &top = even ? top_u : top_v;
			const std::uint64_t slack = top.Slack(hi, (hi << 32) | lo32);
			if constexpr (encrypt) {
				const Word c = top.AddSlack(a, slack);
				a = b;
				b = c;
			} else {
				const Word c = fpe_detail::SubMod<Word>(b, top.Reduce3(slack), modulus);
				b = a;
				a = c;
			}
			continue;
		} else {
			const __m128i le = aesni::ReverseBytes(r);
			const U128 y = ((static_cast<U128>(static_cast<std::uint64_t>(_mm_extract_epi64(le, 1)))
			                 << 64) |
			                static_cast<std::uint64_t>(_mm_cvtsi128_si64(le))) >>
			               y_shift;
			if constexpr (kY == 12) {
				if (barrett)
					ym = (even ? barrett_u : barrett_v).Mod(y);
				else
					ym = static_cast<Word>((even ? plan.mod_u : plan.mod_v).Mod(y));
			} else {
				ym = static_cast<Word>(y % modulus);
			}
		}
		if constexpr (encrypt) {
			// moduli below 2^63 (d == 8: below 2^32; Barrett: below 2^63): the sum cannot wrap
			Word c;
			if constexpr (kY == 8)
				c = fpe_detail::AddModNoWrap<Word>(a, ym, modulus);
			else if constexpr (kY == 12)
				c = barrett ? fpe_detail::AddModNoWrap<Word>(a, ym, modulus)
				            : fpe_detail::AddMod<Word>(a, ym, modulus);
			else
				c = fpe_detail::AddMod<Word>(a, ym, modulus);
			a = b;
			b = c;
		} else {
			const Word c = fpe_detail::SubMod<Word>(b, ym, modulus);
			b = a;
			a = c;
		}
	}
	plan.digits.Write<false>(a, plan.u, out);
	plan.digits.Write<false>(b, plan.v, out + plan.u);
}

// RunWordsNiFor picks the RunWordsNi instance for the plan and the key length; false when the
// plan is not on the word path.
bool
RunWordsNiFor(const AesEcb &aes, const Ff1::Plan &plan, const std::uint16_t *in, std::uint16_t *out,
              bool encrypt) {
	const std::uint8_t *rk = aes.RoundKeys();
	if (rk == nullptr || !plan.word_path)
		return false;
	const bool aes128 = aes.Rounds() == 10;
#define PRIVACY_RUN_NI(Word, kY)                                                                   \
	do {                                                                                           \
		if (aes128 && encrypt)                                                                     \
			RunWordsNi<Word, 10, kY, true>(rk, plan, in, out);                                     \
		else if (aes128)                                                                           \
			RunWordsNi<Word, 10, kY, false>(rk, plan, in, out);                                    \
		else if (encrypt)                                                                          \
			RunWordsNi<Word, 14, kY, true>(rk, plan, in, out);                                     \
		else                                                                                       \
			RunWordsNi<Word, 14, kY, false>(rk, plan, in, out);                                    \
	} while (0)
	if (plan.small_moduli && plan.d == 8)
		PRIVACY_RUN_NI(std::uint64_t, 8);
	else if (plan.small_moduli && plan.d == 12 && plan.barrett_top)
		PRIVACY_RUN_NI(std::uint64_t, 13);
	else if (plan.small_moduli)
		PRIVACY_RUN_NI(std::uint64_t, 12);
	else
		PRIVACY_RUN_NI(U128, 16);
#undef PRIVACY_RUN_NI
	return true;
}

#else

bool
RunWordsNiFor(const AesEcb &, const Ff1::Plan &, const std::uint16_t *, std::uint16_t *, bool) {
	return false;
}

#endif

// RunWordLanes is RunWords for up to Ff1::kBatchLanes values of the same format side by side: round
// i of every value is one block of a single multi-block AES call (ECB: the blocks are independent),
// so the AES-NI code pipelines them and the EVP call overhead is paid once per round for all
// values. Every numeral is read (and checked) before anything is written, so a bad numeral leaves
// all these values unchanged.
template <typename Word>
void
RunWordLanes(const AesEcb &aes, const Ff1::Plan &plan, std::uint16_t *const *values,
             std::size_t lanes, bool encrypt) {
	constexpr bool kNarrow = sizeof(Word) == 8;
	Word a[Ff1::kBatchLanes];
	Word b[Ff1::kBatchLanes];
	fpe_detail::StackWipe wipe_a(a, sizeof(a));
	fpe_detail::StackWipe wipe_b(b, sizeof(b));
	for (std::size_t k = 0; k < lanes; ++k) {
		a[k] = static_cast<Word>(plan.digits.Read<false>(values[k], plan.u));
		b[k] = static_cast<Word>(plan.digits.Read<false>(values[k] + plan.u, plan.v));
	}
	const auto radix_u = static_cast<Word>(plan.radix_u);
	const auto radix_v = static_cast<Word>(plan.radix_v);
	const unsigned round_shift = static_cast<unsigned>(8 * plan.b);
	const unsigned y_shift = static_cast<unsigned>(8 * (16 - plan.d));
	alignas(16) std::uint8_t blocks[16 * Ff1::kBatchLanes];
	fpe_detail::StackWipe wipe_blocks(blocks, sizeof(blocks));
	for (int step = 0; step < kRounds; ++step) {
		const int i = encrypt ? step : kRounds - 1 - step;
		const bool even = (i % 2 == 0);
		const U128 base = plan.block_base ^ (static_cast<U128>(i) << round_shift);
		for (std::size_t k = 0; k < lanes; ++k)
			fpe_detail::StoreBigEndian128(base ^ U128{encrypt ? b[k] : a[k]}, blocks + 16 * k);
		aes.EncryptBlocks(blocks, blocks, lanes);
		const Word modulus = even ? radix_u : radix_v;
		const fpe_detail::Reciprocal64 &reduce = even ? plan.mod_u : plan.mod_v;
		const fpe_detail::FastMod64 &fast = even ? plan.fast_u : plan.fast_v;
		const bool one_word_y = kNarrow && plan.d == 8;
		for (std::size_t k = 0; k < lanes; ++k) {
			Word ym;
			if (one_word_y) {
				// y is the first 8 bytes (card numbers, SSNs, phone numbers)
				ym = static_cast<Word>(fast.Mod(fpe_detail::LoadBigEndian64(blocks + 16 * k)));
			} else {
				const U128 y = fpe_detail::LoadBigEndian128(blocks + 16 * k) >> y_shift;
				if (kNarrow || plan.small_moduli)
					ym = static_cast<Word>(reduce.Mod(y));
				else
					ym = static_cast<Word>(y % modulus);
			}
			if (encrypt) {
				const Word c = fpe_detail::AddMod<Word>(a[k], ym, modulus);
				a[k] = b[k];
				b[k] = c;
			} else {
				const Word c = fpe_detail::SubMod<Word>(b[k], ym, modulus);
				b[k] = a[k];
				a[k] = c;
			}
		}
	}
	for (std::size_t k = 0; k < lanes; ++k) {
		plan.digits.Write<false>(a[k], plan.u, values[k]);
		plan.digits.Write<false>(b[k], plan.v, values[k] + plan.u);
	}
}

// RunNumerals runs the ten Feistel rounds on numeral strings, for values whose radix^v reaches
// 2^96: Q takes NUM_radix as base-2^32 limbs, y mod radix^m is taken as the low m base-radix digits
// of y, and C = A +/- y is computed digit by digit with a carry.
void
RunNumerals(const AesEcb &aes, const Ff1::Plan &plan, const std::uint16_t *in, std::uint16_t *out,
            bool encrypt) {
	const std::uint32_t radix = plan.radix;
	const std::size_t n = plan.n;
	const std::size_t u = plan.u;
	const std::size_t v = plan.v;
	ScratchArray<std::uint16_t, kStackNumerals> buf_a(v);
	ScratchArray<std::uint16_t, kStackNumerals> buf_b(v);
	ScratchArray<std::uint16_t, kStackNumerals> buf_c(v);
	ScratchArray<std::uint16_t, kStackNumerals> buf_y(v);
	std::uint16_t *pa = buf_a.data();
	std::uint16_t *pb = buf_b.data();
	std::uint16_t *pc = buf_c.data();
	std::uint16_t *py = buf_y.data();
	for (std::size_t j = 0; j < n; ++j)
		if (in[j] >= radix)
			fpe_detail::ThrowNumeralOutOfRange();
	std::memcpy(pa, in, u * sizeof(std::uint16_t));
	std::memcpy(pb, in + u, v * sizeof(std::uint16_t));
	std::size_t la = u;
	std::size_t lb = v;

	const std::size_t tp = plan.tail_prefix_len;
	const std::size_t tail_blocks = plan.tail_len / 16;
	const std::size_t s_blocks = (plan.d + 15) / 16;
	ScratchArray<std::uint8_t, 2 * kStackNumerals + 32> tail(plan.tail_len);
	ScratchArray<std::uint8_t, 2 * kStackNumerals + 32> s(s_blocks * 16);
	ScratchArray<std::uint32_t, kStackNumerals / 2 + 8> limbs(plan.d / 4 + 2);
	std::memcpy(tail.data(), plan.tail_prefix, tp);
	std::uint32_t *x = limbs.data();

	for (int step = 0; step < kRounds; ++step) {
		const int i = encrypt ? step : kRounds - 1 - step;
		const std::size_t m = (i % 2 == 0) ? u : v;
		// Q = T || 0^pad || [i] || [NUM_radix(B)]^b on encryption, NUM_radix(A) on decryption.
		tail.data()[tp] = static_cast<std::uint8_t>(i);
		std::size_t count =
		        fpe_detail::LimbsFromNumerals(encrypt ? pb : pa, encrypt ? lb : la, radix,
		                                      plan.chunk_digits, plan.chunk_power, x);
		fpe_detail::LimbsToBigEndian(x, count, tail.data() + tp + 1, plan.b);
		// R = PRF(P || Q), continuing the CBC-MAC from the precomputed state.
		std::uint8_t r[16];
		std::memcpy(r, plan.y0, 16);
		for (std::size_t blk = 0; blk < tail_blocks; ++blk) {
			for (int k = 0; k < 16; ++k)
				r[k] = static_cast<std::uint8_t>(r[k] ^ tail.data()[16 * blk + k]);
			aes.EncryptBlock(r, r);
		}
		// S = R || CIPH(R xor [1]^16) || CIPH(R xor [2]^16) ..., first d bytes; y = NUM(S).
		std::uint8_t *sb = s.data();
		std::memcpy(sb, r, 16);
		for (std::size_t j = 1; j < s_blocks; ++j) {
			std::memcpy(sb + 16 * j, r, 16);
			for (int k = 0; k < 8; ++k)
				sb[16 * j + 15 - k] =
				        static_cast<std::uint8_t>(sb[16 * j + 15 - k] ^ ((j >> (8 * k)) & 0xFF));
		}
		if (s_blocks > 1)
			aes.EncryptBlocks(sb + 16, sb + 16, s_blocks - 1);
		count = fpe_detail::LimbsFromBigEndian(sb, plan.d, x);
		// py = STR^m_radix(y mod radix^m): the low m base-radix digits of y.
		std::size_t produced = 0;
		while (produced < m) {
			std::uint64_t rem = count > 0 ? fpe_detail::DivSmall(x, count, plan.chunk_power) : 0;
			for (unsigned k = 0; k < plan.chunk_digits && produced < m; ++k) {
				py[m - 1 - produced] = static_cast<std::uint16_t>(rem % radix);
				rem /= radix;
				++produced;
			}
		}
		if (encrypt) {
			// C = STR^m(NUM(A) + y mod radix^m); A = B; B = C.
			std::uint32_t carry = 0;
			for (std::size_t j = m; j-- > 0;) {
				std::uint32_t sum = std::uint32_t{pa[j]} + py[j] + carry;
				carry = sum >= radix ? 1 : 0;
				pc[j] = static_cast<std::uint16_t>(sum - carry * radix);
			}
			std::uint16_t *old_a = pa;
			pa = pb;
			la = lb;
			pb = pc;
			lb = m;
			pc = old_a;
		} else {
			// C = STR^m(NUM(B) - y mod radix^m); B = A; A = C.
			std::uint32_t borrow = 0;
			for (std::size_t j = m; j-- > 0;) {
				const std::uint32_t sub = std::uint32_t{py[j]} + borrow;
				borrow = pb[j] < sub ? 1 : 0;
				pc[j] = static_cast<std::uint16_t>(pb[j] + borrow * radix - sub);
			}
			std::uint16_t *old_b = pb;
			pb = pa;
			lb = la;
			pa = pc;
			la = m;
			pc = old_b;
		}
	}
	std::memcpy(out, pa, la * sizeof(std::uint16_t));
	std::memcpy(out + la, pb, lb * sizeof(std::uint16_t));
}

// CheckTweak throws unless the tweak is at most Ff1::kMaxTweakLength bytes.
void
CheckTweak(const std::uint8_t *tweak, std::size_t tweak_len) {
	if (tweak_len > Ff1::kMaxTweakLength)
		throw Error(ErrorKind::kInvalidParameter, "tweak is too long",
		            "FF1 tweaks are at most 256 bytes.");
	if (tweak == nullptr && tweak_len != 0)
		throw Error(ErrorKind::kInvalidParameter, "tweak is missing");
}

} // namespace

// Ff1 runs the AES key schedule for key once.
Ff1::Ff1(const std::uint8_t *key, std::size_t key_len) : aes_(key, key_len) {
}

// ~Ff1 wipes the cached plan, whose chaining values derive from the key.
Ff1::~Ff1() {
	if (plan_)
		OPENSSL_cleanse(plan_.get(), sizeof(Plan));
}

Ff1::Ff1(Ff1 &&other) noexcept = default;
Ff1 &Ff1::operator=(Ff1 &&other) noexcept = default;

// CheckDomain throws unless radix and n describe an FF1 domain this implementation accepts.
void
Ff1::CheckDomain(std::uint32_t radix, std::size_t n) {
	fpe_detail::CheckRadixAndMinimum(radix, n);
	if (n > kMaxLength)
		fpe_detail::ThrowFf1TooLong();
}

// BuildPlan checks the domain and tweak, derives u, v, b and d, and runs CBC-MAC over P and the
// constant leading blocks of Q.
void
Ff1::BuildPlan(Plan &plan, std::uint32_t radix, std::size_t n, const std::uint8_t *tweak,
               std::size_t tweak_len) const {
	CheckDomain(radix, n);
	CheckTweak(tweak, tweak_len);
	plan.radix = radix;
	plan.n = n;
	plan.u = n / 2;
	plan.v = n - plan.u;

	// b = ceil(ceil(v * log2(radix)) / 8) is the byte length of radix^v - 1; computed exactly.
	const U128 word_limit = U128{1} << 96;
	U128 power_v = 1;
	plan.word_path = true;
	for (std::size_t j = 0; j < plan.v; ++j) {
		power_v *= radix;
		if (power_v >= word_limit) {
			plan.word_path = false;
			break;
		}
	}
	if (plan.word_path) {
		U128 power_u = 1;
		for (std::size_t j = 0; j < plan.u; ++j)
			power_u *= radix;
		plan.radix_u = power_u;
		plan.radix_v = power_v;
		plan.b = ByteLength(power_v - 1);
		plan.small_moduli = (power_v >> 64) == 0;
		if (plan.small_moduli) {
			plan.mod_u.Init(static_cast<std::uint64_t>(power_u));
			plan.mod_v.Init(static_cast<std::uint64_t>(power_v));
			plan.fast_u.Init(static_cast<std::uint64_t>(power_u));
			plan.fast_v.Init(static_cast<std::uint64_t>(power_v));
		}
		plan.barrett = plan.small_moduli && fpe_detail::Barrett96::Fits(power_u) &&
		               fpe_detail::Barrett96::Fits(power_v);
		if (plan.barrett) {
			plan.barrett_u.Init(static_cast<std::uint64_t>(power_u));
			plan.barrett_v.Init(static_cast<std::uint64_t>(power_v));
		}
		plan.barrett_top =
		        fpe_detail::Barrett96Top::Fits(power_u) && fpe_detail::Barrett96Top::Fits(power_v);
		if (plan.barrett_top) {
			plan.top_u.Init(static_cast<std::uint64_t>(power_u));
			plan.top_v.Init(static_cast<std::uint64_t>(power_v));
		}
		plan.digits.Init(radix);
	} else {
		plan.chunk_digits = fpe_detail::ChunkDigits(radix, &plan.chunk_power);
		plan.b = PowerMinusOneByteLength(radix, plan.v, plan.chunk_digits, plan.chunk_power);
	}
	plan.d = 4 * ((plan.b + 3) / 4) + 4;

	// P = [1]^1 || [2]^1 || [1]^1 || [radix]^3 || [10]^1 || [u mod 256]^1 || [n]^4 || [t]^4
	const std::uint8_t p[16] = {
	        1,
	        2,
	        1,
	        static_cast<std::uint8_t>(radix >> 16),
	        static_cast<std::uint8_t>(radix >> 8),
	        static_cast<std::uint8_t>(radix),
	        10,
	        static_cast<std::uint8_t>(plan.u & 0xFF),
	        static_cast<std::uint8_t>(n >> 24),
	        static_cast<std::uint8_t>(n >> 16),
	        static_cast<std::uint8_t>(n >> 8),
	        static_cast<std::uint8_t>(n),
	        static_cast<std::uint8_t>(tweak_len >> 24),
	        static_cast<std::uint8_t>(tweak_len >> 16),
	        static_cast<std::uint8_t>(tweak_len >> 8),
	        static_cast<std::uint8_t>(tweak_len),
	};
	aes_.EncryptBlock(p, plan.y0);

	// Q = T || [0]^((-t-b-1) mod 16) || [i]^1 || [NUM_radix(B)]^b: the first t + pad bytes never
	// change.
	const std::size_t pad = (16 - (tweak_len + plan.b + 1) % 16) % 16;
	const std::size_t constant_len = tweak_len + pad;
	const std::size_t constant_blocks = constant_len / 16;
	for (std::size_t blk = 0; blk < constant_blocks; ++blk) {
		for (std::size_t k = 0; k < 16; ++k) {
			const std::size_t pos = 16 * blk + k;
			const std::uint8_t q = pos < tweak_len ? tweak[pos] : 0;
			plan.y0[k] = static_cast<std::uint8_t>(plan.y0[k] ^ q);
		}
		aes_.EncryptBlock(plan.y0, plan.y0);
	}
	plan.tail_prefix_len = constant_len % 16;
	for (std::size_t k = 0; k < plan.tail_prefix_len; ++k) {
		const std::size_t pos = 16 * constant_blocks + k;
		plan.tail_prefix[k] = pos < tweak_len ? tweak[pos] : 0;
	}
	plan.tail_len = plan.tail_prefix_len + 1 + plan.b;
	if (plan.word_path) {
		std::uint8_t prefix_block[16] = {};
		std::memcpy(prefix_block, plan.tail_prefix, plan.tail_prefix_len);
		plan.block_base =
		        fpe_detail::LoadBigEndian128(plan.y0) ^ fpe_detail::LoadBigEndian128(prefix_block);
		for (int i = 0; i < kRounds; ++i)
			fpe_detail::StoreBigEndian128(plan.block_base ^ (static_cast<U128>(i) << (8 * plan.b)),
			                              plan.round_block[i]);
	}
}

// PlanFor returns the plan for (radix, n, tweak), reusing the cached one when all three match.
const Ff1::Plan &
Ff1::PlanFor(std::uint32_t radix, std::size_t n, const std::uint8_t *tweak,
             std::size_t tweak_len) const {
	if (!plan_)
		plan_.reset(new Plan());
	Plan &plan = *plan_;
	if (plan.valid && plan.radix == radix && plan.n == n && plan.tweak_len == tweak_len &&
	    (tweak_len == 0 || std::memcmp(plan.tweak, tweak, tweak_len) == 0))
		return plan;
	plan.valid = false;
	BuildPlan(plan, radix, n, tweak, tweak_len);
	if (tweak_len != 0)
		std::memcpy(plan.tweak, tweak, tweak_len);
	plan.tweak_len = tweak_len;
	plan.valid = true;
	return plan;
}

// Run applies FF1 encryption or decryption under a built plan.
void
Ff1::Run(const Plan &plan, const std::uint16_t *in, std::uint16_t *out, bool encrypt) const {
	if (RunWordsNiFor(aes_, plan, in, out, encrypt))
		return;
	if (plan.word_path && plan.small_moduli && plan.d == 8)
		RunWordsOneWordY(aes_, plan, in, out, encrypt);
	else if (plan.word_path && plan.small_moduli)
		RunWords<std::uint64_t>(aes_, plan, in, out, encrypt);
	else if (plan.word_path)
		RunWords<U128>(aes_, plan, in, out, encrypt);
	else
		RunNumerals(aes_, plan, in, out, encrypt);
}

// RunMany applies FF1 to count values of n numerals in place, kBatchLanes at a time on the word
// path and one by one on the numeral-string path.
void
Ff1::RunMany(std::uint16_t *const *values, std::size_t count, std::size_t n, std::uint32_t radix,
             const std::uint8_t *tweak, std::size_t tweak_len, bool encrypt) const {
	const Plan &plan = PlanFor(radix, n, tweak, tweak_len);
	for (std::size_t first = 0; first < count; first += kBatchLanes) {
		const std::size_t lanes = count - first < kBatchLanes ? count - first : kBatchLanes;
		if (plan.word_path && plan.small_moduli)
			RunWordLanes<std::uint64_t>(aes_, plan, values + first, lanes, encrypt);
		else if (plan.word_path)
			RunWordLanes<U128>(aes_, plan, values + first, lanes, encrypt);
		else
			for (std::size_t k = 0; k < lanes; ++k)
				RunNumerals(aes_, plan, values[first + k], values[first + k], encrypt);
	}
}

void
Ff1::EncryptMany(std::uint16_t *const *values, std::size_t count, std::size_t n,
                 std::uint32_t radix, const std::uint8_t *tweak, std::size_t tweak_len) const {
	RunMany(values, count, n, radix, tweak, tweak_len, true);
}

void
Ff1::DecryptMany(std::uint16_t *const *values, std::size_t count, std::size_t n,
                 std::uint32_t radix, const std::uint8_t *tweak, std::size_t tweak_len) const {
	RunMany(values, count, n, radix, tweak, tweak_len, false);
}

// Encrypt is FF1.Encrypt(K, T, X) (Algorithm 7).
void
Ff1::Encrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
             const std::uint8_t *tweak, std::size_t tweak_len) const {
	Run(PlanFor(radix, n, tweak, tweak_len), in, out, true);
}

// Decrypt is FF1.Decrypt(K, T, Y) (Algorithm 8).
void
Ff1::Decrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
             const std::uint8_t *tweak, std::size_t tweak_len) const {
	Run(PlanFor(radix, n, tweak, tweak_len), in, out, false);
}

} // namespace privacy::core
