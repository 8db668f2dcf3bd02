// keyed_hash.hpp: domain-separated keyed BLAKE2b shared by the keyed masks (internal to
// src/core/mask).
//
// Invariants: every derivation starts with a length-prefixed tag naming the function family and
// version, and every variable-length field is length-prefixed, so encodings are injective and
// families never collide. The hash state lives on the stack and is wiped on destruction. Never logs
// or reports any input.
#pragma once

#include "privacy/core/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <sodium.h>

namespace privacy::core::mask_internal {

// KeyedHash is an incremental keyed BLAKE2b (libsodium crypto_generichash) over a domain-separated
// encoding.
class KeyedHash {
  public:
	// KeyedHash starts a hash of output_length bytes (16..64) keyed with the 32-byte key and
	// absorbs the tag.
	KeyedHash(const std::uint8_t *key, std::string_view tag, std::size_t output_length) noexcept;
	~KeyedHash() noexcept;
	KeyedHash(const KeyedHash &) = delete;
	KeyedHash &operator=(const KeyedHash &) = delete;

	// AddU64 absorbs value as 8 little-endian bytes.
	void AddU64(std::uint64_t value) noexcept;

	// AddField absorbs u64le(bytes.size()) followed by the bytes.
	void AddField(std::string_view bytes) noexcept;

	// AddRaw absorbs the bytes without a length prefix (only for the last field of an encoding).
	void AddRaw(std::string_view bytes) noexcept;

	// Finish writes output_length bytes to out.
	void Finish(std::uint8_t *out) noexcept;

  private:
	crypto_generichash_state state_;
	std::size_t output_length_;
};

// ReadU64 returns the 8 little-endian bytes at bytes as an integer.
std::uint64_t ReadU64(const std::uint8_t *bytes) noexcept;

// WriteU64 stores value as 8 little-endian bytes at bytes.
void WriteU64(std::uint64_t value, std::uint8_t *bytes) noexcept;

// UniformBelow maps a uniform 64-bit word to [0, bound) by multiply-high (bias below bound / 2^64).
inline std::uint64_t
UniformBelow(std::uint64_t word, std::uint64_t bound) noexcept {
	return static_cast<std::uint64_t>((static_cast<unsigned __int128>(word) * bound) >> 64);
}

} // namespace privacy::core::mask_internal
