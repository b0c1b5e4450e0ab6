#pragma once
// RFC 8689 for the outbound queue: which TLS an entry demands, and the checks that a
// REQUIRETLS message needs on its way. Pure, unit-tested; the worker applies them.
//
// - REQUIRETLS (§4.2.1), for a message with a sender: the MX answer DNSSEC-validated
//   or the MX host listed in the domain's MTA-STS policy (enforce or testing: the
//   policy names the hosts either way); TLS with the certificate authenticated by
//   DANE or else PKIX for the MX host name; REQUIRETLS in the EHLO reply after
//   STARTTLS; REQUIRETLS on MAIL. A host that fails a step is left for the next one;
//   when no host qualifies the recipient fails permanently (§4.2.1: "MUST NOT
//   transmit the message", then a non-delivery report): 5.7.30 "REQUIRETLS support
//   required", or 5.7.10 "Encryption needed" when no authenticated TLS could be had.
//   A host we could not reach at all still makes the attempt temporary.
// - A bounce of a REQUIRETLS message (null sender) is tagged too and asks for
//   REQUIRETLS where it is offered, but is not held back where it is not (§5).
// - "TLS-Required: No" (§4.2.2, §3) without REQUIRETLS: recipient-side policies
//   (DANE, MTA-STS) are ignored; TLS is still used when the server offers it.

#include <optional>
#include <string>
#include <string_view>

#include "delivery/outbound/mta_sts.hpp"
#include "delivery/outbound/routing.hpp"
#include "smtp/client/client.hpp"
#include "store/types.hpp"

namespace letterhead::delivery::outbound {

enum class tls_demand {
  normal,    // DANE, else MTA-STS, else opportunistic TLS
  required,  // REQUIRETLS with a sender (RFC 8689 §4.2.1)
  optional,  // TLS-Required: No (RFC 8689 §4.2.2): opportunistic TLS only
};

// Whether the header section of `message` has "TLS-Required: No" (RFC 8689 §3; the
// name and the value compare case-insensitively, whitespace around the value is
// ignored).
[[nodiscard]] bool has_tls_required_no(std::string_view message);

// An entry's demand: REQUIRETLS overrides the header field (§4.2.2: the header is
// ignored when REQUIRETLS is present).
[[nodiscard]] tls_demand demand_of(const store::queue_entry& e, std::string_view message);

// Idle connections are kept per destination and demand: a connection set up for a
// weaker demand must never carry a message that needs a stronger one.
[[nodiscard]] std::string connection_key(std::string_view destination, tls_demand demand);

// §4.2.1 step 2 for one MX host: nullopt when it may be used (MX answer secure, or
// host listed in an enforce/testing MTA-STS policy, or an address literal, which
// has no MX lookup), else the permanent 5.7.30 reason.
[[nodiscard]] std::optional<smtp::client::status> requiretls_mx_check(bool mx_dnssec,
                                                                      const std::optional<sts_policy>& policy,
                                                                      const mx_host& host, std::string_view domain);

// A session that could not be set up for a REQUIRETLS message: TLS trouble that the
// client found itself (no STARTTLS offered, a failed handshake, a certificate that
// does not verify: X.7.x without a reply code) becomes the permanent 5.7.10 of
// §4.2.1; anything else (no connection, a timeout, a server's reply such as 454 to
// STARTTLS) is returned unchanged. `refusal` says whether it became a REQUIRETLS refusal.
[[nodiscard]] smtp::client::status requiretls_session_failure(const smtp::client::status& why, bool& refusal);

}  // namespace letterhead::delivery::outbound
