// fpe_alphabet_test.cpp: Alphabet construction (ASCII and multibyte UTF-8, the 2..65536 size
// limits, duplicate and malformed alphabets), character <-> numeral mapping, and FF1/FF3-1 string
// encryption over multibyte alphabets, including the errors for values with characters outside the
// alphabet.
#include "privacy/core/fpe.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using privacy::core::Alphabet;
using privacy::core::Error;
using privacy::core::ErrorKind;
using privacy::core::Ff1;
using privacy::core::Ff31;

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

// Utf8 encodes one code point.
std::string
Utf8(char32_t cp) {
	std::string out;
	if (cp < 0x80) {
		out += static_cast<char>(cp);
	} else if (cp < 0x800) {
		out += static_cast<char>(0xC0 | (cp >> 6));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out += static_cast<char>(0xE0 | (cp >> 12));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else {
		out += static_cast<char>(0xF0 | (cp >> 18));
		out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
	return out;
}

// CodePoints splits valid UTF-8 into its characters.
std::vector<std::string>
Characters(const std::string &text) {
	std::vector<std::string> out;
	for (std::size_t i = 0; i < text.size();) {
		const auto lead = static_cast<unsigned char>(text[i]);
		const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
		out.push_back(text.substr(i, len));
		i += len;
	}
	return out;
}

TEST(AlphabetTest, AsciiDigits) {
	const Alphabet digits("0123456789");
	EXPECT_EQ(digits.Radix(), 10u);
	EXPECT_TRUE(digits.IsAscii());
	EXPECT_EQ(digits.NumeralOf(U'7'), 7);
	EXPECT_EQ(digits.NumeralOf(U'a'), -1);
	EXPECT_EQ(digits.NumeralOf(U'\u00e9'), -1);
	std::uint16_t numerals[4];
	EXPECT_EQ(digits.ToNumerals("9042", numerals), 4u);
	EXPECT_EQ(numerals[0], 9);
	EXPECT_EQ(numerals[3], 2);
	std::string out = "x";
	digits.AppendCharacters(numerals, 4, out);
	EXPECT_EQ(out, "x9042");
	const std::uint16_t bad = 10;
	EXPECT_EQ(KindOf([&] { digits.AppendCharacters(&bad, 1, out); }), ErrorKind::kInvalidParameter);
}

TEST(AlphabetTest, MultibyteAlphabet) {
	// 2-, 3- and 4-byte characters mixed with ASCII.
	const std::string text =
	        std::string("ab") + Utf8(0xE9) + Utf8(0x3B1) + Utf8(0x4E2D) + Utf8(0x1F600) + "z";
	const Alphabet alphabet(text);
	EXPECT_EQ(alphabet.Radix(), 7u);
	EXPECT_FALSE(alphabet.IsAscii());
	EXPECT_EQ(alphabet.NumeralOf(U'a'), 0);
	EXPECT_EQ(alphabet.NumeralOf(0xE9), 2);
	EXPECT_EQ(alphabet.NumeralOf(0x4E2D), 4);
	EXPECT_EQ(alphabet.NumeralOf(0x1F600), 5);
	EXPECT_EQ(alphabet.NumeralOf(U'z'), 6);
	EXPECT_EQ(alphabet.NumeralOf(0x1F601), -1);
	const std::string value = Utf8(0x1F600) + "a" + Utf8(0x4E2D) + "z" + Utf8(0xE9);
	std::vector<std::uint16_t> numerals(value.size());
	ASSERT_EQ(alphabet.ToNumerals(value, numerals.data()), 5u);
	EXPECT_EQ(numerals[0], 5);
	EXPECT_EQ(numerals[2], 4);
	std::string back;
	alphabet.AppendCharacters(numerals.data(), 5, back);
	EXPECT_EQ(back, value);
	EXPECT_EQ(alphabet.Characters(), text);
}

TEST(AlphabetTest, RefusesBadAlphabets) {
	const char *const bad[] = {
	        "",                   // empty
	        "a",                  // one character
	        "0123456789 0",       // duplicate ASCII
	        "\xC3\xA9x\xC3\xA9",  // duplicate multibyte (U+00E9 twice)
	        "ab\xC0\xAF",         // overlong '/'
	        "ab\xED\xA0\x80",     // surrogate U+D800
	        "ab\xF4\x90\x80\x80", // above U+10FFFF
	        "ab\xE4\xB8",         // truncated
	        "ab\x80",             // stray continuation byte
	};
	for (const char *text : bad)
		EXPECT_EQ(KindOf([&] { Alphabet alphabet(text); }), ErrorKind::kInvalidParameter);
	EXPECT_EQ(KindOf([] { Alphabet alphabet(std::string("\xC3\xA9", 2)); }),
	          ErrorKind::kInvalidParameter);
}

TEST(AlphabetTest, RadixLimits) {
	std::string text;
	char32_t cp = 0x20;
	for (int i = 0; i < 65536; ++i) {
		if (cp == 0xD800)
			cp = 0xE000;
		text += Utf8(cp++);
	}
	const Alphabet largest(text);
	EXPECT_EQ(largest.Radix(), 65536u);
	EXPECT_EQ(largest.NumeralOf(0x20), 0);
	EXPECT_EQ(largest.NumeralOf(0xE000), static_cast<std::int32_t>(0xD800 - 0x20));
	EXPECT_EQ(KindOf([&] { Alphabet too_big(text + Utf8(0x10FFFF)); }),
	          ErrorKind::kInvalidParameter);

	// FF1 over the largest radix: two characters already exceed 10^6.
	const std::uint8_t key[16] = {5};
	const Ff1 ff1(key, sizeof(key));
	const std::string value = Utf8(0x4E2D) + Utf8(0x20) + Utf8(0xFFFF);
	const std::string token = EncryptString(ff1, largest, value, nullptr, 0);
	EXPECT_EQ(Characters(token).size(), 3u);
	EXPECT_EQ(DecryptString(ff1, largest, token, nullptr, 0), value);
}

TEST(AlphabetTest, ValueOutsideAlphabet) {
	const Alphabet digits("0123456789");
	const Alphabet greek(Utf8(0x3B1) + Utf8(0x3B2) + Utf8(0x3B3) + "-");
	std::uint16_t numerals[32];
	for (const std::string &value : {std::string("12a4"), std::string("12 4"),
	                                 std::string("1\xC3\xA9"), std::string("12\x80")}) {
		try {
			digits.ToNumerals(value, numerals);
			FAIL();
		} catch (const Error &error) {
			EXPECT_EQ(error.kind(), ErrorKind::kInvalidTextRepresentation);
			EXPECT_STREQ(error.message(), "value contains a character outside the alphabet");
			EXPECT_EQ(error.detail(), nullptr);
		}
	}
	EXPECT_EQ(KindOf([&] { greek.ToNumerals(Utf8(0x3B1) + Utf8(0x3B4), numerals); }),
	          ErrorKind::kInvalidTextRepresentation);
	EXPECT_EQ(KindOf([&] { greek.ToNumerals(Utf8(0x3B1) + "\xCE", numerals); }),
	          ErrorKind::kInvalidTextRepresentation);
	EXPECT_EQ(KindOf([&] { greek.ToNumerals("-x", numerals); }),
	          ErrorKind::kInvalidTextRepresentation);
}

TEST(AlphabetTest, EncryptsOverMultibyteAlphabets) {
	std::string text;
	for (char32_t cp = 0x3B1; cp <= 0x3C9; ++cp) // Greek small letters (24 + final sigma)
		text += Utf8(cp);
	text += Utf8(0x1F600) + Utf8(0x1F601) + "xyz";
	const Alphabet alphabet(text);
	const auto characters = Characters(text);
	ASSERT_EQ(alphabet.Radix(), characters.size());
	const std::uint8_t key[32] = {7, 7, 7};
	const std::uint8_t tweak[7] = {1, 2, 3, 4, 5, 6, 7};
	const Ff1 ff1(key, sizeof(key));
	const Ff31 ff31(key, sizeof(key));
	std::string value;
	for (int i = 0; i < 12; ++i)
		value += characters[(i * 7) % characters.size()];
	for (int mode = 0; mode < 2; ++mode) {
		const std::string token = mode == 0 ? EncryptString(ff1, alphabet, value, tweak, 3)
		                                    : EncryptString(ff31, alphabet, value, tweak, 7);
		const auto token_chars = Characters(token);
		EXPECT_EQ(token_chars.size(), 12u);
		for (const std::string &ch : token_chars)
			EXPECT_NE(text.find(ch), std::string::npos);
		EXPECT_NE(token, value);
		EXPECT_EQ(mode == 0 ? DecryptString(ff1, alphabet, token, tweak, 3)
		                    : DecryptString(ff31, alphabet, token, tweak, 7),
		          value);
	}
	// The output string's capacity is reused.
	std::string out;
	out.reserve(256);
	const char *storage = out.data();
	EncryptString(ff1, alphabet, value, tweak, 3, out);
	EXPECT_EQ(out.data(), storage);
}

} // namespace
