#pragma once
// Which TLS an MX host gets (RFC 7672 DANE, RFC 8461 MTA-STS, else RFC 7435
// opportunistic). DANE takes precedence (RFC 8461 §2): a host with usable,
// DNSSEC-validated TLSA records is authenticated by them and nothing else.
// Lookups block: call these on the blocking pool.

#include <optional>
#include <string>

#include "delivery/outbound/mta_sts.hpp"
#include "delivery/outbound/routing.hpp"
#include "dns/resolver.hpp"
#include "smtp/client/client.hpp"

namespace letterhead::delivery::outbound {

struct host_tls {
  // Set when DANE applies: STARTTLS mandatory, certificate matched against it.
  std::optional<smtp::client::dane_policy> dane;
  // Set when the host must not be used in this attempt (bogus or failed TLSA
  // lookup, RFC 7672 §2.1.1): try the next host, retry later.
  std::optional<smtp::client::status> failure;
  // MTA-STS (RFC 8461 §5), when DANE does not apply: enforce = STARTTLS and a
  // PKIX-valid certificate for the host name; testing = delivered regardless,
  // what would have failed is logged.
  bool sts_enforce = false;
  bool sts_testing = false;
  std::string sts_warning;  // testing: the host is not in the policy
};

// "_25._tcp.mx.example.com" (RFC 6698 §3, RFC 7672 §2.2.3), with the port we connect to.
[[nodiscard]] std::string tlsa_name(const mx_host& host);

// RFC 7672 §2.2: TLSA records are looked up, and count, only when the MX answer
// (`mx_dnssec`) and the host's address answer (`addr_dnssec`) were both secure.
// Insecure or absent TLSA records leave the host to MTA-STS or opportunistic TLS.
[[nodiscard]] host_tls dane_for_host(dns::resolver& resolver, const mx_host& host, bool mx_dnssec,
                                     bool addr_dnssec);

// RFC 8461 §4, §5: the domain's policy (if any) for one MX host that DANE left
// alone (no TLSA records, or only unusable ones: an enforced policy then verifies
// the certificate that DANE could not). Enforce refuses a host the policy does not list (temporary: try the next
// one, retry later); testing only notes it.
void apply_sts(host_tls& tls, const std::optional<sts_policy>& policy, const mx_host& host, std::string_view domain);

}  // namespace letterhead::delivery::outbound
