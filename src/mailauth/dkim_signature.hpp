#pragma once
// The DKIM-Signature header field (RFC 6376 §3.5) parsed and checked as §6.1.1 asks
// before any key is fetched. Input comes from the network.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "mailauth/canonicalization.hpp"
#include "mailauth/crypto.hpp"

namespace letterhead::mailauth {

enum class dkim_algorithm { rsa_sha256, ed25519_sha256 };

[[nodiscard]] constexpr const char* to_string(dkim_algorithm a) noexcept {
  return a == dkim_algorithm::rsa_sha256 ? "rsa-sha256" : "ed25519-sha256";
}
[[nodiscard]] constexpr key_type key_type_of(dkim_algorithm a) noexcept {
  return a == dkim_algorithm::rsa_sha256 ? key_type::rsa : key_type::ed25519;
}
[[nodiscard]] std::optional<dkim_algorithm> parse_algorithm(std::string_view a) noexcept;

struct dkim_signature {
  dkim_algorithm algorithm = dkim_algorithm::rsa_sha256;
  std::string signature;   // b=, decoded
  std::string body_hash;   // bh=, decoded
  canonicalization canon;  // c=
  std::string domain;      // d=, lower-case
  std::string selector;    // s=
  std::vector<std::string> signed_headers;  // h=, as written
  std::string identity;    // i=, "@" + d= when absent
  std::optional<std::uint64_t> body_length;  // l=
  std::optional<std::int64_t> timestamp;     // t=
  std::optional<std::int64_t> expiration;    // x=
};

// Why a signature field was refused, and how RFC 8601 §2.7.1 classes it: `syntax`
// (neutral: "contained syntax errors") or not (permerror: "not acceptable").
struct signature_problem {
  bool syntax = true;
  std::string reason;
};

// Limits on what a hostile signature may ask of us.
inline constexpr std::size_t max_signed_headers = 512;

// Parses and checks the value of a DKIM-Signature field (after the colon):
// required tags v a b bh d h s (§3.5), v=1, a known algorithm (rsa-sha1 is refused,
// RFC 8301 §3.1), q= including dns/txt, h= naming From (§5.4), i= in d= or a
// subdomain (§6.1.1), x= not before t=, numbers in range.
[[nodiscard]] std::expected<dkim_signature, signature_problem> parse_dkim_signature(std::string_view value);

// Case-insensitive: is `sub` the domain `parent` or one of its subdomains?
[[nodiscard]] bool is_same_or_subdomain(std::string_view sub, std::string_view parent) noexcept;

}  // namespace letterhead::mailauth
