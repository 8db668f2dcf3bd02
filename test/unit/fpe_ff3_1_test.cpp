// fpe_ff3_1_test.cpp: FF3-1 against published ACVP-style FF3-1 sample vectors (radix 10, AES-128,
// 56-bit tweaks), against reference vectors from an independent implementation
// (test/unit/vectors/ff3_1_reference.txt: other radixes and key sizes), by round trips, and at its
// domain limits (maxlen = 2*floor(log_radix(2^96)), 7-byte tweaks only).
#include "privacy/core/fpe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using privacy::core::Alphabet;
using privacy::core::Error;
using privacy::core::ErrorKind;
using privacy::core::Ff31;

std::vector<std::uint8_t>
Hex(const std::string &hex) {
	std::vector<std::uint8_t> out;
	for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
		out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
	return out;
}

std::vector<std::uint16_t>
Numerals(const std::string &csv) {
	std::vector<std::uint16_t> out;
	std::stringstream in(csv);
	std::string item;
	while (std::getline(in, item, ','))
		out.push_back(static_cast<std::uint16_t>(std::stoul(item)));
	return out;
}

template <typename Fn>
ErrorKind
KindOf(Fn &&fn) {
	try {
		fn();
	} catch (const Error &error) {
		return error.kind();
	}
	return ErrorKind::kInternal;
}

struct Sample {
	const char *key;
	const char *tweak;
	const char *plaintext;
	const char *ciphertext;
};

// ACVP-style FF3-1 samples (AES-128, radix 10, 56-bit tweaks).
const Sample kAcvpSamples[] = {
        {"ad41ec5d2356deae53ae76f50b4ba6d2", "cf29da1e18d970", "6520935496", "4716569208"},
        {"3c0abb8c4d50528320ed6ef4f536371c", "2e0b7ee01c1370",
         "37411281822299620587806308530316674537844784195073078382",
         "45217408528208365340847148215470453887037524494034613315"},
        {"f0097594805cf9b83b865ac2e86aaa3b", "a864bfdb7ab3e4", "884423490276892452986545",
         "886740195115224033771281"},
        {"a4d59150ba523929f2536e22dcd9833a", "c618e4b9f102a9",
         "5121915885157704276490198331789119695462135673546462",
         "8700695822600163129327075842807189794897935821179979"},
        {"65aec32cd5005e9d4fe0337d750f8889", "22566b02ce2b29",
         "579835153593770625247573877144356016354", "139570038859733375828972899639612707646"},
        {"da0c3307fd184c1e47ff9b8acfd75305", "d9f1abd9c7ce64", "16554083965640402",
         "92429329291203011"},
        {"96040c3bd28cacf5bbc104e17b71c292", "75a8902a2c33ab", "673355560820242081637314985809466",
         "978822369712766543147569600748825"},
        {"47d6fd007e50024240b5d502db5b4a6a", "d3399bf93cc10c",
         "3136368918758657833514782148219054962724377646545",
         "8465961639246937993407777533030559401101453326524"},
        {"a84bb554854dcab9cbfd9e298001518c", "7a773172c3f0f1", "082360355025", "901934302943"},
        {"a00fcedf1ce6e35cf9097e98dc4d284d", "006985bc0e672c", "63987540055130890395",
         "73110711860320595989"},
};

TEST(Ff31Test, AcvpSamples) {
	const Alphabet digits("0123456789");
	int index = 0;
	for (const Sample &sample : kAcvpSamples) {
		SCOPED_TRACE(++index);
		const auto key = Hex(sample.key);
		const auto tweak = Hex(sample.tweak);
		const Ff31 ff31(key.data(), key.size());
		EXPECT_EQ(EncryptString(ff31, digits, sample.plaintext, tweak.data(), tweak.size()),
		          sample.ciphertext);
		EXPECT_EQ(DecryptString(ff31, digits, sample.ciphertext, tweak.data(), tweak.size()),
		          sample.plaintext);
	}
}

TEST(Ff31Test, ReferenceVectors) {
	std::ifstream file(std::string(PRIVACY_TEST_VECTORS_DIR) + "/ff3_1_reference.txt");
	ASSERT_TRUE(file.is_open());
	std::string line;
	int count = 0;
	while (std::getline(file, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		std::stringstream fields(line);
		std::string key_hex, tweak_hex, radix_text, pt_text, ct_text;
		fields >> key_hex >> tweak_hex >> radix_text >> pt_text >> ct_text;
		const auto key = Hex(key_hex);
		const auto tweak = Hex(tweak_hex);
		const auto radix = static_cast<std::uint32_t>(std::stoul(radix_text));
		const auto pt = Numerals(pt_text);
		const auto ct = Numerals(ct_text);
		SCOPED_TRACE(testing::Message() << "radix " << radix << " n " << pt.size());
		const Ff31 ff31(key.data(), key.size());
		std::vector<std::uint16_t> out(pt.size());
		ff31.Encrypt(pt.data(), pt.size(), out.data(), radix, tweak.data(), tweak.size());
		EXPECT_EQ(out, ct);
		ff31.Decrypt(ct.data(), ct.size(), out.data(), radix, tweak.data(), tweak.size());
		EXPECT_EQ(out, pt);
		++count;
	}
	EXPECT_EQ(count, 15);
}

TEST(Ff31Test, RoundTripsOverRadixesLengthsAndKeys) {
	std::mt19937_64 rng(0x5eed0031);
	const std::uint32_t radixes[] = {2, 3, 10, 16, 26, 36, 62, 256, 1000, 4096, 65535, 65536};
	for (const std::uint32_t radix : radixes) {
		std::size_t min_len = 2;
		for (std::uint64_t domain = static_cast<std::uint64_t>(radix) * radix; domain < 1000000;
		     domain *= radix)
			++min_len;
		const std::size_t max_len = Ff31::MaxLength(radix);
		for (std::size_t n = min_len; n <= max_len; ++n) {
			std::vector<std::uint8_t> key(16 + 8 * (n % 3));
			for (auto &byte : key)
				byte = static_cast<std::uint8_t>(rng());
			std::uint8_t tweak[7];
			for (auto &byte : tweak)
				byte = static_cast<std::uint8_t>(rng());
			std::vector<std::uint16_t> pt(n);
			for (auto &numeral : pt)
				numeral = static_cast<std::uint16_t>(rng() % radix);
			SCOPED_TRACE(testing::Message() << "radix " << radix << " n " << n);
			const Ff31 ff31(key.data(), key.size());
			std::vector<std::uint16_t> ct(n), back(n);
			ff31.Encrypt(pt.data(), n, ct.data(), radix, tweak, 7);
			for (const std::uint16_t numeral : ct)
				ASSERT_LT(numeral, radix);
			ff31.Decrypt(ct.data(), n, back.data(), radix, tweak, 7);
			ASSERT_EQ(back, pt);
			std::vector<std::uint16_t> in_place = pt;
			ff31.Encrypt(in_place.data(), n, in_place.data(), radix, tweak, 7);
			ASSERT_EQ(in_place, ct);
		}
	}
}

TEST(Ff31Test, MaxLength) {
	EXPECT_EQ(Ff31::MaxLength(2), 192u);
	EXPECT_EQ(Ff31::MaxLength(10), 56u);
	EXPECT_EQ(Ff31::MaxLength(16), 48u);
	EXPECT_EQ(Ff31::MaxLength(26), 40u);
	EXPECT_EQ(Ff31::MaxLength(36), 36u);
	EXPECT_EQ(Ff31::MaxLength(62), 32u);
	EXPECT_EQ(Ff31::MaxLength(65536), 12u);
	EXPECT_EQ(Ff31::MaxLength(1), 0u);
	EXPECT_EQ(Ff31::MaxLength(65537), 0u);
}

TEST(Ff31Test, DomainLimits) {
	const std::uint8_t key[16] = {};
	const std::uint8_t tweak[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	const Ff31 ff31(key, sizeof(key));
	std::vector<std::uint16_t> buf(200, 1);
	auto encrypt = [&](std::size_t n, std::uint32_t radix) {
		ff31.Encrypt(buf.data(), n, buf.data(), radix, tweak, 7);
		std::fill(buf.begin(), buf.end(), 1);
	};
	EXPECT_EQ(KindOf([&] { encrypt(5, 10); }), ErrorKind::kNumericOutOfRange);
	EXPECT_NO_THROW(encrypt(6, 10));
	EXPECT_NO_THROW(encrypt(56, 10));
	EXPECT_EQ(KindOf([&] { encrypt(57, 10); }), ErrorKind::kNumericOutOfRange);
	EXPECT_EQ(KindOf([&] { encrypt(19, 2); }), ErrorKind::kNumericOutOfRange);
	EXPECT_NO_THROW(encrypt(20, 2));
	EXPECT_NO_THROW(encrypt(192, 2));
	EXPECT_EQ(KindOf([&] { encrypt(193, 2); }), ErrorKind::kNumericOutOfRange);
	EXPECT_NO_THROW(encrypt(12, 65536));
	EXPECT_EQ(KindOf([&] { encrypt(13, 65536); }), ErrorKind::kNumericOutOfRange);
	EXPECT_EQ(KindOf([&] { encrypt(10, 1); }), ErrorKind::kInvalidParameter);
	EXPECT_EQ(KindOf([&] { encrypt(10, 65537); }), ErrorKind::kInvalidParameter);
	// 64-bit FF3 tweaks and other lengths are refused, not truncated.
	for (std::size_t len : {0u, 6u, 8u})
		EXPECT_EQ(KindOf([&] { ff31.Encrypt(buf.data(), 10, buf.data(), 10, tweak, len); }),
		          ErrorKind::kInvalidParameter)
		        << len;
	EXPECT_EQ(KindOf([&] { ff31.Encrypt(buf.data(), 10, buf.data(), 10, nullptr, 7); }),
	          ErrorKind::kInvalidParameter);
	buf[3] = 10;
	EXPECT_EQ(KindOf([&] { encrypt(10, 10); }), ErrorKind::kInvalidTextRepresentation);
	EXPECT_EQ(KindOf([&] { Ff31 bad(key, 8); }), ErrorKind::kInvalidParameter);

	const Alphabet digits("0123456789");
	EXPECT_EQ(KindOf([&] { EncryptString(ff31, digits, std::string(57, '4'), tweak, 7); }),
	          ErrorKind::kNumericOutOfRange);
	EXPECT_EQ(KindOf([&] { EncryptString(ff31, digits, std::string(100000, '4'), tweak, 7); }),
	          ErrorKind::kNumericOutOfRange);
}

TEST(Ff31Test, BatchMatchesSingleCalls) {
	const std::uint8_t key[32] = {3, 1, 4, 1, 5, 9, 2, 6};
	const std::uint8_t tweak[7] = {2, 7, 1, 8, 2, 8, 1};
	const Ff31 ff31(key, sizeof(key));
	const Alphabet alphabet("abcdefghijklmnopqrstuvwxyz");
	std::mt19937 rng(7);
	std::vector<std::string> values;
	for (int i = 0; i < 500; ++i) {
		std::string value(5 + rng() % 36, 'a');
		for (char &ch : value)
			ch = static_cast<char>('a' + rng() % 26);
		values.push_back(value);
	}
	std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<std::string> tokens(values.size()), back(values.size());
	EncryptBatch(ff31, alphabet, views.data(), views.size(), tweak, 7, tokens.data());
	for (std::size_t i = 0; i < values.size(); ++i)
		ASSERT_EQ(tokens[i], EncryptString(ff31, alphabet, values[i], tweak, 7));
	std::vector<std::string_view> token_views(tokens.begin(), tokens.end());
	DecryptBatch(ff31, alphabet, token_views.data(), token_views.size(), tweak, 7, back.data());
	EXPECT_EQ(back, values);
}

TEST(Ff31Test, ErrorsNeverContainTheInput) {
	const std::uint8_t key[16] = {};
	const std::uint8_t tweak[7] = {};
	const Ff31 ff31(key, sizeof(key));
	const Alphabet digits("0123456789");
	for (const std::string &input :
	     {std::string("123456789012345678901234567890123456789012345678901234567890"),
	      std::string("98765"), std::string("9876543210Z")}) {
		try {
			EncryptString(ff31, digits, input, tweak, 7);
			FAIL();
		} catch (const Error &error) {
			for (const char *text : {error.message(), error.detail(), error.hint()}) {
				if (text == nullptr)
					continue;
				for (std::size_t i = 0; i + 4 <= input.size(); ++i)
					EXPECT_EQ(std::string(text).find(input.substr(i, 4)), std::string::npos)
					        << text;
			}
		}
	}
}

} // namespace
