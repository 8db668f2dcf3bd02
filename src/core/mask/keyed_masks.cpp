// keyed_masks.cpp: noise, shift_date and pseudonym, all derived from the value with keyed PRFs
// (SipHash-2-4 under BLAKE2b-derived subkeys for noise and shift, keyed BLAKE2b for pseudonyms).
//
// Invariants: deterministic per (value, arguments, key), so repeated queries return the same masked
// value and cannot be averaged; every family uses its own tag, so one secret yields independent
// derivations. Arguments that change the distribution (ratio, max_days) are hashed too: two calls
// with different arguments give unrelated draws instead of equations an attacker could solve for
// the value. Results saturate instead of overflowing. Only argument checks throw; nothing here ever
// reports a value.
#include "privacy/core/mask.hpp"

#include "privacy/core/error.hpp"

#include "keyed_hash.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace privacy::core {

namespace {

using mask_internal::KeyedHash;
using mask_internal::ReadU64;
using mask_internal::UniformBelow;
using mask_internal::WriteU64;

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// CheckRatio throws unless 0 <= ratio <= kMaxNoiseRatio (NaN fails both comparisons).
void
CheckRatio(double ratio) {
	if (!(ratio >= 0.0 && ratio <= kMaxNoiseRatio))
		throw Error(ErrorKind::kInvalidParameter, "noise ratio must be between 0 and 10");
}

// CheckMaxDays throws unless 0 <= max_days <= kMaxShiftDays.
void
CheckMaxDays(std::int64_t max_days) {
	if (max_days < 0 || max_days > kMaxShiftDays)
		throw Error(ErrorKind::kInvalidParameter, "maximum shift must be between 0 and 36500 days");
}

// DoubleBits returns the IEEE-754 bit pattern of value.
std::uint64_t
DoubleBits(double value) noexcept {
	std::uint64_t bits;
	std::memcpy(&bits, &value, sizeof(bits));
	return bits;
}

// NoiseFactor returns r in [-ratio, +ratio) from a 64-bit hash word.
double
NoiseFactor(std::uint64_t word, double ratio) noexcept {
	double unit = static_cast<double>(word >> 11) * 0x1.0p-53; // [0, 1)
	return ratio * (2.0 * unit - 1.0);
}

// Noise and shift draw one 64-bit word per value from SipHash-2-4 (libsodium crypto_shorthash), a
// PRF with a 128-bit key: ample for that, and an order of magnitude cheaper than keyed BLAKE2b of a
// short message, whose 128-byte key block costs a compression on every call. Each family (tag) has
// its own SipHash subkey, derived once from the masking key with keyed BLAKE2b and cached per
// thread for the keys last seen; a different key (rotation) derives new subkeys, and
// ForgetMaskSubkeys wipes them.
struct SubkeyEntry {
	const char *tag_data;
	std::size_t tag_size;
	std::uint8_t key[kMaskKeyBytes];
	std::uint8_t subkey[crypto_shorthash_KEYBYTES];
};
constexpr int kSubkeySlots = 8;
thread_local SubkeyEntry subkey_cache[kSubkeySlots];
thread_local int subkey_next = 0;

// SameKey compares two masking keys in constant time, a word at a time (sodium_memcmp goes byte
// by byte through volatile accesses: a tenth of noise(numeric)'s time, since every call looks its
// subkey up).
bool
SameKey(const std::uint8_t *a, const std::uint8_t *b) noexcept {
	static_assert(kMaskKeyBytes % sizeof(std::uint64_t) == 0, "keys are whole words");
	std::uint64_t diff = 0;
	for (std::size_t i = 0; i < kMaskKeyBytes; i += sizeof(std::uint64_t)) {
		std::uint64_t x;
		std::uint64_t y;
		std::memcpy(&x, a + i, sizeof(x));
		std::memcpy(&y, b + i, sizeof(y));
		diff |= x ^ y;
	}
	return diff == 0;
}

// Subkey returns the SipHash subkey of tag under key, deriving it on a miss.
const std::uint8_t *
Subkey(const std::uint8_t *key, std::string_view tag) noexcept {
	for (SubkeyEntry &entry : subkey_cache)
		if (entry.tag_data == tag.data() && entry.tag_size == tag.size() && SameKey(entry.key, key))
			return entry.subkey;
	SubkeyEntry &entry = subkey_cache[subkey_next];
	subkey_next = (subkey_next + 1) % kSubkeySlots;
	KeyedHash hash(key, "pg_privacy/siphash-subkey/v1", crypto_shorthash_KEYBYTES);
	hash.AddRaw(tag);
	hash.Finish(entry.subkey);
	std::memcpy(entry.key, key, kMaskKeyBytes);
	entry.tag_data = tag.data();
	entry.tag_size = tag.size();
	return entry.subkey;
}

// HashWord returns SipHash-2-4 under the tag's subkey of u64le(a) || u64le(b).
std::uint64_t
HashWord(const std::uint8_t *key, std::string_view tag, std::uint64_t a, std::uint64_t b) noexcept {
	std::uint8_t message[16];
	WriteU64(a, message);
	WriteU64(b, message + 8);
	std::uint8_t digest[crypto_shorthash_BYTES];
	crypto_shorthash(digest, message, sizeof(message), Subkey(key, tag));
	return ReadU64(digest);
}

// NonZeroOffset maps a hash word to a non-zero integer in [-limit, -1] U [1, limit] (limit > 0).
std::int64_t
NonZeroOffset(std::uint64_t word, std::int64_t limit) noexcept {
	auto index =
	        static_cast<std::int64_t>(UniformBelow(word, 2 * static_cast<std::uint64_t>(limit)));
	return index < limit ? index - limit : index - limit + 1;
}

// SaturatingAdd returns a + b clamped to the int64 range.
std::int64_t
SaturatingAdd(std::int64_t a, std::int64_t b) noexcept {
	__int128 sum = static_cast<__int128>(a) + b;
	if (sum > kInt64Max)
		return kInt64Max;
	if (sum < kInt64Min)
		return kInt64Min;
	return static_cast<std::int64_t>(sum);
}

} // namespace

void
ForgetMaskSubkeys() noexcept {
	sodium_memzero(subkey_cache, sizeof(subkey_cache));
	subkey_next = 0;
}

std::int64_t
NoiseInt64(std::int64_t value, double ratio, const std::uint8_t key[kMaskKeyBytes]) {
	CheckRatio(ratio);
	if (ratio == 0.0 || value == 0)
		return value;
	std::uint64_t word = HashWord(key, "pg_privacy/noise/int64/v2",
	                              static_cast<std::uint64_t>(value), DoubleBits(ratio));
	// The noise itself needs no more precision than a double: only value + delta must be exact and
	// saturating.
	double delta = std::nearbyint(static_cast<double>(value) * NoiseFactor(word, ratio));
	if (delta >= 0x1.0p63)
		return SaturatingAdd(value, kInt64Max);
	if (delta <= -0x1.0p63)
		return SaturatingAdd(value, kInt64Min);
	return SaturatingAdd(value, static_cast<std::int64_t>(delta));
}

double
NoiseDouble(double value, double ratio, const std::uint8_t key[kMaskKeyBytes]) {
	CheckRatio(ratio);
	if (!std::isfinite(value) || ratio == 0.0 || value == 0.0)
		return value;
	std::uint64_t word =
	        HashWord(key, "pg_privacy/noise/float64/v2", DoubleBits(value), DoubleBits(ratio));
	double result = value + value * NoiseFactor(word, ratio);
	if (!std::isfinite(result))
		return value > 0 ? DBL_MAX : -DBL_MAX;
	return result;
}

std::int64_t
ShiftDays(std::int32_t days, std::int64_t max_days, const std::uint8_t key[kMaskKeyBytes]) {
	CheckMaxDays(max_days);
	if (max_days == 0)
		return days;
	std::uint64_t word = HashWord(key, "pg_privacy/shift/date/v2",
	                              static_cast<std::uint64_t>(std::int64_t{days}),
	                              static_cast<std::uint64_t>(max_days));
	return std::int64_t{days} + NonZeroOffset(word, max_days);
}

std::int64_t
ShiftTimestampOffset(std::uint64_t micros_bits, std::int64_t max_days,
                     const std::uint8_t key[kMaskKeyBytes]) {
	CheckMaxDays(max_days);
	if (max_days == 0)
		return 0;
	std::uint64_t word = HashWord(key, "pg_privacy/shift/timestamp/v2", micros_bits,
	                              static_cast<std::uint64_t>(max_days));
	return NonZeroOffset(word, max_days * kMicrosPerDay);
}

std::int64_t
ShiftTimestamp(std::int64_t micros, std::int64_t max_days, const std::uint8_t key[kMaskKeyBytes]) {
	return SaturatingAdd(micros,
	                     ShiftTimestampOffset(static_cast<std::uint64_t>(micros), max_days, key));
}

void
Pseudonym(std::string_view value, std::string_view domain, const std::uint8_t key[kMaskKeyBytes],
          std::string &out) {
	static constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
	std::uint8_t digest[16];
	{
		KeyedHash hash(key, "pg_privacy/pseudonym/v1", sizeof(digest));
		hash.AddField(domain);
		hash.AddRaw(value);
		hash.Finish(digest);
	}
	char text[kPseudonymLength];
	std::uint32_t buffer = 0;
	int bits = 0;
	std::size_t length = 0;
	for (std::uint8_t byte : digest) {
		buffer = (buffer << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			text[length++] = kBase32[(buffer >> (bits - 5)) & 31u];
			bits -= 5;
		}
	}
	if (bits > 0)
		text[length++] = kBase32[(buffer << (5 - bits)) & 31u];
	out.append(text, length);
	sodium_memzero(digest, sizeof(digest));
}

} // namespace privacy::core
