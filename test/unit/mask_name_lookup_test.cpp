// mask_name_lookup_test.cpp: LooksLikeKnownName, discovery's dictionary evidence for person names.
#include "privacy/core/mask_dictionaries.hpp"

#include <gtest/gtest.h>

namespace core = privacy::core;

TEST(NameLookup, FindsGivenNamesFirstAndSingleNames) {
	const core::LocaleDictionaries &en = core::DictionariesFor(core::FakeLocale::kEn);
	const core::LocaleDictionaries &fr = core::DictionariesFor(core::FakeLocale::kFr);
	std::string first(en.first_names.items[0]);
	std::string last(fr.last_names.items[0]);
	EXPECT_TRUE(core::LooksLikeKnownName(first + " Someone"));
	EXPECT_TRUE(core::LooksLikeKnownName("  " + first + "  "));
	EXPECT_TRUE(core::LooksLikeKnownName(last)); // one word: a last name counts
	std::string upper = first;
	for (char &c : upper)
		if (c >= 'a' && c <= 'z')
			c = static_cast<char>(c - 'a' + 'A');
	EXPECT_TRUE(core::LooksLikeKnownName(upper + " X")); // ASCII case folded
}

TEST(NameLookup, RejectsProductsEmptyAndOddInput) {
	std::string lower(core::DictionariesFor(core::FakeLocale::kEn).first_names.items[0]);
	lower[0] = static_cast<char>(lower[0] - 'A' + 'a');
	EXPECT_FALSE(core::LooksLikeKnownName(lower)); // lower-case words are words
	for (const char *v : {"Steel Kettle", "Coffee Grinder", "Tea Set", "iPhone 12",
	                      "Cafetera Italiana", "", "   ", "12345", "\xFF\xFE", "Kettle"}) {
		EXPECT_FALSE(core::LooksLikeKnownName(v)) << v;
	}
	// a last name first is not a given name first
	const core::LocaleDictionaries &de = core::DictionariesFor(core::FakeLocale::kDe);
	std::string last(de.last_names.items[0]);
	bool also_first = false;
	for (auto locale : {core::FakeLocale::kEn, core::FakeLocale::kFr, core::FakeLocale::kDe}) {
		const core::WordList &f = core::DictionariesFor(locale).first_names;
		for (std::size_t i = 0; i < f.size; i++)
			also_first = also_first || f.items[i] == last;
	}
	if (!also_first) {
		EXPECT_FALSE(core::LooksLikeKnownName(last + " Kettle"));
	}
	std::string huge(1 << 20, 'a');
	EXPECT_FALSE(core::LooksLikeKnownName(huge));
}
