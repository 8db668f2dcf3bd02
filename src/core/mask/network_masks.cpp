// network_masks.cpp: truncation of IP addresses to a network prefix (mask_ip).
//
// Invariants: works on raw network-order address bytes that the glue extracted from inet; never
// reads or writes outside address[0..address_length). Only the argument checks throw.
#include "privacy/core/mask.hpp"

#include "privacy/core/error.hpp"

namespace privacy::core {

void
ZeroHostBits(std::uint8_t *address, std::size_t address_length, std::int64_t prefix_bits) {
	if (address_length != 4 && address_length != 16)
		throw Error(ErrorKind::kInvalidParameter,
		            "address must be 4 (IPv4) or 16 (IPv6) bytes long");
	auto max_bits = static_cast<std::int64_t>(address_length * 8);
	if (prefix_bits < 0 || prefix_bits > max_bits)
		throw Error(ErrorKind::kInvalidParameter,
		            "prefix length out of range for the address family",
		            "IPv4 prefixes are 0 to 32 bits and IPv6 prefixes 0 to 128 bits.");
	auto bits = static_cast<std::size_t>(prefix_bits);
	std::size_t full_bytes = bits / 8;
	std::size_t partial_bits = bits % 8;
	std::size_t index = full_bytes;
	if (partial_bits != 0) {
		address[index] = static_cast<std::uint8_t>(address[index] & (0xFFu << (8 - partial_bits)));
		index++;
	}
	for (; index < address_length; index++)
		address[index] = 0;
}

} // namespace privacy::core
