#pragma once
// ARC chain validation (RFC 8617 §5.2): the ARC sets (ARC-Authentication-Results,
// ARC-Message-Signature, ARC-Seal) a forwarder added, checked for structure
// (instances 1..N, one of each field per instance, cv= rules of §5.1.1), the newest
// ARC-Message-Signature verified like a DKIM signature, and every ARC-Seal verified
// from the newest down. Reuses the DKIM pieces (canonicalization, key records,
// crypto). Sealing is in arc_seal.hpp, which shares the set collection below.
//
// Untrusted input: the message and the key records. Bounded: at most max_arc_instances
// sets (§4.2.1: 50), one key lookup per signature verified, tag lists limited as for DKIM.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mailauth/canonicalization.hpp"
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

// One ARC set (§4.1): its three fields, null where missing.
struct arc_set {
  const header_field* aar = nullptr;
  const header_field* ams = nullptr;
  const header_field* seal = nullptr;
};

struct arc_sets {
  std::vector<arc_set> by_instance;  // index 1..max_arc_instances
  unsigned newest = 0;               // N; 0 when the message has no ARC field
};

// §5.2 step 1: the ARC fields of `parts` by instance, or why they are malformed (no
// valid i=, two of a kind in one instance, more than 3 * max_arc_instances fields).
[[nodiscard]] std::variant<arc_sets, std::string> collect_arc_sets(const message_parts& parts);

// §5.1.1: the fields the ARC-Seal of instance i signs, in order: AAR, AMS and AS of
// each earlier instance, then AAR and AMS of instance i.
[[nodiscard]] std::vector<const header_field*> seal_input(const std::vector<arc_set>& sets, unsigned i);

// Validates the ARC chain of `message` (bare LF line ends are treated as CRLF).
[[nodiscard]] arc_verification verify_arc(std::string_view message, const txt_lookup& lookup);

// "arc=pass (i=2)" / "arc=fail (reason)" / "arc=none" (RFC 8617 §6, RFC 8601).
[[nodiscard]] std::string format_result(const arc_verification& v);

}  // namespace letterhead::mailauth
