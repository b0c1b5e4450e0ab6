#pragma once
// ARC chain validation (RFC 8617 §5.2): the ARC sets (ARC-Authentication-Results,
// ARC-Message-Signature, ARC-Seal) a forwarder added, checked for structure
// (instances 1..N, one of each field per instance, cv= rules of §5.1.1), the newest
// ARC-Message-Signature verified like a DKIM signature, and every ARC-Seal verified
// from the newest down. Reuses the DKIM pieces (canonicalization, key records,
// crypto). Sealing is not implemented.
//
// Untrusted input: the message and the key records. Bounded: at most max_arc_instances
// sets (§4.2.1: 50), one key lookup per signature verified, tag lists limited as for DKIM.

#include <cstdint>
#include <string>
#include <string_view>

#include "mailauth/txt_lookup.hpp"

namespace letterhead::mailauth {

enum class arc_result { none, pass, fail };

[[nodiscard]] const char* to_string(arc_result r) noexcept;

inline constexpr unsigned max_arc_instances = 50;

struct arc_verification {
  arc_result result = arc_result::none;
  unsigned instances = 0;  // N, the newest instance
  std::string reason;      // why it failed (printable ASCII)
  bool temporary = false;  // a key lookup failed temporarily (result is fail)
};

// Validates the ARC chain of `message` (bare LF line ends are treated as CRLF).
[[nodiscard]] arc_verification verify_arc(std::string_view message, const txt_lookup& lookup);

// "arc=pass (i=2)" / "arc=fail (reason)" / "arc=none" (RFC 8617 §6, RFC 8601).
[[nodiscard]] std::string format_result(const arc_verification& v);

}  // namespace letterhead::mailauth
