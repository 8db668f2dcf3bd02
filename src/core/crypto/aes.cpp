// aes.cpp: AesEcb, one AES key schedule per key over an OpenSSL EVP ECB context.
//
// Invariants: the EVP context is initialised once (cipher, key, padding off) and afterwards only
// receives whole blocks, so EVP_EncryptUpdate never buffers a partial block and never needs
// EVP_EncryptFinal. The context is freed (and its key schedule wiped by OpenSSL) by the unique_ptr
// deleter, including when the constructor throws half-way. No error message names the key or the
// data.
#include "privacy/core/aes.hpp"

#include "privacy/core/error.hpp"

#include <climits>
#include <utility>

#include <openssl/evp.h>

namespace privacy::core {

namespace {

// Cipher returns the EVP ECB cipher for a key of key_len bytes, or nullptr for an unsupported
// length.
const EVP_CIPHER *
Cipher(std::size_t key_len) noexcept {
	switch (key_len) {
	case 16:
		return EVP_aes_128_ecb();
	case 24:
		return EVP_aes_192_ecb();
	case 32:
		return EVP_aes_256_ecb();
	default:
		return nullptr;
	}
}

} // namespace

void
AesEcb::ContextDeleter::operator()(evp_cipher_ctx_st *ctx) const noexcept {
	// EVP_CIPHER_CTX_free cleanses the expanded key before releasing the memory.
	EVP_CIPHER_CTX_free(ctx);
}

// AesEcb runs the AES key schedule for key once; the key bytes are not retained.
AesEcb::AesEcb(const std::uint8_t *key, std::size_t key_len) {
	const EVP_CIPHER *cipher = Cipher(key_len);
	if (cipher == nullptr || key == nullptr)
		throw Error(ErrorKind::kInvalidParameter, "invalid encryption key length",
		            "AES keys must be 128, 192 or 256 bits (16, 24 or 32 bytes).");
	ctx_.reset(EVP_CIPHER_CTX_new());
	if (!ctx_)
		throw Error(ErrorKind::kInternal, "could not allocate an AES context");
	if (EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, key, nullptr) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx_.get(), 0) != 1)
		throw Error(ErrorKind::kInternal, "could not initialise AES");
	key_len_ = key_len;
}

AesEcb::~AesEcb() = default;

AesEcb::AesEcb(AesEcb &&other) noexcept
    : ctx_(std::move(other.ctx_)), key_len_(std::exchange(other.key_len_, 0)) {
}

AesEcb &
AesEcb::operator=(AesEcb &&other) noexcept {
	ctx_ = std::move(other.ctx_);
	key_len_ = std::exchange(other.key_len_, 0);
	return *this;
}

// EncryptBlock encrypts one 16-byte block with the cached key schedule.
void
AesEcb::EncryptBlock(const std::uint8_t *in, std::uint8_t *out) const {
	int out_len = 0;
	if (!ctx_ ||
	    EVP_EncryptUpdate(ctx_.get(), out, &out_len, in, static_cast<int>(kBlockSize)) != 1 ||
	    out_len != static_cast<int>(kBlockSize))
		throw Error(ErrorKind::kInternal, "AES encryption failed");
}

// EncryptBlocks encrypts block_count independent 16-byte blocks, in as few EVP calls as int lengths
// allow.
void
AesEcb::EncryptBlocks(const std::uint8_t *in, std::uint8_t *out, std::size_t block_count) const {
	constexpr std::size_t kMaxBlocksPerCall = (INT_MAX / kBlockSize);
	if (!ctx_)
		throw Error(ErrorKind::kInternal, "AES encryption failed");
	while (block_count > 0) {
		const std::size_t blocks =
		        block_count < kMaxBlocksPerCall ? block_count : kMaxBlocksPerCall;
		const int len = static_cast<int>(blocks * kBlockSize);
		int out_len = 0;
		if (EVP_EncryptUpdate(ctx_.get(), out, &out_len, in, len) != 1 || out_len != len)
			throw Error(ErrorKind::kInternal, "AES encryption failed");
		in += blocks * kBlockSize;
		out += blocks * kBlockSize;
		block_count -= blocks;
	}
}

} // namespace privacy::core
