// CAPA (RFC 2449 §5), NOOP (RFC 1939 §5) and QUIT (RFC 1939 §4, §6).
#include <fmt/format.h>

#include "core/runtime.hpp"
#include "pop3/server/session.hpp"

namespace letterhead::pop3::server {

namespace asio = boost::asio;
using proto::resp_code;

asio::awaitable<session::outcome> session::cmd_capa(const proto::command&) {
  // RFC 2449 §6. TOP, UIDL, RESP-CODES, PIPELINING, AUTH-RESP-CODE (RFC 3206 §6) in
  // every state; STLS, USER and SASL only in AUTHORIZATION, and USER/SASL only where
  // a password may be sent (RFC 2595 §4: not before TLS).
  std::string out = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (state_ == state::authorization) {
    if (settings_.tls_available && !transport_->tls()) out += "STLS\r\n";
    if (auth_allowed()) {
      const auto extra = backend_.sasl_mechanisms();  // SCRAM-SHA-256 (RFC 7677)
      out += extra.empty() ? std::string("USER\r\nSASL PLAIN\r\n") : "USER\r\nSASL PLAIN " + extra + "\r\n";
    }
  }
  // No EXPIRE (RFC 2449 §6.7): retention policies may remove mail, so we promise
  // nothing either way.
  out += "IMPLEMENTATION Letterhead\r\n.\r\n";
  if (!co_await send(out)) co_return outcome::close;
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::cmd_noop(const proto::command&) { co_return co_await ok(""); }

asio::awaitable<session::outcome> session::cmd_quit(const proto::command&) {
  if (state_ != state::transaction) {
    // RFC 1939 §4: QUIT in AUTHORIZATION ends the session, nothing else.
    (void)co_await send(proto::ok("Bye"));
    co_return outcome::close;
  }
  // RFC 1939 §6: the UPDATE state removes the messages marked as deleted.
  state_ = state::update;
  std::vector<std::uint32_t> uids;
  for (std::size_t i = 0; i < drop_.messages.size(); ++i) {
    if (deleted_[i]) uids.push_back(drop_.messages[i].uid);
  }
  if (!uids.empty()) {
    auto remove = [&b = backend_, drop = &drop_, uids]() { return b.remove(*drop, uids); };
    auto r = co_await core::run_blocking(blocking_, std::move(remove));
    if (!r) {
      // RFC 1939 §6: "-ERR some deleted messages not removed".
      log_.error("cannot remove {} messages of {}: {}", uids.size(), identity_->address, r.error().message);
      (void)co_await send(proto::err("Some deleted messages not removed", resp_code::sys_temp));
      co_return outcome::close;
    }
    log_.info("removed {} messages", uids.size());
  }
  const auto left = drop_.messages.size() - uids.size();
  (void)co_await send(proto::ok(fmt::format("Letterhead POP3 server signing off ({} messages deleted, {} left)",
                                            uids.size(), left)));
  co_return outcome::close;
}

}  // namespace letterhead::pop3::server
