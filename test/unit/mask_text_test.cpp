// mask_text_test.cpp: redact, partial, mask_email, mask_phone, mask_card, mask_iban, and the UTF-8
// and Luhn helpers they rely on.
//
// Proves: each mask on empty, one-character, multibyte, 1 MB and malformed input; that malformed
// input is redacted rather than raised; that partial never reveals a whole value (exhaustively for
// small values); that only argument errors throw, with kInvalidParameter and messages that never
// contain the value.
#include "privacy/core/error.hpp"
#include "privacy/core/luhn.hpp"
#include "privacy/core/mask.hpp"
#include "privacy/core/utf8.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using privacy::core::Error;
using privacy::core::ErrorKind;
namespace core = privacy::core;
namespace utf8 = privacy::core::utf8;

const std::string kRedacted = "[REDACTED]";
const std::string kMegabyte(1 << 20, 'a');

std::string
Partial(std::string_view value, std::int64_t prefix, std::string_view padding,
        std::int64_t suffix) {
	std::string out;
	core::Partial(value, prefix, padding, suffix, out);
	return out;
}

std::string
Email(std::string_view value) {
	std::string out;
	core::MaskEmail(value, out);
	return out;
}

std::string
Phone(std::string_view value) {
	std::string out;
	core::MaskPhone(value, out);
	return out;
}

std::string
Card(std::string_view value, std::int64_t keep_first = 0) {
	std::string out;
	core::MaskCard(value, keep_first, out);
	return out;
}

std::string
Iban(std::string_view value) {
	std::string out;
	core::MaskIban(value, out);
	return out;
}

// ExpectArgumentError asserts that fn throws kInvalidParameter whose texts never contain canary.
template <typename Fn>
void
ExpectArgumentError(Fn fn, std::string_view canary) {
	try {
		fn();
		ADD_FAILURE() << "no error raised";
	} catch (const Error &error) {
		EXPECT_EQ(error.kind(), ErrorKind::kInvalidParameter);
		for (const char *text : {error.message(), error.detail(), error.hint()}) {
			if (text == nullptr)
				continue;
			EXPECT_EQ(std::string_view(text).find(canary), std::string_view::npos) << text;
		}
		// Error Message Style Guide: lower-case primary message without a trailing period.
		std::string_view message = error.message();
		ASSERT_FALSE(message.empty());
		EXPECT_FALSE(message.front() >= 'A' && message.front() <= 'Z') << message;
		EXPECT_NE(message.back(), '.') << message;
	}
}

// ----- UTF-8
// -------------------------------------------------------------------------------------------------

TEST(MaskUtf8, CountsCodePointsNotBytes) {
	EXPECT_EQ(utf8::CountCodePoints(""), 0u);
	EXPECT_EQ(utf8::CountCodePoints("a"), 1u);
	EXPECT_EQ(utf8::CountCodePoints("Zoë"), 3u);
	EXPECT_EQ(utf8::CountCodePoints("日本語"), 3u);
	EXPECT_EQ(utf8::CountCodePoints("😀a😃"), 3u);
	EXPECT_EQ(utf8::CountCodePoints(kMegabyte), kMegabyte.size());
	EXPECT_EQ(utf8::CountCodePoints("abcdefghijé"),
	          11u); // ASCII fast path followed by a multibyte tail
}

TEST(MaskUtf8, RejectsMalformedSequences) {
	for (std::string_view bad :
	     {"\xC3", "\xC3(", "\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
	      "\xF5\x80\x80\x80", "\xFF", "abc\xE6\x97", "\xF0\x9F\x98"}) {
		EXPECT_FALSE(utf8::IsValid(bad)) << testing::PrintToString(bad);
		EXPECT_EQ(utf8::CountCodePoints(bad), utf8::kInvalid);
	}
	EXPECT_TRUE(utf8::IsValid(std::string_view("a\0b", 3)));
	EXPECT_TRUE(utf8::IsValid("\xF4\x8F\xBF\xBF")); // U+10FFFF
	EXPECT_TRUE(utf8::IsValid("\xEF\xBF\xBD"));     // U+FFFD
}

TEST(MaskUtf8, OffsetsAndDecoding) {
	std::string_view text = "aé日😀";
	EXPECT_EQ(utf8::ByteOffsetOfCodePoint(text, 0), 0u);
	EXPECT_EQ(utf8::ByteOffsetOfCodePoint(text, 1), 1u);
	EXPECT_EQ(utf8::ByteOffsetOfCodePoint(text, 2), 3u);
	EXPECT_EQ(utf8::ByteOffsetOfCodePoint(text, 3), 6u);
	EXPECT_EQ(utf8::ByteOffsetOfCodePoint(text, 4), 10u);
	EXPECT_EQ(utf8::ByteOffsetOfCodePoint(text, 99), 10u);
	EXPECT_EQ(utf8::ByteOffsetOfLastCodePoints(text, 0), 10u);
	EXPECT_EQ(utf8::ByteOffsetOfLastCodePoints(text, 1), 6u);
	EXPECT_EQ(utf8::ByteOffsetOfLastCodePoints(text, 2), 3u);
	EXPECT_EQ(utf8::ByteOffsetOfLastCodePoints(text, 3), 1u);
	EXPECT_EQ(utf8::ByteOffsetOfLastCodePoints(text, 4), 0u);
	EXPECT_EQ(utf8::ByteOffsetOfLastCodePoints(text, 99), 0u);
	EXPECT_EQ(utf8::ByteOffsetOfLastCodePoints("", 1), 0u);
	char32_t cp = 0;
	EXPECT_EQ(utf8::DecodeAt(text, 6, &cp), 4u);
	EXPECT_EQ(cp, U'😀');
	EXPECT_EQ(utf8::DecodeAt(text, 7, &cp), 0u);
	EXPECT_EQ(utf8::DecodeAt(text, 10, &cp), 0u);
}

// ----- Luhn
// -------------------------------------------------------------------------------------------------

TEST(MaskLuhn, ChecksAndComputesDigits) {
	EXPECT_TRUE(core::LuhnValid("4111111111111111"));
	EXPECT_TRUE(core::LuhnValid("79927398713"));
	EXPECT_FALSE(core::LuhnValid("4111111111111112"));
	EXPECT_FALSE(core::LuhnValid(""));
	EXPECT_FALSE(core::LuhnValid("4111 1111"));
	EXPECT_EQ(core::LuhnCheckDigit("411111111111111"), '1');
	EXPECT_EQ(core::LuhnCheckDigit("7992739871"), '3');
	EXPECT_EQ(core::LuhnCheckDigit("12a"), '\0');
}

// ----- redact
// -------------------------------------------------------------------------------------------------

TEST(MaskRedact, IsConstantAndAppends) {
	EXPECT_EQ(core::RedactedText(), "[REDACTED]");
	std::string out = "x:";
	core::Redact(out);
	EXPECT_EQ(out, "x:[REDACTED]");
}

// ----- partial
// -------------------------------------------------------------------------------------------------

TEST(MaskPartial, KeepsCharactersWithinBudget) {
	EXPECT_EQ(Partial("4111111111111234", 0, "XXXX", 4), "XXXX1234");
	EXPECT_EQ(Partial("Alice", 1, "***", 1), "A***");
	EXPECT_EQ(Partial("abcdefghi", 2, "*", 2), "ab*i");
	EXPECT_EQ(Partial("abcdefghi", 0, "*", 5), "*ghi");
	EXPECT_EQ(Partial("abcdefghi", 5, "-", 0), "abc-");
	EXPECT_EQ(Partial("abcdefghi", 0, "-", 0), "-");
}

TEST(MaskPartial, EmptyAndShortValuesRevealNothing) {
	EXPECT_EQ(Partial("", 1, "***", 1), "***");
	EXPECT_EQ(Partial("a", 1, "***", 1), "***");
	EXPECT_EQ(Partial("ab", 1, "***", 1), "***");
	EXPECT_EQ(Partial("abc", 1, "***", 1), "a***");
	EXPECT_EQ(Partial("", 0, "", 0), "");
}

TEST(MaskPartial, CountsCodePoints) {
	EXPECT_EQ(Partial("Zoë", 0, "*", 1), "*ë");
	EXPECT_EQ(Partial("日本語", 1, "*", 1), "日*");
	EXPECT_EQ(Partial("😀😃😄😁🙂🙃", 1, "…", 1), "😀…🙃");
	EXPECT_EQ(Partial("Ångström-Ñandú", 2, "·", 2), "Ån·dú");
}

TEST(MaskPartial, InvalidUtf8IsRedacted) {
	EXPECT_EQ(Partial("abc\xC3", 1, "*", 1), kRedacted);
	EXPECT_EQ(Partial("\xFF\xFE\xFD\xFC\xFB\xFA", 1, "*", 1), kRedacted);
	EXPECT_EQ(Partial("\xED\xA0\x80xyz", 0, "*", 1), kRedacted);
}

TEST(MaskPartial, HandlesHugeValuesAndKeeps) {
	std::string out = Partial(kMegabyte, 3, "*", 3);
	EXPECT_EQ(out, "aaa*aaa");
	std::string huge_keep = Partial(kMegabyte, INT64_MAX, "", INT64_MAX);
	EXPECT_EQ(huge_keep.size(), kMegabyte.size() / 3);
}

TEST(MaskPartial, NeverRevealsTheWholeValueExhaustive) {
	const std::vector<std::string> alphabets = {"x", "é", "日", "😀"};
	for (const std::string &unit : alphabets) {
		std::string value;
		for (std::size_t n = 0; n <= 12; n++) {
			for (std::int64_t prefix = 0; prefix <= static_cast<std::int64_t>(n) + 2; prefix++) {
				for (std::int64_t suffix = 0; suffix <= static_cast<std::int64_t>(n) + 2;
				     suffix++) {
					for (std::string_view padding : {"", "*"}) {
						std::string out = Partial(value, prefix, padding, suffix);
						std::size_t revealed =
						        utf8::CountCodePoints(out) - utf8::CountCodePoints(padding);
						EXPECT_LE(revealed, n / 3) << n << " " << prefix << " " << suffix;
						if (n > 0) {
							EXPECT_NE(out, value);
						}
						EXPECT_TRUE(utf8::IsValid(out));
					}
				}
			}
			value += unit;
		}
	}
}

TEST(MaskPartial, NegativeKeepIsAnArgumentError) {
	const std::string canary = "canary-4111111111111111";
	ExpectArgumentError([&] { Partial(canary, -1, "*", 0); }, canary);
	ExpectArgumentError([&] { Partial(canary, 0, "*", -1); }, canary);
	ExpectArgumentError([&] { Partial(canary, INT64_MIN, "*", INT64_MIN); }, canary);
}

TEST(MaskPartial, AppendsToExistingOutput) {
	std::string out = "prefix|";
	core::Partial("abcdef", 1, "*", 1, out);
	EXPECT_EQ(out, "prefix|a*f");
}

// ----- mask_email
// ----------------------------------------------------------------------------------------------

TEST(MaskEmail, KeepsFirstCharacterAndDomain) {
	EXPECT_EQ(Email("john.doe@example.com"), "j*****@example.com");
	EXPECT_EQ(Email("a@b.c"), "a*****@b.c");
	EXPECT_EQ(Email("verylonglocalpart+tag@sub.example.org"), "v*****@sub.example.org");
	EXPECT_EQ(Email("user@localhost"), "u*****@localhost");
}

TEST(MaskEmail, LengthOfLocalPartIsHidden) {
	EXPECT_EQ(Email("jo@example.com").size(), Email("johnathan.doe@example.com").size());
}

TEST(MaskEmail, MultibyteFirstCharacterIsKeptWhole) {
	EXPECT_EQ(Email("Zoë@exämple.de"), "Z*****@exämple.de");
	EXPECT_EQ(Email("éric@exemple.fr"), "é*****@exemple.fr");
	EXPECT_EQ(Email("日本@例え.jp"), "日*****@例え.jp");
	EXPECT_EQ(Email("😀x@emoji.example"), "😀*****@emoji.example");
}

TEST(MaskEmail, MalformedIsRedacted) {
	for (std::string_view bad :
	     {"", "@", "a@", "@b.c", "a@b@c", "no-at-sign", "a b@c.d", "a@b .c", "a\t@b.c", " a@b.c",
	      "a@b.c ", "a@b.c\n", "\xC3@b.c", "a@\xFF.c", "a\x7F@b.c"}) {
		EXPECT_EQ(Email(bad), kRedacted) << testing::PrintToString(bad);
	}
	EXPECT_EQ(Email(std::string_view("a\0@b.c", 6)), kRedacted);
}

TEST(MaskEmail, HugeValues) {
	EXPECT_EQ(Email(kMegabyte + "@example.com"), "a*****@example.com");
	EXPECT_EQ(Email("a@" + kMegabyte).size(), 7 + kMegabyte.size());
	EXPECT_EQ(Email(kMegabyte), kRedacted);
}

// ----- mask_phone
// ----------------------------------------------------------------------------------------------

TEST(MaskPhone, KeepsLastFourDigitsAndSeparators) {
	EXPECT_EQ(Phone("+1 (212) 555-0123"), "+* (***) ***-0123");
	EXPECT_EQ(Phone("06 12 34 56 78"), "** ** ** 56 78");
	EXPECT_EQ(Phone("+49 30 23125/456"), "+** ** ****5/456");
	EXPECT_EQ(Phone("020.7946.0123"), "***.****.0123");
	EXPECT_EQ(Phone("12345678"), "****5678");
}

TEST(MaskPhone, ShortNumbersNeverRevealMoreThanHalf) {
	EXPECT_EQ(Phone("12345"), "***45");
	EXPECT_EQ(Phone("1234567"), "*****67");
	EXPECT_EQ(Phone("1234"), kRedacted);
	EXPECT_EQ(Phone("1"), kRedacted);
	EXPECT_EQ(Phone(""), kRedacted);
	EXPECT_EQ(Phone("+()-. /"), kRedacted);
}

TEST(MaskPhone, MalformedIsRedacted) {
	for (std::string_view bad :
	     {"555-CALL-NOW", "+44 20 7946 0018 ext 5", "１２３４５６７８", "12345678\n", "1234 5678 é",
	      "\xC3\xA9\x31\x32\x33\x34\x35", "123#45678", "\xFF"}) {
		EXPECT_EQ(Phone(bad), kRedacted) << testing::PrintToString(bad);
	}
}

TEST(MaskPhone, HugeValue) {
	std::string digits(1 << 20, '7');
	std::string out = Phone(digits);
	ASSERT_EQ(out.size(), digits.size());
	EXPECT_EQ(out.substr(out.size() - 5), "*7777");
	EXPECT_EQ(out.find('7'), out.size() - 4);
	EXPECT_EQ(Phone(kMegabyte), kRedacted);
}

// ----- mask_card
// -----------------------------------------------------------------------------------------------

TEST(MaskCard, KeepsLastFourAndSeparators) {
	EXPECT_EQ(Card("4111 1111 1111 1234"), "**** **** **** 1234");
	EXPECT_EQ(Card("4111-1111-1111-1234"), "****-****-****-1234");
	EXPECT_EQ(Card("4111111111111234"), "************1234");
	EXPECT_EQ(Card("411111111234"), "********1234");
	EXPECT_EQ(Card("4111111111111111234"), "***************1234");
}

TEST(MaskCard, KeepFirstSixOnlyWhenLongEnough) {
	EXPECT_EQ(Card("4111 1111 1111 1234", 6), "4111 11** **** 1234");
	EXPECT_EQ(Card("4111111111111111234", 6), "411111*********1234");
	// 12..15 digits: first 6 + last 4 would leave too little hidden, so only the last 4 are kept.
	EXPECT_EQ(Card("378282246310005", 6), "***********0005");
	EXPECT_EQ(Card("411111111234", 6), "********1234");
}

TEST(MaskCard, MalformedIsRedacted) {
	for (std::string_view bad :
	     {"", "4", "41111111111", "41111111111111111111", "4111 1111 1111 123x",
	      "4111_1111_1111_1234", "４１１１１１１１１１１１", "4111.1111.1111.1234", "\xC3\xA9",
	      "    -----    "}) {
		EXPECT_EQ(Card(bad), kRedacted) << testing::PrintToString(bad);
		EXPECT_EQ(Card(bad, 6), kRedacted) << testing::PrintToString(bad);
	}
	EXPECT_EQ(Card(std::string(1 << 20, '4')), kRedacted);
}

TEST(MaskCard, KeepFirstMustBeZeroOrSix) {
	const std::string canary = "4111111111111111";
	const std::int64_t bad_keeps[] = {-1, 1, 4, 8, INT64_MAX, INT64_MIN};
	for (std::int64_t keep : bad_keeps)
		ExpectArgumentError([&] { Card(canary, keep); }, canary);
}

// ----- mask_iban
// -----------------------------------------------------------------------------------------------

TEST(MaskIban, KeepsCountryAndLastFour) {
	EXPECT_EQ(Iban("DE89370400440532013000"), "DE****************3000");
	EXPECT_EQ(Iban("DE89 3704 0044 0532 0130 00"), "DE** **** **** **** **30 00");
	EXPECT_EQ(Iban("GB29 NWBK 6016 1331 9268 19"), "GB** **** **** **** **68 19");
	EXPECT_EQ(Iban("fr1420041010050500013m02606"), "fr*********************2606");
	EXPECT_EQ(Iban("NO9386011117947"), "NO*********7947");
	EXPECT_EQ(Iban("DE8937040044053"), "DE*********4053"); // 15 characters: the shortest accepted
}

TEST(MaskIban, AnySpacingIsReprintedInGroupsOfFour) {
	EXPECT_EQ(Iban("DE8937040044 0532013000"), "DE** **** **** **** **30 00");
	EXPECT_EQ(Iban("  DE89370400440532013000  "), "DE** **** **** **** **30 00");
}

TEST(MaskIban, MalformedIsRedacted) {
	for (std::string_view bad :
	     {"", "D", "1E89370400440532013000", "DEX9370400440532013000", "DE8X370400440532013000",
	      "DE89-3704-0044-0532-0130-00", "DE89370400440532013000\t", "DE89 3704 0044 0532 0130 0Ä",
	      "DE893704004405320130001234567890123", "DE8937040044"}) {
		EXPECT_EQ(Iban(bad), kRedacted) << testing::PrintToString(bad);
	}
	EXPECT_EQ(Iban("NO938601111794"), kRedacted); // 14 characters
	EXPECT_EQ(Iban(kMegabyte), kRedacted);
	EXPECT_EQ(Iban(std::string(1 << 20, ' ')), kRedacted);
}

} // namespace
