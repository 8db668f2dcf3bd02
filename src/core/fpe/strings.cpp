// strings.cpp: the string and batch helpers of both modes (EncryptString, DecryptString,
// EncryptBatch, DecryptBatch for Ff1 and Ff31), written once over the mode's traits.
//
// Purpose: decode UTF-8 values over an Alphabet into numerals, run the mode, encode the result.
// The batch helpers collect consecutive values of equal length (up to kStackNumerals numerals)
// into lanes and run up to Ff1::kBatchLanes of them through one Many call: FF1 runs round i of
// every lane through one multi-block AES call (Ff1::EncryptMany); FF3-1 has no batch rounds and
// runs the lanes one by one, with the same results and errors.
//
// Invariants: every buffer that holds numerals of a value or a result (the stack lanes, the
// single-value scratch) is wiped when the call returns, also when it throws. When value i is the
// first invalid one, out[0..i) hold their results and out[i..) are unspecified. Errors carry
// static strings only.
#include "privacy/core/fpe.hpp"

#include "fpe_internal.hpp"

#include <cstring>

namespace privacy::core {

namespace {

using fpe_detail::kStackNumerals;

// A batch polls its cancel check every kCancelInterval values.
constexpr std::size_t kCancelInterval = 1024;

// Mode gives the helpers below what differs between FF1 and FF3-1: the length limit, its error,
// and how to transform one value or several values of equal length in place.
template <typename Cipher>
struct Mode;

template <>
struct Mode<Ff1> {
	static std::size_t
	MaxNumerals(const Alphabet &) noexcept {
		return Ff1::kMaxLength;
	}
	[[noreturn]] static void
	TooLong() {
		fpe_detail::ThrowFf1TooLong();
	}
	static void
	One(const Ff1 &ff1, std::uint16_t *x, std::size_t n, std::uint32_t radix,
	    const std::uint8_t *tweak, std::size_t tweak_len, bool encrypt) {
		if (encrypt)
			ff1.Encrypt(x, n, x, radix, tweak, tweak_len);
		else
			ff1.Decrypt(x, n, x, radix, tweak, tweak_len);
	}
	static void
	Many(const Ff1 &ff1, std::uint16_t *const *values, std::size_t count, std::size_t n,
	     std::uint32_t radix, const std::uint8_t *tweak, std::size_t tweak_len, bool encrypt) {
		if (encrypt)
			ff1.EncryptMany(values, count, n, radix, tweak, tweak_len);
		else
			ff1.DecryptMany(values, count, n, radix, tweak, tweak_len);
	}
};

template <>
struct Mode<Ff31> {
	static std::size_t
	MaxNumerals(const Alphabet &alphabet) noexcept {
		return Ff31::MaxLength(alphabet.Radix());
	}
	[[noreturn]] static void
	TooLong() {
		fpe_detail::ThrowFf31TooLong();
	}
	static void
	One(const Ff31 &ff31, std::uint16_t *x, std::size_t n, std::uint32_t radix,
	    const std::uint8_t *tweak, std::size_t tweak_len, bool encrypt) {
		if (encrypt)
			ff31.Encrypt(x, n, x, radix, tweak, tweak_len);
		else
			ff31.Decrypt(x, n, x, radix, tweak, tweak_len);
	}
	static void
	Many(const Ff31 &ff31, std::uint16_t *const *values, std::size_t count, std::size_t n,
	     std::uint32_t radix, const std::uint8_t *tweak, std::size_t tweak_len, bool encrypt) {
		for (std::size_t k = 0; k < count; ++k)
			One(ff31, values[k], n, radix, tweak, tweak_len, encrypt);
	}
};

// TransformOne decodes value over alphabet, runs the mode on its numerals in place and writes
// the characters to out.
template <typename Cipher>
void
TransformOne(const Cipher &cipher, const Alphabet &alphabet, std::string_view value,
             const std::uint8_t *tweak, std::size_t tweak_len, std::string &out, bool encrypt) {
	const std::size_t max_numerals = Mode<Cipher>::MaxNumerals(alphabet);
	// A character takes at most 4 bytes, so a longer value cannot be in the domain; refuse before
	// allocating.
	if (value.size() / 4 > max_numerals)
		Mode<Cipher>::TooLong();
	fpe_detail::ScratchArray<std::uint16_t, kStackNumerals> numerals(value.size());
	const std::size_t n = alphabet.ToNumerals(value, numerals.data());
	if (n > max_numerals)
		Mode<Cipher>::TooLong();
	Mode<Cipher>::One(cipher, numerals.data(), n, alphabet.Radix(), tweak, tweak_len, encrypt);
	out.clear();
	alphabet.AppendCharacters(numerals.data(), n, out);
}

// TransformBatch transforms count strings over alphabet. Consecutive values of equal length (up
// to kStackNumerals numerals) are collected, up to Ff1::kBatchLanes at a time, and run together
// through Mode::Many; longer values go one by one. A pending group is always finished before an
// error of a later value propagates, so when value i is the first invalid one, out[0..i) hold
// their results.
template <typename Cipher>
void
TransformBatch(const Cipher &cipher, const Alphabet &alphabet, const std::string_view *values,
               std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len,
               std::string *out, CancelCheck cancel, bool encrypt) {
	const std::uint32_t radix = alphabet.Radix();
	const std::size_t max_numerals = Mode<Cipher>::MaxNumerals(alphabet);
	std::uint16_t numerals[Ff1::kBatchLanes][kStackNumerals];
	// values and results, also on error
	fpe_detail::StackWipe wipe_numerals(numerals, sizeof(numerals));
	std::uint16_t *lanes[Ff1::kBatchLanes];
	for (std::size_t k = 0; k < Ff1::kBatchLanes; ++k)
		lanes[k] = numerals[k];
	std::size_t group_len = 0;
	std::size_t group_count = 0;
	std::size_t group_first = 0;
	const auto flush = [&]() {
		if (group_count == 0)
			return;
		const std::size_t pending = group_count;
		group_count = 0;
		Mode<Cipher>::Many(cipher, lanes, pending, group_len, radix, tweak, tweak_len, encrypt);
		for (std::size_t k = 0; k < pending; ++k) {
			std::string &target = out[group_first + k];
			target.clear();
			alphabet.AppendCharacters(lanes[k], group_len, target);
		}
	};
	for (std::size_t i = 0; i < count; ++i) {
		if (cancel != nullptr && i % kCancelInterval == 0 && cancel())
			throw Error(ErrorKind::kCancelled, "canceling statement due to user request");
		const std::string_view value = values[i];
		if (value.size() > kStackNumerals) {
			// Possibly more numerals than a lane holds: the single-value path (it also refuses too
			// long values).
			flush();
			TransformOne(cipher, alphabet, value, tweak, tweak_len, out[i], encrypt);
			continue;
		}
		std::size_t n;
		try {
			n = alphabet.ToNumerals(value, lanes[group_count]);
		} catch (...) {
			flush(); // the values before this one get their results first
			throw;
		}
		if (n > max_numerals) {
			flush();
			Mode<Cipher>::TooLong();
		}
		if (group_count > 0 && n != group_len) {
			std::uint16_t moved[kStackNumerals];
			fpe_detail::StackWipe wipe_moved(moved, sizeof(moved));
			std::memcpy(moved, lanes[group_count], n * sizeof(std::uint16_t));
			flush();
			std::memcpy(lanes[0], moved, n * sizeof(std::uint16_t));
		}
		if (group_count == 0) {
			group_len = n;
			group_first = i;
		}
		if (++group_count == Ff1::kBatchLanes)
			flush();
	}
	flush();
}

} // namespace

void
EncryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len, std::string &out) {
	TransformOne(ff1, alphabet, value, tweak, tweak_len, out, true);
}

void
DecryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len, std::string &out) {
	TransformOne(ff1, alphabet, value, tweak, tweak_len, out, false);
}

void
EncryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len, std::string &out) {
	TransformOne(ff31, alphabet, value, tweak, tweak_len, out, true);
}

void
DecryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len, std::string &out) {
	TransformOne(ff31, alphabet, value, tweak, tweak_len, out, false);
}

std::string
EncryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len) {
	std::string out;
	TransformOne(ff1, alphabet, value, tweak, tweak_len, out, true);
	return out;
}

std::string
DecryptString(const Ff1 &ff1, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len) {
	std::string out;
	TransformOne(ff1, alphabet, value, tweak, tweak_len, out, false);
	return out;
}

std::string
EncryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len) {
	std::string out;
	TransformOne(ff31, alphabet, value, tweak, tweak_len, out, true);
	return out;
}

std::string
DecryptString(const Ff31 &ff31, const Alphabet &alphabet, std::string_view value,
              const std::uint8_t *tweak, std::size_t tweak_len) {
	std::string out;
	TransformOne(ff31, alphabet, value, tweak, tweak_len, out, false);
	return out;
}

void
EncryptBatch(const Ff1 &ff1, const Alphabet &alphabet, const std::string_view *values,
             std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len, std::string *out,
             CancelCheck cancel) {
	TransformBatch(ff1, alphabet, values, count, tweak, tweak_len, out, cancel, true);
}

void
DecryptBatch(const Ff1 &ff1, const Alphabet &alphabet, const std::string_view *values,
             std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len, std::string *out,
             CancelCheck cancel) {
	TransformBatch(ff1, alphabet, values, count, tweak, tweak_len, out, cancel, false);
}

void
EncryptBatch(const Ff31 &ff31, const Alphabet &alphabet, const std::string_view *values,
             std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len, std::string *out,
             CancelCheck cancel) {
	TransformBatch(ff31, alphabet, values, count, tweak, tweak_len, out, cancel, true);
}

void
DecryptBatch(const Ff31 &ff31, const Alphabet &alphabet, const std::string_view *values,
             std::size_t count, const std::uint8_t *tweak, std::size_t tweak_len, std::string *out,
             CancelCheck cancel) {
	TransformBatch(ff31, alphabet, values, count, tweak, tweak_len, out, cancel, false);
}

} // namespace privacy::core
