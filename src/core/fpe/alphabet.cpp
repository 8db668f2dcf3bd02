// alphabet.cpp: Alphabet, the mapping between the characters of a UTF-8 value and FPE numerals.
//
// Invariants: an Alphabet holds 2..65536 distinct Unicode scalar values (strict UTF-8: no overlong
// forms, no surrogates, nothing above U+10FFFF). ASCII characters resolve through a 256-entry table
// (bytes >= 0x80 map to "absent"), other code points through a sorted array, so lookups never
// allocate. Numeral i is the i-th code point of the alphabet text.
//
// Must never: put a character of a value, or the value, into an error (messages are static
// strings).
#include "privacy/core/fpe.hpp"

#include <algorithm>
#include <utility>

namespace privacy::core {

namespace {

// DecodeUtf8 decodes the code point that starts at text[pos] into *code_point and returns its byte
// length, or returns 0 when the bytes there are not a complete, shortest-form UTF-8 encoding of a
// scalar value.
std::size_t
DecodeUtf8(std::string_view text, std::size_t pos, char32_t *code_point) noexcept {
	const std::size_t left = text.size() - pos;
	const auto b0 = static_cast<unsigned char>(text[pos]);
	if (b0 < 0x80) {
		*code_point = b0;
		return 1;
	}
	std::size_t len;
	char32_t cp;
	char32_t min;
	if ((b0 & 0xE0) == 0xC0) {
		len = 2;
		cp = b0 & 0x1F;
		min = 0x80;
	} else if ((b0 & 0xF0) == 0xE0) {
		len = 3;
		cp = b0 & 0x0F;
		min = 0x800;
	} else if ((b0 & 0xF8) == 0xF0) {
		len = 4;
		cp = b0 & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (left < len)
		return 0;
	for (std::size_t i = 1; i < len; ++i) {
		const auto bi = static_cast<unsigned char>(text[pos + i]);
		if ((bi & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (bi & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*code_point = cp;
	return len;
}

[[noreturn]] void
ThrowOutsideAlphabet() {
	throw Error(ErrorKind::kInvalidTextRepresentation,
	            "value contains a character outside the alphabet");
}

[[noreturn]] void
ThrowBadAlphabet(const char *message) {
	throw Error(ErrorKind::kInvalidParameter, message);
}

} // namespace

// Alphabet parses characters into numerals 0..radix-1 and builds the lookup tables.
Alphabet::Alphabet(std::string_view characters) : characters_(characters) {
	std::fill(std::begin(ascii_numeral_), std::end(ascii_numeral_), -1);
	std::vector<std::pair<char32_t, std::uint16_t>> non_ascii;
	std::size_t pos = 0;
	std::uint32_t count = 0;
	while (pos < characters.size()) {
		char32_t cp = 0;
		const std::size_t len = DecodeUtf8(characters, pos, &cp);
		if (len == 0)
			ThrowBadAlphabet("alphabet is not valid UTF-8");
		if (count >= kFpeMaxRadix)
			ThrowBadAlphabet("alphabet has more than 65536 characters");
		offsets_.push_back(static_cast<std::uint32_t>(pos));
		if (cp < 0x80) {
			if (ascii_numeral_[cp] >= 0)
				ThrowBadAlphabet("alphabet contains a duplicate character");
			ascii_numeral_[cp] = static_cast<std::int32_t>(count);
		} else {
			ascii_ = false;
			non_ascii.emplace_back(cp, static_cast<std::uint16_t>(count));
		}
		++count;
		pos += len;
	}
	if (count < 2)
		ThrowBadAlphabet("alphabet has fewer than 2 characters");
	offsets_.push_back(static_cast<std::uint32_t>(pos));
	std::sort(non_ascii.begin(), non_ascii.end());
	for (std::size_t i = 1; i < non_ascii.size(); ++i)
		if (non_ascii[i].first == non_ascii[i - 1].first)
			ThrowBadAlphabet("alphabet contains a duplicate character");
	sorted_points_.reserve(non_ascii.size());
	sorted_numerals_.reserve(non_ascii.size());
	for (const auto &entry : non_ascii) {
		sorted_points_.push_back(entry.first);
		sorted_numerals_.push_back(entry.second);
	}
	radix_ = count;
}

// NumeralOf returns the numeral of code_point, or -1.
std::int32_t
Alphabet::NumeralOf(char32_t code_point) const noexcept {
	if (code_point < 0x80)
		return ascii_numeral_[code_point];
	const auto it = std::lower_bound(sorted_points_.begin(), sorted_points_.end(), code_point);
	if (it == sorted_points_.end() || *it != code_point)
		return -1;
	return sorted_numerals_[static_cast<std::size_t>(it - sorted_points_.begin())];
}

// ToNumerals maps every character of text to its numeral.
std::size_t
Alphabet::ToNumerals(std::string_view text, std::uint16_t *out) const {
	std::size_t n = 0;
	if (ascii_) {
		for (const char ch : text) {
			const std::int32_t numeral = ascii_numeral_[static_cast<unsigned char>(ch)];
			if (numeral < 0)
				ThrowOutsideAlphabet();
			out[n++] = static_cast<std::uint16_t>(numeral);
		}
		return n;
	}
	std::size_t pos = 0;
	while (pos < text.size()) {
		char32_t cp = 0;
		const std::size_t len = DecodeUtf8(text, pos, &cp);
		if (len == 0)
			throw Error(ErrorKind::kInvalidTextRepresentation, "value is not valid UTF-8");
		const std::int32_t numeral = NumeralOf(cp);
		if (numeral < 0)
			ThrowOutsideAlphabet();
		out[n++] = static_cast<std::uint16_t>(numeral);
		pos += len;
	}
	return n;
}

// AppendCharacters appends the characters of numerals to out.
void
Alphabet::AppendCharacters(const std::uint16_t *numerals, std::size_t count,
                           std::string &out) const {
	for (std::size_t i = 0; i < count; ++i)
		if (numerals[i] >= radix_)
			throw Error(ErrorKind::kInvalidParameter, "numeral outside the alphabet");
	if (ascii_) {
		const std::size_t old = out.size();
		out.resize(old + count);
		char *dst = &out[old];
		for (std::size_t i = 0; i < count; ++i)
			dst[i] = characters_[numerals[i]];
		return;
	}
	for (std::size_t i = 0; i < count; ++i) {
		const std::uint32_t begin = offsets_[numerals[i]];
		out.append(characters_, begin, offsets_[numerals[i] + 1u] - begin);
	}
}

} // namespace privacy::core
