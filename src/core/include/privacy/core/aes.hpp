// aes.hpp: AES single-block (ECB) encryption with a key schedule computed once.
//
// Purpose: the FPE modes (FF1, FF3-1) call AES once per Feistel round, millions of times under one
// key. AesEcb runs the key schedule once, keeps the OpenSSL EVP context for the life of the object
// and encrypts raw 16-byte blocks through it, so the hot path never allocates and never
// re-initialises OpenSSL state.
//
// Where the CPU has AES-NI (x86-64) and the key has 128 or 256 bits, the object also keeps the
// expanded key (the round keys) itself, so that a single block is encrypted with ten or fourteen
// AES instructions instead of a trip through EVP's dispatch, and FF1 can keep its Feistel block in
// a register between rounds (RoundKeys). Multi-block calls still go through EVP, whose ECB code
// pipelines the blocks.
//
// Invariants: the key bytes themselves are never stored; the expanded key lives inside the EVP
// context, which OpenSSL wipes when the context is freed, and in the round keys, which the
// destructor wipes. Both are computed from the same key at construction and give the same blocks
// (unit tests compare them). Errors carry static strings only.
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

	// RoundKeys returns the expanded key for AES-NI code inside core (Rounds() + 1 16-byte round
	// keys, 16-byte aligned), or nullptr when AES-NI is not used for this object. Core-internal:
	// nothing outside src/core reads it.
	const std::uint8_t *
	RoundKeys() const noexcept {
		return round_keys_ ? round_keys_->bytes : nullptr;
	}
	int
	Rounds() const noexcept {
		return rounds_;
	}

	// UseEvpOnly drops the AES-NI round keys (tests and benchmarks compare both paths).
	void UseEvpOnly() noexcept;

  private:
	struct RoundKeyBlock {
		alignas(16) std::uint8_t bytes[15 * 16];
		bool guarded = false; // in sodium_malloc memory
		std::uint8_t padding[15] = {};
	};
	static RoundKeyBlock *NewRoundKeys();
	// AgreesWithEvp checks the AES-NI round keys against the EVP context
	// (built with AES-NI only).
	bool AgreesWithEvp() const;
	struct RoundKeyDeleter {
		void operator()(RoundKeyBlock *keys) const noexcept;
	};
	struct ContextDeleter {
		void operator()(evp_cipher_ctx_st *ctx) const noexcept;
	};

	std::unique_ptr<evp_cipher_ctx_st, ContextDeleter> ctx_;
	std::unique_ptr<RoundKeyBlock, RoundKeyDeleter> round_keys_;
	std::size_t key_len_ = 0;
	int rounds_ = 0;
};

} // namespace privacy::core
