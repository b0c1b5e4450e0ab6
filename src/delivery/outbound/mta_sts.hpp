#pragma once
// MTA-STS (RFC 8461) as a sender: the _mta-sts TXT record (§3.1), the policy file
// (§3.2), MX host patterns (§4.1), and the policy text we serve for our own
// domains. Pure functions over untrusted text (the policy comes from a web server
// the recipient domain names; fuzzed by fuzz/fuzz_delivery_mta_sts.cpp); fetching
// and caching are in mta_sts_fetch.* and mta_sts_cache.*.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::delivery::outbound {

enum class sts_mode { none, testing, enforce };

[[nodiscard]] const char* to_string(sts_mode m) noexcept;
[[nodiscard]] std::optional<sts_mode> parse_sts_mode(std::string_view s) noexcept;

struct sts_policy {
  sts_mode mode = sts_mode::none;
  std::vector<std::string> mx;  // lower-case patterns: "mail.example.com", "*.example.net"
  std::int64_t max_age = 0;     // seconds, at most max_sts_age
};

// RFC 8461 §3.2: max_age is capped at 31557600 (about a year).
inline constexpr std::int64_t max_sts_age = 31557600;
// RFC 8461 §3.3: senders may refuse policy bodies larger than 64 KiB.
inline constexpr std::size_t max_sts_policy_size = 64 * 1024;

// The id of the one "v=STSv1; id=...;" record among a domain's _mta-sts TXT
// records (§3.1); nullopt when there is none, more than one, or it is malformed:
// then the domain has no policy available now.
[[nodiscard]] std::optional<std::string> parse_sts_txt(const std::vector<std::string>& records);

// The policy file (§3.2): "key: value" lines split by LF or CRLF; version STSv1,
// mode and max_age required, mx required unless mode is none; unknown keys are
// ignored; for a repeated key other than mx the first counts.
[[nodiscard]] core::result<sts_policy> parse_sts_policy(std::string_view text);

// §4.1: a host matches a pattern exactly or, for "*.domain", when the wildcard
// stands for exactly one left-most label. Case-insensitive; a trailing dot ignored.
[[nodiscard]] bool sts_mx_matches(std::string_view pattern, std::string_view host);
[[nodiscard]] bool sts_mx_allowed(const sts_policy& policy, std::string_view host);

// Our own policy file (§3.2) and the id of the TXT record that announces it (a
// digest of the text, so the id changes whenever the policy does).
[[nodiscard]] std::string sts_policy_text(sts_mode mode, const std::vector<std::string>& mx, std::int64_t max_age);
[[nodiscard]] std::string sts_policy_id(std::string_view policy_text);

}  // namespace letterhead::delivery::outbound
