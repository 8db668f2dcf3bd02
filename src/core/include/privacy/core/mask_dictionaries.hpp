// mask_dictionaries.hpp: the word lists behind the fake_* functions, per locale.
//
// Purpose: a read-only view of the dictionaries compiled from src/core/mask/data/<locale>/*.txt by
// src/core/mask/data/generate.py into src/core/mask/dictionaries_data.cpp (committed, regenerated
// by hand). Exposed so unit tests can check sizes and distinctness; masking code reaches it only
// through fake.cpp.
//
// Invariants: every list is non-empty, its entries are distinct, non-empty, valid UTF-8 without
// leading or trailing spaces, and all storage is static (no allocation, no initialization order
// issue: constexpr data).
#pragma once

#include "privacy/core/config.hpp"

#include "privacy/core/mask.hpp"

#include <cstddef>
#include <string_view>

namespace privacy::core {

// WordList is a static array of dictionary entries.
struct WordList {
	const std::string_view *items;
	std::size_t size;
};

// LocaleDictionaries holds one locale's lists. streets and street_types combine into street names
// in the locale's order; company_words are business nouns combined with last names and legal forms.
struct LocaleDictionaries {
	WordList first_names;
	WordList last_names;
	WordList cities;
	WordList streets;
	WordList street_types;
	WordList company_words;
};

// DictionariesFor returns the dictionaries of locale.
const LocaleDictionaries &DictionariesFor(FakeLocale locale) noexcept;

// LooksLikeKnownName reports whether value starts with a first name of any locale's dictionary (its
// first word, up to a space), or, when value is one word, whether it is a first or last name of any
// locale: "Ann Lee", "Marie", "Dupont". A value starting with a lower-case letter is never a name;
// otherwise letters A-Z compare case-insensitively and other bytes exactly ("ANN LEE" is a name).
// Used by discovery, where capitalised words alone are as often products or places as people; never
// throws.
bool LooksLikeKnownName(std::string_view value) noexcept;

} // namespace privacy::core
