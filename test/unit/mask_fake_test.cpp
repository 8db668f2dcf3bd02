// mask_fake_test.cpp: deterministic fake values and the dictionaries behind them.
//
// Proves: dictionary sizes (>= 1000 first and last names, >= 500 cities per locale) and
// distinctness; each fake is deterministic per (seed, key, locale), changes with the key, spreads
// over the dictionary, is valid UTF-8 and has its documented shape (reserved email domains, fiction
// phone ranges, Luhn-valid test cards, mod-97-valid IBANs with a valid French RIB key); person
// fields agree for one seed; unknown locales raise kInvalidParameter.
#include "privacy/core/error.hpp"
#include "privacy/core/mask.hpp"
#include "privacy/core/mask_dictionaries.hpp"
#include "privacy/core/utf8.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <sodium.h>

namespace {

using privacy::core::Error;
using privacy::core::ErrorKind;
using privacy::core::FakeLocale;
namespace core = privacy::core;

constexpr FakeLocale kLocales[] = {FakeLocale::kEn, FakeLocale::kFr, FakeLocale::kDe};

using FakeFn = void (*)(std::string_view, FakeLocale, const std::uint8_t *, std::string &);

struct NamedFake {
	const char *name;
	FakeFn fn;
};

constexpr NamedFake kFakes[] = {
        {"first_name", core::FakeFirstName},
        {"last_name", core::FakeLastName},
        {"full_name", core::FakeFullName},
        {"email", core::FakeEmail},
        {"phone", core::FakePhone},
        {"city", core::FakeCity},
        {"street_address", core::FakeStreetAddress},
        {"company", core::FakeCompany},
        {"iban", core::FakeIban},
};

class MaskFake : public testing::Test {
  protected:
	static void
	SetUpTestSuite() {
		ASSERT_GE(sodium_init(), 0);
	}

	void
	SetUp() override {
		for (std::size_t i = 0; i < core::kMaskKeyBytes; i++) {
			key_[i] = static_cast<std::uint8_t>(0xA5 ^ i);
			other_key_[i] = key_[i];
		}
		other_key_[0] ^= 0x80;
	}

	std::string
	Run(FakeFn fn, std::string_view seed, FakeLocale locale,
	    const std::uint8_t *key = nullptr) const {
		std::string out;
		fn(seed, locale, key != nullptr ? key : key_, out);
		return out;
	}

	std::string
	Card(std::string_view seed) const {
		std::string out;
		core::FakeCard(seed, key_, out);
		return out;
	}

	std::uint8_t key_[core::kMaskKeyBytes];
	std::uint8_t other_key_[core::kMaskKeyBytes];
};

// IndependentLuhn re-implements the Luhn check from its definition.
bool
IndependentLuhn(const std::string &digits) {
	int sum = 0;
	for (std::size_t i = 0; i < digits.size(); i++) {
		int digit = digits[digits.size() - 1 - i] - '0';
		if (i % 2 == 1)
			digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
		sum += digit;
	}
	return sum % 10 == 0;
}

// IndependentIbanValid checks ISO 13616: move the first four characters to the end, letters
// to 10..35, mod 97 == 1.
bool
IndependentIbanValid(const std::string &iban) {
	std::string moved = iban.substr(4) + iban.substr(0, 4);
	std::string digits;
	for (char c : moved)
		digits += (c >= 'A' && c <= 'Z') ? std::to_string(c - 'A' + 10) : std::string(1, c);
	int remainder = 0;
	for (char c : digits)
		remainder = (remainder * 10 + (c - '0')) % 97;
	return remainder == 1;
}

TEST(MaskDictionaries, SizesAndDistinctness) {
	for (FakeLocale locale : kLocales) {
		const core::LocaleDictionaries &dictionaries = core::DictionariesFor(locale);
		EXPECT_GE(dictionaries.first_names.size, 1000u);
		EXPECT_GE(dictionaries.last_names.size, 1000u);
		EXPECT_GE(dictionaries.cities.size, 500u);
		EXPECT_GE(dictionaries.streets.size, 50u);
		EXPECT_GE(dictionaries.street_types.size, 3u);
		EXPECT_GE(dictionaries.company_words.size, 30u);
		for (const core::WordList *list :
		     {&dictionaries.first_names, &dictionaries.last_names, &dictionaries.cities,
		      &dictionaries.streets, &dictionaries.street_types, &dictionaries.company_words}) {
			std::set<std::string_view> distinct(list->items, list->items + list->size);
			EXPECT_EQ(distinct.size(), list->size);
			for (std::size_t i = 0; i < list->size; i++) {
				std::string_view entry = list->items[i];
				ASSERT_FALSE(entry.empty());
				EXPECT_TRUE(core::utf8::IsValid(entry)) << entry;
				EXPECT_NE(entry.front(), ' ') << entry;
				EXPECT_NE(entry.back(), ' ') << entry;
			}
		}
	}
	// The locales really differ (fr/de are not copies of en).
	const auto &en = core::DictionariesFor(FakeLocale::kEn);
	const auto &de = core::DictionariesFor(FakeLocale::kDe);
	EXPECT_NE(en.cities.items[0], de.cities.items[0]);
	EXPECT_NE(en.last_names.items[0], de.last_names.items[0]);
}

TEST_F(MaskFake, EveryFakeIsDeterministicKeyedAndLocaleDependent) {
	for (const NamedFake &fake : kFakes) {
		for (FakeLocale locale : kLocales) {
			int differs_by_key = 0;
			for (int i = 0; i < 100; i++) {
				std::string seed = "customer-" + std::to_string(i);
				std::string out = Run(fake.fn, seed, locale);
				ASSERT_FALSE(out.empty()) << fake.name;
				ASSERT_TRUE(core::utf8::IsValid(out)) << fake.name;
				ASSERT_EQ(out, Run(fake.fn, seed, locale)) << fake.name;
				differs_by_key += out != Run(fake.fn, seed, locale, other_key_);
			}
			EXPECT_GT(differs_by_key, 80) << fake.name;
		}
		int differs_by_locale = 0;
		for (int i = 0; i < 50; i++) {
			std::string seed = std::to_string(i);
			differs_by_locale +=
			        Run(fake.fn, seed, FakeLocale::kEn) != Run(fake.fn, seed, FakeLocale::kDe);
		}
		EXPECT_GT(differs_by_locale, 40) << fake.name;
	}
}

TEST_F(MaskFake, OddSeedsAreFine) {
	std::string huge(1 << 20, 's');
	for (const NamedFake &fake : kFakes) {
		for (std::string_view seed : {std::string_view(""), std::string_view("\xFF\xC3"),
		                              std::string_view("日本語"), std::string_view(huge)}) {
			std::string out = Run(fake.fn, seed, FakeLocale::kFr);
			EXPECT_FALSE(out.empty());
			EXPECT_TRUE(core::utf8::IsValid(out));
		}
	}
	EXPECT_EQ(Card("").size(), 16u);
	EXPECT_EQ(Card(huge).size(), 16u);
}

TEST_F(MaskFake, NamesSpreadOverTheDictionary) {
	for (FakeLocale locale : kLocales) {
		std::set<std::string> first;
		std::set<std::string> last;
		std::set<std::string> cities;
		for (int i = 0; i < 6000; i++) {
			std::string seed = std::to_string(i);
			first.insert(Run(core::FakeFirstName, seed, locale));
			last.insert(Run(core::FakeLastName, seed, locale));
			cities.insert(Run(core::FakeCity, seed, locale));
		}
		EXPECT_GT(first.size(), 900u);
		EXPECT_GT(last.size(), 900u);
		EXPECT_GT(cities.size(), 450u);
	}
}

TEST_F(MaskFake, PersonFieldsAgree) {
	for (FakeLocale locale : kLocales) {
		for (int i = 0; i < 200; i++) {
			std::string seed = "p" + std::to_string(i);
			std::string first = Run(core::FakeFirstName, seed, locale);
			std::string last = Run(core::FakeLastName, seed, locale);
			EXPECT_EQ(Run(core::FakeFullName, seed, locale), first + " " + last);
		}
	}
}

TEST_F(MaskFake, EmailsUseReservedDomainsAndAscii) {
	for (FakeLocale locale : kLocales) {
		for (int i = 0; i < 2000; i++) {
			std::string email = Run(core::FakeEmail, std::to_string(i), locale);
			std::size_t at = email.find('@');
			ASSERT_NE(at, std::string::npos);
			std::string domain = email.substr(at + 1);
			EXPECT_TRUE(domain == "example.com" || domain == "example.net" ||
			            domain == "example.org")
			        << email;
			std::string local = email.substr(0, at);
			ASSERT_GE(local.size(), 5u) << email;
			EXPECT_NE(local.find('.'), std::string::npos) << email;
			for (char c : local)
				ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
				            c == '-')
				        << email;
			std::string masked;
			core::MaskEmail(email, masked);
			EXPECT_NE(masked, core::RedactedText()) << email;
		}
	}
	// Accents fold predictably: a German umlaut becomes two letters.
	bool saw_folded = false;
	for (int i = 0; i < 5000 && !saw_folded; i++) {
		std::string seed = std::to_string(i);
		std::string last = Run(core::FakeLastName, seed, FakeLocale::kDe);
		if (last == "Müller")
			saw_folded = Run(core::FakeEmail, seed, FakeLocale::kDe).find(".mueller") !=
			             std::string::npos;
	}
	EXPECT_TRUE(saw_folded);
}

TEST_F(MaskFake, PhonesComeFromFictionRanges) {
	const std::vector<std::string> prefixes[] = {
	        {"020 7946 0", "0113 496 0", "0114 496 0", "0115 496 0", "0116 496 0", "0117 496 0",
	         "0118 496 0", "0121 496 0", "0131 496 0", "0141 496 0", "0151 496 0", "0161 496 0",
	         "0191 498 0", "029 2018 0", "01632 960", "07700 900"},
	        {"01 99 00 ", "02 61 91 ", "03 53 01 ", "04 65 71 ", "05 36 49 ", "06 39 98 "},
	        {"030 23125 ", "069 90009 ", "040 66969 ", "0221 4710 ", "089 99998 "},
	};
	for (FakeLocale locale : kLocales) {
		const auto &allowed = prefixes[static_cast<int>(locale)];
		std::set<std::string> seen;
		for (int i = 0; i < 1000; i++) {
			std::string phone = Run(core::FakePhone, std::to_string(i), locale);
			bool matched = false;
			for (const std::string &prefix : allowed)
				matched = matched || phone.rfind(prefix, 0) == 0;
			EXPECT_TRUE(matched) << phone;
			std::string masked;
			core::MaskPhone(phone, masked);
			EXPECT_NE(masked, core::RedactedText()) << phone;
			seen.insert(phone);
		}
		EXPECT_GT(seen.size(), 900u);
	}
}

TEST_F(MaskFake, CardsAreLuhnValidTestNumbers) {
	std::set<std::string> seen;
	for (int i = 0; i < 5000; i++) {
		std::string card = Card(std::to_string(i));
		ASSERT_EQ(card.size(), 16u);
		for (char c : card)
			ASSERT_TRUE(c >= '0' && c <= '9');
		EXPECT_TRUE(card.rfind("400000", 0) == 0 || card.rfind("555555", 0) == 0) << card;
		EXPECT_TRUE(IndependentLuhn(card)) << card;
		EXPECT_EQ(card, Card(std::to_string(i)));
		std::string masked;
		core::MaskCard(card, 6, masked);
		EXPECT_EQ(masked.substr(12), card.substr(12));
		seen.insert(card);
	}
	EXPECT_GT(seen.size(), 4990u);
	std::string with_other_key;
	core::FakeCard("x", other_key_, with_other_key);
	EXPECT_NE(with_other_key, Card("x"));
}

TEST_F(MaskFake, IbansHaveValidCheckDigits) {
	const std::pair<const char *, std::size_t> shapes[] = {{"GB", 22}, {"FR", 27}, {"DE", 22}};
	for (FakeLocale locale : kLocales) {
		auto [country, length] = shapes[static_cast<int>(locale)];
		std::set<std::string> seen;
		for (int i = 0; i < 3000; i++) {
			std::string iban = Run(core::FakeIban, std::to_string(i), locale);
			ASSERT_EQ(iban.size(), length) << iban;
			EXPECT_EQ(iban.substr(0, 2), country);
			EXPECT_TRUE(IndependentIbanValid(iban)) << iban;
			std::string masked;
			core::MaskIban(iban, masked);
			EXPECT_EQ(masked.substr(masked.size() - 4), iban.substr(iban.size() - 4));
			if (locale == FakeLocale::kFr) {
				// RIB key: 97 - (89 bank + 15 branch + 3 account) mod 97, with bank/branch/account
				// as numbers.
				long long bank = std::stoll(iban.substr(4, 5));
				long long branch = std::stoll(iban.substr(9, 5));
				long long account = std::stoll(iban.substr(14, 11));
				long long rib = std::stoll(iban.substr(25, 2));
				EXPECT_EQ(rib, 97 - (89 * bank + 15 * branch + 3 * account) % 97) << iban;
			}
			seen.insert(iban);
		}
		EXPECT_EQ(seen.size(), 3000u);
	}
}

TEST_F(MaskFake, StreetsAndCompaniesFollowLocaleOrder) {
	std::string en = Run(core::FakeStreetAddress, "s", FakeLocale::kEn);
	EXPECT_TRUE(en.front() >= '1' && en.front() <= '9') << en;
	std::string fr = Run(core::FakeStreetAddress, "s", FakeLocale::kFr);
	EXPECT_TRUE(fr.front() >= '1' && fr.front() <= '9') << fr;
	std::string de = Run(core::FakeStreetAddress, "s", FakeLocale::kDe);
	EXPECT_TRUE(de.back() >= '0' && de.back() <= '9') << de;
	std::set<std::string> companies;
	for (int i = 0; i < 2000; i++) {
		std::string company = Run(core::FakeCompany, std::to_string(i), FakeLocale::kDe);
		companies.insert(company);
	}
	EXPECT_GT(companies.size(), 1950u);
}

TEST(MaskFakeLocale, ParsesKnownLocalesOnly) {
	EXPECT_EQ(core::ParseFakeLocale("en"), FakeLocale::kEn);
	EXPECT_EQ(core::ParseFakeLocale("FR"), FakeLocale::kFr);
	EXPECT_EQ(core::ParseFakeLocale("De"), FakeLocale::kDe);
	for (std::string_view bad : {"", "e", "es", "eng", "en_US", "d\xC3", "fr "}) {
		try {
			core::ParseFakeLocale(bad);
			ADD_FAILURE() << "accepted " << bad;
		} catch (const Error &error) {
			EXPECT_EQ(error.kind(), ErrorKind::kInvalidParameter);
			EXPECT_EQ(std::string_view(error.message()).find("es"), std::string_view::npos);
		}
	}
}

} // namespace
