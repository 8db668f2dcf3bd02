// token_format_test.cpp: TokenFormat round trips, layout, the card Luhn trick
// and version slots, and errors that carry no value.
#include "privacy/core/luhn.hpp"
#include "privacy/core/token_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
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

} // namespace
} // namespace privacy::core
