// dictionaries.cpp: locale lookup of the generated dictionaries.
//
// Invariants: the table order matches FakeLocale (en, fr, de) and generate.py's LOCALES; the data
// itself lives in the generated dictionaries_data.cpp and is never edited by hand.
#include "privacy/core/mask_dictionaries.hpp"

namespace privacy::core {

// Defined in the generated dictionaries_data.cpp, in FakeLocale order.
extern const LocaleDictionaries kGeneratedDictionaries[3];

const LocaleDictionaries &
DictionariesFor(FakeLocale locale) noexcept {
	return kGeneratedDictionaries[static_cast<std::size_t>(locale)];
}

} // namespace privacy::core
