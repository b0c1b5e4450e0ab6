// HELO and EHLO (RFC 5321 §4.1.1.1) and the extensions we announce.
#include <fmt/format.h>

#include "smtp/proto/reply.hpp"
#include "smtp/server/session.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_helo(const proto::command& cmd) {
  // RFC 5321 §4.1.4: HELO/EHLO again resets the transaction, like RSET.
  reset_transaction();
  helo_ = cmd.domain;
  esmtp_ = false;
  state_ = state::hello;
  if (!co_await reply(250, "", fmt::format("{} Hello {}", settings_.hostname, helo_))) {
    co_return outcome::close;
  }
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::cmd_ehlo(const proto::command& cmd) {
  reset_transaction();
  helo_ = cmd.domain;
  esmtp_ = true;
  state_ = state::hello;
  std::vector<std::string> ext;
  ext.push_back("PIPELINING");                                              // RFC 2920
  ext.push_back(fmt::format("SIZE {}", settings_.limits.message_size));     // RFC 1870
  ext.push_back("8BITMIME");                                                // RFC 6152
  ext.push_back("SMTPUTF8");                                                // RFC 6531
  ext.push_back("ENHANCEDSTATUSCODES");                                     // RFC 2034
  ext.push_back("CHUNKING");                                                // RFC 3030
  ext.push_back("BINARYMIME");                                              // RFC 3030
  ext.push_back("DSN");                                                     // RFC 3461
  if (settings_.tls_available && !transport_->tls()) ext.push_back("STARTTLS");  // RFC 3207
  // RFC 8689 §2: REQUIRETLS is offered only on a TLS session; it may be used only there.
  if (transport_->tls()) ext.push_back("REQUIRETLS");
  // RFC 4954 §4: offer AUTH only where it may be used (after TLS).
  if (auth_allowed() && !identity_) {
    // SCRAM-SHA-256 (RFC 7677) after the others: clients choose by their own
    // preference, and the line stays what older scripts look for.
    const auto extra = backend_.sasl_mechanisms();
    ext.push_back(extra.empty() ? std::string("AUTH PLAIN LOGIN") : "AUTH PLAIN LOGIN " + extra);
  }
  ext.push_back("HELP");
  if (!co_await reply(proto::ehlo_reply(settings_.hostname, helo_, ext))) co_return outcome::close;
  co_return outcome::next;
}

}  // namespace letterhead::smtp::server
