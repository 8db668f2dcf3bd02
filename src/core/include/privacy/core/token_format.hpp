// token_format.hpp: token formats, the layer between a value (a card number, an SSN, an e-mail
// address) and the numerals FF1 encrypts.
//
// Purpose: a TokenFormat says which characters of a value are encrypted (those of its alphabet),
// which pass through unchanged (separators, the domain of an e-mail address), and which are kept in
// clear (a prefix and a suffix counted in alphabet characters, e.g. the last four digits of a
// card). Tokens keep the length and the layout of the value, so schemas, validations and joins keep
// working.
//
// Card tokens (TokenFormatSpec::card) are special in two ways, both reversible:
//   - Only Luhn-valid card numbers of 12 to 19 digits are accepted. The digit just before the kept
//   suffix is
//     then redundant (the Luhn check determines it), so it is not encrypted: the digits before it
//     are, with FF1 (at least 7 digits, domain >= 10^7).
//   - That redundant digit of the token is set to (d + 1 + slot) mod 10, where d is the digit that
//   would make
//     the token pass the Luhn check and slot = (key version - 1) mod 9. A card token therefore
//     NEVER passes the Luhn check (it cannot be mistaken for a card number) and carries its key
//     version modulo 9, so tokens made before a rotation still detokenize.
// Other formats use the full domain of their alphabet; a bijection on a full domain has no room
// left for a version, so they are not versioned (the caller always uses one key version for them).
//
// Invariants: every error is a privacy::core::Error with static strings: no character of a value or
// token ever reaches a message. Results have the same number of characters as the input. Must
// never: change a passthrough or kept character, or accept a value it cannot invert. A TokenFormat
// keeps scratch buffers: one object must not be used by two threads at once.
#pragma once

#include "privacy/core/config.hpp"

#include "privacy/core/fpe.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace privacy::core {

struct TokenFormatSpec {
	std::string name;     // bound into the FF1 tweak: equal values give different tokens per format
	std::string alphabet; // UTF-8, the characters that are encrypted
	std::string
	        passthrough; // UTF-8, characters that stay unchanged; any other character is refused
	std::size_t keep_prefix = 0; // leading alphabet characters kept in clear
	std::size_t keep_suffix = 0; // trailing alphabet characters kept in clear
	std::size_t min_chars =
	        0; // alphabet characters a value must have (0: no minimum beyond the FF1 domain)
	std::size_t max_chars = 0; // 0: no maximum beyond Ff1::kMaxLength
	bool email = false; // only the local part (before the last '@') is tokenized; the rest passes
	bool card = false;  // card rules (see the file header); implies digits, keep_suffix 4
};

class TokenFormat {
  public:
	static constexpr std::uint32_t kVersionSlots = 9;
	static constexpr std::size_t kMaxKept = 64;

	// Throws kInvalidParameter for an invalid alphabet or passthrough set, overlapping sets, more
	// than kMaxKept kept characters or a name longer than 63 bytes.
	explicit TokenFormat(TokenFormatSpec spec);
	// ~TokenFormat wipes the scratch buffers (they hold the last value and token).
	~TokenFormat();
	TokenFormat(const TokenFormat &) = delete;
	TokenFormat &operator=(const TokenFormat &) = delete;

	const TokenFormatSpec &
	Spec() const noexcept {
		return spec_;
	}
	// Versioned reports whether tokens of this format carry their key version (card tokens).
	bool
	Versioned() const noexcept {
		return spec_.card;
	}
	const Alphabet &
	GetAlphabet() const noexcept {
		return alphabet_;
	}

	// Tokenize writes the token of value under ff1 (the data key of version `version`) to out.
	// Throws kInvalidTextRepresentation for a value that does not fit the format,
	// kNumericOutOfRange for too few (FF1 domain < 10^6) or too many characters.
	void Tokenize(const Ff1 &ff1, std::string_view value, std::uint32_t version,
	              std::string &out) const;

	// VersionSlot returns the slot (key version - 1) mod 9 carried by a token of a versioned
	// format; throws kInvalidTextRepresentation when token is not a token of this format (e.g. a
	// card number that passes the Luhn check). Returns 0 for formats that are not versioned.
	std::uint32_t VersionSlot(std::string_view token) const;

	// Detokenize writes the value of token under ff1 (the key of the version the token was made
	// with) to out.
	void Detokenize(const Ff1 &ff1, std::string_view token, std::string &out) const;

	// TokenizeView and DetokenizeView return views of a scratch buffer owned by this object, valid
	// until its next call; glue copies them into palloc'd memory, so no C++ object outlives the
	// call.
	std::string_view
	TokenizeView(const Ff1 &ff1, std::string_view value, std::uint32_t version) const {
		Tokenize(ff1, value, version, scratch_out_);
		return scratch_out_;
	}
	std::string_view
	DetokenizeView(const Ff1 &ff1, std::string_view token) const {
		Detokenize(ff1, token, scratch_out_);
		return scratch_out_;
	}

	// Batch forms. The results of values[0..count) are written back to back into a scratch buffer
	// owned by this object and returned as one view, valid until the next call; ends[i] receives
	// the end offset of result i in that view (result i starts at ends[i - 1], or 0). keys[i] is
	// the data key of value i (versions[i] its version, for TokenizeMany). Consecutive values with
	// the same key whose encrypted parts have the same length run side by side through
	// Ff1::EncryptMany / DecryptMany (round i of up to Ff1::kBatchLanes values in one multi-block
	// AES call); longer values (more than kLaneNumerals alphabet characters) go one by one. The
	// results equal those of Tokenize / Detokenize value by value. The first invalid value throws
	// its error (as Tokenize would); every scratch buffer is then wiped. Glue copies the view and
	// calls Wipe().
	static constexpr std::size_t kLaneNumerals = 64;
	std::string_view TokenizeMany(const Ff1 *const *keys, const std::uint32_t *versions,
	                              const std::string_view *values, std::size_t count,
	                              std::size_t *ends) const;
	std::string_view DetokenizeMany(const Ff1 *const *keys, const std::string_view *tokens,
	                                std::size_t count, std::size_t *ends) const;
	// RetokenizeMany detokenizes tokens[i] with old_keys[i] and tokenizes the value with new_key
	// (version new_version), as Detokenize then Tokenize would; a token whose old key is new_key
	// is returned unchanged. The values exist only in a scratch buffer that is wiped before the
	// call returns or throws.
	std::string_view RetokenizeMany(const Ff1 *const *old_keys, const Ff1 &new_key,
	                                std::uint32_t new_version, const std::string_view *tokens,
	                                std::size_t count, std::size_t *ends) const;

	// RetokenizeView is RetokenizeMany for one token, without the batch lanes: a view of a scratch
	// buffer holding the new token (the value was wiped before it returns or throws).
	std::string_view RetokenizeView(const Ff1 &old_key, const Ff1 &new_key,
	                                std::uint32_t new_version, std::string_view token) const;

	// Wipe clears the scratch buffers (the last value, token and numerals); glue calls it once it
	// has copied a view, and Tokenize/Detokenize call it themselves when they throw.
	void Wipe() const noexcept;

	// SlotOf maps a key version (>= 1) to its slot.
	static std::uint32_t
	SlotOf(std::uint32_t version) noexcept {
		return (version - 1) % kVersionSlots;
	}

	// IsCardTokenSyntax checks the syntax of a card token without a key: 12 to 19 digits,
	// separators ' ' and
	// '-' allowed, and it must fail the Luhn check. digits receives the digits (at most 19) and
	// *count their number. noexcept: used by type input functions.
	static bool IsCardTokenSyntax(std::string_view text, char *digits, std::size_t *count) noexcept;

  private:
	struct Slot {
		std::uint32_t offset; // byte offset of the character in the value
		std::uint16_t length; // its byte length
	};

	// Parse classifies the characters of value into slots_ (alphabet characters of the tokenized
	// part) and numerals_; everything else must be passthrough.
	void Parse(std::string_view value) const;
	void CheckCount(std::size_t m) const;
	bool ParseAscii(std::string_view value, std::uint16_t *numerals, Slot *slots,
	                std::size_t *count) const noexcept;
	bool ParseLane(std::string_view value, std::uint16_t *numerals, Slot *slots, std::size_t *count,
	               bool *dense) const noexcept;
	static constexpr std::int16_t kBytePassthrough = -1;
	static constexpr std::int16_t kByteOther = -2;
	std::int16_t byte_class_[256]; // ASCII bytes: numeral, kBytePassthrough or kByteOther
	bool digits_first_ = false;    // the alphabet starts with 0123456789 (numerals 0..9)
	void BuildTweak() const;
	void Rebuild(std::string_view value, std::string &out) const;
	static void RebuildAppend(const Alphabet &alphabet, std::string_view value, const Slot *slots,
	                          const std::uint16_t *result, std::size_t count, std::string &out);
	struct Lanes; // the batch scratch, defined in token_format.cpp
	void TransformMany(const Ff1 *const *keys, const std::uint32_t *versions,
	                   const std::string_view *values, std::size_t count, std::size_t *ends,
	                   std::string &out, bool encrypt) const;
	void Transform(const Ff1 &ff1, std::string_view value, std::uint32_t version, std::string &out,
	               bool encrypt, bool append = false) const;

	TokenFormatSpec spec_;
	Alphabet alphabet_;
	std::vector<char32_t> passthrough_; // sorted
	// scratch, reused between calls
	mutable std::vector<Slot> slots_;
	mutable std::vector<std::uint16_t> numerals_;
	mutable std::vector<std::uint16_t> result_;
	std::vector<std::uint8_t> tweak_;
	mutable std::string scratch_out_;
	mutable std::string scratch_plain_; // RetokenizeMany: the values between the two passes
	mutable std::vector<std::string_view> scratch_views_;
	mutable std::vector<std::size_t> scratch_ends_;
	mutable std::vector<const Ff1 *> scratch_keys_;
	mutable std::vector<std::uint32_t> scratch_versions_;
	struct LanesDeleter {
		void operator()(Lanes *lanes) const noexcept;
	};
	mutable std::unique_ptr<Lanes, LanesDeleter> lanes_; // allocated on the first batch
};

} // namespace privacy::core
