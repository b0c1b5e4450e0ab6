#include "smtp/client/requirements.hpp"

#include <fmt/format.h>

#include "smtp/proto/address.hpp"

namespace letterhead::smtp::client {

message_needs analyse(const envelope& env, std::string_view message) {
  message_needs out;
  out.binary = env.body_type == "BINARYMIME";
  out.eight_bit = !proto::is_ascii(message);
  bool envelope_utf8 = !proto::is_ascii(env.mail_from);
  for (const auto& r : env.recipients) envelope_utf8 = envelope_utf8 || !proto::is_ascii(r.address);
  // The header block ends at the first empty line (RFC 5322 §2.1).
  auto end = message.find("\r\n\r\n");
  const auto headers = message.substr(0, end == std::string_view::npos ? message.size() : end);
  // Raw 8-bit headers without SMTPUTF8 are legacy mail: 8BITMIME carries them as
  // well as anyone can; only a submitter's SMTPUTF8 makes them internationalised.
  out.smtputf8 = envelope_utf8 || (env.smtputf8 && !proto::is_ascii(headers));
  return out;
}

bool needs_seven_bit(const message_needs& needs, const proto::extensions& ext, bool esmtp) {
  if (needs.smtputf8 && !(esmtp && ext.smtputf8)) return false;
  if (needs.binary) return !(esmtp && ext.binarymime && ext.chunking);
  return needs.eight_bit && !(esmtp && ext.eightbitmime);
}

std::optional<status> check_peer(const message_needs& needs, const proto::extensions& ext, bool esmtp,
                                 std::uint64_t message_size) {
  auto refuse = [](std::string_view enhanced, std::string text) {
    return status{outcome::permanent, 0, std::string(enhanced), std::move(text)};
  };
  // RFC 1870 §6.1: a message larger than the server's fixed limit cannot be sent there.
  if (esmtp && ext.size && *ext.size > 0 && message_size > *ext.size) {
    return refuse("5.3.4", fmt::format("Message too big for the destination server ({} bytes, limit {})",
                                       message_size, *ext.size));
  }
  if (needs.smtputf8 && !(esmtp && ext.smtputf8)) {
    // RFC 6531 §3.2: without SMTPUTF8 at the next hop the message cannot be relayed.
    return refuse("5.6.7", "The destination server does not support SMTPUTF8, needed for this "
                           "message's internationalised addresses or headers");
  }
  if (needs.binary && !(esmtp && ext.binarymime && ext.chunking)) {
    return refuse("5.6.3", "The destination server does not support BINARYMIME");
  }
  if (needs.eight_bit && !needs.binary && !(esmtp && ext.eightbitmime)) {
    return refuse("5.6.3", "The destination server does not support 8BITMIME, needed for this "
                           "message's 8-bit content");
  }
  return std::nullopt;
}

std::optional<status> check_requiretls(const proto::extensions& ext, bool esmtp, bool verified_tls,
                                       std::string_view peer) {
  if (!verified_tls) {
    return status{outcome::permanent, 0, "5.7.10",
                  fmt::format("REQUIRETLS: no TLS session with an authenticated certificate to {}", peer)};
  }
  if (!(esmtp && ext.requiretls)) {
    return status{outcome::permanent, 0, "5.7.30",
                  fmt::format("REQUIRETLS support required: {} does not offer REQUIRETLS", peer)};
  }
  return std::nullopt;
}

bool send_requiretls(const envelope& env, const proto::extensions& ext, bool esmtp, bool tls) {
  return env.requiretls && esmtp && ext.requiretls && tls;
}

}  // namespace letterhead::smtp::client
