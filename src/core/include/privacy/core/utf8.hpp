// utf8.hpp: validation, counting and iteration of UTF-8 code points.
//
// Purpose: the masking functions count and keep CHARACTERS (code points), never bytes, so they must
// never split a multi-byte sequence. These helpers implement strict UTF-8 (RFC 3629): no overlong
// forms, no UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
//
// Invariants: every function is noexcept, allocation-free and reads only inside the given view.
// Callers treat invalid input as data to redact, never as an error, so nothing here throws or
// reports which byte was bad.
#pragma once

#include "privacy/core/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace privacy::core::utf8 {

// kInvalid is returned by the counting functions when the input is not valid UTF-8.
inline constexpr std::size_t kInvalid = static_cast<std::size_t>(-1);

// SequenceLength returns the byte length (1..4) of the valid code point that starts at
// text[offset], or 0 when the bytes at offset do not start a valid, complete code point.
std::size_t SequenceLength(std::string_view text, std::size_t offset) noexcept;

// IsValid returns true when the whole text is valid UTF-8 (the empty text is valid).
bool IsValid(std::string_view text) noexcept;

// CountCodePoints returns the number of code points in text, or kInvalid when text is not valid
// UTF-8.
std::size_t CountCodePoints(std::string_view text) noexcept;

// ByteOffsetOfCodePoint returns the byte offset at which code point number index (0-based) starts
// in text, which must be valid UTF-8; index == number of code points returns text.size(). Larger
// indexes are clamped to text.size().
std::size_t ByteOffsetOfCodePoint(std::string_view text, std::size_t index) noexcept;

// ByteOffsetOfLastCodePoints returns the byte offset at which the last count code points of text
// start; text must be valid UTF-8. A count larger than the number of code points returns 0. Walks
// backwards, so its cost depends on count, not on the length of text.
std::size_t ByteOffsetOfLastCodePoints(std::string_view text, std::size_t count) noexcept;

// DecodeAt decodes the valid code point that starts at text[offset] into *code_point and returns
// its byte length, or returns 0 (leaving *code_point untouched) when the bytes are not a valid code
// point.
std::size_t DecodeAt(std::string_view text, std::size_t offset, char32_t *code_point) noexcept;

} // namespace privacy::core::utf8
