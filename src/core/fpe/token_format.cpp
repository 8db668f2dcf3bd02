// token_format.cpp: TokenFormat, values <-> tokens of the same layout (see token_format.hpp for the
// card rules).
//
// Must never: put a character of a value or token into an error (messages are static strings), or
// produce a token it cannot invert.
#include "privacy/core/token_format.hpp"

#include "privacy/core/luhn.hpp"
#include "privacy/core/utf8.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// kLuhnWeight[doubled][d]: digit d's contribution to a Luhn sum, doubled (digit sum of 2d) or
// not; 16 entries per row so that any 4-bit index stays inside the table.
constexpr std::uint8_t kLuhnWeight[2][16] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0},
        {0, 2, 4, 6, 8, 1, 3, 5, 7, 9, 0, 0, 0, 0, 0, 0},
};

// LuhnSum returns the Luhn sum of digits[from..to) (every digit < 10) in a number of n digits: the
// digits at an odd distance from the last one count doubled. One table lookup per digit, two
// independent accumulators for the two parities, no division.
unsigned
LuhnSum(const std::uint16_t *digits, std::size_t from, std::size_t to, std::size_t n) noexcept {
	const unsigned first = static_cast<unsigned>((n - 1 - from) & 1); // whether from is doubled
	const std::uint8_t *even = kLuhnWeight[first];
	const std::uint8_t *odd = kLuhnWeight[first ^ 1u];
	unsigned sum_even = 0;
	unsigned sum_odd = 0;
	std::size_t i = from;
	for (; i + 1 < to; i += 2) {
		sum_even += even[digits[i] & 15u];
		sum_odd += odd[digits[i + 1] & 15u];
	}
	if (i < to)
		sum_even += even[digits[i] & 15u];
	return sum_even + sum_odd;
}

// LuhnDigitFor returns the digit that, placed at index at of a number of n digits whose other
// digits have the Luhn sum others, makes the number pass the Luhn check.
std::uint16_t
LuhnDigitFor(unsigned others, std::size_t n, std::size_t at) noexcept {
	// kUndouble[v]: the digit d with kLuhnWeight[1][d] == v
	static constexpr std::uint16_t kUndouble[10] = {0, 5, 1, 6, 2, 7, 3, 8, 4, 9};
	const auto v = static_cast<std::uint16_t>((10 - others % 10) % 10);
	return ((n - 1 - at) & 1) != 0 ? kUndouble[v] : v;
}

// LuhnDigitAt returns the digit that, placed at index at, makes digits[0..n) (every digit < 10)
// pass the Luhn check.
std::uint16_t
LuhnDigitAt(const std::uint16_t *digits, std::size_t n, std::size_t at) noexcept {
	return LuhnDigitFor(LuhnSum(digits, 0, at, n) + LuhnSum(digits, at + 1, n, n), n, at);
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
	for (int b = 0; b < 256; ++b) {
		std::int16_t cls = kByteOther;
		if (b < 0x80) {
			const std::int32_t numeral = alphabet_.NumeralOf(static_cast<char32_t>(b));
			if (numeral >= 0)
				cls = static_cast<std::int16_t>(numeral);
			else if (std::binary_search(passthrough_.begin(), passthrough_.end(),
			                            static_cast<char32_t>(b)))
				cls = kBytePassthrough;
		}
		byte_class_[b] = cls;
	}
	digits_first_ = alphabet_.Characters().compare(0, 10, "0123456789") == 0;
}

// ParseLane is ParseAscii for a batch lane: slots are written only once the value has a
// passthrough character; *dense says it has none before the end of its tokenized part (numeral
// i is then byte i, and slots stay unwritten). Alphabets that start with 0123456789 read runs of
// 16 digits with SSE2: one compare per 16 bytes instead of a lookup per byte.
bool
TokenFormat::ParseLane(std::string_view value, std::uint16_t *numerals, Slot *slots,
                       std::size_t *count, bool *dense) const noexcept {
	std::size_t end = value.size();
	if (spec_.email) {
		const std::size_t at = value.rfind('@');
		if (at == std::string_view::npos || at == 0)
			return false;
		end = at;
	}
	const char *bytes = value.data();
	std::size_t m = 0;
	std::size_t pos = 0;
	bool is_dense = true;
#if defined(__SSE2__)
	if (digits_first_) {
		const __m128i zero_char = _mm_set1_epi8('0');
		const __m128i nine = _mm_set1_epi8(9);
		const __m128i zero = _mm_setzero_si128();
		while (pos + 16 <= end && m + 16 <= kLaneNumerals) {
			const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i *>(bytes + pos));
			const __m128i digits = _mm_sub_epi8(chunk, zero_char); // '0'..'9' -> 0..9
			// unsigned digits <= 9: min(digits, 9) == digits
			const __m128i ok = _mm_cmpeq_epi8(_mm_min_epu8(digits, nine), digits);
			if (_mm_movemask_epi8(ok) != 0xFFFF)
				break; // a passthrough or other byte: the loop below decides
			_mm_storeu_si128(reinterpret_cast<__m128i *>(numerals + m),
			                 _mm_unpacklo_epi8(digits, zero));
			_mm_storeu_si128(reinterpret_cast<__m128i *>(numerals + m + 8),
			                 _mm_unpackhi_epi8(digits, zero));
			m += 16;
			pos += 16;
		}
	}
#endif
	for (; pos < end; ++pos) {
		const std::int16_t cls = byte_class_[static_cast<unsigned char>(bytes[pos])];
		if (cls >= 0) {
			if (m == kLaneNumerals)
				return false;
			numerals[m] = static_cast<std::uint16_t>(cls);
			if (!is_dense)
				slots[m] = Slot{static_cast<std::uint32_t>(pos), 1};
			++m;
		} else if (cls == kBytePassthrough) {
			if (is_dense) {
				// numerals so far sat at bytes 0..m-1
				for (std::size_t i = 0; i < m; ++i)
					slots[i] = Slot{static_cast<std::uint32_t>(i), 1};
				is_dense = false;
			}
		} else {
			return false;
		}
	}
	*count = m;
	*dense = is_dense;
	return true;
}

// ParseAscii is Parse for a value whose tokenized part is ASCII, writing straight into a batch
// lane: false (and nothing thrown) when it meets a byte it does not decide alone (non-ASCII, a
// character outside the format) or more than kLaneNumerals alphabet characters; Parse then
// decides, with its errors.
bool
TokenFormat::ParseAscii(std::string_view value, std::uint16_t *numerals, Slot *slots,
                        std::size_t *count) const noexcept {
	std::size_t end = value.size();
	if (spec_.email) {
		const std::size_t at = value.rfind('@');
		if (at == std::string_view::npos || at == 0)
			return false;
		end = at;
	}
	std::size_t m = 0;
	for (std::size_t pos = 0; pos < end; ++pos) {
		const std::int16_t cls = byte_class_[static_cast<unsigned char>(value[pos])];
		if (cls >= 0) {
			if (m == kLaneNumerals)
				return false;
			numerals[m] = static_cast<std::uint16_t>(cls);
			slots[m] = Slot{static_cast<std::uint32_t>(pos), 1};
			++m;
		} else if (cls != kBytePassthrough) {
			return false;
		}
	}
	*count = m;
	return true;
}

// Lanes holds up to Ff1::kBatchLanes parsed values of a batch: their numerals (transformed in
// place), where each alphabet character sits in the value, and where the result goes.
struct TokenFormat::Lanes {
	struct Lane {
		std::string_view value;
		std::size_t index;
		std::size_t m;
		std::uint32_t version;
		unsigned luhn_kept; // card formats: the Luhn sum of the kept last digits
		bool dense;         // numeral i is byte i of value (slots unwritten)
		std::uint16_t numerals[kLaneNumerals];
		Slot slots[kLaneNumerals];
	};
	Lane lane[Ff1::kBatchLanes];
	std::uint16_t *pointers[Ff1::kBatchLanes];
	std::size_t used = 0; // lanes that may hold numerals of a value or token since the last wipe

	// WipeNumerals clears the numerals of the lanes used (the rest of a lane holds offsets and a
	// view of the caller's value, no copy of it).
	void
	WipeNumerals() noexcept {
		for (std::size_t k = 0; k < used; ++k)
			OPENSSL_cleanse(lane[k].numerals, sizeof(lane[k].numerals));
		used = 0;
	}
};

void
TokenFormat::LanesDeleter::operator()(Lanes *lanes) const noexcept {
	OPENSSL_cleanse(lanes, sizeof(Lanes));
	delete lanes;
}

TokenFormat::~TokenFormat() {
	Wipe();
}

void
TokenFormat::Wipe() const noexcept {
	if (lanes_)
		lanes_->WipeNumerals();
	if (!scratch_plain_.empty())
		OPENSSL_cleanse(&scratch_plain_[0], scratch_plain_.size());
	scratch_plain_.clear();
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
	// ASCII values first: one table lookup per byte (ParseAscii), no UTF-8 decoding
	if (slots_.size() < kLaneNumerals) {
		slots_.resize(kLaneNumerals);
		numerals_.resize(kLaneNumerals);
	}
	std::size_t m = 0;
	if (ParseAscii(value, numerals_.data(), slots_.data(), &m)) {
		slots_.resize(m);
		numerals_.resize(m);
		CheckCount(m);
		return;
	}
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
	CheckCount(numerals_.size());
}

// CheckCount refuses a value of m alphabet characters that the format cannot tokenize.
void
TokenFormat::CheckCount(std::size_t m) const {
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
	RebuildAppend(alphabet_, value, slots_.data(), result_.data(), slots_.size(), out);
}

// RebuildAppend appends value to out with the characters at slots[0..count) replaced by the
// characters of the numerals result[0..count).
void
TokenFormat::RebuildAppend(const Alphabet &alphabet, std::string_view value, const Slot *slots,
                           const std::uint16_t *result, std::size_t count, std::string &out) {
	if (alphabet.IsAscii()) {
		// every character of the alphabet is one byte: copy the value, then overwrite the slots
		const std::size_t base = out.size();
		out.append(value.data(), value.size());
		char *bytes = &out[base];
		const char *characters = alphabet.Characters().data();
		for (std::size_t i = 0; i < count; ++i)
			bytes[slots[i].offset] = characters[result[i]];
		return;
	}
	std::size_t prev = 0;
	for (std::size_t i = 0; i < count; ++i) {
		const Slot &slot = slots[i];
		out.append(value.data() + prev, slot.offset - prev);
		if (alphabet.IsAscii())
			out.push_back(alphabet.Characters()[result[i]]);
		else
			alphabet.AppendCharacters(&result[i], 1, out);
		prev = slot.offset + slot.length;
	}
	out.append(value.data() + prev, value.size() - prev);
}

void
TokenFormat::Transform(const Ff1 &ff1, std::string_view value, std::uint32_t version,
                       std::string &out, bool encrypt, bool append) const {
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
	if (append)
		RebuildAppend(alphabet_, value, slots_.data(), result_.data(), slots_.size(), out);
	else
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

// TransformMany tokenizes (encrypt) or detokenizes values[0..count) into out (see TokenizeMany).
void
TokenFormat::TransformMany(const Ff1 *const *keys, const std::uint32_t *versions,
                           const std::string_view *values, std::size_t count, std::size_t *ends,
                           std::string &out, bool encrypt) const {
	// the previous results (tokens or values) are wiped, not only forgotten: clear() keeps them in
	// the buffer, where an error before the first new result would leave them
	if (!out.empty())
		OPENSSL_cleanse(&out[0], out.size());
	out.clear();
	if (!lanes_)
		lanes_.reset(new Lanes());
	Lanes &lanes = *lanes_;
	const std::uint32_t radix = alphabet_.Radix();
	// where the encrypted part of a value starts among its alphabet characters
	const std::size_t first = spec_.card ? 0 : spec_.keep_prefix;
	const Ff1 *group_key = nullptr;
	std::size_t group_len = 0;
	std::size_t group_count = 0;
	const auto flush = [&]() {
		if (group_count == 0)
			return;
		const std::size_t pending = group_count;
		group_count = 0;
		for (std::size_t k = 0; k < pending; ++k)
			lanes.pointers[k] = lanes.lane[k].numerals + first;
		if (encrypt)
			group_key->EncryptMany(lanes.pointers, pending, group_len, radix, tweak_.data(),
			                       tweak_.size());
		else
			group_key->DecryptMany(lanes.pointers, pending, group_len, radix, tweak_.data(),
			                       tweak_.size());
		for (std::size_t k = 0; k < pending; ++k) {
			Lanes::Lane &lane = lanes.lane[k];
			if (spec_.card) {
				const std::size_t at = lane.m - kCardKeptDigits - 1;
				const std::uint16_t valid = LuhnDigitFor(
				        LuhnSum(lane.numerals, 0, at, lane.m) + lane.luhn_kept, lane.m, at);
				lane.numerals[at] = encrypt ? static_cast<std::uint16_t>(
				                                      (valid + 1 + SlotOf(lane.version)) % 10)
				                            : valid;
			}
			if (lane.dense) {
				// copy the value, then its first m bytes are the result's characters
				const std::size_t base = out.size();
				out.append(lane.value.data(), lane.value.size());
				char *bytes = &out[base];
				const char *characters = alphabet_.Characters().data();
				for (std::size_t i = 0; i < lane.m; ++i)
					bytes[i] = characters[lane.numerals[i]];
			} else {
				RebuildAppend(alphabet_, lane.value, lane.slots, lane.numerals, lane.m, out);
			}
			ends[lane.index] = out.size();
		}
	};
	for (std::size_t i = 0; i < count; ++i) {
		const std::uint32_t version = versions != nullptr ? versions[i] : 0;
		Lanes::Lane &lane = lanes.lane[group_count];
		if (lanes.used < group_count + 1)
			lanes.used = group_count + 1;
		std::size_t m = 0;
		bool dense = false;
		if (alphabet_.IsAscii() && ParseLane(values[i], lane.numerals, lane.slots, &m, &dense)) {
			CheckCount(m);
		} else {
			dense = false;
			Parse(values[i]);
			m = numerals_.size();
			if (m > kLaneNumerals) {
				// more characters than a lane holds: this value alone (Transform checks it)
				flush();
				Transform(*keys[i], values[i], version, out, encrypt, true);
				ends[i] = out.size();
				continue;
			}
			std::copy(numerals_.begin(), numerals_.end(), lane.numerals);
			std::copy(slots_.begin(), slots_.end(), lane.slots);
		}
		std::size_t len;
		if (spec_.card) {
			// the Luhn check: a value must pass it, a token must fail it
			const std::size_t at = m - kCardKeptDigits - 1;
			lane.luhn_kept = LuhnSum(lane.numerals, at + 1, m, m);
			const bool luhn =
			        lane.numerals[at] ==
			        LuhnDigitFor(LuhnSum(lane.numerals, 0, at, m) + lane.luhn_kept, m, at);
			if (encrypt && !luhn)
				ThrowSyntax("value is not a valid card number",
				            "Card numbers pass the Luhn check; use the format 'digits' for "
				            "other numbers.");
			if (!encrypt && luhn)
				ThrowSyntax("value is not a card token",
				            "It passes the Luhn check, so it is a card number.");
			len = at;
		} else {
			len = m - first - spec_.keep_suffix;
		}
		if (group_count > 0 && (keys[i] != group_key || len != group_len)) {
			// the lane of this value is the first of the next group
			Lanes::Lane parsed = lane;
			flush();
			lanes.lane[0] = parsed;
			OPENSSL_cleanse(parsed.numerals, sizeof(parsed.numerals));
		}
		Lanes::Lane &target = lanes.lane[group_count];
		target.value = values[i];
		target.index = i;
		target.m = m;
		target.version = version;
		target.dense = dense;
		group_key = keys[i];
		group_len = len;
		if (++group_count == Ff1::kBatchLanes)
			flush();
	}
	flush();
	// the lanes held the numerals of values and results: wiped now, not at the glue's Wipe()
	lanes.WipeNumerals();
}

std::string_view
TokenFormat::TokenizeMany(const Ff1 *const *keys, const std::uint32_t *versions,
                          const std::string_view *values, std::size_t count,
                          std::size_t *ends) const {
	try {
		TransformMany(keys, versions, values, count, ends, scratch_out_, true);
	} catch (...) {
		Wipe();
		throw;
	}
	return scratch_out_;
}

std::string_view
TokenFormat::DetokenizeMany(const Ff1 *const *keys, const std::string_view *tokens,
                            std::size_t count, std::size_t *ends) const {
	try {
		TransformMany(keys, nullptr, tokens, count, ends, scratch_out_, false);
	} catch (...) {
		Wipe();
		throw;
	}
	return scratch_out_;
}

std::string_view
TokenFormat::RetokenizeMany(const Ff1 *const *old_keys, const Ff1 &new_key,
                            std::uint32_t new_version, const std::string_view *tokens,
                            std::size_t count, std::size_t *ends) const {
	try {
		scratch_ends_.resize(count);
		TransformMany(old_keys, nullptr, tokens, count, scratch_ends_.data(), scratch_plain_,
		              false);
		scratch_views_.resize(count);
		std::size_t start = 0;
		for (std::size_t i = 0; i < count; ++i) {
			scratch_views_[i] =
			        std::string_view(scratch_plain_.data() + start, scratch_ends_[i] - start);
			start = scratch_ends_[i];
		}
		scratch_keys_.assign(count, &new_key);
		scratch_versions_.assign(count, new_version);
		TransformMany(scratch_keys_.data(), scratch_versions_.data(), scratch_views_.data(), count,
		              ends, scratch_out_, true);
	} catch (...) {
		Wipe();
		throw;
	}
	// the values: wiped now, the new tokens stay until the glue has copied them
	if (!scratch_plain_.empty())
		OPENSSL_cleanse(&scratch_plain_[0], scratch_plain_.size());
	scratch_plain_.clear();
	return scratch_out_;
}

std::string_view
TokenFormat::RetokenizeView(const Ff1 &old_key, const Ff1 &new_key, std::uint32_t new_version,
                            std::string_view token) const {
	try {
		Transform(old_key, token, 0, scratch_plain_, false);
		Transform(new_key, scratch_plain_, new_version, scratch_out_, true);
	} catch (...) {
		Wipe();
		throw;
	}
	OPENSSL_cleanse(&scratch_plain_[0], scratch_plain_.size());
	scratch_plain_.clear();
	return scratch_out_;
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
