// STARTTLS (RFC 9051 §6.2.1), LOGIN (§6.2.3), AUTHENTICATE PLAIN (§6.2.2, RFC 4616,
// SASL-IR RFC 4959) and SCRAM-SHA-256 (RFC 7677, the exchange is directory/sasl.hpp's,
// shared with SMTP and POP3); the check that ends a session whose account was
// disabled, frozen or offboarded.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/runtime.hpp"
#include "imap/server/session.hpp"
#include "smtp/proto/auth.hpp"
#include "smtp/proto/base64.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

constexpr std::size_t max_auth_failures = 5;
constexpr int max_sasl_rounds = 4;

// The wait directory::authenticate asks for after a failure (brute-force damping).
asio::awaitable<void> pause(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

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
    const auto code = who.error().code;
    if (code == core::errc::invalid) co_return co_await bad(cmd, "Invalid authentication data");
    if (code != core::errc::denied && code != core::errc::limit) {
      log_.error("authentication backend error: {}", who.error().message);
      co_return co_await no(cmd, "[UNAVAILABLE] Temporary authentication failure");
    }
    ++auth_failures_;
    // RFC 5530 §3: a block is temporary ([UNAVAILABLE]); a refusal the user can act on
    // (TOTP account, password change) says why ([AUTHENTICATIONFAILED] otherwise).
    const auto text = directory::refusal_text(who.error());
    if (code == core::errc::limit) co_return co_await no(cmd, "[UNAVAILABLE] " + text);
    if (!text.empty()) co_return co_await no(cmd, "[AUTHENTICATIONFAILED] " + text);
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
  directory::login_context ctx{directory::login_protocol::imap, transport_->peer_ip(), {}};
  auto check = [&d = directory_, user = a->user, pass = a->password, &ctx]() {
    return d.authenticate(user, pass, ctx);
  };
  auto who = co_await blocking(std::move(check));
  if (!who) co_await pause(ctx.delay);
  co_return co_await logged_in(cmd, std::move(who));
}

asio::awaitable<session::outcome> session::cmd_authenticate(const command& cmd) {
  const auto* a = std::get_if<proto::auth_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "AUTHENTICATE needs a mechanism");
  if (a->mechanism == directory::sasl_scram_sha256) co_return co_await authenticate_sasl(cmd);
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
  directory::login_context ctx{directory::login_protocol::imap, transport_->peer_ip(), {}};
  auto check = [&d = directory_, user, pass, &ctx]() { return d.authenticate(user, pass, ctx); };
  auto who = co_await blocking(std::move(check));
  if (!who) co_await pause(ctx.delay);
  co_return co_await logged_in(cmd, std::move(who));
}

asio::awaitable<session::outcome> session::authenticate_sasl(const command& cmd) {
  const auto* a = std::get_if<proto::auth_args>(&cmd.args);
  if (!login_allowed()) co_return co_await no(cmd, "[PRIVACYREQUIRED] Use STARTTLS first");
  directory::login_context ctx{directory::login_protocol::imap, transport_->peer_ip(), {}};
  auto exchange = directory_.start_sasl(a->mechanism, ctx);
  if (!exchange) co_return co_await no(cmd, "Unsupported authentication mechanism");
  std::optional<std::string> pending;
  if (a->initial) {
    // RFC 4959 §3: "=" is an empty initial response.
    auto decoded = smtp::proto::base64_decode(*a->initial == "=" ? "" : *a->initial);
    if (!decoded) co_return co_await bad(cmd, "Invalid base64");
    pending = std::move(*decoded);
  }
  std::string challenge;
  for (int round = 0; round < max_sasl_rounds; ++round) {
    std::string response;
    if (pending) {
      response = std::move(*pending);
      pending.reset();
    } else {
      // RFC 9051 §6.2.2: a challenge is "+ " and base64; "*" cancels with BAD.
      out_ += "+ " + smtp::proto::base64_encode(challenge) + "\r\n";
      if (!co_await flush()) co_return outcome::close;
      // The answer to the server-final challenge is an empty line.
      reader_.set_empty_lines(true);
      auto line = co_await read_continuation();
      reader_.set_empty_lines(false);
      if (!line) co_return outcome::close;
      if (*line == "*") co_return co_await bad(cmd, "Authentication cancelled");
      auto decoded = smtp::proto::base64_decode(*line);
      if (!decoded) co_return co_await bad(cmd, "Invalid base64");
      response = std::move(*decoded);
    }
    auto respond = [&ex = *exchange, response] { return ex.respond(response); };
    auto step = co_await blocking(std::move(respond));
    if (!step) {
      co_await pause(exchange->delay());
      co_return co_await logged_in(cmd, std::unexpected(step.error()));
    }
    if (step->done) co_return co_await logged_in(cmd, exchange->account());
    challenge = std::move(step->challenge);
  }
  co_return co_await bad(cmd, "Authentication exchange too long");
}

asio::awaitable<bool> session::still_authorized() {
  if (!account_) co_return true;
  auto active = directory_.account_active_cached(account_->id);
  if (!active) {
    auto check = [&d = directory_, id = account_->id] { return d.account_active(id); };
    auto fresh = co_await blocking(std::move(check));
    // A store error is no reason to end the session: the next check tries again.
    active = fresh ? *fresh : true;
  }
  if (*active) co_return true;
  log_.info("account {} was disabled: ending the session", account_->address);
  // RFC 9051 §7.1.5: BYE before closing.
  untagged("BYE [UNAVAILABLE] This account has been disabled / 此账户已停用");
  (void)co_await flush();
  co_return false;
}

}  // namespace letterhead::imap::server
