// aes.cpp: AesEcb, one AES key schedule per key over an OpenSSL EVP ECB context.
//
// Invariants: the EVP context is initialised once (cipher, key, padding off) and afterwards only
// receives whole blocks, so EVP_EncryptUpdate never buffers a partial block and never needs
// EVP_EncryptFinal. The context is freed (and its key schedule wiped by OpenSSL) by the unique_ptr
// deleter, including when the constructor throws half-way. No error message names the key or the
// data.
#include "privacy/core/aes.hpp"

#include "privacy/core/error.hpp"

#include "aes_ni.hpp"

#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include <new>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

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

#if PRIVACY_HAVE_AESNI

// ExpandStep returns the next AES key-schedule word group: key xor its three left shifts by one
// word, xor the broadcast word of assist (FIPS 197, 5.2, in the form of Intel's AES-NI white
// paper).
PRIVACY_AESNI_TARGET inline __m128i
ExpandStep(__m128i key, __m128i assist) noexcept {
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	return _mm_xor_si128(key, assist);
}

// Expand128 writes the 11 round keys of an AES-128 key.
PRIVACY_AESNI_TARGET void
Expand128(const std::uint8_t *key, __m128i *rk) noexcept {
	rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(key));
#define PRIVACY_EXPAND128(i, rcon)                                                                 \
	rk[i] = ExpandStep(rk[i - 1],                                                                  \
	                   _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], rcon), 0xFF))
	PRIVACY_EXPAND128(1, 0x01);
	PRIVACY_EXPAND128(2, 0x02);
	PRIVACY_EXPAND128(3, 0x04);
	PRIVACY_EXPAND128(4, 0x08);
	PRIVACY_EXPAND128(5, 0x10);
	PRIVACY_EXPAND128(6, 0x20);
	PRIVACY_EXPAND128(7, 0x40);
	PRIVACY_EXPAND128(8, 0x80);
	PRIVACY_EXPAND128(9, 0x1B);
	PRIVACY_EXPAND128(10, 0x36);
#undef PRIVACY_EXPAND128
}

// Expand256 writes the 15 round keys of an AES-256 key.
PRIVACY_AESNI_TARGET void
Expand256(const std::uint8_t *key, __m128i *rk) noexcept {
	rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(key));
	rk[1] = _mm_loadu_si128(reinterpret_cast<const __m128i *>(key + 16));
#define PRIVACY_EXPAND256(i, rcon)                                                                 \
	rk[i] = ExpandStep(rk[i - 2],                                                                  \
	                   _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], rcon), 0xFF));       \
	if ((i) + 1 < 15)                                                                              \
	rk[(i) + 1] =                                                                                  \
	        ExpandStep(rk[i - 1], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i], 0x00), 0xAA))
	PRIVACY_EXPAND256(2, 0x01);
	PRIVACY_EXPAND256(4, 0x02);
	PRIVACY_EXPAND256(6, 0x04);
	PRIVACY_EXPAND256(8, 0x08);
	PRIVACY_EXPAND256(10, 0x10);
	PRIVACY_EXPAND256(12, 0x20);
	PRIVACY_EXPAND256(14, 0x40);
#undef PRIVACY_EXPAND256
}

// EncryptOne encrypts the block at in into out with the round keys.
PRIVACY_AESNI_TARGET void
EncryptOne(const std::uint8_t *round_keys, int rounds, const std::uint8_t *in,
           std::uint8_t *out) noexcept {
	const auto *rk = reinterpret_cast<const __m128i *>(round_keys);
	const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(in));
	const __m128i y = rounds == 10 ? aesni::Encrypt<10>(x, rk) : aesni::Encrypt<14>(x, rk);
	_mm_storeu_si128(reinterpret_cast<__m128i *>(out), y);
}

#endif

} // namespace

// The round keys live in libsodium's guarded memory (locked: never swapped; excluded from core
// dumps; wiped by sodium_free), like the raw data keys; plain heap memory, wiped, only when that
// allocation fails.
AesEcb::RoundKeyBlock *
AesEcb::NewRoundKeys() {
	static_assert(sizeof(RoundKeyBlock) % 16 == 0, "sodium_malloc aligns to the block's size");
	if (sodium_init() >= 0) {
		void *memory = sodium_malloc(sizeof(RoundKeyBlock));
		if (memory != nullptr && reinterpret_cast<std::uintptr_t>(memory) % 16 == 0) {
			auto *keys = new (memory) RoundKeyBlock();
			keys->guarded = true;
			return keys;
		}
		if (memory != nullptr)
			sodium_free(memory);
	}
	return new RoundKeyBlock();
}

void
AesEcb::RoundKeyDeleter::operator()(RoundKeyBlock *keys) const noexcept {
	const bool guarded = keys->guarded;
	OPENSSL_cleanse(keys, sizeof(RoundKeyBlock));
	if (guarded)
		sodium_free(keys);
	else
		delete keys;
}

void
AesEcb::UseEvpOnly() noexcept {
	round_keys_.reset();
	rounds_ = 0;
}

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
#if PRIVACY_HAVE_AESNI
	if ((key_len == 16 || key_len == 32) && aesni::Available()) {
		round_keys_.reset(NewRoundKeys());
		auto *rk = reinterpret_cast<__m128i *>(round_keys_->bytes);
		if (key_len == 16)
			Expand128(key, rk);
		else
			Expand256(key, rk);
		rounds_ = key_len == 16 ? 10 : 14;
		// The expanded schedule is checked against OpenSSL's on every key:
		// two blocks through both must agree, or the AES-NI path is not used
		// (OpenSSL's stays the reference; a wrong schedule would make tokens
		// that no other node or version could reverse).
		if (!AgreesWithEvp()) {
			round_keys_.reset();
			rounds_ = 0;
		}
	}
#endif
}

#if PRIVACY_HAVE_AESNI
// AgreesWithEvp reports whether the AES-NI round keys encrypt two probe
// blocks exactly as the EVP context does.
bool
AesEcb::AgreesWithEvp() const {
	static const std::uint8_t kProbe[2 * kBlockSize] = {
	        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
	        0xbb, 0xcc, 0xdd, 0xee, 0xff, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa,
	        0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00};
	std::uint8_t ni[2 * kBlockSize];
	std::uint8_t evp[2 * kBlockSize];
	int out_len = 0;
	for (std::size_t i = 0; i < 2; i++)
		EncryptOne(round_keys_->bytes, rounds_, kProbe + i * kBlockSize, ni + i * kBlockSize);
	const bool ok = EVP_EncryptUpdate(ctx_.get(), evp, &out_len, kProbe,
	                                  static_cast<int>(sizeof(kProbe))) == 1 &&
	                out_len == static_cast<int>(sizeof(kProbe)) &&
	                CRYPTO_memcmp(ni, evp, sizeof(ni)) == 0;
	OPENSSL_cleanse(ni, sizeof(ni));
	OPENSSL_cleanse(evp, sizeof(evp));
	return ok;
}
#endif

AesEcb::~AesEcb() = default;

AesEcb::AesEcb(AesEcb &&other) noexcept
    : ctx_(std::move(other.ctx_)), round_keys_(std::move(other.round_keys_)),
      key_len_(std::exchange(other.key_len_, 0)), rounds_(std::exchange(other.rounds_, 0)) {
}

AesEcb &
AesEcb::operator=(AesEcb &&other) noexcept {
	ctx_ = std::move(other.ctx_);
	round_keys_ = std::move(other.round_keys_);
	key_len_ = std::exchange(other.key_len_, 0);
	rounds_ = std::exchange(other.rounds_, 0);
	return *this;
}

// EncryptBlock encrypts one 16-byte block with the cached key schedule.
void
AesEcb::EncryptBlock(const std::uint8_t *in, std::uint8_t *out) const {
#if PRIVACY_HAVE_AESNI
	if (round_keys_) {
		EncryptOne(round_keys_->bytes, rounds_, in, out);
		return;
	}
#endif
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
