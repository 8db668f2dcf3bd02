// text_masks.cpp: redact, partial, mask_email, mask_phone, mask_card and mask_iban.
//
// Invariants: total on data (a malformed or non-UTF-8 value is replaced by RedactedText(), never
// reported); outputs are appended to the caller's buffer with at most one reserve per call; a mask
// never splits a UTF-8 code point and never reveals a value in full. Only argument errors throw,
// with literal messages. This file must never echo a value into an Error.
#include "privacy/core/mask.hpp"

#include "privacy/core/error.hpp"
#include "privacy/core/utf8.hpp"

#include <cstdint>

namespace privacy::core {

namespace {

constexpr std::string_view kRedactedText = "[REDACTED]";

// IsAsciiDigit returns true for '0'..'9'.
inline bool
IsAsciiDigit(char c) noexcept {
	return c >= '0' && c <= '9';
}

// IsAsciiLetter returns true for 'A'..'Z' and 'a'..'z'.
inline bool
IsAsciiLetter(char c) noexcept {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// IsPhoneSeparator returns true for the non-digit characters a phone number may hold.
inline bool
IsPhoneSeparator(char c) noexcept {
	return c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' || c == '+' || c == '/';
}

// ClampKeep returns the non-negative keep count, at most limit.
inline std::size_t
ClampKeep(std::int64_t keep, std::size_t limit) noexcept {
	return static_cast<std::uint64_t>(keep) < limit ? static_cast<std::size_t>(keep) : limit;
}

} // namespace

std::string_view
RedactedText() noexcept {
	return kRedactedText;
}

void
Redact(std::string &out) {
	out.append(kRedactedText);
}

void
Partial(std::string_view value, std::int64_t keep_prefix, std::string_view padding,
        std::int64_t keep_suffix, std::string &out) {
	if (keep_prefix < 0)
		throw Error(ErrorKind::kInvalidParameter, "prefix length must not be negative");
	if (keep_suffix < 0)
		throw Error(ErrorKind::kInvalidParameter, "suffix length must not be negative");

	std::size_t count = utf8::CountCodePoints(value);
	if (count == utf8::kInvalid) {
		Redact(out);
		return;
	}
	// Reveal at most a third of the code points: never the whole value, and at least two thirds
	// stay hidden.
	std::size_t budget = count / 3;
	std::size_t prefix = ClampKeep(keep_prefix, budget);
	std::size_t suffix = ClampKeep(keep_suffix, budget - prefix);

	std::size_t prefix_end = utf8::ByteOffsetOfCodePoint(value, prefix);
	std::size_t suffix_start = utf8::ByteOffsetOfLastCodePoints(value, suffix);
	out.reserve(out.size() + prefix_end + padding.size() + (value.size() - suffix_start));
	out.append(value.substr(0, prefix_end));
	out.append(padding);
	out.append(value.substr(suffix_start));
}

void
MaskEmail(std::string_view value, std::string &out) {
	std::size_t at = std::string_view::npos;
	for (std::size_t i = 0; i < value.size(); i++) {
		auto byte = static_cast<unsigned char>(value[i]);
		if (byte <= 0x20u || byte == 0x7Fu) {
			Redact(out);
			return;
		}
		if (byte == '@') {
			if (at != std::string_view::npos) {
				Redact(out);
				return;
			}
			at = i;
		}
	}
	if (at == std::string_view::npos || at == 0 || at + 1 == value.size() ||
	    !utf8::IsValid(value)) {
		Redact(out);
		return;
	}
	std::size_t first_length = utf8::SequenceLength(value, 0);
	std::string_view domain = value.substr(at + 1);
	out.reserve(out.size() + first_length + kEmailFiller.size() + 1 + domain.size());
	out.append(value.substr(0, first_length));
	out.append(kEmailFiller);
	out.push_back('@');
	out.append(domain);
}

void
MaskPhone(std::string_view value, std::string &out) {
	std::size_t digits = 0;
	for (char c : value) {
		if (IsAsciiDigit(c))
			digits++;
		else if (!IsPhoneSeparator(c)) {
			Redact(out);
			return;
		}
	}
	if (digits < 5) {
		Redact(out);
		return;
	}
	// Keep the last 4 digits, but never more than half of them.
	std::size_t keep = digits >= 8 ? 4 : 2;
	std::size_t hidden = digits - keep;
	std::size_t start = out.size();
	out.append(value);
	std::size_t seen = 0;
	for (std::size_t i = start; i < out.size() && seen < hidden; i++) {
		if (IsAsciiDigit(out[i])) {
			out[i] = kPhoneMaskChar;
			seen++;
		}
	}
}

void
MaskCard(std::string_view value, std::int64_t keep_first, std::string &out) {
	if (keep_first != 0 && keep_first != 6)
		throw Error(ErrorKind::kInvalidParameter, "keep_first must be 0 or 6",
		            "Only the first 6 digits (the issuer number) may be kept.");
	std::size_t digits = 0;
	for (char c : value) {
		if (IsAsciiDigit(c))
			digits++;
		else if (c != ' ' && c != '-') {
			Redact(out);
			return;
		}
	}
	if (digits < 12 || digits > 19) {
		Redact(out);
		return;
	}
	// First 6 + last 4 only when at least 6 digits stay hidden (16 digits or more).
	std::size_t first = (keep_first == 6 && digits >= 16) ? 6 : 0;
	std::size_t last_start = digits - 4;
	std::size_t start = out.size();
	out.append(value);
	std::size_t index = 0;
	for (std::size_t i = start; i < out.size(); i++) {
		if (!IsAsciiDigit(out[i]))
			continue;
		if (index >= first && index < last_start)
			out[i] = kCardMaskChar;
		index++;
	}
}

void
MaskIban(std::string_view value, std::string &out) {
	constexpr std::size_t kMaxIban = 34;
	char compact[kMaxIban];
	std::size_t length = 0;
	bool spaced = false;
	for (char c : value) {
		if (c == ' ') {
			spaced = true;
			continue;
		}
		if (!IsAsciiDigit(c) && !IsAsciiLetter(c)) {
			Redact(out);
			return;
		}
		if (length == kMaxIban) {
			Redact(out);
			return;
		}
		compact[length++] = c;
	}
	if (length < 15 || !IsAsciiLetter(compact[0]) || !IsAsciiLetter(compact[1]) ||
	    !IsAsciiDigit(compact[2]) || !IsAsciiDigit(compact[3])) {
		Redact(out);
		return;
	}
	for (std::size_t i = 2; i + 4 < length; i++)
		compact[i] = kIbanMaskChar;

	out.reserve(out.size() + length + length / 4);
	for (std::size_t i = 0; i < length; i++) {
		if (spaced && i > 0 && i % 4 == 0)
			out.push_back(' ');
		out.push_back(compact[i]);
	}
}

} // namespace privacy::core
