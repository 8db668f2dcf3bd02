// fake.cpp: deterministic fake names, contacts, addresses, companies, IBANs and card numbers.
//
// Invariants: every choice comes from one keyed BLAKE2b-512 of (kind, locale, seed), read as eight
// 64-bit words, so the same seed + key + locale always gives the same fake and different kinds are
// independent. Person fields (first/last/full name, email) share the "person" kind so they describe
// one person. Fakes never reach real people: reserved example domains, fiction phone ranges, test
// card BINs. Only the locale argument throws.
#include "privacy/core/mask.hpp"

#include "privacy/core/error.hpp"
#include "privacy/core/luhn.hpp"
#include "privacy/core/mask_dictionaries.hpp"
#include "privacy/core/utf8.hpp"

#include "keyed_hash.hpp"

#include <iterator>

namespace privacy::core {

namespace {

using mask_internal::KeyedHash;
using mask_internal::ReadU64;
using mask_internal::UniformBelow;

// FakeKind separates the derivations of unrelated fake values.
enum class FakeKind : std::uint8_t { kPerson = 1, kPhone, kCity, kStreet, kCompany, kIban, kCard };

// Draws holds the eight words of one derivation.
struct Draws {
	std::uint64_t words[8];

	// Pick returns an index below bound from word number index.
	std::size_t
	Pick(std::size_t index, std::size_t bound) const noexcept {
		return static_cast<std::size_t>(UniformBelow(words[index], bound));
	}

	// Word returns the entry of list chosen by word number index.
	std::string_view
	Word(std::size_t index, const WordList &list) const noexcept {
		return list.items[Pick(index, list.size)];
	}
};

// Derive returns the words of keyed BLAKE2b-512(tag, kind, locale, seed).
Draws
Derive(std::string_view seed, FakeKind kind, FakeLocale locale, const std::uint8_t *key) noexcept {
	std::uint8_t digest[64];
	KeyedHash hash(key, "pg_privacy/fake/v1", sizeof(digest));
	hash.AddU64(static_cast<std::uint64_t>(kind));
	hash.AddU64(static_cast<std::uint64_t>(locale));
	hash.AddRaw(seed);
	hash.Finish(digest);
	Draws draws{};
	for (std::size_t i = 0; i < 8; i++)
		draws.words[i] = ReadU64(digest + 8 * i);
	sodium_memzero(digest, sizeof(digest));
	return draws;
}

// DigitSource hands out decimal digits from the words of a derivation, 18 per word (bias below
// 2^-60 each).
class DigitSource {
  public:
	DigitSource(const Draws &draws, std::size_t first_word) noexcept
	    : draws_(draws), word_(first_word) {
		Load();
	}

	// Next returns the next digit as an ASCII character.
	char
	Next() noexcept {
		if (left_ == 0) {
			word_ = (word_ + 1) % 8;
			Load();
		}
		left_--;
		auto digit = static_cast<char>('0' + current_ % 10);
		current_ /= 10;
		return digit;
	}

	// Letter returns an upper-case ASCII letter (consumes two digits: 00..99 mod 26 has bias of a
	// few percent, acceptable for a fake bank code).
	char
	Letter() noexcept {
		int value = (Next() - '0') * 10 + (Next() - '0');
		return static_cast<char>('A' + value % 26);
	}

  private:
	void
	Load() noexcept {
		current_ = draws_.words[word_];
		left_ = 18;
	}

	const Draws &draws_;
	std::size_t word_;
	std::uint64_t current_ = 0;
	int left_ = 0;
};

// AppendFolded appends text folded to lower-case ASCII letters, digits and '-' for an email local
// part: common Latin accents lose their mark, German umlauts become two letters, anything else is
// dropped.
void
AppendFolded(std::string_view text, std::string &out) {
	std::size_t offset = 0;
	while (offset < text.size()) {
		char32_t cp = 0;
		std::size_t length = utf8::DecodeAt(text, offset, &cp);
		if (length == 0) {
			offset++;
			continue;
		}
		offset += length;
		if (cp >= 'A' && cp <= 'Z')
			cp = cp - 'A' + 'a';
		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '-') {
			out.push_back(static_cast<char>(cp));
			continue;
		}
		const char *folded = nullptr;
		switch (cp) {
		case U'à':
		case U'á':
		case U'â':
		case U'ã':
		case U'å':
		case U'ā':
		case U'À':
		case U'Á':
		case U'Â':
		case U'Ã':
		case U'Å':
			folded = "a";
			break;
		case U'ä':
		case U'Ä':
		case U'æ':
		case U'Æ':
			folded = "ae";
			break;
		case U'ç':
		case U'Ç':
		case U'č':
		case U'ć':
		case U'Č':
		case U'Ć':
			folded = "c";
			break;
		case U'è':
		case U'é':
		case U'ê':
		case U'ë':
		case U'È':
		case U'É':
		case U'Ê':
		case U'Ë':
			folded = "e";
			break;
		case U'ì':
		case U'í':
		case U'î':
		case U'ï':
		case U'Ì':
		case U'Í':
		case U'Î':
		case U'Ï':
			folded = "i";
			break;
		case U'ñ':
		case U'Ñ':
			folded = "n";
			break;
		case U'ò':
		case U'ó':
		case U'ô':
		case U'õ':
		case U'ø':
		case U'Ò':
		case U'Ó':
		case U'Ô':
		case U'Õ':
		case U'Ø':
			folded = "o";
			break;
		case U'ö':
		case U'Ö':
		case U'œ':
		case U'Œ':
			folded = "oe";
			break;
		case U'ù':
		case U'ú':
		case U'û':
		case U'Ù':
		case U'Ú':
		case U'Û':
			folded = "u";
			break;
		case U'ü':
		case U'Ü':
			folded = "ue";
			break;
		case U'ý':
		case U'ÿ':
		case U'Ý':
		case U'Ÿ':
			folded = "y";
			break;
		case U'ß':
			folded = "ss";
			break;
		case U'š':
		case U'Š':
			folded = "s";
			break;
		case U'ž':
		case U'Ž':
			folded = "z";
			break;
		default:
			break;
		}
		if (folded != nullptr)
			out.append(folded);
	}
}

// AppendNumber appends the decimal representation of value.
void
AppendNumber(std::uint64_t value, std::string &out) {
	char digits[20];
	std::size_t length = 0;
	do {
		digits[length++] = static_cast<char>('0' + value % 10);
		value /= 10;
	} while (value != 0);
	while (length > 0)
		out.push_back(digits[--length]);
}

// Mod97 returns the ISO 7064 MOD 97-10 remainder of text, letters counting as 10..35.
unsigned
Mod97(std::string_view text) noexcept {
	unsigned remainder = 0;
	for (char c : text) {
		if (c >= '0' && c <= '9')
			remainder = (remainder * 10 + static_cast<unsigned>(c - '0')) % 97;
		else
			remainder = (remainder * 100 + static_cast<unsigned>(c - 'A' + 10)) % 97;
	}
	return remainder;
}

// AppendIban appends country + check digits + bban, the check digits computed per ISO 13616.
void
AppendIban(std::string_view country, std::string_view bban, std::string &out) {
	char rearranged[40];
	std::size_t length = 0;
	for (char c : bban)
		rearranged[length++] = c;
	rearranged[length++] = country[0];
	rearranged[length++] = country[1];
	rearranged[length++] = '0';
	rearranged[length++] = '0';
	unsigned check = 98 - Mod97(std::string_view(rearranged, length));
	out.append(country);
	out.push_back(static_cast<char>('0' + check / 10));
	out.push_back(static_cast<char>('0' + check % 10));
	out.append(bban);
}

// PhoneRange is a block of numbers reserved for fiction: prefix (national format, with its spaces)
// followed by random_digits digits; group_after inserts a space after that many random digits (0:
// none).
struct PhoneRange {
	std::string_view prefix;
	int random_digits;
	int group_after;
};

// Ofcom drama numbers (UK).
constexpr PhoneRange kEnPhones[] = {
        {"020 7946 0", 3, 0}, {"0113 496 0", 3, 0}, {"0114 496 0", 3, 0}, {"0115 496 0", 3, 0},
        {"0116 496 0", 3, 0}, {"0117 496 0", 3, 0}, {"0118 496 0", 3, 0}, {"0121 496 0", 3, 0},
        {"0131 496 0", 3, 0}, {"0141 496 0", 3, 0}, {"0151 496 0", 3, 0}, {"0161 496 0", 3, 0},
        {"0191 498 0", 3, 0}, {"029 2018 0", 3, 0}, {"01632 960", 3, 0},  {"07700 900", 3, 0},
};
// ARCEP numbers reserved for fiction (France).
constexpr PhoneRange kFrPhones[] = {
        {"01 99 00 ", 4, 2}, {"02 61 91 ", 4, 2}, {"03 53 01 ", 4, 2},
        {"04 65 71 ", 4, 2}, {"05 36 49 ", 4, 2}, {"06 39 98 ", 4, 2},
};
// Bundesnetzagentur numbers reserved for film and television (Germany).
constexpr PhoneRange kDePhones[] = {
        {"030 23125 ", 3, 0}, {"069 90009 ", 3, 0}, {"040 66969 ", 3, 0},
        {"0221 4710 ", 3, 0}, {"089 99998 ", 3, 0},
};

constexpr std::string_view kEnLegalForms[] = {"Ltd", "Limited", "PLC", "LLP", "& Co"};
constexpr std::string_view kFrLegalForms[] = {"SARL", "SAS", "SA", "EURL", "SNC"};
constexpr std::string_view kDeLegalForms[] = {"GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "OHG"};

constexpr std::string_view kEmailDomains[] = {"example.com", "example.net", "example.org"};

} // namespace

FakeLocale
ParseFakeLocale(std::string_view locale) {
	if (locale.size() == 2) {
		char a = static_cast<char>(locale[0] | 0x20);
		char b = static_cast<char>(locale[1] | 0x20);
		if (a == 'e' && b == 'n')
			return FakeLocale::kEn;
		if (a == 'f' && b == 'r')
			return FakeLocale::kFr;
		if (a == 'd' && b == 'e')
			return FakeLocale::kDe;
	}
	throw Error(ErrorKind::kInvalidParameter, "unsupported locale",
	            "Supported locales are en, fr and de.");
}

void
FakeFirstName(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
              std::string &out) {
	Draws draws = Derive(seed, FakeKind::kPerson, locale, key);
	out.append(draws.Word(0, DictionariesFor(locale).first_names));
}

void
FakeLastName(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
             std::string &out) {
	Draws draws = Derive(seed, FakeKind::kPerson, locale, key);
	out.append(draws.Word(1, DictionariesFor(locale).last_names));
}

void
FakeFullName(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
             std::string &out) {
	Draws draws = Derive(seed, FakeKind::kPerson, locale, key);
	const LocaleDictionaries &dictionaries = DictionariesFor(locale);
	out.append(draws.Word(0, dictionaries.first_names));
	out.push_back(' ');
	out.append(draws.Word(1, dictionaries.last_names));
}

void
FakeEmail(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
          std::string &out) {
	Draws draws = Derive(seed, FakeKind::kPerson, locale, key);
	const LocaleDictionaries &dictionaries = DictionariesFor(locale);
	std::size_t start = out.size();
	AppendFolded(draws.Word(0, dictionaries.first_names), out);
	if (out.size() == start)
		out.append("user");
	out.push_back('.');
	std::size_t last_start = out.size();
	AppendFolded(draws.Word(1, dictionaries.last_names), out);
	if (out.size() == last_start)
		out.append("name");
	std::size_t number = draws.Pick(2, 100);
	out.push_back(static_cast<char>('0' + number / 10));
	out.push_back(static_cast<char>('0' + number % 10));
	out.push_back('@');
	out.append(kEmailDomains[draws.Pick(3, std::size(kEmailDomains))]);
}

void
FakePhone(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
          std::string &out) {
	Draws draws = Derive(seed, FakeKind::kPhone, locale, key);
	const PhoneRange *ranges = kEnPhones;
	std::size_t count = std::size(kEnPhones);
	if (locale == FakeLocale::kFr) {
		ranges = kFrPhones;
		count = std::size(kFrPhones);
	} else if (locale == FakeLocale::kDe) {
		ranges = kDePhones;
		count = std::size(kDePhones);
	}
	const PhoneRange &range = ranges[draws.Pick(0, count)];
	out.append(range.prefix);
	DigitSource digits(draws, 1);
	for (int i = 0; i < range.random_digits; i++) {
		if (range.group_after > 0 && i == range.group_after)
			out.push_back(' ');
		out.push_back(digits.Next());
	}
}

void
FakeCity(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
         std::string &out) {
	Draws draws = Derive(seed, FakeKind::kCity, locale, key);
	out.append(draws.Word(0, DictionariesFor(locale).cities));
}

void
FakeStreetAddress(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
                  std::string &out) {
	Draws draws = Derive(seed, FakeKind::kStreet, locale, key);
	const LocaleDictionaries &dictionaries = DictionariesFor(locale);
	std::string_view street = draws.Word(0, dictionaries.streets);
	std::string_view type = draws.Word(1, dictionaries.street_types);
	// Low house numbers are more common than high ones: the minimum of two draws skews towards 1.
	std::size_t a = draws.Pick(2, 200);
	std::size_t b = draws.Pick(3, 200);
	std::uint64_t number = (a < b ? a : b) + 1;
	switch (locale) {
	case FakeLocale::kFr: // "17 rue des Lilas"
		AppendNumber(number, out);
		out.push_back(' ');
		out.append(type);
		out.push_back(' ');
		out.append(street);
		break;
	case FakeLocale::kDe: // "Lindenstraße 8"
		out.append(street);
		out.append(type);
		out.push_back(' ');
		AppendNumber(number, out);
		break;
	default: // "42 Station Road"
		AppendNumber(number, out);
		out.push_back(' ');
		out.append(street);
		out.push_back(' ');
		out.append(type);
		break;
	}
}

void
FakeCompany(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
            std::string &out) {
	Draws draws = Derive(seed, FakeKind::kCompany, locale, key);
	const LocaleDictionaries &dictionaries = DictionariesFor(locale);
	std::string_view last = draws.Word(0, dictionaries.last_names);
	std::string_view other = draws.Word(1, dictionaries.last_names);
	std::string_view word = draws.Word(2, dictionaries.company_words);
	std::string_view legal;
	switch (locale) {
	case FakeLocale::kFr:
		legal = kFrLegalForms[draws.Pick(3, std::size(kFrLegalForms))];
		break;
	case FakeLocale::kDe:
		legal = kDeLegalForms[draws.Pick(3, std::size(kDeLegalForms))];
		break;
	default:
		legal = kEnLegalForms[draws.Pick(3, std::size(kEnLegalForms))];
		break;
	}
	std::size_t pattern = draws.Pick(4, 4);
	if (pattern == 0 && other != last) {
		// "Harris & Patel LLP"
		out.append(last);
		out.append(" & ");
		out.append(other);
	} else if (locale == FakeLocale::kFr) {
		// "Transports Martin SAS"; "Martin et Fils SARL"
		if (pattern == 1) {
			out.append(last);
			out.append(" et Fils");
		} else {
			out.append(word);
			out.push_back(' ');
			out.append(last);
		}
	} else {
		// "Thompson Logistics Ltd"; "Weber Holzbau GmbH"
		out.append(last);
		out.push_back(' ');
		out.append(word);
	}
	out.push_back(' ');
	out.append(legal);
}

void
FakeIban(std::string_view seed, FakeLocale locale, const std::uint8_t key[kMaskKeyBytes],
         std::string &out) {
	Draws draws = Derive(seed, FakeKind::kIban, locale, key);
	DigitSource digits(draws, 0);
	char bban[30];
	std::size_t length = 0;
	switch (locale) {
	case FakeLocale::kFr: {
		// 5-digit bank, 5-digit branch, 11-digit account, 2-digit RIB key (97 - (89 b + 15 g + 3 a)
		// mod 97).
		for (int i = 0; i < 21; i++)
			bban[length++] = digits.Next();
		unsigned weighted =
		        (89 * Mod97(std::string_view(bban, 5)) + 15 * Mod97(std::string_view(bban + 5, 5)) +
		         3 * Mod97(std::string_view(bban + 10, 11))) %
		        97;
		unsigned rib_key = 97 - weighted;
		bban[length++] = static_cast<char>('0' + rib_key / 10);
		bban[length++] = static_cast<char>('0' + rib_key % 10);
		AppendIban("FR", std::string_view(bban, length), out);
		break;
	}
	case FakeLocale::kDe:
		// 8-digit Bankleitzahl and 10-digit account.
		for (int i = 0; i < 18; i++)
			bban[length++] = digits.Next();
		AppendIban("DE", std::string_view(bban, length), out);
		break;
	default:
		// 4-letter bank code, 6-digit sort code, 8-digit account.
		for (int i = 0; i < 4; i++)
			bban[length++] = digits.Letter();
		for (int i = 0; i < 14; i++)
			bban[length++] = digits.Next();
		AppendIban("GB", std::string_view(bban, length), out);
		break;
	}
}

void
FakeCard(std::string_view seed, const std::uint8_t key[kMaskKeyBytes], std::string &out) {
	static constexpr std::string_view kTestBins[] = {"400000", "555555"};
	Draws draws = Derive(seed, FakeKind::kCard, FakeLocale::kEn, key);
	char number[16];
	std::string_view bin = kTestBins[draws.Pick(0, std::size(kTestBins))];
	for (std::size_t i = 0; i < 6; i++)
		number[i] = bin[i];
	DigitSource digits(draws, 1);
	for (std::size_t i = 6; i < 15; i++)
		number[i] = digits.Next();
	number[15] = LuhnCheckDigit(std::string_view(number, 15));
	out.append(number, sizeof(number));
}

} // namespace privacy::core
