// aes.hpp: AES single-block (ECB) encryption with a key schedule computed once.
//
// Purpose: the FPE modes (FF1, FF3-1) call AES once per Feistel round, millions of times under one
// key. AesEcb runs the key schedule once, keeps the OpenSSL EVP context for the life of the object
// and encrypts raw 16-byte blocks through it, so the hot path never allocates and never
// re-initialises OpenSSL state.
//
// Invariants: the object never stores key bytes of its own; the expanded key lives only inside the
// EVP context, which OpenSSL wipes when the context is freed. Errors carry static strings only.
//
// Must never: decrypt (FF1 and FF3-1 use only the forward cipher), pad, chain blocks, or expose the
// context. Encrypting through a const object still uses the EVP context, so one object must not be
// used by two threads at once (PostgreSQL backends are single-threaded; give each thread its own
// object elsewhere).
#pragma once

#include "privacy/core/config.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

struct evp_cipher_ctx_st; // OpenSSL's EVP_CIPHER_CTX; kept opaque so core headers need no OpenSSL
                          // include.

namespace privacy::core {

class AesEcb {
  public:
	static constexpr std::size_t kBlockSize = 16;

	// key_len must be 16, 24 or 32 bytes (AES-128/192/256); anything else throws kInvalidParameter.
	AesEcb(const std::uint8_t *key, std::size_t key_len);
	~AesEcb();
	AesEcb(AesEcb &&other) noexcept;
	AesEcb &operator=(AesEcb &&other) noexcept;
	AesEcb(const AesEcb &) = delete;
	AesEcb &operator=(const AesEcb &) = delete;

	// in and out may be the same 16 bytes.
	void EncryptBlock(const std::uint8_t *in, std::uint8_t *out) const;
	// Encrypts block_count independent blocks (ECB) in one EVP call; in and out may be the same
	// buffer.
	void EncryptBlocks(const std::uint8_t *in, std::uint8_t *out, std::size_t block_count) const;

	std::size_t
	KeyLength() const noexcept {
		return key_len_;
	}

  private:
	struct ContextDeleter {
		void operator()(evp_cipher_ctx_st *ctx) const noexcept;
	};

	std::unique_ptr<evp_cipher_ctx_st, ContextDeleter> ctx_;
	std::size_t key_len_ = 0;
};

} // namespace privacy::core
