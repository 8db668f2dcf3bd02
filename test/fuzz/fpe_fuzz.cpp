// fpe_fuzz.cpp: libFuzzer target that round-trips random numeral strings through FF1 and FF3-1.
//
// Input layout: byte 0 picks the key size (16/24/32) and the mode mix, bytes 1-2 the radix
// (2..65536), byte 3 the FF1 tweak length; then key bytes, tweak bytes, and the numerals (2 bytes
// each, reduced mod radix). Out-of-domain lengths must raise privacy::core::Error (never crash);
// in-domain values must decrypt to the plaintext, stay inside the radix, and give the same result
// in place. Any mismatch aborts.
#include "privacy/core/fpe.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using privacy::core::Error;
using privacy::core::Ff1;
using privacy::core::Ff31;

// Check aborts the process when ok is false.
void
Check(bool ok) {
	if (!ok)
		std::abort();
}

// RoundTrip encrypts, checks the range, decrypts, checks equality and the in-place result.
template <typename Cipher>
void
RoundTrip(const Cipher &cipher, const std::vector<std::uint16_t> &pt, std::uint32_t radix,
          const std::uint8_t *tweak, std::size_t tweak_len) {
	std::vector<std::uint16_t> ct(pt.size());
	std::vector<std::uint16_t> back(pt.size());
	try {
		cipher.Encrypt(pt.data(), pt.size(), ct.data(), radix, tweak, tweak_len);
	} catch (const Error &) {
		return; // out of domain: refused, which is the expected behaviour
	}
	for (const std::uint16_t numeral : ct)
		Check(numeral < radix);
	cipher.Decrypt(ct.data(), ct.size(), back.data(), radix, tweak, tweak_len);
	Check(back == pt);
	std::vector<std::uint16_t> in_place = pt;
	cipher.Encrypt(in_place.data(), in_place.size(), in_place.data(), radix, tweak, tweak_len);
	Check(in_place == ct);
}

// ManyMatchesSingle runs 1..40 variants of pt (rotations of its numerals) through Ff1::EncryptMany
// and DecryptMany, which put up to Ff1::kBatchLanes values side by side, and checks each against
// Encrypt alone.
void
ManyMatchesSingle(const Ff1 &ff1, const std::vector<std::uint16_t> &pt, std::uint32_t radix,
                  const std::uint8_t *tweak, std::size_t tweak_len, std::size_t count) {
	if (pt.empty())
		return;
	std::vector<std::vector<std::uint16_t>> values(count, pt);
	for (std::size_t k = 0; k < count; ++k)
		for (std::size_t j = 0; j < pt.size(); ++j)
			values[k][j] = pt[(j + k) % pt.size()];
	std::vector<std::vector<std::uint16_t>> expected = values;
	try {
		for (auto &value : expected)
			ff1.Encrypt(value.data(), value.size(), value.data(), radix, tweak, tweak_len);
	} catch (const Error &) {
		return;
	}
	std::vector<std::vector<std::uint16_t>> batch = values;
	std::vector<std::uint16_t *> pointers;
	for (auto &value : batch)
		pointers.push_back(value.data());
	ff1.EncryptMany(pointers.data(), count, pt.size(), radix, tweak, tweak_len);
	Check(batch == expected);
	ff1.DecryptMany(pointers.data(), count, pt.size(), radix, tweak, tweak_len);
	Check(batch == values);
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
	if (size < 4)
		return 0;
	static const std::size_t kKeySizes[3] = {16, 24, 32};
	const std::size_t key_len = kKeySizes[data[0] % 3];
	std::uint32_t radix = 2 + ((static_cast<std::uint32_t>(data[1]) << 8 | data[2]) % 65535);
	if ((data[0] & 0x40) != 0)
		radix = 2 + data[2] % 62; // favour the small radixes tokens use
	if ((data[0] & 0x80) != 0)
		radix = 65536;
	const std::size_t tweak_len = data[3] % 64;
	data += 4;
	size -= 4;
	if (size < key_len + tweak_len)
		return 0;
	const std::uint8_t *key = data;
	const std::uint8_t *tweak = data + key_len;
	data += key_len + tweak_len;
	size -= key_len + tweak_len;
	std::vector<std::uint16_t> pt(size / 2);
	for (std::size_t i = 0; i < pt.size(); ++i)
		pt[i] = static_cast<std::uint16_t>(
		        (static_cast<std::uint32_t>(data[2 * i]) << 8 | data[2 * i + 1]) % radix);

	const Ff1 ff1(key, key_len);
	RoundTrip(ff1, pt, radix, tweak_len == 0 ? nullptr : tweak, tweak_len);
	if (pt.size() <= 128)
		ManyMatchesSingle(ff1, pt, radix, tweak_len == 0 ? nullptr : tweak, tweak_len,
		                  1 + key[0] % 40);
	if (tweak_len >= Ff31::kTweakLength) {
		const Ff31 ff31(key, key_len);
		RoundTrip(ff31, pt, radix, tweak, Ff31::kTweakLength);
	}
	return 0;
}
