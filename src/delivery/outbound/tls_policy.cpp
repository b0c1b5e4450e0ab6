#include "delivery/outbound/tls_policy.hpp"

#include <fmt/format.h>

namespace letterhead::delivery::outbound {

using smtp::client::outcome;
using smtp::client::status;

std::string tlsa_name(const mx_host& host) { return fmt::format("_{}._tcp.{}", host.port, host.name); }

host_tls dane_for_host(dns::resolver& resolver, const mx_host& host, bool mx_dnssec, bool addr_dnssec) {
  host_tls out;
  if (host.is_ip || !mx_dnssec || !addr_dnssec) return out;
  const auto name = tlsa_name(host);
  auto a = resolver.tlsa(name);
  switch (a.result) {
    case dns::status::nxdomain:
    case dns::status::nodata:
      return out;  // no DANE for this host
    case dns::status::bogus:
    case dns::status::temporary:
      // RFC 7672 §2.1.1: a TLSA lookup that fails (other than a denial of
      // existence) makes the host unusable; mail waits rather than risk a
      // downgrade an attacker can provoke by dropping the answer.
      out.failure = status{outcome::temporary, 0, "4.7.5",
                           fmt::format("DANE: TLSA lookup of {} failed: {} {}", name, dns::to_string(a.result), a.why)};
      return out;
    case dns::status::ok:
      break;
  }
  // RFC 7672 §2.2: insecure TLSA records are ignored.
  if (!a.secure) return out;
  smtp::client::dane_policy p;
  p.host = host.name;
  for (auto& r : a.records) {
    smtp::client::tlsa t{r.usage, r.selector, r.matching_type, std::move(r.data)};
    if (smtp::client::usable_for_smtp(t)) p.records.push_back(std::move(t));
  }
  out.dane = std::move(p);
  return out;
}

void apply_sts(host_tls& tls, const std::optional<sts_policy>& policy, const mx_host& host, std::string_view domain) {
  if (tls.failure || !policy || policy->mode == sts_mode::none) return;
  // RFC 7672 §2.2: secure TLSA records of which none is usable still make TLS
  // mandatory, but authenticate nothing; an enforced MTA-STS policy then decides
  // the certificate (RFC 8461 §2 defers to DANE only where DANE authenticates).
  const bool dane_authenticates = tls.dane && !tls.dane->records.empty();
  if (dane_authenticates || (tls.dane && policy->mode != sts_mode::enforce)) return;
  const bool listed = !host.is_ip && sts_mx_allowed(*policy, host.name);
  if (policy->mode == sts_mode::enforce) {
    tls.dane.reset();  // enforce requires STARTTLS too, and verifies the certificate
    if (!listed) {
      tls.failure = status{outcome::temporary, 0, "4.7.5",
                           fmt::format("MTA-STS: MX host {} is not in the enforced policy of {}", host.name, domain)};
      return;
    }
    tls.sts_enforce = true;
    return;
  }
  tls.sts_testing = true;
  if (!listed) tls.sts_warning = fmt::format("MX host {} is not in the policy of {}", host.name, domain);
}

}  // namespace letterhead::delivery::outbound
