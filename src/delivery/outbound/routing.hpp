#pragma once
// Where the recipients of a domain are sent (RFC 5321 §5.1): the smarthost when one
// is configured, else the domain's MX hosts by preference (implicit MX and null MX,
// RFC 7505, are dns::mail_exchangers' business), or an address literal's IP.
// Lookups block: call these on the blocking pool.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "dns/resolver.hpp"
#include "smtp/client/client.hpp"

namespace letterhead::delivery::outbound {

// The part after the last "@", lower-cased: recipients with the same destination
// go in one transaction.
[[nodiscard]] std::string destination_of(std::string_view address);

struct mx_host {
  std::string name;   // host name, or an IP for address literals and IP smarthosts
  std::uint16_t port = 25;
  bool is_ip = false;
};

struct route {
  std::vector<mx_host> hosts;  // in the order to try
  // Set instead of hosts when the destination cannot be reached: permanent for a
  // domain that does not exist or has a null MX, temporary for DNS failures.
  std::optional<smtp::client::status> failure;
  bool dnssec = false;  // the MX answer was DNSSEC-validated (RFC 7672 §2.2.1)
};

// The smarthost of [relay] host ("HOST" or "HOST:PORT"; 25 by default).
[[nodiscard]] route relay_route(const core::relay_config& relay);

// MX hosts of `domain` with `port` ([queue] mx_port), or the IP of an address
// literal ("[192.0.2.1]", "[IPv6:2001:db8::1]").
[[nodiscard]] route mx_route(dns::resolver& resolver, std::string_view domain, std::uint16_t port);

struct addresses {
  std::vector<std::string> ips;
  std::optional<smtp::client::status> failure;  // when ips is empty
  bool dnssec = false;  // the A/AAAA answers were DNSSEC-validated (RFC 7672 §2.2.2)
};

// The addresses of one host (A, then AAAA).
[[nodiscard]] addresses host_addresses(dns::resolver* resolver, const mx_host& host);

}  // namespace letterhead::delivery::outbound
