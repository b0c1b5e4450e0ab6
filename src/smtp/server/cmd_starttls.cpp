// STARTTLS (RFC 3207).
#include "smtp/server/session.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_starttls(const proto::command& cmd) {
  if (!settings_.tls_available || transport_->tls()) {
    co_return co_await error_reply(503, "5.5.1", "TLS already active or not available");
  }
  if (!cmd.argument.empty()) {
    co_return co_await error_reply(501, "5.5.4", "STARTTLS takes no parameters");
  }
  if (state_ == state::mail || state_ == state::rcpt) {
    co_return co_await error_reply(503, "5.5.1", "STARTTLS not allowed during a transaction");
  }
  if (!co_await reply(220, "2.0.0", "Ready to start TLS")) co_return outcome::close;
  // CVE-2011-0411: anything the client sent after STARTTLS in the same plaintext
  // packet(s) must not be executed inside the TLS session. It is thrown away.
  if (lines_.has_buffered()) {
    log_.warn("discarding plaintext pipelined after STARTTLS");
    lines_.clear();
  }
  if (auto r = co_await transport_->start_tls(settings_.limits.command_timeout); !r) {
    log_.info("{}", r.error().message);
    co_return outcome::close;
  }
  log_.info("TLS started: {}", transport_->tls_description());
  // RFC 3207 §4.2: discard all knowledge obtained from the client before TLS.
  reset_transaction();
  helo_.clear();
  esmtp_ = false;
  identity_.reset();
  state_ = state::greeted;
  co_return outcome::next;
}

}  // namespace letterhead::smtp::server
