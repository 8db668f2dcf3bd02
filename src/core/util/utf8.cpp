// utf8.cpp: strict UTF-8 validation, counting and decoding (RFC 3629).
//
// Invariants: reads never go past the end of the view; invalid input is reported by a return value
// (0 or kInvalid), never by an exception, and never partially decoded. ASCII runs take a fast path
// because most masked values (emails, phone numbers, cards) are pure ASCII.
#include "privacy/core/utf8.hpp"

#include <cstring>

namespace privacy::core::utf8 {

namespace {

// IsContinuation returns true for bytes of the form 10xxxxxx.
inline bool
IsContinuation(unsigned char byte) noexcept {
	return (byte & 0xC0u) == 0x80u;
}

// AsciiRunEnd returns the first offset at or after start whose byte is not ASCII, reading 8 bytes
// at a time.
inline std::size_t
AsciiRunEnd(std::string_view text, std::size_t start) noexcept {
	const char *data = text.data();
	std::size_t size = text.size();
	std::size_t offset = start;
	while (offset + 8 <= size) {
		std::uint64_t word;
		std::memcpy(&word, data + offset, sizeof(word));
		if ((word & 0x8080808080808080ull) != 0)
			break;
		offset += 8;
	}
	while (offset < size && static_cast<unsigned char>(data[offset]) < 0x80u)
		offset++;
	return offset;
}

} // namespace

std::size_t
DecodeAt(std::string_view text, std::size_t offset, char32_t *code_point) noexcept {
	if (offset >= text.size())
		return 0;
	const auto *bytes = reinterpret_cast<const unsigned char *>(text.data()) + offset;
	std::size_t left = text.size() - offset;
	unsigned char lead = bytes[0];
	if (lead < 0x80u) {
		*code_point = lead;
		return 1;
	}
	std::size_t length;
	char32_t value;
	char32_t minimum;
	if (lead >= 0xC2u && lead <= 0xDFu) {
		length = 2;
		value = lead & 0x1Fu;
		minimum = 0x80;
	} else if (lead >= 0xE0u && lead <= 0xEFu) {
		length = 3;
		value = lead & 0x0Fu;
		minimum = 0x800;
	} else if (lead >= 0xF0u && lead <= 0xF4u) {
		length = 4;
		value = lead & 0x07u;
		minimum = 0x10000;
	} else {
		return 0; // continuation byte, overlong 2-byte lead (C0/C1) or F5..FF
	}
	if (left < length)
		return 0;
	for (std::size_t i = 1; i < length; i++) {
		if (!IsContinuation(bytes[i]))
			return 0;
		value = (value << 6) | (bytes[i] & 0x3Fu);
	}
	if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
		return 0;
	*code_point = value;
	return length;
}

std::size_t
SequenceLength(std::string_view text, std::size_t offset) noexcept {
	char32_t ignored = 0;
	return DecodeAt(text, offset, &ignored);
}

std::size_t
CountCodePoints(std::string_view text) noexcept {
	std::size_t count = 0;
	std::size_t offset = 0;
	while (offset < text.size()) {
		std::size_t run_end = AsciiRunEnd(text, offset);
		count += run_end - offset;
		offset = run_end;
		if (offset >= text.size())
			break;
		std::size_t length = SequenceLength(text, offset);
		if (length == 0)
			return kInvalid;
		offset += length;
		count++;
	}
	return count;
}

bool
IsValid(std::string_view text) noexcept {
	return CountCodePoints(text) != kInvalid;
}

std::size_t
ByteOffsetOfCodePoint(std::string_view text, std::size_t index) noexcept {
	std::size_t offset = 0;
	std::size_t seen = 0;
	while (offset < text.size() && seen < index) {
		auto lead = static_cast<unsigned char>(text[offset]);
		std::size_t length = 1;
		if (lead >= 0xF0u)
			length = 4;
		else if (lead >= 0xE0u)
			length = 3;
		else if (lead >= 0xC0u)
			length = 2;
		offset += length;
		seen++;
	}
	return offset < text.size() ? offset : text.size();
}

std::size_t
ByteOffsetOfLastCodePoints(std::string_view text, std::size_t count) noexcept {
	std::size_t offset = text.size();
	while (offset > 0 && count > 0) {
		offset--;
		while (offset > 0 && IsContinuation(static_cast<unsigned char>(text[offset])))
			offset--;
		count--;
	}
	return offset;
}

} // namespace privacy::core::utf8
