#include "delivery/outbound/routing.hpp"

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

namespace letterhead::delivery::outbound {

namespace {

using smtp::client::outcome;
using smtp::client::status;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

bool is_ip(const std::string& text) {
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(text, ec);
  return !ec;
}

}  // namespace

std::string destination_of(std::string_view address) {
  const auto at = address.rfind('@');
  return lower(at == std::string_view::npos ? std::string_view{} : address.substr(at + 1));
}

route relay_route(const core::relay_config& relay) {
  auto hp = core::parse_host_port(relay.host);
  if (!hp) hp = core::parse_host_port(relay.host + ":25");
  if (!hp) return route{{}, status{outcome::temporary, 0, "4.3.5", "bad [relay] host: " + relay.host}};
  return route{{mx_host{hp->host, hp->port, is_ip(hp->host)}}, std::nullopt};
}

route mx_route(dns::resolver& resolver, std::string_view domain, std::uint16_t port) {
  // RFC 5321 §4.1.3 address literal: no DNS, the IP itself.
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    auto inner = std::string(domain.substr(1, domain.size() - 2));
    if (inner.size() > 5 && lower(inner.substr(0, 5)) == "ipv6:") inner = inner.substr(5);
    if (!is_ip(inner)) {
      return route{{}, status{outcome::permanent, 0, "5.1.2", "unusable address literal " + std::string(domain)}};
    }
    return route{{mx_host{inner, port, true}}, std::nullopt};
  }
  auto mx = dns::mail_exchangers(resolver, domain);
  switch (mx.result) {
    case dns::status::ok:
      break;
    case dns::status::nxdomain:
      // RFC 3463 5.1.2: bad destination system address.
      return route{{}, status{outcome::permanent, 0, "5.1.2",
                              fmt::format("domain {} does not exist", domain)}};
    case dns::status::nodata:
      // RFC 7505 §4.1: a null MX means the domain takes no mail (5.1.10).
      if (mx.why == "null MX") {
        return route{{}, status{outcome::permanent, 0, "5.1.10",
                                fmt::format("domain {} accepts no mail (null MX)", domain)}};
      }
      return route{{}, status{outcome::permanent, 0, "5.1.2",
                              fmt::format("domain {} has no mail server: {}", domain, mx.why)}};
    case dns::status::temporary:
    case dns::status::bogus:
      // RFC 3463 4.4.3: directory server failure.
      return route{{}, status{outcome::temporary, 0, "4.4.3",
                              fmt::format("DNS lookup of {} failed: {} {}", domain, dns::to_string(mx.result),
                                          mx.why)}};
  }
  route out;
  out.dnssec = mx.secure;
  for (const auto& r : mx.records) {
    if (r.host.empty()) continue;
    out.hosts.push_back(mx_host{r.host, port, is_ip(r.host)});
  }
  if (out.hosts.empty()) {
    out.failure = status{outcome::permanent, 0, "5.1.10", fmt::format("domain {} accepts no mail", domain)};
  }
  return out;
}

addresses host_addresses(dns::resolver* resolver, const mx_host& host) {
  if (host.is_ip) return addresses{{host.name}, std::nullopt};
  if (resolver == nullptr) {
    return addresses{{}, status{outcome::temporary, 0, "4.4.3", "no resolver for " + host.name}};
  }
  auto a = resolver->addresses(host.name);
  if (a.result == dns::status::ok && !a.records.empty()) return addresses{std::move(a.records), std::nullopt, a.secure};
  // RFC 3463 4.4.4: unable to route. Permanent for the host, but another MX host may
  // still work: the caller decides.
  const bool gone = a.result == dns::status::nxdomain || a.result == dns::status::nodata;
  return addresses{{}, status{gone ? outcome::permanent : outcome::temporary, 0, gone ? "5.4.4" : "4.4.3",
                              fmt::format("no address for {}: {} {}", host.name, dns::to_string(a.result), a.why)}};
}

}  // namespace letterhead::delivery::outbound
