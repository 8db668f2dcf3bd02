// luhn.hpp: the Luhn (mod 10) check digit used by payment card numbers.
//
// Invariants: noexcept and allocation-free; a non-digit character makes a number invalid rather
// than throwing.
#pragma once

#include "privacy/core/config.hpp"

#include <string_view>

namespace privacy::core {

// LuhnCheckDigit returns the ASCII check digit ('0'..'9') to append to payload (ASCII digits only)
// so that the result passes the Luhn test; it returns '\0' when payload holds a non-digit.
char LuhnCheckDigit(std::string_view payload) noexcept;

// LuhnValid returns true when digits is non-empty, holds only ASCII digits and passes the Luhn
// test.
bool LuhnValid(std::string_view digits) noexcept;

} // namespace privacy::core
