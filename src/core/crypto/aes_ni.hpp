// aes_ni.hpp: AES-NI helpers shared by aes.cpp and the FPE modes (core-internal, not public API).
//
// Purpose: encrypt one block held in a register with the round keys of an AesEcb
// (AesEcb::RoundKeys), so that FF1's Feistel rounds never move their block through memory and
// never pay EVP's dispatch. Compiled for x86-64 with GCC or Clang only; every function carries
// its own target attribute and is called only after Available() said yes (the build itself does
// not assume AES-NI).
//
// Invariants: round keys are Rounds() + 1 blocks of 16 bytes, 16-byte aligned; only AES-128 (10
// rounds) and AES-256 (14 rounds) are expanded here (AES-192 stays on EVP).
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PRIVACY_HAVE_AESNI 1
#include <immintrin.h>

#define PRIVACY_AESNI_TARGET __attribute__((target("aes,sse4.1,ssse3")))

namespace privacy::core::aesni {

// Available reports whether this CPU has AES-NI, SSE4.1 and SSSE3.
inline bool
Available() noexcept {
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1") &&
	       __builtin_cpu_supports("ssse3");
}

// Encrypt returns AES_K(x) for the kRounds + 1 round keys rk.
template <int kRounds>
PRIVACY_AESNI_TARGET inline __m128i
Encrypt(__m128i x, const __m128i *rk) noexcept {
	x = _mm_xor_si128(x, _mm_load_si128(rk));
#pragma GCC unroll 14
	for (int r = 1; r < kRounds; ++r)
		x = _mm_aesenc_si128(x, _mm_load_si128(rk + r));
	return _mm_aesenclast_si128(x, _mm_load_si128(rk + kRounds));
}

// ReverseBytes returns the 16 bytes of x in reverse order (a big-endian block <-> a
// little-endian 128-bit integer).
PRIVACY_AESNI_TARGET inline __m128i
ReverseBytes(__m128i x) noexcept {
	return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

} // namespace privacy::core::aesni

#endif
