#pragma once
// What a message needs from the next hop, and whether a server offering `ext`
// can take it. Decided before MAIL so that a message is never half-sent or
// silently corrupted by a peer that lacks an extension. Sans-I/O.
//
// No downgrade yet: todo(rfc): RFC 6152 §3 lets a client convert 8-bit MIME parts to
// quoted-printable or base64 for a 7-bit server, and RFC 6531 §3.7 / RFC 6857
// describe SMTPUTF8 downgrades; we fail the recipients permanently with a clear reason.

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
[[nodiscard]] std::optional<status> check_peer(const message_needs& needs,
                                               const proto::extensions& ext, bool esmtp,
                                               std::uint64_t message_size);

}  // namespace letterhead::smtp::client
