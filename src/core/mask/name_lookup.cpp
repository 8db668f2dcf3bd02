// name_lookup.cpp: whether a value looks like a person's name, by the fake_* dictionaries
// (discovery's strongest person-name evidence).
//
// Invariants: no allocation, no exception; reads only the static dictionaries; a linear scan of a
// few thousand entries per value is cheap next to the sampling query that calls it.
#include "privacy/core/mask_dictionaries.hpp"

namespace privacy::core {

namespace {

// FoldAscii lower-cases A-Z and leaves every other byte as it is.
constexpr char
FoldAscii(char c) noexcept {
	return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// SameWord compares two words with FoldAscii.
bool
SameWord(std::string_view a, std::string_view b) noexcept {
	if (a.size() != b.size())
		return false;
	for (std::size_t i = 0; i < a.size(); i++)
		if (FoldAscii(a[i]) != FoldAscii(b[i]))
			return false;
	return true;
}

// InList reports whether word is an entry of list.
bool
InList(std::string_view word, const WordList &list) noexcept {
	for (std::size_t i = 0; i < list.size; i++)
		if (SameWord(word, list.items[i]))
			return true;
	return false;
}

} // namespace

bool
LooksLikeKnownName(std::string_view value) noexcept {
	while (!value.empty() && value.front() == ' ')
		value.remove_prefix(1);
	while (!value.empty() && value.back() == ' ')
		value.remove_suffix(1);
	// names are written capitalised (or in capitals): "fine" or "marie" in a
	// column of words is a word, not a name
	if (value.empty() || (value.front() >= 'a' && value.front() <= 'z'))
		return false;
	std::size_t space = value.find(' ');
	std::string_view first = value.substr(0, space);
	bool one_word = space == std::string_view::npos;
	for (FakeLocale locale : {FakeLocale::kEn, FakeLocale::kFr, FakeLocale::kDe}) {
		const LocaleDictionaries &d = DictionariesFor(locale);
		if (InList(first, d.first_names) || (one_word && InList(first, d.last_names)))
			return true;
	}
	return false;
}

} // namespace privacy::core
