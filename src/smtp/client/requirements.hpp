#pragma once
// What a message needs from the next hop, and whether a server offering `ext`
// can take it. Decided before MAIL so that a message is never half-sent or
// silently corrupted by a peer that lacks an extension. Sans-I/O.
//
// The 8-bit downgrade itself (RFC 6152 §3: 8-bit MIME parts re-encoded as
// quoted-printable or base64 for a server without 8BITMIME) is mime::to_seven_bit; the
// outbound queue applies it, before DKIM signing, when needs_seven_bit() says so.
// todo(rfc): no SMTPUTF8 downgrade (RFC 6531 §3.7, RFC 6857): such recipients fail
// permanently with a clear reason.

#include <cstdint>
#include <optional>
#include <string_view>

#include "smtp/client/client.hpp"
#include "smtp/proto/ehlo.hpp"

namespace letterhead::smtp::client {

struct message_needs {
  bool eight_bit = false;  // a byte >= 0x80 in the message: BODY=8BITMIME (RFC 6152)
  bool binary = false;     // declared BINARYMIME: BDAT and BINARYMIME (RFC 3030 §3)
  bool smtputf8 = false;   // UTF-8 in the envelope, or in the headers of a message
                           // submitted with SMTPUTF8 (RFC 6531 §3.4)
};

[[nodiscard]] message_needs analyse(const envelope& env, std::string_view message);

// A permanent failure for every recipient when the server cannot take the message
// (RFC 1870 §6.1 SIZE: 5.3.4; RFC 6152 8BITMIME: 5.6.3; RFC 6531 §3.2 SMTPUTF8:
// 5.6.7; RFC 3030 BINARYMIME: 5.6.3), std::nullopt when it can.
// Whether the message must be converted to 7-bit for this server: 8-bit content
// without 8BITMIME (RFC 6152 §3), or BINARYMIME without BINARYMIME and CHUNKING
// (RFC 3030 §3). False when the server cannot take it anyway (SMTPUTF8 missing): then
// check_peer's reason is the one that counts. Converted, the message goes as 7BIT.
[[nodiscard]] bool needs_seven_bit(const message_needs& needs, const proto::extensions& ext, bool esmtp);

[[nodiscard]] std::optional<status> check_peer(const message_needs& needs,
                                               const proto::extensions& ext, bool esmtp,
                                               std::uint64_t message_size);

// RFC 8689 §4.2.1 steps 4-5, for a REQUIRETLS message that is not a bounce: TLS
// with an authenticated certificate (else 5.7.10 "Encryption needed") and REQUIRETLS
// in the EHLO reply after STARTTLS (else 5.7.30 "REQUIRETLS support required"). Both
// permanent: the message must not go to this server in any other way.
[[nodiscard]] std::optional<status> check_requiretls(const proto::extensions& ext, bool esmtp,
                                                     bool verified_tls, std::string_view peer);

// Whether MAIL carries the REQUIRETLS parameter: the message is tagged and the server
// offers the extension on this TLS session (RFC 8689 §2; a bounce of a REQUIRETLS
// message is tagged too, §5, and still goes where it is not offered).
[[nodiscard]] bool send_requiretls(const envelope& env, const proto::extensions& ext, bool esmtp, bool tls);

}  // namespace letterhead::smtp::client
