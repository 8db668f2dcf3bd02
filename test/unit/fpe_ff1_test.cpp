// fpe_ff1_test.cpp: FF1 against the NIST SP 800-38G sample vectors, against reference vectors from
// an independent implementation (test/unit/vectors/ff1_reference.txt), and by property: round trips
// over many radixes, lengths, key sizes and tweaks, a full-domain permutation check, the domain
// limits, the batch entry point, and error messages that never carry the input.
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
using privacy::core::Ff1;

std::vector<std::uint8_t>
Hex(const std::string &hex) {
	std::vector<std::uint8_t> out;
	if (hex == "-")
		return out;
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

const char *const kAlnum = "0123456789abcdefghijklmnopqrstuvwxyz";

struct NistSample {
	int number;
	const char *key;
	const char *tweak;
	std::uint32_t radix;
	const char *plaintext;
	const char *ciphertext;
};

// NIST SP 800-38G, FF1 samples 1-9 (FF1samples.pdf).
const NistSample kNistSamples[] = {
        {1, "2B7E151628AED2A6ABF7158809CF4F3C", "-", 10, "0123456789", "2433477484"},
        {2, "2B7E151628AED2A6ABF7158809CF4F3C", "39383736353433323130", 10, "0123456789",
         "6124200773"},
        {3, "2B7E151628AED2A6ABF7158809CF4F3C", "3737373770717273373737", 36, "0123456789abcdefghi",
         "a9tv40mll9kdu509eum"},
        {4, "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", "-", 10, "0123456789",
         "2830668132"},
        {5, "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", "39383736353433323130", 10,
         "0123456789", "2496655549"},
        {6, "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F", "3737373770717273373737", 36,
         "0123456789abcdefghi", "xbj3kv35jrawxv32ysr"},
        {7, "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", "-", 10,
         "0123456789", "6657667009"},
        {8, "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94",
         "39383736353433323130", 10, "0123456789", "1001623463"},
        {9, "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94",
         "3737373770717273373737", 36, "0123456789abcdefghi", "xs8a0azh2avyalyzuwd"},
};

std::vector<std::uint16_t>
AlnumNumerals(const std::string &text) {
	std::vector<std::uint16_t> out;
	for (char ch : text)
		out.push_back(static_cast<std::uint16_t>(std::string(kAlnum).find(ch)));
	return out;
}

TEST(Ff1Test, NistSamplesOnNumerals) {
	for (const NistSample &sample : kNistSamples) {
		SCOPED_TRACE(sample.number);
		const auto key = Hex(sample.key);
		const auto tweak = Hex(sample.tweak);
		const Ff1 ff1(key.data(), key.size());
		const auto pt = AlnumNumerals(sample.plaintext);
		const auto ct = AlnumNumerals(sample.ciphertext);
		std::vector<std::uint16_t> out(pt.size());
		ff1.Encrypt(pt.data(), pt.size(), out.data(), sample.radix, tweak.data(), tweak.size());
		EXPECT_EQ(out, ct);
		ff1.Decrypt(ct.data(), ct.size(), out.data(), sample.radix, tweak.data(), tweak.size());
		EXPECT_EQ(out, pt);
	}
}

TEST(Ff1Test, NistSamplesOnStrings) {
	for (const NistSample &sample : kNistSamples) {
		SCOPED_TRACE(sample.number);
		const auto key = Hex(sample.key);
		const auto tweak = Hex(sample.tweak);
		const Ff1 ff1(key.data(), key.size());
		const Alphabet alphabet(std::string(kAlnum, sample.radix));
		EXPECT_EQ(EncryptString(ff1, alphabet, sample.plaintext, tweak.data(), tweak.size()),
		          sample.ciphertext);
		EXPECT_EQ(DecryptString(ff1, alphabet, sample.ciphertext, tweak.data(), tweak.size()),
		          sample.plaintext);
	}
}

TEST(Ff1Test, ReferenceVectors) {
	std::ifstream file(std::string(PRIVACY_TEST_VECTORS_DIR) + "/ff1_reference.txt");
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
		SCOPED_TRACE(testing::Message()
		             << "radix " << radix << " n " << pt.size() << " t " << tweak.size());
		const Ff1 ff1(key.data(), key.size());
		std::vector<std::uint16_t> out(pt.size());
		ff1.Encrypt(pt.data(), pt.size(), out.data(), radix, tweak.data(), tweak.size());
		EXPECT_EQ(out, ct);
		ff1.Decrypt(ct.data(), ct.size(), out.data(), radix, tweak.data(), tweak.size());
		EXPECT_EQ(out, pt);
		++count;
	}
	EXPECT_EQ(count, 30);
}

TEST(Ff1Test, RoundTripsOverRadixesLengthsKeysAndTweaks) {
	std::mt19937_64 rng(0x5eed0001);
	const std::uint32_t radixes[] = {2,  3,   7,   10,   16,   26,    36,   62,
	                                 64, 255, 256, 1000, 4096, 65535, 65536};
	const std::size_t key_sizes[] = {16, 24, 32};
	for (const std::uint32_t radix : radixes) {
		std::size_t min_len = 2;
		for (std::uint64_t domain = static_cast<std::uint64_t>(radix) * radix; domain < 1000000;
		     domain *= radix)
			++min_len;
		for (int trial = 0; trial < 40; ++trial) {
			std::vector<std::uint8_t> key(key_sizes[trial % 3]);
			for (auto &byte : key)
				byte = static_cast<std::uint8_t>(rng());
			std::vector<std::uint8_t> tweak(rng() % 41);
			for (auto &byte : tweak)
				byte = static_cast<std::uint8_t>(rng());
			const std::size_t n =
			        min_len + (trial < 20 ? static_cast<std::size_t>(trial) : rng() % 150);
			std::vector<std::uint16_t> pt(n);
			for (auto &numeral : pt)
				numeral = static_cast<std::uint16_t>(rng() % radix);
			SCOPED_TRACE(testing::Message() << "radix " << radix << " n " << n);
			const Ff1 ff1(key.data(), key.size());
			std::vector<std::uint16_t> ct(n), back(n);
			ff1.Encrypt(pt.data(), n, ct.data(), radix, tweak.data(), tweak.size());
			for (const std::uint16_t numeral : ct)
				ASSERT_LT(numeral, radix);
			ff1.Decrypt(ct.data(), n, back.data(), radix, tweak.data(), tweak.size());
			ASSERT_EQ(back, pt);
			// In place gives the same result.
			std::vector<std::uint16_t> in_place = pt;
			ff1.Encrypt(in_place.data(), n, in_place.data(), radix, tweak.data(), tweak.size());
			ASSERT_EQ(in_place, ct);
			// A different tweak gives a different ciphertext (except with negligible probability).
			std::vector<std::uint8_t> other_tweak = tweak;
			other_tweak.push_back(0x42);
			std::vector<std::uint16_t> other(n);
			ff1.Encrypt(pt.data(), n, other.data(), radix, other_tweak.data(), other_tweak.size());
			ASSERT_NE(other, ct);
		}
	}
}

TEST(Ff1Test, LongestValueRoundTrips) {
	std::mt19937_64 rng(0x5eed0002);
	const std::uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	const Ff1 ff1(key, sizeof(key));
	for (const std::uint32_t radix : {2u, 10u, 65536u}) {
		std::vector<std::uint16_t> pt(Ff1::kMaxLength);
		for (auto &numeral : pt)
			numeral = static_cast<std::uint16_t>(rng() % radix);
		std::vector<std::uint16_t> ct(pt.size()), back(pt.size());
		ff1.Encrypt(pt.data(), pt.size(), ct.data(), radix, nullptr, 0);
		ff1.Decrypt(ct.data(), ct.size(), back.data(), radix, nullptr, 0);
		EXPECT_EQ(back, pt);
		EXPECT_NE(ct, pt);
	}
}

// Every 6-digit value maps to a distinct 6-digit value: FF1 is a permutation of the smallest
// allowed domain.
TEST(Ff1Test, SmallestDecimalDomainIsAPermutation) {
	const std::uint8_t key[32] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6};
	const std::uint8_t tweak[3] = {'a', 'b', 'c'};
	const Ff1 ff1(key, sizeof(key));
	std::vector<bool> seen(1000000, false);
	std::uint16_t pt[6];
	std::uint16_t ct[6];
	for (std::uint32_t value = 0; value < 1000000; ++value) {
		std::uint32_t rest = value;
		for (int j = 5; j >= 0; --j) {
			pt[j] = static_cast<std::uint16_t>(rest % 10);
			rest /= 10;
		}
		ff1.Encrypt(pt, 6, ct, 10, tweak, sizeof(tweak));
		std::uint32_t image = 0;
		for (const std::uint16_t numeral : ct)
			image = image * 10 + numeral;
		ASSERT_FALSE(seen[image]);
		seen[image] = true;
	}
}

template <typename Fn>
ErrorKind
KindOf(Fn &&fn) {
	try {
		fn();
	} catch (const Error &error) {
		return error.kind();
	}
	return ErrorKind::kInternal; // no error: never expected by the callers below
}

TEST(Ff1Test, DomainLimits) {
	const std::uint8_t key[16] = {};
	const Ff1 ff1(key, sizeof(key));
	std::vector<std::uint16_t> buf(Ff1::kMaxLength + 1, 1);
	auto encrypt = [&](std::size_t n, std::uint32_t radix) {
		ff1.Encrypt(buf.data(), n, buf.data(), radix, nullptr, 0);
		std::fill(buf.begin(), buf.end(), 1);
	};
	EXPECT_EQ(KindOf([&] { encrypt(5, 10); }), ErrorKind::kNumericOutOfRange);
	EXPECT_NO_THROW(encrypt(6, 10));
	EXPECT_EQ(KindOf([&] { encrypt(19, 2); }), ErrorKind::kNumericOutOfRange);
	EXPECT_NO_THROW(encrypt(20, 2));
	EXPECT_EQ(KindOf([&] { encrypt(1, 65536); }), ErrorKind::kNumericOutOfRange);
	EXPECT_NO_THROW(encrypt(2, 65536));
	EXPECT_EQ(KindOf([&] { encrypt(0, 10); }), ErrorKind::kNumericOutOfRange);
	EXPECT_NO_THROW(encrypt(Ff1::kMaxLength, 10));
	EXPECT_EQ(KindOf([&] { encrypt(Ff1::kMaxLength + 1, 10); }), ErrorKind::kNumericOutOfRange);
	EXPECT_EQ(KindOf([&] { encrypt(10, 1); }), ErrorKind::kInvalidParameter);
	EXPECT_EQ(KindOf([&] { encrypt(10, 0); }), ErrorKind::kInvalidParameter);
	EXPECT_EQ(KindOf([&] { encrypt(10, 65537); }), ErrorKind::kInvalidParameter);

	try {
		encrypt(5, 10);
		FAIL();
	} catch (const Error &error) {
		EXPECT_STREQ(error.message(), "value is too short for format-preserving encryption");
		EXPECT_STREQ(error.detail(),
		             "radix^length must be at least 1000000 (NIST SP 800-38G Rev. 1).");
	}
	EXPECT_NO_THROW(Ff1::CheckDomain(10, 6));
	EXPECT_EQ(KindOf([] { Ff1::CheckDomain(10, 5); }), ErrorKind::kNumericOutOfRange);
}

TEST(Ff1Test, BadKeysTweaksAndNumerals) {
	const std::uint8_t key[33] = {};
	for (std::size_t len : {0u, 1u, 15u, 17u, 23u, 25u, 31u, 33u})
		EXPECT_EQ(KindOf([&] { Ff1 ff1(key, len); }), ErrorKind::kInvalidParameter) << len;
	EXPECT_EQ(KindOf([&] { Ff1 ff1(nullptr, 16); }), ErrorKind::kInvalidParameter);

	const Ff1 ff1(key, 16);
	std::vector<std::uint8_t> tweak(Ff1::kMaxTweakLength + 1, 7);
	std::uint16_t value[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
	std::uint16_t out[10];
	EXPECT_NO_THROW(ff1.Encrypt(value, 10, out, 10, tweak.data(), Ff1::kMaxTweakLength));
	EXPECT_EQ(KindOf([&] { ff1.Encrypt(value, 10, out, 10, tweak.data(), tweak.size()); }),
	          ErrorKind::kInvalidParameter);
	EXPECT_EQ(KindOf([&] { ff1.Encrypt(value, 10, out, 10, nullptr, 3); }),
	          ErrorKind::kInvalidParameter);
	value[4] = 10;
	EXPECT_EQ(KindOf([&] { ff1.Encrypt(value, 10, out, 10, nullptr, 0); }),
	          ErrorKind::kInvalidTextRepresentation);
	std::vector<std::uint16_t> long_value(200, 3);
	long_value[150] = 10;
	EXPECT_EQ(
	        KindOf([&] { ff1.Decrypt(long_value.data(), 200, long_value.data(), 10, nullptr, 0); }),
	        ErrorKind::kInvalidTextRepresentation);
}

TEST(Ff1Test, BatchMatchesSingleCalls) {
	const std::uint8_t key[24] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
	const std::uint8_t tweak[5] = {'t', 'w', 'e', 'a', 'k'};
	const Ff1 ff1(key, sizeof(key));
	const Alphabet digits("0123456789");
	std::mt19937 rng(42);
	std::vector<std::string> values;
	for (int i = 0; i < 3000; ++i) {
		std::string value(6 + rng() % 30, '0');
		for (char &ch : value)
			ch = static_cast<char>('0' + rng() % 10);
		values.push_back(value);
	}
	std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<std::string> tokens(values.size());
	EncryptBatch(ff1, digits, views.data(), views.size(), tweak, sizeof(tweak), tokens.data());
	for (std::size_t i = 0; i < values.size(); ++i)
		ASSERT_EQ(tokens[i], EncryptString(ff1, digits, values[i], tweak, sizeof(tweak)));
	std::vector<std::string_view> token_views(tokens.begin(), tokens.end());
	std::vector<std::string> back(values.size());
	DecryptBatch(ff1, digits, token_views.data(), token_views.size(), tweak, sizeof(tweak),
	             back.data());
	EXPECT_EQ(back, values);

	static int polls = 0;
	polls = 0;
	auto cancel_on_second_poll = []() noexcept { return ++polls >= 2; };
	EXPECT_EQ(KindOf([&] {
		          EncryptBatch(ff1, digits, views.data(), views.size(), tweak, sizeof(tweak),
		                       tokens.data(), cancel_on_second_poll);
	          }),
	          ErrorKind::kCancelled);
	EXPECT_EQ(polls, 2);

	std::string_view bad[] = {"1234567", "12345"};
	EXPECT_EQ(
	        KindOf([&] { EncryptBatch(ff1, digits, bad, 2, tweak, sizeof(tweak), tokens.data()); }),
	        ErrorKind::kNumericOutOfRange);
	EXPECT_EQ(tokens[0], EncryptString(ff1, digits, "1234567", tweak, sizeof(tweak)));
}

// EncryptMany runs up to kBatchLanes values side by side (one multi-block AES call per round);
// every value must come out exactly as Encrypt alone makes it, on each path: 64-bit words (card16,
// ssn9, phone10, radix 36), 128-bit words (40 digits), numeral strings (60 digits, radix^v >=
// 2^96), and radix 65536, for counts below, at and above the lane count.
TEST(Ff1Test, ManyMatchesOneByOne) {
	struct Format {
		std::uint32_t radix;
		std::size_t n;
	};
	const Format formats[] = {{10, 16}, {10, 9},  {10, 10},   {36, 20},
	                          {10, 40}, {10, 60}, {65536, 8}, {2, 20}};
	const std::size_t counts[] = {
	        1, 2, Ff1::kBatchLanes - 1, Ff1::kBatchLanes, Ff1::kBatchLanes + 1, 100};
	std::mt19937 rng(7);
	for (const std::size_t key_len : {16, 24, 32}) {
		std::vector<std::uint8_t> key(key_len);
		for (auto &byte : key)
			byte = static_cast<std::uint8_t>(rng());
		const Ff1 ff1(key.data(), key.size());
		for (const Format &format : formats) {
			for (const std::size_t count : counts) {
				std::vector<std::uint8_t> tweak(rng() % 20);
				for (auto &byte : tweak)
					byte = static_cast<std::uint8_t>(rng());
				std::vector<std::vector<std::uint16_t>> values(
				        count, std::vector<std::uint16_t>(format.n));
				for (auto &value : values)
					for (auto &numeral : value)
						numeral = static_cast<std::uint16_t>(rng() % format.radix);
				std::vector<std::vector<std::uint16_t>> expected = values;
				for (auto &value : expected)
					ff1.Encrypt(value.data(), format.n, value.data(), format.radix, tweak.data(),
					            tweak.size());
				std::vector<std::vector<std::uint16_t>> batch = values;
				std::vector<std::uint16_t *> pointers;
				for (auto &value : batch)
					pointers.push_back(value.data());
				ff1.EncryptMany(pointers.data(), count, format.n, format.radix, tweak.data(),
				                tweak.size());
				ASSERT_EQ(batch, expected) << format.radix << " " << format.n << " " << count;
				ff1.DecryptMany(pointers.data(), count, format.n, format.radix, tweak.data(),
				                tweak.size());
				ASSERT_EQ(batch, values) << format.radix << " " << format.n << " " << count;
			}
		}
	}
}

// The NIST samples through EncryptMany, several copies at once.
TEST(Ff1Test, ManyOnNistSample) {
	const std::uint8_t key[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
	                              0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
	const std::uint8_t tweak[10] = {0x39, 0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31, 0x30};
	const Ff1 ff1(key, sizeof(key));
	std::vector<std::vector<std::uint16_t>> values(5, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
	std::vector<std::uint16_t *> pointers;
	for (auto &value : values)
		pointers.push_back(value.data());
	ff1.EncryptMany(pointers.data(), values.size(), 10, 10, tweak, sizeof(tweak));
	for (const auto &value : values)
		EXPECT_EQ(value, (std::vector<std::uint16_t>{6, 1, 2, 4, 2, 0, 0, 7, 7, 3}));
}

TEST(Ff1Test, ManyErrors) {
	const std::uint8_t key[16] = {1, 2, 3};
	const Ff1 ff1(key, sizeof(key));
	std::vector<std::vector<std::uint16_t>> values(40, std::vector<std::uint16_t>(16, 3));
	values[35][5] = 10; // outside radix 10, in the second group of lanes
	const auto original = values;
	std::vector<std::uint16_t *> pointers;
	for (auto &value : values)
		pointers.push_back(value.data());
	EXPECT_EQ(KindOf([&] { ff1.EncryptMany(pointers.data(), values.size(), 16, 10, nullptr, 0); }),
	          ErrorKind::kInvalidTextRepresentation);
	// The group holding the bad numeral is unchanged.
	for (std::size_t k = Ff1::kBatchLanes; k < values.size(); ++k)
		EXPECT_EQ(values[k], original[k]) << k;
	values = original;
	EXPECT_EQ(KindOf([&] { ff1.EncryptMany(pointers.data(), values.size(), 5, 10, nullptr, 0); }),
	          ErrorKind::kNumericOutOfRange);
	EXPECT_EQ(values, original); // domain errors come before any change
	const std::uint8_t tweak[300] = {};
	EXPECT_EQ(KindOf([&] {
		          ff1.EncryptMany(pointers.data(), values.size(), 16, 10, tweak, sizeof(tweak));
	          }),
	          ErrorKind::kInvalidParameter);
	EXPECT_EQ(values, original);
}

// The string batch groups runs of equal length: mixed lengths, values longer than a lane (> 64
// numerals), non-ASCII alphabets and runs broken at every position all give the one-by-one results;
// the first invalid value throws with every earlier result in place.
TEST(Ff1Test, BatchWithMixedLengthsMatchesSingleCalls) {
	const std::uint8_t key[32] = {5, 4, 3, 2, 1};
	const std::uint8_t tweak[3] = {1, 2, 3};
	const Ff1 ff1(key, sizeof(key));
	std::mt19937 rng(99);
	for (const char *characters :
	     {"0123456789", "0123456789abcdefghijklmnopqrstuvwxyz", "αβγδεζηθικ"}) {
		const Alphabet alphabet(characters);
		std::vector<std::string> chars;
		for (std::uint16_t k = 0; k < alphabet.Radix(); ++k) {
			std::string one;
			alphabet.AppendCharacters(&k, 1, one);
			chars.push_back(one);
		}
		std::vector<std::string> values;
		for (int i = 0; i < 500; ++i) {
			const std::size_t pick = rng() % 10;
			const std::size_t len = pick < 6   ? 16
			                        : pick < 8 ? 9 + rng() % 3
			                        : pick < 9 ? 40
			                                   : 65 + rng() % 40;
			std::string value;
			for (std::size_t j = 0; j < len; ++j)
				value += chars[rng() % chars.size()];
			values.push_back(value);
		}
		std::vector<std::string_view> views(values.begin(), values.end());
		std::vector<std::string> tokens(values.size(), "stale");
		EncryptBatch(ff1, alphabet, views.data(), views.size(), tweak, sizeof(tweak),
		             tokens.data());
		for (std::size_t i = 0; i < values.size(); ++i)
			ASSERT_EQ(tokens[i], EncryptString(ff1, alphabet, values[i], tweak, sizeof(tweak)))
			        << i;
		std::vector<std::string_view> token_views(tokens.begin(), tokens.end());
		std::vector<std::string> back(values.size());
		DecryptBatch(ff1, alphabet, token_views.data(), token_views.size(), tweak, sizeof(tweak),
		             back.data());
		EXPECT_EQ(back, values);
	}

	const Alphabet digits("0123456789");
	std::vector<std::string> values(50, "4111111111111111");
	for (std::size_t i = 0; i < values.size(); ++i)
		values[i][15] = static_cast<char>('0' + i % 10);
	values[45] = "41111111x1111111";
	std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<std::string> tokens(values.size());
	EXPECT_EQ(KindOf([&] {
		          EncryptBatch(ff1, digits, views.data(), views.size(), tweak, 3, tokens.data());
	          }),
	          ErrorKind::kInvalidTextRepresentation);
	for (std::size_t i = 0; i < 45; ++i)
		EXPECT_EQ(tokens[i], EncryptString(ff1, digits, values[i], tweak, 3)) << i;
}

// ExpectNoLeak checks that no message, detail or hint contains the secret or any 4-character piece
// of it.
void
ExpectNoLeak(const Error &error, const std::string &secret) {
	for (const char *text : {error.message(), error.detail(), error.hint()}) {
		if (text == nullptr)
			continue;
		const std::string s(text);
		for (std::size_t i = 0; i + 4 <= secret.size(); ++i)
			EXPECT_EQ(s.find(secret.substr(i, 4)), std::string::npos) << s;
	}
}

TEST(Ff1Test, ErrorsNeverContainTheInput) {
	const std::uint8_t key[16] = {0x41, 0x42, 0x43, 0x44};
	const Ff1 ff1(key, sizeof(key));
	const Alphabet digits("0123456789");
	const std::string tweak_text = "9876tweak-secret";
	const auto *tweak = reinterpret_cast<const std::uint8_t *>(tweak_text.data());
	const std::string inputs[] = {
	        "4111111111111111x", // character outside the alphabet
	        "40417",             // too short
	        std::string(5000, '7'),
	        "4111\xC3\xA9"
	        "1111", // a non-ASCII character
	};
	for (const std::string &input : inputs) {
		bool thrown = false;
		try {
			EncryptString(ff1, digits, input, tweak, tweak_text.size());
		} catch (const Error &error) {
			thrown = true;
			ExpectNoLeak(error, input);
			ExpectNoLeak(error, tweak_text);
		}
		EXPECT_TRUE(thrown);
	}
	try {
		std::vector<std::uint8_t> long_tweak(300, '5');
		EncryptString(ff1, digits, "5555555555", long_tweak.data(), long_tweak.size());
		FAIL();
	} catch (const Error &error) {
		ExpectNoLeak(error, "5555555555");
	}
}

} // namespace
