// token_format_test.cpp: TokenFormat round trips, layout, the card Luhn trick
// and version slots, and errors that carry no value; the batch forms (TokenizeMany,
// DetokenizeMany, RetokenizeMany, and RetokenizeView for one token) give exactly the results of one
// call per value, over mixed lengths, keys, versions, non-ASCII alphabets and values longer than a
// lane, and wipe their scratch after an error.
#include "privacy/core/luhn.hpp"
#include "privacy/core/token_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>
#include <string>
#include <string_view>

namespace privacy::core {
namespace {

const std::uint8_t kKey[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                               0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};

TokenFormat
Card() {
	TokenFormatSpec spec;
	spec.name = "card";
	spec.alphabet = "0123456789";
	spec.passthrough = " -";
	spec.card = true;
	return TokenFormat(spec);
}

std::string
Digits(const std::string &s) {
	std::string d;
	for (char c : s)
		if (c >= '0' && c <= '9')
			d += c;
	return d;
}

TEST(TokenFormat, CardTokensFailLuhnKeepLast4AndRoundTrip) {
	Ff1 ff1(kKey, sizeof(kKey));
	TokenFormat card = Card();
	for (std::uint32_t version = 1; version <= 12; ++version) {
		std::string token;
		card.Tokenize(ff1, "4111 1111 1111 1111", version, token);
		EXPECT_EQ(token.size(), 19u);
		EXPECT_EQ(token.substr(15), "1111");
		EXPECT_EQ(token[4], ' ');
		EXPECT_FALSE(LuhnValid(Digits(token)));
		EXPECT_EQ(card.VersionSlot(token), TokenFormat::SlotOf(version));
		std::string value;
		card.Detokenize(ff1, token, value);
		EXPECT_EQ(value, "4111 1111 1111 1111");
		char digits[19];
		std::size_t n = 0;
		EXPECT_TRUE(TokenFormat::IsCardTokenSyntax(token, digits, &n));
		EXPECT_EQ(n, 16u);
	}
}

// Wipe clears the scratch that held the last plaintext, and a failing call wipes it by itself
// (issue 20). The checks read the old view's bytes: the string keeps its buffer when cleared, so
// they are still allocated.
TEST(TokenFormat, WipeClearsThePlaintextScratchAlsoAfterAnError) {
	Ff1 ff1(kKey, sizeof(kKey));
	TokenFormat card = Card();
	const std::string token(card.TokenizeView(ff1, "4111 1111 1111 1111", 1));
	std::string_view plain = card.DetokenizeView(ff1, token);
	ASSERT_EQ(plain, "4111 1111 1111 1111");
	const char *bytes = plain.data();
	const std::size_t n = plain.size();
	card.Wipe();
	for (std::size_t i = 0; i < n; ++i)
		EXPECT_EQ(bytes[i], 0) << "byte " << i;

	plain = card.DetokenizeView(ff1, token);
	ASSERT_EQ(plain, "4111 1111 1111 1111");
	bytes = plain.data();
	EXPECT_THROW(card.TokenizeView(ff1, "4111 1111 1111 1112", 1), Error); // not Luhn-valid
	for (std::size_t i = 0; i < n; ++i)
		EXPECT_EQ(bytes[i], 0) << "byte " << i;
	// and the format still works
	EXPECT_EQ(card.DetokenizeView(ff1, token), "4111 1111 1111 1111");
}

TEST(TokenFormat, CardRefusesLuhnInvalidValuesAndPansAsTokens) {
	Ff1 ff1(kKey, sizeof(kKey));
	TokenFormat card = Card();
	std::string out;
	EXPECT_THROW(card.Tokenize(ff1, "4111111111111112", 1, out), Error);
	EXPECT_THROW(card.Detokenize(ff1, "4111111111111111", out), Error);
	EXPECT_THROW(card.Tokenize(ff1, "41111", 1, out), Error);
	char digits[19];
	std::size_t n = 0;
	EXPECT_FALSE(TokenFormat::IsCardTokenSyntax("4111111111111111", digits, &n));
	EXPECT_FALSE(TokenFormat::IsCardTokenSyntax("4111x11111111112", digits, &n));
}

TEST(TokenFormat, CustomFormatKeepsPrefixSuffixAndPassthrough) {
	Ff1 ff1(kKey, sizeof(kKey));
	TokenFormatSpec spec;
	spec.name = "ref";
	spec.alphabet = "0123456789ABCDEF";
	spec.passthrough = "-/";
	spec.keep_prefix = 2;
	spec.keep_suffix = 2;
	TokenFormat ref(spec);
	std::string token;
	ref.Tokenize(ff1, "AB-1234/CDEF-99", 1, token);
	EXPECT_EQ(token.size(), 15u);
	EXPECT_EQ(token.substr(0, 3), "AB-");
	EXPECT_EQ(token.substr(13), "99");
	EXPECT_EQ(token[7], '/');
	std::string value;
	ref.Detokenize(ff1, token, value);
	EXPECT_EQ(value, "AB-1234/CDEF-99");
	try {
		ref.Tokenize(ff1, "AB-12z4/CDEF-99", 1, token);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidTextRepresentation);
		EXPECT_EQ(std::string(e.message()).find("12z4"), std::string::npos);
	}
}

TEST(TokenFormat, EmailTokenizesOnlyTheLocalPart) {
	Ff1 ff1(kKey, sizeof(kKey));
	TokenFormatSpec spec;
	spec.name = "email";
	spec.alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	spec.passthrough = ".-_+";
	spec.email = true;
	TokenFormat email(spec);
	std::string token;
	email.Tokenize(ff1, "alice.smith@example.com", 1, token);
	EXPECT_EQ(token.substr(token.find('@')), "@example.com");
	EXPECT_EQ(token[5], '.');
	std::string value;
	email.Detokenize(ff1, token, value);
	EXPECT_EQ(value, "alice.smith@example.com");
	EXPECT_THROW(email.Tokenize(ff1, "bob@example.com", 1, token), Error);
}

const std::uint8_t kKey2[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

// LuhnComplete returns digits with a last digit that makes them pass the Luhn check.
std::string
LuhnComplete(std::string digits) {
	for (char c = '0'; c <= '9'; ++c)
		if (LuhnValid(digits + c))
			return digits + c;
	return digits;
}

// Split returns the results of a batch call as strings.
std::vector<std::string>
Split(std::string_view all, const std::vector<std::size_t> &ends) {
	std::vector<std::string> parts;
	std::size_t start = 0;
	for (std::size_t end : ends) {
		parts.emplace_back(all.substr(start, end - start));
		start = end;
	}
	return parts;
}

void
ExpectBatchMatches(const TokenFormat &format, const std::vector<std::string> &values,
                   const std::vector<const Ff1 *> &keys, const std::vector<std::uint32_t> &versions,
                   const Ff1 &newest, std::uint32_t newest_version) {
	const std::size_t n = values.size();
	std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<std::size_t> ends(n);
	const auto tokens = Split(
	        format.TokenizeMany(keys.data(), versions.data(), views.data(), n, ends.data()), ends);
	for (std::size_t i = 0; i < n; ++i) {
		std::string one;
		format.Tokenize(*keys[i], values[i], versions[i], one);
		ASSERT_EQ(tokens[i], one) << i;
	}
	std::vector<std::string_view> token_views(tokens.begin(), tokens.end());
	const auto back =
	        Split(format.DetokenizeMany(keys.data(), token_views.data(), n, ends.data()), ends);
	EXPECT_EQ(back, values);
	const auto moved = Split(format.RetokenizeMany(keys.data(), newest, newest_version,
	                                               token_views.data(), n, ends.data()),
	                         ends);
	for (std::size_t i = 0; i < n; ++i) {
		std::string one;
		format.Tokenize(newest, values[i], newest_version, one);
		ASSERT_EQ(moved[i], one) << i;
		ASSERT_EQ(format.RetokenizeView(*keys[i], newest, newest_version, tokens[i]), one) << i;
	}
	format.Wipe();
}

TEST(TokenFormat, BatchFormsMatchOneCallPerValue) {
	Ff1 key1(kKey, sizeof(kKey));
	Ff1 key2(kKey2, sizeof(kKey2));
	std::mt19937_64 rng(7);
	// cards of 12 to 19 digits with separators, two keys and versions, runs of equal length
	{
		TokenFormat card = Card();
		std::vector<std::string> values;
		std::vector<const Ff1 *> keys;
		std::vector<std::uint32_t> versions;
		for (int i = 0; i < 300; ++i) {
			const std::size_t len = (i / 40) % 3 == 0 ? 16 : 12 + rng() % 8;
			std::string digits;
			for (std::size_t j = 0; j + 1 < len; ++j)
				digits += static_cast<char>('0' + rng() % 10);
			std::string value = LuhnComplete(digits);
			if (i % 7 == 0)
				value.insert(4, " ");
			values.push_back(value);
			const bool second = (i / 50) % 2 == 1;
			keys.push_back(second ? &key2 : &key1);
			versions.push_back(second ? 2 : 1);
		}
		ExpectBatchMatches(card, values, keys, versions, key2, 11);
	}
	// a custom non-ASCII alphabet with kept characters, and values longer than a lane
	{
		TokenFormatSpec spec;
		spec.name = "greek";
		spec.alphabet = "αβγδεζηθικλμνξοπρστυφχψω";
		spec.passthrough = "-";
		spec.keep_prefix = 1;
		spec.keep_suffix = 1;
		TokenFormat greek(spec);
		const std::string letters[] = {"α", "β", "γ", "δ", "ε", "ζ", "η", "θ"};
		std::vector<std::string> values;
		for (int i = 0; i < 100; ++i) {
			const std::size_t len = i % 10 == 0 ? 70 + rng() % 10 : 8 + rng() % 3;
			std::string value;
			for (std::size_t j = 0; j < len; ++j) {
				value += letters[rng() % 8];
				if (j == 3)
					value += "-";
			}
			values.push_back(value);
		}
		std::vector<const Ff1 *> keys(values.size(), &key1);
		std::vector<std::uint32_t> versions(values.size(), 1);
		ExpectBatchMatches(greek, values, keys, versions, key2, 2);
	}
}

TEST(TokenFormat, BatchErrorsAndWipes) {
	Ff1 ff1(kKey, sizeof(kKey));
	TokenFormat card = Card();
	const std::vector<std::string> values = {"4111 1111 1111 1111", "5500 0000 0000 0004",
	                                         "4111 1111 1111 1112"}; // the last is not Luhn-valid
	std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<const Ff1 *> keys(3, &ff1);
	std::vector<std::uint32_t> versions(3, 1);
	std::vector<std::size_t> ends(3);
	std::string_view two =
	        card.TokenizeMany(keys.data(), versions.data(), views.data(), 2, ends.data());
	ASSERT_EQ(ends[1], two.size());
	const std::string tokens(two);
	std::vector<std::string_view> token_views = {std::string_view(tokens).substr(0, ends[0]),
	                                             std::string_view(tokens).substr(ends[0])};
	std::string_view plain = card.DetokenizeMany(keys.data(), token_views.data(), 2, ends.data());
	ASSERT_EQ(plain, "4111 1111 1111 11115500 0000 0000 0004");
	const char *bytes = plain.data();
	const std::size_t n = plain.size();
	try {
		card.TokenizeMany(keys.data(), versions.data(), views.data(), 3, ends.data());
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidTextRepresentation);
		EXPECT_EQ(std::string(e.message()).find("1112"), std::string::npos);
	}
	for (std::size_t i = 0; i < n; ++i)
		EXPECT_EQ(bytes[i], 0) << "byte " << i;
	// a card number is not a token
	EXPECT_THROW(card.DetokenizeMany(keys.data(), views.data(), 1, ends.data()), Error);
	EXPECT_THROW(card.RetokenizeMany(keys.data(), ff1, 2, views.data(), 1, ends.data()), Error);
}

// The lane parser of the batch forms (issue 19, fpe3): values without a passthrough character are
// parsed without slots (numeral i is byte i) and rebuilt in place, runs of 16 digits are read with
// SSE2, and everything else takes the per-byte or UTF-8 path. Every shape gives exactly the one
// call per value results: digits only (12..19, so one SIMD run and a tail), separators before,
// inside and after a run of 16, a separator first or last, alphabets that start with the digits
// but have letters (the run stops at a letter), kept prefixes and suffixes, e-mail local parts
// (dense or not, the domain copied), non-ASCII passthrough characters, and values longer than a
// lane (over 64 alphabet characters: one by one).
TEST(TokenFormat, LaneParsingMatchesOneCallPerValue) {
	Ff1 key1(kKey, sizeof(kKey));
	Ff1 key2(kKey2, sizeof(kKey2));
	std::mt19937_64 rng(23);
	{
		TokenFormat card = Card();
		std::vector<std::string> values;
		for (int i = 0; i < 400; ++i) {
			const std::size_t len = 12 + rng() % 8;
			std::string digits;
			for (std::size_t j = 0; j + 1 < len; ++j)
				digits += static_cast<char>('0' + rng() % 10);
			std::string value = LuhnComplete(digits);
			switch (i % 6) {
			case 1:
				value.insert(rng() % (value.size() + 1), rng() % 2 == 0 ? " " : "-");
				break;
			case 2:
				value = "-" + value;
				break;
			case 3:
				value += " ";
				break;
			case 4:
				if (value.size() > 16)
					value.insert(16, " "); // after a SIMD run
				break;
			default:
				break; // digits only
			}
			values.push_back(value);
		}
		std::vector<const Ff1 *> keys(values.size(), &key1);
		std::vector<std::uint32_t> versions(values.size(), 3);
		ExpectBatchMatches(card, values, keys, versions, key2, 4);
	}
	{
		TokenFormatSpec spec;
		spec.name = "hex";
		spec.alphabet = "0123456789abcdef";
		spec.passthrough = "-–"; // an ASCII and a non-ASCII (en dash) separator
		spec.keep_prefix = 1;
		spec.keep_suffix = 2;
		TokenFormat hex(spec);
		const char *alphabet = "0123456789abcdef";
		std::vector<std::string> values;
		for (int i = 0; i < 300; ++i) {
			const std::size_t len = i % 25 == 0 ? 65 + rng() % 30 : 9 + rng() % 40;
			std::string value;
			for (std::size_t j = 0; j < len; ++j)
				value += alphabet[i % 3 == 0 ? rng() % 10 : rng() % 16]; // some digits only
			if (i % 5 == 1)
				value.insert(rng() % value.size(), "-");
			if (i % 11 == 2)
				value.insert(rng() % value.size(), "–");
			values.push_back(value);
		}
		std::vector<const Ff1 *> keys(values.size(), &key1);
		std::vector<std::uint32_t> versions(values.size(), 1);
		ExpectBatchMatches(hex, values, keys, versions, key2, 2);
	}
	{
		TokenFormatSpec spec;
		spec.name = "email";
		spec.alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
		spec.passthrough = ".";
		spec.email = true;
		TokenFormat email(spec);
		std::vector<std::string> values;
		for (int i = 0; i < 200; ++i) {
			std::string local;
			const std::size_t len = 6 + rng() % 30;
			for (std::size_t j = 0; j < len; ++j)
				local += "0123456789abcdefghijklmnopqrstuvwxyz"[i % 2 == 0 ? rng() % 10
				                                                           : rng() % 36];
			if (i % 4 == 1)
				local.insert(1 + rng() % (local.size() - 1), ".");
			values.push_back(local + "@example" + std::to_string(i % 3) + ".com");
		}
		std::vector<const Ff1 *> keys(values.size(), &key1);
		std::vector<std::uint32_t> versions(values.size(), 1);
		ExpectBatchMatches(email, values, keys, versions, key2, 2);
	}
}

// A batch with one bad value throws the error one call for that value throws, whatever its shape
// and place (the first bad value decides), and never puts the value in the message: empty,
// non-ASCII, too long (more alphabet characters than a lane, or than a card has), a letter
// after a run of 16 digits, a character outside the format, Luhn-invalid.
TEST(TokenFormat, LaneParsingErrorsMatchOneCallPerValue) {
	Ff1 ff1(kKey, sizeof(kKey));
	TokenFormat card = Card();
	const std::string good = "4111111111111111";
	const std::vector<std::string> bad = {
	        "",
	        "4111\xC2\xA0"
	        "1111 1111 1111", // a no-break space
	        std::string(70, '4'),
	        "41111111111111111111", // 20 digits
	        "4111111111111111x",    // a letter after a run of 16
	        "4111*1111*1111*1111",
	        "4111111111111112", // Luhn-invalid
	        "\xFF\xFE",         // not UTF-8
	};
	for (const std::string &value : bad) {
		std::string one;
		ErrorKind expected = ErrorKind::kInternal;
		try {
			card.Tokenize(ff1, value, 1, one);
			ADD_FAILURE() << "no error for a bad value";
		} catch (const Error &e) {
			expected = e.kind();
		}
		for (std::size_t place = 0; place < 3; ++place) {
			std::vector<std::string> values(40, good);
			values[place * 19] = value;
			std::vector<std::string_view> views(values.begin(), values.end());
			std::vector<const Ff1 *> keys(values.size(), &ff1);
			std::vector<std::uint32_t> versions(values.size(), 1);
			std::vector<std::size_t> ends(values.size());
			try {
				card.TokenizeMany(keys.data(), versions.data(), views.data(), values.size(),
				                  ends.data());
				ADD_FAILURE() << "no batch error at " << place;
			} catch (const Error &e) {
				EXPECT_EQ(e.kind(), expected) << place;
				if (value.size() >= 8) {
					// the part after the good-looking prefix never appears
					EXPECT_EQ(std::string(e.message()).find(value.substr(4)), std::string::npos);
				}
			}
		}
	}
	// the same batch without the bad value goes through
	std::vector<std::string> values(40, good);
	std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<const Ff1 *> keys(values.size(), &ff1);
	std::vector<std::uint32_t> versions(values.size(), 1);
	std::vector<std::size_t> ends(values.size());
	EXPECT_NO_THROW(card.TokenizeMany(keys.data(), versions.data(), views.data(), values.size(),
	                                  ends.data()));
	card.Wipe();
}

} // namespace
} // namespace privacy::core
