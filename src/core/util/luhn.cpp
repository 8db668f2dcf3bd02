// luhn.cpp: the Luhn (mod 10) check digit (ISO/IEC 7812-1 annex B).
//
// Invariants: works on ASCII digits only and never reads outside the view.
#include "privacy/core/luhn.hpp"

namespace privacy::core {

namespace {

// LuhnSum returns the Luhn sum of digits, doubling every second digit counted from the right when
// double_rightmost is true (payload without check digit) or from the one before it (full number);
// -1 on a non-digit.
int
LuhnSum(std::string_view digits, bool double_rightmost) noexcept {
	int sum = 0;
	bool doubled = double_rightmost;
	for (std::size_t i = digits.size(); i-- > 0;) {
		char c = digits[i];
		if (c < '0' || c > '9')
			return -1;
		int digit = c - '0';
		if (doubled) {
			digit *= 2;
			if (digit > 9)
				digit -= 9;
		}
		sum += digit;
		doubled = !doubled;
	}
	return sum % 10;
}

} // namespace

char
LuhnCheckDigit(std::string_view payload) noexcept {
	int sum = LuhnSum(payload, true);
	if (sum < 0)
		return '\0';
	return static_cast<char>('0' + (10 - sum) % 10);
}

bool
LuhnValid(std::string_view digits) noexcept {
	return !digits.empty() && LuhnSum(digits, false) == 0;
}

} // namespace privacy::core
