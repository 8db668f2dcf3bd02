// fpe.hpp: format-preserving encryption (NIST SP 800-38G Rev. 1) over numeral strings and
// alphabets.
//
// Purpose: FF1 (the mode pg_privacy uses for tokens) and FF3-1 (interoperability only; the 2025
// draft revision of SP 800-38G withdraws it) encrypt a string of numerals in [0, radix) to another
// string of the same length and radix. Alphabet maps the characters of a UTF-8 value to numerals
// and back, so a card number stays sixteen digits and a custom-alphabet code stays in its alphabet.
//
// Invariants:
//   - Domains: 2 <= radix <= 65536, length >= 2 and radix^length >= 1,000,000 for both modes. FF1
//   accepts at
//     most Ff1::kMaxLength numerals (the standard allows 2^32 - 1; the cap bounds the memory and
//     time of one call) and tweaks of at most Ff1::kMaxTweakLength bytes. FF3-1 accepts at most 2 *
//     floor(log_radix(2^96)) numerals and exactly 7 tweak bytes (56 bits); 8-byte FF3 tweaks are
//     refused.
//   - Every error is a privacy::core::Error carrying static strings only: no numeral, character,
//   tweak or key
//     byte ever reaches a message.
//   - An Ff1/Ff31 runs the AES key schedule once and caches the per-format precomputation of its
//   last call;
//     after the first call Encrypt/Decrypt allocate nothing for inputs of up to 64 numerals (the
//     string helpers also reuse the capacity of the output string they are given).
//   - in and out may point to the same numerals.
//
// Must never: fall back to a weaker domain, truncate, or silently change a value that it cannot
// encrypt. Objects are not safe for simultaneous use from two threads (the cached EVP context is
// shared).
#pragma once

#include "privacy/core/config.hpp"

#include "privacy/core/aes.hpp"
#include "privacy/core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace privacy::core {

// Minimum domain size radix^length for both modes (NIST SP 800-38G Rev. 1, section 5.2).
inline constexpr std::uint32_t kFpeMinDomain = 1000000;
inline constexpr std::uint32_t kFpeMaxRadix = 65536;

// Alphabet is an ordered set of distinct Unicode code points; the code point at position i is
// numeral i.
class Alphabet {
  public:
	// characters is UTF-8 text of 2..65536 distinct code points. Throws kInvalidParameter when it
	// is not valid UTF-8, has fewer than 2 or more than 65536 code points, or repeats a code point.
	explicit Alphabet(std::string_view characters);

	std::uint32_t
	Radix() const noexcept {
		return radix_;
	}
	// True when every code point is ASCII (one byte per character, table lookups only).
	bool
	IsAscii() const noexcept {
		return ascii_;
	}

	// NumeralOf returns the numeral of code_point, or -1 when the alphabet does not contain it.
	std::int32_t NumeralOf(char32_t code_point) const noexcept;

	// ToNumerals decodes text into numerals and returns how many it wrote. out must have room for
	// text.size() numerals (a character is at least one byte). Throws kInvalidTextRepresentation
	// when text is not valid UTF-8 or holds a character outside the alphabet; the message never
	// names the character.
	std::size_t ToNumerals(std::string_view text, std::uint16_t *out) const;

	// AppendCharacters appends the UTF-8 characters of numerals[0..count) to out. Throws
	// kInvalidParameter for a numeral >= Radix().
	void AppendCharacters(const std::uint16_t *numerals, std::size_t count, std::string &out) const;

	// The alphabet as UTF-8 text, in numeral order.
	const std::string &
	Characters() const noexcept {
		return characters_;
	}

  private:
	std::string characters_; // the alphabet, UTF-8
	std::vector<std::uint32_t>
	        offsets_; // byte offset of numeral i in characters_; radix_ + 1 entries
	std::vector<char32_t> sorted_points_;        // non-ASCII code points, ascending
	std::vector<std::uint16_t> sorted_numerals_; // numeral of sorted_points_[i]
	std::int32_t
	        ascii_numeral_[256]; // numeral of each ASCII byte, -1 when absent (bytes >= 0x80: -1)
	std::uint32_t radix_ = 0;
	bool ascii_ = true;
};

class Ff1;

// Batch helpers: one key, one alphabet, one tweak, count values; out[i] receives the result for
// values[i] (its capacity is reused). The FF1 batch runs consecutive values of equal length side by
// side (Ff1::EncryptMany), with the same results as one call per value. cancel, when not null, is
// polled every 1024 values; when it returns true the call throws kCancelled. The first invalid
// value throws; out[0..i) then hold results and out[i..) are unspecified.
void EncryptBatch(const Ff1 &ff1, const Alphabet &alphabet, const std::string_view *values,
                  std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len,
                  std::string *out, CancelCheck cancel = nullptr);
void DecryptBatch(const Ff1 &ff1, const Alphabet &alphabet, const std::string_view *values,
                  std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len,
                  std::string *out, CancelCheck cancel = nullptr);

// Ff1 is FF1 (SP 800-38G Rev. 1, Algorithms 7 and 8) over AES with one key.
class Ff1 {
  public:
	static constexpr std::size_t kMaxLength =
	        4096; // numerals per value (practical cap, see file header)
	static constexpr std::size_t kMaxTweakLength = 256; // bytes

	// key_len must be 16, 24 or 32 bytes; otherwise throws kInvalidParameter.
	Ff1(const std::uint8_t *key, std::size_t key_len);

	// Encrypt writes the FF1 encryption of in[0..n) to out[0..n). Throws kInvalidParameter for a
	// radix outside 2..65536 or a tweak longer than kMaxTweakLength, kNumericOutOfRange for a
	// length outside the domain, and kInvalidTextRepresentation for a numeral >= radix.
	void Encrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
	             const std::uint8_t *tweak, std::size_t tweak_len) const;
	// Decrypt inverts Encrypt under the same radix and tweak; same errors.
	void Decrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
	             const std::uint8_t *tweak, std::size_t tweak_len) const;

	// CheckDomain throws the error Encrypt would throw for a value of n numerals in radix, or
	// returns.
	static void CheckDomain(std::uint32_t radix, std::size_t n);

	// Values that EncryptMany runs side by side: round i of up to kBatchLanes values goes through
	// one multi-block AES call, so AES-NI pipelines the blocks instead of waiting for one block at
	// a time.
	static constexpr std::size_t kBatchLanes = 32;

	// EncryptMany encrypts count values of n numerals each in place (values[k] points to n
	// numerals), with the same result as Encrypt(values[k], n, values[k], radix, tweak, tweak_len)
	// on each; DecryptMany likewise for Decrypt. Errors as for Encrypt: a radix, length or tweak
	// error is thrown before any value changes; a numeral >= radix throws with the values before it
	// possibly transformed and the rest unchanged.
	void EncryptMany(std::uint16_t *const *values, std::size_t count, std::size_t n,
	                 std::uint32_t radix, const std::uint8_t *tweak, std::size_t tweak_len) const;
	void DecryptMany(std::uint16_t *const *values, std::size_t count, std::size_t n,
	                 std::uint32_t radix, const std::uint8_t *tweak, std::size_t tweak_len) const;

	~Ff1();
	Ff1(Ff1 &&other) noexcept;
	Ff1 &operator=(Ff1 &&other) noexcept;
	Ff1(const Ff1 &) = delete;
	Ff1 &operator=(const Ff1 &) = delete;

	struct Plan; // per-(radix, length, tweak) precomputation, defined in ff1.cpp

  private:
	const Plan &PlanFor(std::uint32_t radix, std::size_t n, const std::uint8_t *tweak,
	                    std::size_t tweak_len) const;
	void BuildPlan(Plan &plan, std::uint32_t radix, std::size_t n, const std::uint8_t *tweak,
	               std::size_t tweak_len) const;
	void Run(const Plan &plan, const std::uint16_t *in, std::uint16_t *out, bool encrypt) const;
	void RunMany(std::uint16_t *const *values, std::size_t count, std::size_t n,
	             std::uint32_t radix, const std::uint8_t *tweak, std::size_t tweak_len,
	             bool encrypt) const;

	AesEcb aes_;
	// The plan of the last (radix, length, tweak) used; allocated on first use, wiped by the
	// destructor. Mutable cache: another reason an Ff1 must not be shared between threads.
	mutable std::unique_ptr<Plan> plan_;
};

// Ff31 is FF3-1 (SP 800-38G Rev. 1, Algorithms 9 and 10) over AES with one key.
class Ff31 {
  public:
	static constexpr std::size_t kTweakLength = 7; // 56 bits

	// key_len must be 16, 24 or 32 bytes; otherwise throws kInvalidParameter.
	Ff31(const std::uint8_t *key, std::size_t key_len);
	~Ff31();
	Ff31(Ff31 &&other) noexcept;
	Ff31 &operator=(Ff31 &&other) noexcept;
	Ff31(const Ff31 &) = delete;
	Ff31 &operator=(const Ff31 &) = delete;

	// Encrypt writes the FF3-1 encryption of in[0..n) to out[0..n). tweak_len must be kTweakLength.
	// Errors as for Ff1::Encrypt, with kNumericOutOfRange above MaxLength(radix).
	void Encrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
	             const std::uint8_t *tweak, std::size_t tweak_len) const;
	void Decrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
	             const std::uint8_t *tweak, std::size_t tweak_len) const;

	// MaxLength returns 2 * floor(log_radix(2^96)) for a radix in 2..65536 (0 otherwise).
	static std::size_t MaxLength(std::uint32_t radix) noexcept;
	// CheckDomain throws the error Encrypt would throw for a value of n numerals in radix, or
	// returns.
	static void CheckDomain(std::uint32_t radix, std::size_t n);

	struct Moduli; // radix^u, radix^v and reciprocals for the last (radix, length), defined in
	               // ff3_1.cpp

  private:
	void Run(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
	         const std::uint8_t *tweak, std::size_t tweak_len, bool encrypt) const;

	AesEcb aes_; // keyed with the byte-reversed key (REVB(K)), as FF3-1 specifies
	mutable std::unique_ptr<Moduli>
	        moduli_; // cache, allocated on first use (see the file header on threads)
};

// String helpers: every character of value must be in alphabet; the result has the same number of
// characters. The overloads taking std::string &out replace its contents and reuse its capacity.
void EncryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
                   const std::uint8_t *tweak, std::size_t tweak_len, std::string &out);
void DecryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
                   const std::uint8_t *tweak, std::size_t tweak_len, std::string &out);
std::string EncryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
                          const std::uint8_t *tweak, std::size_t tweak_len);
std::string DecryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
                          const std::uint8_t *tweak, std::size_t tweak_len);

void EncryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
                   const std::uint8_t *tweak, std::size_t tweak_len, std::string &out);
void DecryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
                   const std::uint8_t *tweak, std::size_t tweak_len, std::string &out);
std::string EncryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
                          const std::uint8_t *tweak, std::size_t tweak_len);
std::string DecryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
                          const std::uint8_t *tweak, std::size_t tweak_len);

// Batch helpers for FF3-1 (see the FF1 batch helpers above).
void EncryptBatch(const Ff31 &ff31, const Alphabet &alphabet, const std::string_view *values,
                  std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len,
                  std::string *out, CancelCheck cancel = nullptr);
void DecryptBatch(const Ff31 &ff31, const Alphabet &alphabet, const std::string_view *values,
                  std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len,
                  std::string *out, CancelCheck cancel = nullptr);

} // namespace privacy::core
