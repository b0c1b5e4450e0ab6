#include "delivery/outbound/requiretls.hpp"

#include <fmt/format.h>

#include "mime/header.hpp"

namespace letterhead::delivery::outbound {

using smtp::client::outcome;
using smtp::client::status;

bool has_tls_required_no(std::string_view message) {
  const auto block = mime::parse_header_block(message);
  for (const auto& v : mime::header_values(message, block.fields, "TLS-Required")) {
    // The only value defined is "No" (RFC 8689 §3), compared case-insensitively.
    if (v.size() == 2 && (v[0] == 'N' || v[0] == 'n') && (v[1] == 'O' || v[1] == 'o')) return true;
  }
  return false;
}

tls_demand demand_of(const store::queue_entry& e, std::string_view message) {
  if (e.requiretls) return e.mail_from.empty() ? tls_demand::normal : tls_demand::required;
  return has_tls_required_no(message) ? tls_demand::optional : tls_demand::normal;
}

std::string connection_key(std::string_view destination, tls_demand demand) {
  switch (demand) {
    case tls_demand::normal: break;
    case tls_demand::required: return fmt::format("{} (REQUIRETLS)", destination);
    case tls_demand::optional: return fmt::format("{} (TLS-Required: No)", destination);
  }
  return std::string(destination);
}

std::optional<status> requiretls_mx_check(bool mx_dnssec, const std::optional<sts_policy>& policy,
                                          const mx_host& host, std::string_view domain) {
  if (mx_dnssec || host.is_ip) return std::nullopt;
  if (policy && policy->mode != sts_mode::none && sts_mx_allowed(*policy, host.name)) return std::nullopt;
  return status{outcome::permanent, 0, "5.7.30",
                fmt::format("REQUIRETLS support required: MX host {} of {} is neither DNSSEC-validated nor "
                            "listed in an MTA-STS policy",
                            host.name, domain)};
}

status requiretls_session_failure(const status& why, bool& refusal) {
  // Our own X.7.x reasons only (code 0): a server's reply, e.g. 454 to STARTTLS or a
  // 554 5.7.1 greeting, keeps its usual meaning.
  refusal = why.code == 0 && why.enhanced.size() > 3 && why.enhanced.compare(1, 3, ".7.") == 0;
  if (!refusal) return why;
  return status{outcome::permanent, 0, "5.7.10", fmt::format("REQUIRETLS: {}", why.text)};
}

}  // namespace letterhead::delivery::outbound
