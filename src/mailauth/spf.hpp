#pragma once
// SPF evaluation (RFC 7208): check_host() (§4) over DNS, with the processing limits
// of §4.6.4 (10 DNS-querying terms, 2 void lookups, 10 MX and 10 PTR names), and the
// identity choice of §2.3/§2.4 (MAIL FROM, or postmaster@HELO for the null
// reverse-path). Results are RFC 8601 §2.7.2 words.
//
// Untrusted input: the client's IP, HELO and MAIL FROM, and every TXT/A/MX/PTR
// answer. Work is bounded by the limits above (include loops end at the 10-term
// limit) and by `max_time` over the whole evaluation; each lookup is bounded by the
// resolver's own timeout.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/resolver.hpp"
#include "mailauth/spf_record.hpp"

namespace letterhead::mailauth {

enum class spf_result { none, neutral, pass, fail, softfail, temperror, permerror };

[[nodiscard]] const char* to_string(spf_result r) noexcept;

struct spf_options {
  unsigned max_dns_terms = 10;   // §4.6.4
  unsigned max_void_lookups = 2;  // §4.6.4
  unsigned max_mx_names = 10;     // §4.6.4
  unsigned max_ptr_names = 10;    // §4.6.4
  // §4.6.4 suggests at least 20 seconds for the whole evaluation.
  std::chrono::milliseconds max_time{20000};
  std::string receiver;          // our host name, for %{r} in explanations
  std::int64_t now = 0;          // for %{t}; 0 = the current time
};

struct spf_outcome {
  spf_result result = spf_result::none;
  std::string identity;     // "mailfrom" or "helo" (RFC 8601 smtp.mailfrom / smtp.helo)
  std::string sender;       // the <sender> checked: local@domain or postmaster@helo
  std::string domain;       // the domain checked
  std::string reason;       // which term matched, or why it failed (printable ASCII)
  std::string explanation;  // §6.2, for a fail with exp=
  unsigned dns_terms = 0;   // DNS-querying terms used
  unsigned void_lookups = 0;
};

// check_host(<ip>, <domain>, <sender>) of §4.
[[nodiscard]] spf_outcome check_host(dns::resolver& dns, const ip_address& ip, std::string_view domain,
                                     std::string_view sender, std::string_view helo,
                                     const spf_options& options = {});

// The SMTP-level check: MAIL FROM's domain, or (§2.3) the HELO name when the
// reverse-path is null. A HELO that is an address literal or not a domain gives
// none. `mail_from` is without <>, "" for the null reverse-path.
[[nodiscard]] spf_outcome verify_spf(dns::resolver& dns, std::string_view client_ip, std::string_view mail_from,
                                     std::string_view helo, const spf_options& options = {});

// "spf=pass smtp.mailfrom=example.com" (RFC 8601 §2.7.2), with the reason as a comment.
[[nodiscard]] std::string format_result(const spf_outcome& o);

}  // namespace letterhead::mailauth
