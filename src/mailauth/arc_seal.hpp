#pragma once
// ARC sealing (RFC 8617 §5.1): a forwarder adds one ARC set to a message it passes
// on: ARC-Authentication-Results (§4.1.1, a copy of the results its own checks
// found), ARC-Message-Signature (§4.1.2, a DKIM signature with i= and without v=)
// and ARC-Seal (§4.1.3, over the ARC sets, cv= the validation of the chain found).
// Signed with one key of a dkim_signer, relaxed canonicalization, reusing DKIM's
// field signing (dkim_sign.hpp) and the verifier's set collection (arc_verify.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "mailauth/arc_verify.hpp"
#include "mailauth/dkim_sign.hpp"

namespace letterhead::mailauth {

struct arc_seal_request {
  // The AAR's payload after "i=N; ": "authserv-id; method=result ...; ..." as in our
  // Authentication-Results (RFC 8601 §2.2), or "authserv-id; none".
  std::string results;
  // The validation of the chain the message arrived with (§5.1.1 cv=): none when it
  // had no ARC fields, pass, or fail (then the new seal covers only its own set,
  // §5.1.2, and the chain ends there).
  arc_result chain = arc_result::none;
};

// The new ARC set (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results, each
// ending in CRLF) to prepend to `message`. errc::limit when the message already has
// max_arc_instances sets (§5.1.1: no further set is added). Sets that are malformed
// or incomplete are sealed with cv=fail whatever `request.chain` says.
[[nodiscard]] core::result<std::string> arc_seal(const dkim_signer& signer, std::string_view message,
                                                 const arc_seal_request& request, std::int64_t now);

// What our Authentication-Results field (authserv-id `authserv_id`, the topmost one)
// of `message` says, as a seal request: its payload and its arc= result. nullopt when
// the message has no such field.
[[nodiscard]] std::optional<arc_seal_request> seal_request_from(std::string_view message,
                                                                std::string_view authserv_id);

}  // namespace letterhead::mailauth
