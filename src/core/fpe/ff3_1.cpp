// ff3_1.cpp: FF3-1 format-preserving encryption (NIST SP 800-38G Rev. 1, Algorithms 9 and 10),
// written from the standard, for interoperability only (FF1 is the mode pg_privacy uses; the 2025
// draft revision of SP 800-38G withdraws FF3-1).
//
// How it is fast: CIPH_REVB(K) is an AES context keyed once with the reversed key. Because maxlen =
// 2 * floor(log_radix(2^96)), radix^u <= 2^96, so the Feistel state NUM_radix(REV(A)),
// NUM_radix(REV(B)) always fits unsigned __int128 and no round converts numerals. REVB(P) is built
// directly (the numeral part is the little-endian encoding of NUM_radix(REV(B))) and NUM(REVB(S))
// is the little-endian reading of the AES output. radix^u, radix^v and their reciprocals (no
// hardware division per round while radix^u < 2^64) are cached per (radix, length) in the object.
// Eight AES blocks per call; nothing allocates after the first call.
//
// Invariants: the tweak is exactly 56 bits; 64-bit FF3 tweaks are refused rather than truncated.
// The reversed key copy is wiped with OPENSSL_cleanse. Errors carry static strings only.
#include "privacy/core/fpe.hpp"

#include "fpe_internal.hpp"

#include <openssl/crypto.h>

namespace privacy::core {

using fpe_detail::U128;

namespace {

constexpr int kRounds = 8;

// ReversedKeyCipher returns an AesEcb keyed with REVB(key) and wipes the reversed copy.
AesEcb
ReversedKeyCipher(const std::uint8_t *key, std::size_t key_len) {
	std::uint8_t reversed[32];
	if (key == nullptr || (key_len != 16 && key_len != 24 && key_len != 32))
		return AesEcb(key, key_len); // throws the standard key-length error
	for (std::size_t i = 0; i < key_len; ++i)
		reversed[i] = key[key_len - 1 - i];
	try {
		AesEcb aes(reversed, key_len);
		OPENSSL_cleanse(reversed, sizeof(reversed));
		return aes;
	} catch (...) {
		OPENSSL_cleanse(reversed, sizeof(reversed));
		throw;
	}
}

} // namespace

// Moduli caches radix^u, radix^v and the numeral conversion tables for the last (radix, n).
struct Ff31::Moduli {
	std::uint32_t radix = 0;
	std::size_t n = 0;
	U128 radix_u = 0;
	U128 radix_v = 0;
	bool small = false; // radix^u < 2^64: reduce with mod_u / mod_v
	fpe_detail::Reciprocal64 mod_u;
	fpe_detail::Reciprocal64 mod_v;
	fpe_detail::WordDigits digits;
};

namespace {

// RunRounds runs the eight Feistel rounds with NUM_radix(REV(A)), NUM_radix(REV(B)) in machine
// words: uint64_t when radix^u < 2^64 (the state stays in general registers), unsigned __int128
// otherwise.
template <typename Word>
void
RunRounds(const AesEcb &aes, const Ff31::Moduli &moduli, U128 t_left, U128 t_right,
          const std::uint16_t *in, std::size_t u, std::size_t v, std::uint16_t *out, bool encrypt) {
	constexpr bool kNarrow = sizeof(Word) == 8;
	auto a = static_cast<Word>(moduli.digits.Read<true>(in, u));
	auto b = static_cast<Word>(moduli.digits.Read<true>(in + u, v));
	const auto radix_u = static_cast<Word>(moduli.radix_u);
	const auto radix_v = static_cast<Word>(moduli.radix_v);
	alignas(16) std::uint8_t block[16];
	for (int step = 0; step < kRounds; ++step) {
		const int i = encrypt ? step : kRounds - 1 - step;
		const bool even = (i % 2 == 0);
		// REVB(P) with P = (W xor [i]^4) || [NUM_radix(REV(B))]^12 (A on decryption): read
		// little-endian, the numeral fills the low 96 bits and W xor [i]^4 the top 32 bits,
		// byte-reversed.
		const U128 p =
		        (even ? t_right : t_left) ^ (static_cast<U128>(i) << 96) ^ U128 { encrypt ? b : a };
		fpe_detail::StoreLittleEndian128(p, block);
		aes.EncryptBlock(block, block);
		// S = REVB(CIPH(REVB(P))); y = NUM(S) is the AES output read little-endian.
		const U128 y = fpe_detail::LoadLittleEndian128(block);
		const Word modulus = even ? radix_u : radix_v;
		Word ym;
		if (kNarrow)
			ym = static_cast<Word>((even ? moduli.mod_u : moduli.mod_v).Mod(y));
		else
			ym = static_cast<Word>(y % modulus);
		if (encrypt) {
			const Word c = fpe_detail::AddMod<Word>(a, ym, modulus);
			a = b;
			b = c;
		} else {
			const Word c = fpe_detail::SubMod<Word>(b, ym, modulus);
			b = a;
			a = c;
		}
	}
	moduli.digits.Write<true>(a, u, out);
	moduli.digits.Write<true>(b, v, out + u);
}

} // namespace

// Ff31 runs the AES key schedule for REVB(key) once.
Ff31::Ff31(const std::uint8_t *key, std::size_t key_len) : aes_(ReversedKeyCipher(key, key_len)) {
}

Ff31::~Ff31() = default;
Ff31::Ff31(Ff31 &&other) noexcept = default;
Ff31 &Ff31::operator=(Ff31 &&other) noexcept = default;

// MaxLength returns 2 * floor(log_radix(2^96)), computed exactly.
std::size_t
Ff31::MaxLength(std::uint32_t radix) noexcept {
	if (radix < 2 || radix > kFpeMaxRadix)
		return 0;
	const U128 limit = U128{1} << 96;
	U128 power = 1;
	std::size_t k = 0;
	while (power * radix <= limit) {
		power *= radix;
		++k;
	}
	return 2 * k;
}

// CheckDomain throws unless radix and n describe an FF3-1 domain.
void
Ff31::CheckDomain(std::uint32_t radix, std::size_t n) {
	fpe_detail::CheckRadixAndMinimum(radix, n);
	if (n > MaxLength(radix))
		fpe_detail::ThrowFf31TooLong();
}

// Run applies FF3-1 encryption (Algorithm 9) or decryption (Algorithm 10).
void
Ff31::Run(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
          const std::uint8_t *tweak, std::size_t tweak_len, bool encrypt) const {
	CheckDomain(radix, n);
	if (tweak_len != kTweakLength || tweak == nullptr)
		throw Error(
		        ErrorKind::kInvalidParameter, "invalid tweak length for FF3-1",
		        "FF3-1 tweaks are exactly 56 bits (7 bytes); 64-bit FF3 tweaks are not accepted.");
	const std::size_t u = n - n / 2; // ceil(n/2)
	const std::size_t v = n / 2;
	if (!moduli_)
		moduli_.reset(new Moduli());
	Moduli &moduli = *moduli_;
	if (moduli.radix != radix || moduli.n != n) {
		moduli.n = 0;
		U128 power = 1;
		for (std::size_t j = 0; j < v; ++j)
			power *= radix;
		moduli.radix_v = power;
		moduli.radix_u = u > v ? power * radix : power;
		moduli.small = (moduli.radix_u >> 64) == 0;
		if (moduli.small) {
			moduli.mod_u.Init(static_cast<std::uint64_t>(moduli.radix_u));
			moduli.mod_v.Init(static_cast<std::uint64_t>(moduli.radix_v));
		}
		moduli.digits.Init(radix);
		moduli.radix = radix;
		moduli.n = n;
	}
	// T_L = T[0..27] || 0^4, T_R = T[32..55] || T[28..31] || 0^4, placed as the top 32 bits of
	// REVB(P) read little-endian (byte-reversed).
	const U128 t_left = (static_cast<U128>(tweak[3] & 0xF0) << 96) |
	                    (static_cast<U128>(tweak[2]) << 104) |
	                    (static_cast<U128>(tweak[1]) << 112) | (static_cast<U128>(tweak[0]) << 120);
	const U128 t_right = (static_cast<U128>((tweak[3] << 4) & 0xF0) << 96) |
	                     (static_cast<U128>(tweak[6]) << 104) |
	                     (static_cast<U128>(tweak[5]) << 112) |
	                     (static_cast<U128>(tweak[4]) << 120);
	if (moduli.small)
		RunRounds<std::uint64_t>(aes_, moduli, t_left, t_right, in, u, v, out, encrypt);
	else
		RunRounds<U128>(aes_, moduli, t_left, t_right, in, u, v, out, encrypt);
}

void
Ff31::Encrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
              const std::uint8_t *tweak, std::size_t tweak_len) const {
	Run(in, n, out, radix, tweak, tweak_len, true);
}

void
Ff31::Decrypt(const std::uint16_t *in, std::size_t n, std::uint16_t *out, std::uint32_t radix,
              const std::uint8_t *tweak, std::size_t tweak_len) const {
	Run(in, n, out, radix, tweak, tweak_len, false);
}

} // namespace privacy::core
