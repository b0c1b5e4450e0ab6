#pragma once
// IP networks in CIDR notation ("10.0.0.0/8", "2001:db8::/32") and the test whether
// an address lies in one: which peers may send a PROXY header (core/proxy_protocol.hpp).
// No Asio here: addresses are text or bytes.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::core {

// An IPv4 or IPv6 address as bytes; IPv4 uses the first 4.
struct ip_address {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;
};

// Parses a literal IPv4 (dotted quad, no leading zeros) or IPv6 address. An
// IPv4-mapped IPv6 address ("::ffff:10.1.2.3") becomes the IPv4 address, as
// accepted dual-stack sockets report IPv4 peers that way.
[[nodiscard]] std::optional<ip_address> parse_ip_address(std::string_view text);

struct ip_network {
  ip_address base;
  unsigned prefix = 0;
};

// "ADDRESS/PREFIX"; a bare address is a /32 or /128. Host bits must be zero, so
// that a typo like "10.0.0.1/8" is reported rather than silently widened.
[[nodiscard]] result<ip_network> parse_ip_network(std::string_view text);

[[nodiscard]] bool contains(const ip_network& network, const ip_address& address);

}  // namespace letterhead::core
