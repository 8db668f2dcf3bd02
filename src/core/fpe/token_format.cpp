// token_format.cpp: TokenFormat, values <-> tokens of the same layout (see token_format.hpp for the
// card rules).
//
// Must never: put a character of a value or token into an error (messages are static strings), or
// produce a token it cannot invert.
#include "privacy/core/token_format.hpp"

#include "privacy/core/luhn.hpp"
#include "privacy/core/utf8.hpp"

#include <algorithm>
#include <utility>

#include <openssl/crypto.h>

namespace privacy::core {

namespace {

constexpr std::size_t kCardMinDigits = 12;
constexpr std::size_t kCardMaxDigits = 19;
constexpr std::size_t kCardKeptDigits = 4;

[[noreturn]] void
ThrowSyntax(const char *message, const char *detail = nullptr) {
	throw Error(ErrorKind::kInvalidTextRepresentation, message, detail);
}

// LuhnDigitAt returns the digit that, placed at index at, makes digits[0..n) pass the Luhn check.
std::uint16_t
LuhnDigitAt(const std::uint16_t *digits, std::size_t n, std::size_t at) noexcept {
	unsigned sum = 0;
	for (std::size_t i = 0; i < n; ++i) {
		if (i == at)
			continue;
		unsigned d = digits[i];
		if ((n - 1 - i) % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	const bool doubled = (n - 1 - at) % 2 == 1;
	for (std::uint16_t d = 0; d < 10; ++d) {
		unsigned v = d;
		if (doubled) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		if ((sum + v) % 10 == 0)
			return d;
	}
	return 0; // unreachable: doubling is a permutation of 0..9
}

// DecodePoints decodes UTF-8 text into sorted, distinct code points; throws kInvalidParameter
// otherwise.
std::vector<char32_t>
DecodePoints(std::string_view text) {
	std::vector<char32_t> points;
	for (std::size_t pos = 0; pos < text.size();) {
		char32_t cp = 0;
		std::size_t len = utf8::DecodeAt(text, pos, &cp);
		if (len == 0)
			throw Error(ErrorKind::kInvalidParameter, "passthrough characters are not valid UTF-8");
		points.push_back(cp);
		pos += len;
	}
	std::sort(points.begin(), points.end());
	if (std::adjacent_find(points.begin(), points.end()) != points.end())
		throw Error(ErrorKind::kInvalidParameter, "passthrough characters repeat a character");
	return points;
}

} // namespace

TokenFormat::TokenFormat(TokenFormatSpec spec) : spec_(std::move(spec)), alphabet_(spec_.alphabet) {
	if (spec_.card) {
		if (alphabet_.Characters() != "0123456789")
			throw Error(ErrorKind::kInvalidParameter, "card formats use the alphabet 0123456789");
		spec_.keep_prefix = 0;
		spec_.keep_suffix = kCardKeptDigits;
	}
	if (spec_.name.size() > 63)
		throw Error(ErrorKind::kInvalidParameter, "token format name is too long");
	if (spec_.keep_prefix + spec_.keep_suffix > kMaxKept)
		throw Error(ErrorKind::kInvalidParameter, "too many kept characters",
		            "A token format keeps at most 64 characters in clear.");
	passthrough_ = DecodePoints(spec_.passthrough);
	for (char32_t cp : passthrough_)
		if (alphabet_.NumeralOf(cp) >= 0)
			throw Error(ErrorKind::kInvalidParameter,
			            "a passthrough character is also in the alphabet");
	if (spec_.email && alphabet_.NumeralOf(U'@') >= 0)
		throw Error(ErrorKind::kInvalidParameter,
		            "an e-mail format's alphabet must not contain '@'");
	tweak_.assign(spec_.name.begin(), spec_.name.end());
}

TokenFormat::~TokenFormat() {
	Wipe();
}

void
TokenFormat::Wipe() const noexcept {
	if (!scratch_out_.empty())
		OPENSSL_cleanse(&scratch_out_[0], scratch_out_.size());
	if (!numerals_.empty())
		OPENSSL_cleanse(numerals_.data(), numerals_.size() * sizeof(std::uint16_t));
	if (!result_.empty())
		OPENSSL_cleanse(result_.data(), result_.size() * sizeof(std::uint16_t));
	scratch_out_.clear();
	numerals_.clear();
	result_.clear();
}

// Parse fills slots_ and numerals_ with the alphabet characters of the tokenized part of value.
void
TokenFormat::Parse(std::string_view value) const {
	slots_.clear();
	numerals_.clear();
	std::size_t end = value.size();
	if (spec_.email) {
		std::size_t at = value.rfind('@');
		if (at == std::string_view::npos || at == 0)
			ThrowSyntax("value is not an e-mail address",
			            "An e-mail address has a local part, '@' and a domain.");
		end = at;
	}
	for (std::size_t pos = 0; pos < end;) {
		char32_t cp = 0;
		std::size_t len = utf8::DecodeAt(value, pos, &cp);
		if (len == 0 || pos + len > end)
			ThrowSyntax("value is not valid UTF-8");
		std::int32_t numeral = alphabet_.NumeralOf(cp);
		if (numeral >= 0) {
			if (slots_.size() >= Ff1::kMaxLength + kMaxKept)
				throw Error(ErrorKind::kNumericOutOfRange,
				            "value is too long for the token format");
			slots_.push_back(
			        Slot{static_cast<std::uint32_t>(pos), static_cast<std::uint16_t>(len)});
			numerals_.push_back(static_cast<std::uint16_t>(numeral));
		} else if (!std::binary_search(passthrough_.begin(), passthrough_.end(), cp)) {
			ThrowSyntax("value contains a character that is not allowed by the token format",
			            "Only the format's alphabet and passthrough characters are allowed.");
		}
		pos += len;
	}
	const std::size_t m = numerals_.size();
	if (spec_.card) {
		if (m < kCardMinDigits || m > kCardMaxDigits)
			ThrowSyntax("value is not a card number", "A card number has 12 to 19 digits.");
		return;
	}
	if ((spec_.min_chars != 0 && m < spec_.min_chars) ||
	    (spec_.max_chars != 0 && m > spec_.max_chars))
		ThrowSyntax("value has the wrong number of characters for the token format");
	if (m < spec_.keep_prefix + spec_.keep_suffix + 2)
		throw Error(ErrorKind::kNumericOutOfRange, "value is too short for the token format",
		            "Format-preserving encryption needs a domain of at least 1,000,000 values.");
}

// Rebuild writes value to out with the characters of slots_ replaced by result_.
void
TokenFormat::Rebuild(std::string_view value, std::string &out) const {
	out.clear();
	out.reserve(value.size() + 8);
	std::size_t prev = 0;
	for (std::size_t i = 0; i < slots_.size(); ++i) {
		const Slot &slot = slots_[i];
		out.append(value.data() + prev, slot.offset - prev);
		if (alphabet_.IsAscii())
			out.push_back(alphabet_.Characters()[result_[i]]);
		else
			alphabet_.AppendCharacters(&result_[i], 1, out);
		prev = slot.offset + slot.length;
	}
	out.append(value.data() + prev, value.size() - prev);
}

void
TokenFormat::Transform(const Ff1 &ff1, std::string_view value, std::uint32_t version,
                       std::string &out, bool encrypt) const {
	Parse(value);
	const std::size_t m = numerals_.size();
	result_.assign(numerals_.begin(), numerals_.end());
	const std::uint32_t radix = alphabet_.Radix();
	if (spec_.card) {
		const std::size_t at = m - kCardKeptDigits - 1; // the redundant digit
		if (encrypt) {
			// numerals are digits here: check Luhn on them
			char digits[kCardMaxDigits];
			for (std::size_t i = 0; i < m; ++i)
				digits[i] = static_cast<char>('0' + numerals_[i]);
			if (!LuhnValid(std::string_view(digits, m)))
				ThrowSyntax("value is not a valid card number",
				            "Card numbers pass the Luhn check; use the format 'digits' for other "
				            "numbers.");
			ff1.Encrypt(numerals_.data(), at, result_.data(), radix, tweak_.data(), tweak_.size());
			std::uint16_t valid = LuhnDigitAt(result_.data(), m, at);
			result_[at] = static_cast<std::uint16_t>((valid + 1 + SlotOf(version)) % 10);
		} else {
			std::uint16_t valid = LuhnDigitAt(numerals_.data(), m, at);
			if (numerals_[at] == valid)
				ThrowSyntax("value is not a card token",
				            "It passes the Luhn check, so it is a card number.");
			ff1.Decrypt(numerals_.data(), at, result_.data(), radix, tweak_.data(), tweak_.size());
			result_[at] = LuhnDigitAt(result_.data(), m, at);
		}
	} else {
		const std::size_t p = spec_.keep_prefix;
		const std::size_t mid = m - p - spec_.keep_suffix;
		if (encrypt)
			ff1.Encrypt(numerals_.data() + p, mid, result_.data() + p, radix, tweak_.data(),
			            tweak_.size());
		else
			ff1.Decrypt(numerals_.data() + p, mid, result_.data() + p, radix, tweak_.data(),
			            tweak_.size());
	}
	Rebuild(value, out);
}

void
TokenFormat::Tokenize(const Ff1 &ff1, std::string_view value, std::uint32_t version,
                      std::string &out) const {
	try {
		Transform(ff1, value, version, out, true);
	} catch (...) {
		Wipe();
		throw;
	}
}

void
TokenFormat::Detokenize(const Ff1 &ff1, std::string_view token, std::string &out) const {
	try {
		Transform(ff1, token, 0, out, false);
	} catch (...) {
		Wipe();
		throw;
	}
}

std::uint32_t
TokenFormat::VersionSlot(std::string_view token) const {
	if (!spec_.card)
		return 0;
	Parse(token);
	const std::size_t m = numerals_.size();
	const std::size_t at = m - kCardKeptDigits - 1;
	std::uint16_t valid = LuhnDigitAt(numerals_.data(), m, at);
	std::uint32_t offset = (numerals_[at] + 10u - valid) % 10u;
	if (offset == 0)
		ThrowSyntax("value is not a card token",
		            "It passes the Luhn check, so it is a card number.");
	return offset - 1;
}

bool
TokenFormat::IsCardTokenSyntax(std::string_view text, char *digits, std::size_t *count) noexcept {
	std::size_t n = 0;
	for (char c : text) {
		if (c >= '0' && c <= '9') {
			if (n == kCardMaxDigits)
				return false;
			digits[n++] = c;
		} else if (c != ' ' && c != '-') {
			return false;
		}
	}
	*count = n;
	if (n < kCardMinDigits)
		return false;
	return !LuhnValid(std::string_view(digits, n));
}

} // namespace privacy::core
