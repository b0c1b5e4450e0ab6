// STARTTLS (RFC 9051 §6.2.1), LOGIN (§6.2.3), AUTHENTICATE PLAIN (§6.2.2, RFC 4616,
// SASL-IR RFC 4959).
#include <fmt/format.h>

#include "core/runtime.hpp"
#include "imap/server/session.hpp"
#include "smtp/proto/auth.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

constexpr std::size_t max_auth_failures = 5;

}  // namespace

asio::awaitable<session::outcome> session::cmd_starttls(const command& cmd) {
  if (transport_->tls()) co_return co_await bad(cmd, "TLS already active");
  tagged(cmd, "OK", "Begin TLS negotiation now");
  if (!co_await flush()) co_return outcome::close;
  if (reader_.has_buffered()) {
    // CVE-2011-0411 class: nothing sent in plaintext after STARTTLS may run inside TLS.
    log_.warn("discarding plaintext pipelined after STARTTLS");
    reader_.clear();
  }
  if (auto r = co_await transport_->start_tls(settings_.limits.command_timeout); !r) {
    log_.info("{}", r.error().message);
    co_return outcome::close;
  }
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::logged_in(const command& cmd, core::result<store::account> who) {
  if (!who) {
    if (who.error().code != core::errc::denied) {
      log_.error("authentication backend error: {}", who.error().message);
      co_return co_await no(cmd, "[UNAVAILABLE] Temporary authentication failure");
    }
    ++auth_failures_;
    if (auth_failures_ >= max_auth_failures) {
      tagged(cmd, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
      untagged("BYE Too many failed authentications");
      (void)co_await flush();
      co_return outcome::close;
    }
    co_return co_await no(cmd, "[AUTHENTICATIONFAILED] Authentication failed");
  }
  account_ = std::move(*who);
  state_ = state::authenticated;
  log_.info("login as {}", account_->address);
  // Wake-ups for IDLE: the notifier runs on the writer's thread, so it only posts.
  subscription_ = store_.notifier().subscribe(account_->id, [wake = wake_, exec = executor_] {
    asio::post(exec, [wake] { wake->wake(); });
  });
  // RFC 9051 §6.2.2: capabilities may change after login, so send them.
  co_return co_await ok(cmd, fmt::format("[CAPABILITY {}] Logged in", capabilities()));
}

asio::awaitable<session::outcome> session::cmd_login(const command& cmd) {
  if (!login_allowed()) {
    // RFC 9051 §6.2.3: LOGIN is disabled until TLS is active.
    co_return co_await no(cmd, "[PRIVACYREQUIRED] Use STARTTLS first");
  }
  const auto* a = std::get_if<proto::login_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "LOGIN needs a user and a password");
  auto check = [&d = directory_, user = a->user, pass = a->password]() { return d.authenticate(user, pass); };
  auto who = co_await blocking(std::move(check));
  co_return co_await logged_in(cmd, std::move(who));
}

asio::awaitable<session::outcome> session::cmd_authenticate(const command& cmd) {
  const auto* a = std::get_if<proto::auth_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "AUTHENTICATE needs a mechanism");
  if (a->mechanism != "PLAIN") co_return co_await no(cmd, "Unsupported authentication mechanism");
  if (!login_allowed()) co_return co_await no(cmd, "[PRIVACYREQUIRED] Use STARTTLS first");
  std::string response;
  if (a->initial) {
    response = *a->initial == "=" ? "" : *a->initial;
  } else {
    out_ += "+ \r\n";
    if (!co_await flush()) co_return outcome::close;
    auto line = co_await read_continuation();
    if (!line) co_return outcome::close;
    response = std::move(*line);
  }
  if (response == "*") co_return co_await bad(cmd, "Authentication cancelled");
  // RFC 4616 §2 message, decoded by the SMTP grammar's SASL PLAIN decoder (shared).
  auto creds = smtp::proto::decode_auth_plain(response);
  if (!creds) co_return co_await bad(cmd, "Invalid PLAIN response");
  std::string authzid = std::move(creds->authzid);
  std::string user = std::move(creds->authcid);
  std::string pass = std::move(creds->password);
  if (!authzid.empty() && authzid != user) {
    co_return co_await no(cmd, "[AUTHORIZATIONFAILED] Acting as another user is not allowed");
  }
  auto check = [&d = directory_, user, pass]() { return d.authenticate(user, pass); };
  auto who = co_await blocking(std::move(check));
  co_return co_await logged_in(cmd, std::move(who));
}

}  // namespace letterhead::imap::server
