// STLS (RFC 2595 §4).
#include "pop3/server/session.hpp"

namespace letterhead::pop3::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_stls(const proto::command&) {
  if (!settings_.tls_available || transport_->tls()) {
    co_return co_await error("TLS already active or not available");
  }
  if (!co_await send(proto::ok("Begin TLS negotiation"))) co_return outcome::close;
  // CVE-2011-0411: whatever the client sent after STLS in plaintext must not run
  // inside the TLS session. It is thrown away.
  if (lines_.has_buffered()) {
    log_.warn("discarding plaintext pipelined after STLS");
    lines_.clear();
  }
  if (auto r = co_await transport_->start_tls(settings_.limits.command_timeout); !r) {
    log_.info("{}", r.error().message);
    co_return outcome::close;
  }
  log_.info("TLS started: {}", transport_->tls_description());
  // RFC 2595 §4: the client must discard what it knew; we forget the USER name.
  user_.reset();
  co_return outcome::next;
}

}  // namespace letterhead::pop3::server
