#pragma once
// SPF records (RFC 7208 §4.5, §5, §6, §12): the record syntax and macro expansion
// (§7). No I/O: spf.hpp evaluates parsed records against DNS.
//
// Untrusted input: TXT records from any domain a sender names, and the SMTP
// identities (MAIL FROM, HELO) that macros expand. The parser is linear, keeps at
// most max_spf_terms terms, and the expansion of one macro-string is bounded by
// max_expansion bytes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::mailauth {

// An IPv4 or IPv6 address (IPv4 in the first four bytes).
struct ip_address {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
};

// "192.0.2.1" or "2001:db8::1" (an IPv4-mapped IPv6 address is taken as its IPv4
// address, RFC 7208 §5: "the IPv4 address ... in the IPv4-mapped IPv6 form").
[[nodiscard]] std::optional<ip_address> parse_ip(std::string_view text);
[[nodiscard]] std::string to_string(const ip_address& ip);
// Whether `ip` is inside net/prefix (same family only).
[[nodiscard]] bool in_network(const ip_address& ip, const ip_address& net, unsigned prefix) noexcept;

enum class spf_qualifier : char { pass = '+', fail = '-', softfail = '~', neutral = '?' };

enum class spf_mechanism { all, include, a, mx, ptr, ip4, ip6, exists };

[[nodiscard]] const char* to_string(spf_mechanism m) noexcept;

struct spf_term {
  spf_qualifier qualifier = spf_qualifier::pass;
  spf_mechanism mechanism = spf_mechanism::all;
  std::string domain_spec;  // unexpanded macro-string; empty = the current domain
  ip_address network;       // ip4, ip6
  unsigned cidr4 = 32;      // ip4, a, mx
  unsigned cidr6 = 128;     // ip6, a, mx
  std::string text;         // the term as written (printable ASCII), for results
};

struct spf_record {
  std::vector<spf_term> terms;
  std::optional<std::string> redirect;  // §6.1
  std::optional<std::string> exp;       // §6.2
};

// A record longer than this many terms is refused: ten DNS mechanisms are allowed
// (§4.6.4), and a few dozen ip4/ip6 terms is plenty for any real sender.
inline constexpr std::size_t max_spf_terms = 256;
// Largest expansion of one macro-string (the explanation text included).
inline constexpr std::size_t max_expansion = 1024;

// Whether a TXT record is an SPF version 1 record (§4.5: "v=spf1" then SP or end,
// case-insensitive).
[[nodiscard]] bool is_spf_record(std::string_view txt) noexcept;

// Parses a record starting with "v=spf1" (§12). errc::invalid (permerror) for a
// syntax error, an unknown mechanism, or a second redirect or exp (§6).
[[nodiscard]] core::result<spf_record> parse_spf_record(std::string_view text);

// What macros expand to (§7.2). `validated_name` is asked for %{p} only.
struct spf_macro_context {
  std::string_view sender;         // <sender>: local@domain (postmaster@helo for HELO)
  std::string_view domain;         // <domain>: the current domain
  std::string_view helo;
  std::string_view receiver;       // our host name, for %{r}
  ip_address ip;
  std::int64_t timestamp = 0;      // for %{t}
  std::function<std::string()> validated_name;  // %{p}; "unknown" when not set
};

// Expands a macro-string (§7.1, §7.3). `explanation` allows the c, r and t letters
// and spaces (explain-string of §6.2). errc::invalid (permerror) for a syntax error;
// errc::limit when the result would exceed max_expansion.
[[nodiscard]] core::result<std::string> expand_macros(std::string_view spec, const spf_macro_context& ctx,
                                                      bool explanation = false);

// A domain-spec's expansion made a lookup name: at most 253 characters, labels
// removed from the left (§7.3), no trailing dot.
[[nodiscard]] std::string truncate_domain(std::string name);

}  // namespace letterhead::mailauth
