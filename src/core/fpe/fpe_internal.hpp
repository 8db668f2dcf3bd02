// fpe_internal.hpp: helpers shared by the FF1 and FF3-1 implementations (not part of the public
// API).
//
// Purpose: domain checks with their fixed error messages, a scratch array that stays on the stack
// for short values and spills to the heap only for long ones, 128-bit word helpers, and the small
// base-2^32 arithmetic FF1 needs when radix^m no longer fits in a machine word.
//
// Invariants: big numbers are little-endian arrays of 32-bit limbs with an explicit length and no
// leading zero limbs (length 0 is the value 0); callers size the arrays. Multipliers and divisors
// are at most 2^32, so every intermediate fits in 64 bits. Nothing here formats a runtime value
// into an error.
#pragma once

#include "privacy/core/config.hpp"

#include "privacy/core/error.hpp"
#include "privacy/core/fpe.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/crypto.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace privacy::core::fpe_detail {

__extension__ typedef unsigned __int128 U128;

// Values of up to kStackNumerals numerals never touch the heap.
inline constexpr std::size_t kStackNumerals = 64;

// ScratchArray holds n elements, on the stack when n <= N and on the heap otherwise. Contents start
// uninitialised.
template <typename T, std::size_t N>
class ScratchArray {
  public:
	explicit ScratchArray(std::size_t n) : data_(stack_), n_(n) {
		if (n > N) {
			heap_.reset(new T[n]);
			data_ = heap_.get();
		}
	}
	// ~ScratchArray wipes the numerals (values, tokens, round state), also when an exception
	// unwinds.
	~ScratchArray() {
		OPENSSL_cleanse(data_, n_ * sizeof(T));
	}
	ScratchArray(const ScratchArray &) = delete;
	ScratchArray &operator=(const ScratchArray &) = delete;

	T *
	data() noexcept {
		return data_;
	}

  private:
	T stack_[N];
	std::unique_ptr<T[]> heap_;
	T *data_;
	std::size_t n_;
};

// StackWipe wipes n bytes at p when it goes out of scope, also when an exception unwinds: for fixed
// stack arrays that hold numerals of values, tokens or round state.
class StackWipe {
  public:
	StackWipe(void *p, std::size_t n) noexcept : p_(p), n_(n) {
	}
	~StackWipe() {
		OPENSSL_cleanse(p_, n_);
	}
	StackWipe(const StackWipe &) = delete;
	StackWipe &operator=(const StackWipe &) = delete;

  private:
	void *p_;
	std::size_t n_;
};

[[noreturn]] inline void
ThrowTooShort() {
	throw Error(ErrorKind::kNumericOutOfRange,
	            "value is too short for format-preserving encryption",
	            "radix^length must be at least 1000000 (NIST SP 800-38G Rev. 1).");
}

[[noreturn]] inline void
ThrowNumeralOutOfRange() {
	throw Error(ErrorKind::kInvalidTextRepresentation,
	            "value contains a numeral outside the radix");
}

[[noreturn]] inline void
ThrowFf1TooLong() {
	throw Error(ErrorKind::kNumericOutOfRange, "value is too long for format-preserving encryption",
	            "FF1 accepts at most 4096 characters per value.");
}

[[noreturn]] inline void
ThrowFf31TooLong() {
	throw Error(
	        ErrorKind::kNumericOutOfRange, "value is too long for format-preserving encryption",
	        "FF3-1 accepts at most 2*floor(log_radix(2^96)) characters (NIST SP 800-38G Rev. 1).");
}

// CheckRadixAndMinimum throws unless 2 <= radix <= 65536, n >= 2 and radix^n >= 1,000,000.
inline void
CheckRadixAndMinimum(std::uint32_t radix, std::size_t n) {
	if (radix < 2 || radix > kFpeMaxRadix)
		throw Error(ErrorKind::kInvalidParameter, "invalid radix for format-preserving encryption",
		            "The radix must be between 2 and 65536.");
	if (n < 2)
		ThrowTooShort();
	std::uint64_t domain = 1;
	for (std::size_t i = 0; i < n && domain < kFpeMinDomain; ++i)
		domain *= radix;
	if (domain < kFpeMinDomain)
		ThrowTooShort();
}

// ReadBigEndian returns the len (<= 16) bytes at bytes as a big-endian integer.
template <typename Word>
inline Word
ReadBigEndian(const std::uint8_t *bytes, std::size_t len) noexcept {
	Word value = 0;
	for (std::size_t i = 0; i < len; ++i)
		value = static_cast<Word>((value << 8) | bytes[i]);
	return value;
}

// WriteBigEndian writes the low len bytes of value to bytes, most significant first.
template <typename Word>
inline void
WriteBigEndian(Word value, std::uint8_t *bytes, std::size_t len) noexcept {
	for (std::size_t i = len; i-- > 0;) {
		bytes[i] = static_cast<std::uint8_t>(value);
		value = static_cast<Word>(value >> 8);
	}
}

// Reciprocal64 reduces 128-bit values modulo a fixed divisor 1 <= d < 2^64 without a hardware
// division: it precomputes the reciprocal v = floor((2^128 - 1) / d') - 2^64 of the normalised
// divisor d' = d << shift and applies Moller and Granlund, "Improved division by invariant
// integers" (IEEE TC 2011), Algorithm 4, twice.
class Reciprocal64 {
  public:
	void
	Init(std::uint64_t d) noexcept {
		shift_ = static_cast<unsigned>(__builtin_clzll(d));
		d_ = d << shift_;
		v_ = static_cast<std::uint64_t>(((static_cast<U128>(~d_) << 64) | ~std::uint64_t{0}) / d_);
	}

	// DivMod returns y mod d and stores floor(y / d) in *quotient.
	std::uint64_t
	DivMod(U128 y, U128 *quotient) const noexcept {
		const auto hi = static_cast<std::uint64_t>(y >> 64);
		const auto lo = static_cast<std::uint64_t>(y);
		const std::uint64_t n2 = shift_ != 0 ? hi >> (64 - shift_) : 0;
		const std::uint64_t n1 = shift_ != 0 ? (hi << shift_) | (lo >> (64 - shift_)) : hi;
		const std::uint64_t n0 = lo << shift_;
		std::uint64_t q_hi = 0;
		std::uint64_t q_lo;
		// y < 2^64 (the common case) leaves n2 = 0 and n1 < 2^shift <= d_: the first step is n1
		// itself.
		const std::uint64_t r = hi == 0 ? n1 : Step(n2, n1, &q_hi);
		const std::uint64_t r2 = Step(r, n0, &q_lo);
		*quotient = (static_cast<U128>(q_hi) << 64) | q_lo;
		return r2 >> shift_;
	}

	// Mod returns y mod d (DivMod without the quotient).
	std::uint64_t
	Mod(U128 y) const noexcept {
		const auto hi = static_cast<std::uint64_t>(y >> 64);
		const auto lo = static_cast<std::uint64_t>(y);
		const std::uint64_t n2 = shift_ != 0 ? hi >> (64 - shift_) : 0;
		const std::uint64_t n1 = shift_ != 0 ? (hi << shift_) | (lo >> (64 - shift_)) : hi;
		const std::uint64_t n0 = lo << shift_;
		std::uint64_t unused;
		const std::uint64_t r = hi == 0 ? n1 : Step(n2, n1, &unused);
		return Step(r, n0, &unused) >> shift_;
	}

  private:
	// Step divides u1:u0 (u1 < d_) by d_, returning the remainder and storing the quotient.
	std::uint64_t
	Step(std::uint64_t u1, std::uint64_t u0, std::uint64_t *quotient) const noexcept {
		U128 p = static_cast<U128>(v_) * u1;
		p += (static_cast<U128>(u1) << 64) | u0;
		std::uint64_t q1 = static_cast<std::uint64_t>(p >> 64) + 1;
		const auto q0 = static_cast<std::uint64_t>(p);
		std::uint64_t r = u0 - q1 * d_;
		// Branch-free: this adjustment happens for about half of all inputs, so a branch would
		// mispredict.
		const std::uint64_t adjust = std::uint64_t{0} - static_cast<std::uint64_t>(r > q0);
		q1 += adjust;
		r += adjust & d_;
		if (__builtin_expect(r >= d_, 0)) {
			++q1;
			r -= d_;
		}
		*quotient = q1;
		return r;
	}

	std::uint64_t d_ = 1ull << 63;
	std::uint64_t v_ = ~std::uint64_t{0};
	unsigned shift_ = 0;
};

// FastMod64 reduces values below 2^64 modulo a fixed modulus 2 <= d < 2^64 with three
// multiplications and no correction step (Lemire, Kaser and Kurz, "Faster remainder by direct
// computation", 2019, with N = 64 and F = 128: M = ceil(2^128 / d), y mod d = floor(((M * y) mod
// 2^128) * d / 2^128), exact for every y < 2^64). Shorter dependency chain than Reciprocal64 for
// the FF1 rounds whose y fits one word.
struct FastMod64 {
	U128 m = 0;
	std::uint64_t d = 0;

	void
	Init(std::uint64_t modulus) noexcept {
		d = modulus;
		m = ~U128{0} / modulus + 1;
	}
	std::uint64_t
	Mod(std::uint64_t y) const noexcept {
		const U128 low = m * y; // mod 2^128
		const U128 top = static_cast<U128>(static_cast<std::uint64_t>(low >> 64)) * d;
		const U128 bottom = static_cast<U128>(static_cast<std::uint64_t>(low)) * d;
		return static_cast<std::uint64_t>((top + (bottom >> 64)) >> 64);
	}
};

// Barrett96 reduces values below 2^96 modulo a fixed 2^32 < d < 2^63 (Barrett reduction with mu =
// floor(2^96 / d) < 2^64): the quotient estimate floor(y * mu / 2^96) is floor(y / d) or one less,
// so one conditional subtraction corrects the remainder. Two independent multiplications and one
// dependent one: a shorter chain than Reciprocal64's two division steps, for the FF1 rounds whose
// y takes 9 to 12 bytes (radix 36 with 20 characters, for example).
struct Barrett96 {
	std::uint64_t mu = 0;
	std::uint64_t d = 0;

	// Fits returns whether Barrett96 applies to modulus.
	static bool
	Fits(U128 modulus) noexcept {
		return modulus > (U128{1} << 32) && modulus < (U128{1} << 63);
	}
	void
	Init(std::uint64_t modulus) noexcept {
		d = modulus;
		mu = static_cast<std::uint64_t>((U128{1} << 96) / modulus);
	}
	std::uint64_t
	Mod(U128 y) const noexcept {
		const auto hi = static_cast<std::uint64_t>(y >> 64);
		const auto lo = static_cast<std::uint64_t>(y);
		// y * mu / 2^96 = (hi * mu + (lo * mu) / 2^64) / 2^32, the fraction dropped exactly
		const U128 p = static_cast<U128>(hi) * mu +
		               static_cast<std::uint64_t>((static_cast<U128>(lo) * mu) >> 64);
		const auto q = static_cast<std::uint64_t>(p >> 32);
		std::uint64_t r = lo - q * d; // the true remainder plus 0 or d, below 2^64
		r -= d & (std::uint64_t{0} - static_cast<std::uint64_t>(r >= d));
		return r;
	}
};

// Barrett96Top is Barrett96 with the quotient estimated from the top 64 bits of y alone (one
// multiplication on the dependency chain): for 2^32 < d < 2^62 and y = hi64 * 2^32 + lo32 < 2^96,
// Slack returns y - q' * d with q' in [floor(y / d) - 2, floor(y / d)], i.e. a value in [0, 3d)
// congruent to y; the caller folds the corrections into its own addition (FF1's c = a + y mod d).
struct Barrett96Top {
	std::uint64_t mu = 0;
	std::uint64_t d = 0;

	static bool
	Fits(U128 modulus) noexcept {
		return modulus > (U128{1} << 32) && modulus < (U128{1} << 62);
	}
	void
	Init(std::uint64_t modulus) noexcept {
		d = modulus;
		mu = static_cast<std::uint64_t>((U128{1} << 96) / modulus);
	}
	// Slack takes y as its top 64 bits (hi64) and its low 64 bits (lo64).
	std::uint64_t
	Slack(std::uint64_t hi64, std::uint64_t lo64) const noexcept {
		const auto q = static_cast<std::uint64_t>((static_cast<U128>(hi64) * mu) >> 64);
		return lo64 - q * d;
	}
	// Reduce3 maps x in [0, 3d) to x mod d.
	std::uint64_t
	Reduce3(std::uint64_t x) const noexcept {
		x = x >= 2 * d ? x - 2 * d : x;
		return x >= d ? x - d : x;
	}
	// AddSlack returns (a + slack) mod d for a < d and slack in [0, 3d).
	std::uint64_t
	AddSlack(std::uint64_t a, std::uint64_t slack) const noexcept {
		std::uint64_t c = a + slack; // < 4d < 2^64
		c = c >= 2 * d ? c - 2 * d : c;
		return c >= d ? c - d : c;
	}
};

// Radix32 divides values below 2^32 by a fixed radix 2..65536 with one multiplication (Lemire,
// Kaser and Kurz, "Faster remainder by direct computation", 2019: M = ceil(2^64 / d) is exact for
// 32-bit dividends).
struct Radix32 {
	std::uint64_t m = 0;
	std::uint32_t d = 0;

	void
	Init(std::uint32_t radix) noexcept {
		d = radix;
		m = ~std::uint64_t{0} / radix + 1;
	}
	std::uint32_t
	Div(std::uint32_t x) const noexcept {
		return static_cast<std::uint32_t>((static_cast<U128>(m) * x) >> 64);
	}
};

// WordDigits converts between machine-word integers (< 2^96) and numeral strings in chunks of k
// numerals, where radix^k <= 2^32: one reciprocal division per chunk and one multiplication per
// numeral. Values below 2^64 take shorter dependency chains (FF1's per-value latency: one value's
// last conversion feeds the next value's first when a caller chains them): Read sums numeral *
// radix^position in four independent accumulators, and Write computes every numeral of a chunk
// from the chunk itself (floor(x / radix^j) by one multiplication each, all independent) instead
// of dividing by the radix numeral after numeral.
struct WordDigits {
	std::uint32_t radix = 0;
	unsigned chunk_digits = 0;
	unsigned word_digits = 0;      // the largest k with radix^k <= 2^64
	std::uint64_t powers[66] = {}; // radix^k for k < word_digits (radix^word_digits may be 2^64)
	std::uint64_t chunk_power = 0;
	std::uint64_t digit_recip[33] = {}; // ceil(2^64 / radix^k) for 1 <= k <= chunk_digits
	U128 split_recip[33] = {};          // ceil(2^128 / radix^k) for 1 <= k <= chunk_digits
	Reciprocal64 chunk;
	Radix32 numeral;

	void
	Init(std::uint32_t r) noexcept {
		radix = r;
		chunk_digits = 0;
		chunk_power = 1;
		while (chunk_power * r <= (std::uint64_t{1} << 32)) {
			chunk_power *= r;
			++chunk_digits;
		}
		chunk.Init(chunk_power);
		numeral.Init(r);
		word_digits = 0;
		for (U128 power = r; power <= (U128{1} << 64); power *= r)
			++word_digits;
		U128 power = 1;
		for (unsigned k = 0; k < word_digits && k < 66; ++k) {
			powers[k] = static_cast<std::uint64_t>(power);
			power *= r;
		}
		power = 1;
		for (unsigned k = 1; k <= chunk_digits && k < 33; ++k) {
			power *= r; // <= 2^32
			digit_recip[k] = static_cast<std::uint64_t>((U128{1} << 64) / power) +
			                 ((U128{1} << 64) % power != 0 ? 1 : 0);
			split_recip[k] = ~U128{0} / power + 1;
		}
	}

	// WriteChunk stores STR^len_radix(x) (kReversed: reversed) for x < radix^len <= 2^32: numeral
	// j (from the least significant) is floor(x / radix^j) - radix * floor(x / radix^(j+1)), each
	// quotient one multiplication by ceil(2^64 / radix^j) (exact for x < 2^32: Lemire, Kaser and
	// Kurz 2019, N = 32, F = 64), so the numerals do not wait for one another.
	template <bool kReversed>
	void
	WriteChunk(std::uint64_t x, std::size_t len, std::uint16_t *out) const noexcept {
		std::uint64_t q = x; // floor(x / radix^j)
		for (std::size_t j = 0; j < len; ++j) {
			const std::uint64_t next =
			        j + 1 < len ? static_cast<std::uint64_t>(
			                              (static_cast<U128>(digit_recip[j + 1]) * x) >> 64)
			                    : 0;
			const auto digit = static_cast<std::uint16_t>(q - next * radix);
			if (kReversed)
				out[j] = digit;
			else
				out[len - 1 - j] = digit;
			q = next;
		}
	}

	// Read returns NUM_radix of in[0..len) (kReversed: of REV(in[0..len))), refusing numerals >=
	// radix.
	template <bool kReversed>
	U128
	Read(const std::uint16_t *in, std::size_t len) const {
		if (len <= word_digits) {
			// radix^len <= 2^64 (card numbers, SSNs, phone numbers, 10 characters of radix 36):
			// the sum of numeral * radix^position, every product independent, summed in four
			// accumulators (each partial sum is at most the value, so nothing wraps)
			std::uint64_t sum[4] = {0, 0, 0, 0};
			for (std::size_t j = 0; j < len; ++j) {
				const std::uint16_t numeral_j = kReversed ? in[len - 1 - j] : in[j];
				if (numeral_j >= radix)
					ThrowNumeralOutOfRange();
				sum[j & 3] += numeral_j * powers[len - 1 - j];
			}
			return (sum[0] + sum[1]) + (sum[2] + sum[3]);
		}
		U128 value = 0;
		std::size_t done = 0;
		std::size_t group = len % chunk_digits;
		if (group == 0)
			group = chunk_digits;
		while (done < len) {
			std::uint64_t part = 0;
			std::uint64_t power = 1;
			for (std::size_t j = 0; j < group; ++j) {
				const std::uint16_t value_j = kReversed ? in[len - 1 - (done + j)] : in[done + j];
				if (value_j >= radix)
					ThrowNumeralOutOfRange();
				part = part * radix + value_j;
				power *= radix;
			}
			value = value * power + part;
			done += group;
			group = chunk_digits;
		}
		return value;
	}

	// Write stores STR^len_radix(value) to out (kReversed: REV(STR^len_radix(value))); value <
	// radix^len.
	template <bool kReversed>
	void
	Write(U128 value, std::size_t len, std::uint16_t *out) const noexcept {
		if (len <= chunk_digits) {
			// value < radix^len <= 2^32: one chunk
			WriteChunk<kReversed>(static_cast<std::uint64_t>(value), len, out);
			return;
		}
		if (len <= word_digits && len - len / 2 <= chunk_digits) {
			// value < 2^64 in two chunks: the high len / 2 numerals are floor(value / radix^low)
			// (one multiplication by ceil(2^128 / radix^low), exact for 64-bit values: N = 64,
			// F = 128), and the two chunks are written independently
			const std::size_t low_len = len - len / 2;
			const auto x = static_cast<std::uint64_t>(value);
			const U128 m = split_recip[low_len];
			const U128 t = static_cast<U128>(static_cast<std::uint64_t>(m)) * x;
			const U128 high_part =
			        static_cast<U128>(static_cast<std::uint64_t>(m >> 64)) * x + (t >> 64);
			const auto high = static_cast<std::uint64_t>(high_part >> 64);
			const std::uint64_t low = x - high * powers[low_len];
			if (kReversed) {
				WriteChunk<true>(low, low_len, out);
				WriteChunk<true>(high, len / 2, out + low_len);
			} else {
				WriteChunk<false>(high, len / 2, out);
				WriteChunk<false>(low, low_len, out + len / 2);
			}
			return;
		}
		std::size_t done = 0; // numerals written, least significant first
		while (done < len) {
			std::uint32_t part;
			if (len - done <= chunk_digits) {
				// The last chunk: value < radix^(len - done) <= chunk_power <= 2^32 already, no
				// division.
				part = static_cast<std::uint32_t>(value);
				value = 0;
			} else {
				U128 rest;
				part = static_cast<std::uint32_t>(chunk.DivMod(value, &rest));
				value = rest;
			}
			for (unsigned k = 0; k < chunk_digits && done < len; ++k, ++done) {
				const std::uint32_t q = numeral.Div(part);
				const auto digit = static_cast<std::uint16_t>(part - q * radix);
				part = q;
				if (kReversed)
					out[done] = digit;
				else
					out[len - 1 - done] = digit;
			}
		}
	}
};

// LoadBigEndian64 returns the first 8 bytes at bytes as a big-endian integer, with one load.
inline std::uint64_t
LoadBigEndian64(const std::uint8_t *bytes) noexcept {
	std::uint64_t value;
	std::memcpy(&value, bytes, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	value = __builtin_bswap64(value);
#endif
	return value;
}

// LoadBigEndian128 / StoreBigEndian128 move 16 bytes to and from a big-endian 128-bit integer.
inline U128
LoadBigEndian128(const std::uint8_t *bytes) noexcept {
	std::uint64_t hi;
	std::uint64_t lo;
	std::memcpy(&hi, bytes, 8);
	std::memcpy(&lo, bytes + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	hi = __builtin_bswap64(hi);
	lo = __builtin_bswap64(lo);
#endif
	return (static_cast<U128>(hi) << 64) | lo;
}

// The block is written with one 16-byte store where SSE2 is available: AES reads it back with one
// 16-byte load, and two 8-byte stores would defeat store-to-load forwarding on every Feistel round.
inline void
StoreBigEndian128(U128 value, std::uint8_t *bytes) noexcept {
	auto hi = static_cast<std::uint64_t>(value >> 64);
	auto lo = static_cast<std::uint64_t>(value);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	hi = __builtin_bswap64(hi);
	lo = __builtin_bswap64(lo);
#endif
#if defined(__SSE2__)
	_mm_storeu_si128(reinterpret_cast<__m128i *>(bytes),
	                 _mm_set_epi64x(static_cast<long long>(lo), static_cast<long long>(hi)));
#else
	std::memcpy(bytes, &hi, 8);
	std::memcpy(bytes + 8, &lo, 8);
#endif
}

// LoadLittleEndian128 / StoreLittleEndian128: the same for little-endian byte order.
inline U128
LoadLittleEndian128(const std::uint8_t *bytes) noexcept {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	U128 value;
	std::memcpy(&value, bytes, 16);
	return value;
#endif
	std::uint8_t reversed[16];
	for (int i = 0; i < 16; ++i)
		reversed[i] = bytes[15 - i];
	return LoadBigEndian128(reversed);
}

inline void
StoreLittleEndian128(U128 value, std::uint8_t *bytes) noexcept {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__SSE2__)
	_mm_storeu_si128(
	        reinterpret_cast<__m128i *>(bytes),
	        _mm_set_epi64x(static_cast<long long>(value >> 64), static_cast<long long>(value)));
#else
	std::uint8_t reversed[16];
	StoreBigEndian128(value, reversed);
	for (int i = 0; i < 16; ++i)
		bytes[i] = reversed[15 - i];
#endif
}

// AddMod returns (a + ym) mod modulus for a, ym < modulus, without branches: the conditions are
// data-dependent coin flips that a branch predictor cannot learn. The sum may wrap the word
// (modulus > 2^(bits-1)); sum < a detects that.
template <typename Word>
inline Word
AddMod(Word a, Word ym, Word modulus) noexcept {
	const auto sum = static_cast<Word>(a + ym);
	const auto reduced = static_cast<Word>(sum - modulus);
	const auto mask = static_cast<Word>(Word{0} - static_cast<Word>((sum < a) | (sum >= modulus)));
	return static_cast<Word>(sum ^ ((sum ^ reduced) & mask));
}

// AddModNoWrap is AddMod for a modulus below 2^(bits-1), where a + ym cannot wrap: one
// comparison and a conditional move.
template <typename Word>
inline Word
AddModNoWrap(Word a, Word ym, Word modulus) noexcept {
	const auto sum = static_cast<Word>(a + ym);
	const auto reduced = static_cast<Word>(sum - modulus);
	return sum >= modulus ? reduced : sum;
}

// SubMod returns (a - ym) mod modulus for a, ym < modulus, without branches.
template <typename Word>
inline Word
SubMod(Word a, Word ym, Word modulus) noexcept {
	const auto mask = static_cast<Word>(Word{0} - static_cast<Word>(a < ym));
	return static_cast<Word>(static_cast<Word>(a - ym) + (modulus & mask));
}

// --- base-2^32 arithmetic for long numeral strings
// -------------------------------------------------------

// ChunkDigits returns the largest k with radix^k <= 2^32 and stores radix^k in *power.
inline unsigned
ChunkDigits(std::uint32_t radix, std::uint64_t *power) noexcept {
	unsigned k = 0;
	std::uint64_t p = 1;
	while (p * radix <= (std::uint64_t{1} << 32)) {
		p *= radix;
		++k;
	}
	*power = p;
	return k;
}

// MulAddSmall sets x = x * mul + add (mul <= 2^32, add < 2^32); x needs room for len + 1 limbs.
inline void
MulAddSmall(std::uint32_t *limbs, std::size_t &len, std::uint64_t mul, std::uint32_t add) noexcept {
	std::uint64_t carry = add;
	for (std::size_t i = 0; i < len; ++i) {
		const std::uint64_t t = limbs[i] * mul + carry;
		limbs[i] = static_cast<std::uint32_t>(t);
		carry = t >> 32;
	}
	if (carry != 0)
		limbs[len++] = static_cast<std::uint32_t>(carry);
}

// DivSmall sets x = x / divisor (divisor <= 2^32) and returns the remainder.
inline std::uint64_t
DivSmall(std::uint32_t *limbs, std::size_t &len, std::uint64_t divisor) noexcept {
	std::uint64_t rem = 0;
	for (std::size_t i = len; i-- > 0;) {
		const std::uint64_t cur = (rem << 32) | limbs[i];
		limbs[i] = static_cast<std::uint32_t>(cur / divisor);
		rem = cur % divisor;
	}
	while (len > 0 && limbs[len - 1] == 0)
		--len;
	return rem;
}

// LimbsFromBigEndian loads len bytes (big-endian) into limbs and returns the limb count.
inline std::size_t
LimbsFromBigEndian(const std::uint8_t *bytes, std::size_t len, std::uint32_t *limbs) noexcept {
	std::size_t count = 0;
	std::size_t i = len;
	while (i > 0) {
		std::uint32_t limb = 0;
		const std::size_t take = i >= 4 ? 4 : i;
		for (std::size_t j = i - take; j < i; ++j)
			limb = (limb << 8) | bytes[j];
		limbs[count++] = limb;
		i -= take;
	}
	while (count > 0 && limbs[count - 1] == 0)
		--count;
	return count;
}

// LimbsToBigEndian writes the value as exactly len big-endian bytes (the value must fit).
inline void
LimbsToBigEndian(const std::uint32_t *limbs, std::size_t count, std::uint8_t *bytes,
                 std::size_t len) noexcept {
	for (std::size_t i = 0; i < len; ++i) {
		const std::size_t limb = i / 4;
		const std::uint32_t word = limb < count ? limbs[limb] : 0;
		bytes[len - 1 - i] = static_cast<std::uint8_t>(word >> (8 * (i % 4)));
	}
}

// LimbsFromNumerals sets limbs = NUM_radix(numerals[0..n)) (most significant numeral first) and
// returns the limb count; limbs needs room for the result plus one limb.
inline std::size_t
LimbsFromNumerals(const std::uint16_t *numerals, std::size_t n, std::uint32_t radix,
                  unsigned chunk_digits, std::uint64_t chunk_power, std::uint32_t *limbs) noexcept {
	std::size_t count = 0;
	std::size_t pos = 0;
	std::size_t group = n % chunk_digits;
	if (group == 0)
		group = chunk_digits;
	while (pos < n) {
		std::uint64_t value = 0;
		std::uint64_t power = 1;
		for (std::size_t j = 0; j < group; ++j) {
			value = value * radix + numerals[pos + j];
			power *= radix;
		}
		// value < radix^group <= 2^32, so it fits one limb.
		MulAddSmall(limbs, count, group == chunk_digits ? chunk_power : power,
		            static_cast<std::uint32_t>(value));
		pos += group;
		group = chunk_digits;
	}
	return count;
}

} // namespace privacy::core::fpe_detail
