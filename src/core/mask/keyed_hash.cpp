// keyed_hash.cpp: domain-separated keyed BLAKE2b for the keyed masks.
//
// Invariants: the libsodium state is wiped with sodium_memzero when the hasher dies; inputs are
// absorbed, never copied elsewhere.
#include "keyed_hash.hpp"

namespace privacy::core::mask_internal {

KeyedHash::KeyedHash(const std::uint8_t *key, std::string_view tag,
                     std::size_t output_length) noexcept
    : state_(), output_length_(output_length) {
	crypto_generichash_init(&state_, key, 32, output_length);
	AddField(tag);
}

KeyedHash::~KeyedHash() noexcept {
	sodium_memzero(&state_, sizeof(state_));
}

void
KeyedHash::AddU64(std::uint64_t value) noexcept {
	std::uint8_t bytes[8];
	WriteU64(value, bytes);
	crypto_generichash_update(&state_, bytes, sizeof(bytes));
}

void
KeyedHash::AddField(std::string_view bytes) noexcept {
	AddU64(bytes.size());
	AddRaw(bytes);
}

void
KeyedHash::AddRaw(std::string_view bytes) noexcept {
	crypto_generichash_update(&state_, reinterpret_cast<const unsigned char *>(bytes.data()),
	                          bytes.size());
}

void
KeyedHash::Finish(std::uint8_t *out) noexcept {
	crypto_generichash_final(&state_, out, output_length_);
}

void
WriteU64(std::uint64_t value, std::uint8_t *bytes) noexcept {
	for (int i = 0; i < 8; i++)
		bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::uint64_t
ReadU64(const std::uint8_t *bytes) noexcept {
	std::uint64_t value = 0;
	for (int i = 7; i >= 0; i--)
		value = (value << 8) | bytes[i];
	return value;
}

} // namespace privacy::core::mask_internal
