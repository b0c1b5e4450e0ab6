#pragma once
// Text that turns into DNS queries: the names we look up, reverse names for PTR
// (RFC 1035 §3.5, RFC 3596 §2.5) and the resolver addresses of the config. Names
// reach here from SMTP envelopes, headers and DNS answers, so they are checked
// before libunbound's presentation-format parser (which reads '\' escapes) sees them.

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::dns {

// The name to ask for, lower-case without a trailing dot, when `name` is a domain
// name of letters, digits, '-' and '_' in labels of 1 to 63 bytes, at most 253 bytes
// in all (RFC 1035 §2.3.4; '_' for RFC 8552 attribute leaves such as _domainkey).
// IDNs must come as A-labels. Anything else gives nullopt.
[[nodiscard]] std::optional<std::string> query_name(std::string_view name);

// "192.0.2.1" -> "1.2.0.192.in-addr.arpa"; an IPv6 address -> its nibble name under
// ip6.arpa. An IPv4-mapped IPv6 address (::ffff:192.0.2.1, as a dual-stack socket
// reports an IPv4 peer) gives the in-addr.arpa name. nullopt when not an address.
[[nodiscard]] std::optional<std::string> reverse_name(std::string_view ip);

// A [dns] servers entry ("IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address) in
// libunbound's "IP@PORT" form; errc::invalid names what is wrong.
[[nodiscard]] core::result<std::string> unbound_server(std::string_view server);

}  // namespace letterhead::dns
