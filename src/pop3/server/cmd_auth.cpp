// USER/PASS and APOP (RFC 1939 §7), AUTH (RFC 5034) with PLAIN (RFC 4616) and
// SCRAM-SHA-256 (RFC 7677; the exchange is directory/sasl.hpp's, shared with SMTP and
// IMAP).
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/runtime.hpp"
#include "pop3/proto/sasl.hpp"
#include "pop3/server/session.hpp"

namespace letterhead::pop3::server {

namespace asio = boost::asio;
using proto::resp_code;

namespace {

constexpr std::string_view tls_required = "Authentication requires TLS: use STLS first";
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

asio::awaitable<session::outcome> session::cmd_user(const proto::command& cmd) {
  // RFC 2595 §2.1: no cleartext password outside TLS. No [AUTH] code: the
  // credentials are not at fault, and some clients ask the user for a new password
  // on seeing it (RFC 3206 §4).
  if (!auth_allowed()) co_return co_await error(tls_required);
  // RFC 1939 §7: the answer must not reveal whether the mailbox exists.
  user_ = cmd.argument;
  co_return co_await ok("Send PASS");
}

asio::awaitable<session::outcome> session::cmd_pass(const proto::command& cmd) {
  if (!auth_allowed()) co_return co_await error(tls_required);
  // RFC 1939 §7: PASS only right after a successful USER.
  if (!user_) co_return co_await error("Send USER first");
  std::string username = std::move(*user_);
  user_.reset();
  co_return co_await login(std::move(username), cmd.argument, "USER");
}

asio::awaitable<session::outcome> session::cmd_apop(const proto::command&) {
  // APOP (RFC 1939 §7) needs the shared secret in clear on the server and uses MD5;
  // our passwords are argon2id hashes. The greeting carries no timestamp, which tells
  // clients it is not offered.
  user_.reset();
  co_return co_await error("APOP is not supported");
}

asio::awaitable<session::outcome> session::cmd_auth(const proto::command& cmd) {
  if (!auth_allowed()) co_return co_await error(tls_required);
  user_.reset();
  if (cmd.mechanism.empty()) {
    // RFC 1734 §2 discovery form, still sent by some clients: list the mechanisms.
    std::string list = "+OK Supported mechanisms follow\r\nPLAIN\r\n";
    if (const auto extra = backend_.sasl_mechanisms(); !extra.empty()) list += extra + "\r\n";
    if (!co_await send(list + ".\r\n")) co_return outcome::close;
    co_return outcome::next;
  }
  if (cmd.mechanism == directory::sasl_scram_sha256) co_return co_await authenticate_sasl(cmd);
  if (cmd.mechanism != "PLAIN") co_return co_await error("Unrecognized authentication mechanism");

  std::string response;
  if (cmd.initial_response) {
    // RFC 5034 §4: "=" is an empty initial response.
    response = *cmd.initial_response == "=" ? "" : *cmd.initial_response;
  } else {
    // RFC 5034 §4: an empty challenge, "+ " then CRLF; the response line may be
    // longer than a command line.
    if (!co_await send("+ \r\n")) co_return outcome::close;
    lines_.set_max_length(settings_.sasl_line_length);
    auto line = co_await read_event();
    lines_.set_max_length(settings_.line_length);
    if (!line) co_return outcome::close;
    // An overlong response ends the exchange; the next line is a command again.
    if (line->too_long) co_return co_await error("Line too long");
    response = std::move(line->text);
  }
  // RFC 5034 §4: "*" cancels the exchange, answered with -ERR.
  if (response == "*") co_return co_await error("Authentication cancelled");
  auto creds = proto::decode_plain(response);
  if (!creds) co_return co_await error("Invalid PLAIN response");
  // An authorization identity other than the user itself is not supported.
  if (!creds->authzid.empty() && creds->authzid != creds->authcid) {
    co_return co_await login_failed(creds->authcid, "AUTH PLAIN");
  }
  co_return co_await login(std::move(creds->authcid), std::move(creds->password), "AUTH PLAIN");
}

asio::awaitable<session::outcome> session::login(std::string username, std::string password,
                                                 std::string_view how) {
  directory::login_context ctx{directory::login_protocol::pop3, transport_->peer_ip(), {}};
  auto check = [&b = backend_, username, password = std::move(password), &ctx]() {
    return b.login(username, password, ctx);
  };
  auto who = co_await core::run_blocking(blocking_, std::move(check));
  if (!who) {
    const auto code = who.error().code;
    if (code != core::errc::denied && code != core::errc::limit) {
      log_.error("authentication backend error: {}", who.error().message);
      co_return co_await error("Temporary authentication failure", resp_code::sys_temp);
    }
    co_await pause(ctx.delay);
    co_return co_await login_failed(username, how, directory::refusal_text(who.error()));
  }
  co_return co_await open_session(std::move(*who), how);
}

asio::awaitable<session::outcome> session::authenticate_sasl(const proto::command& cmd) {
  directory::login_context ctx{directory::login_protocol::pop3, transport_->peer_ip(), {}};
  auto exchange = backend_.start_sasl(cmd.mechanism, ctx);
  if (!exchange) co_return co_await error("Unrecognized authentication mechanism");
  std::optional<std::string> pending;
  if (cmd.initial_response) {
    auto decoded = proto::base64_decode(*cmd.initial_response == "=" ? "" : *cmd.initial_response);
    if (!decoded) co_return co_await error("Invalid base64");
    pending = std::move(*decoded);
  }
  std::string challenge;
  for (int round = 0; round < max_sasl_rounds; ++round) {
    std::string response;
    if (pending) {
      response = std::move(*pending);
      pending.reset();
    } else {
      // RFC 5034 §4: "+ " and base64; "*" cancels.
      if (!co_await send("+ " + proto::base64_encode(challenge) + "\r\n")) co_return outcome::close;
      lines_.set_max_length(settings_.sasl_line_length);
      auto line = co_await read_event();
      lines_.set_max_length(settings_.line_length);
      if (!line) co_return outcome::close;
      if (line->too_long) co_return co_await error("Line too long");
      if (line->text == "*") co_return co_await error("Authentication cancelled");
      auto decoded = proto::base64_decode(line->text);
      if (!decoded) co_return co_await error("Invalid base64");
      response = std::move(*decoded);
    }
    auto respond = [&ex = *exchange, response] { return ex.respond(response); };
    auto step = co_await core::run_blocking(blocking_, std::move(respond));
    if (!step) {
      const auto code = step.error().code;
      if (code == core::errc::invalid) co_return co_await error("Invalid authentication data");
      if (code != core::errc::denied && code != core::errc::limit) {
        log_.error("authentication backend error: {}", step.error().message);
        co_return co_await error("Temporary authentication failure", resp_code::sys_temp);
      }
      co_await pause(exchange->delay());
      co_return co_await login_failed("", "AUTH SCRAM-SHA-256", directory::refusal_text(step.error()));
    }
    if (step->done) {
      const auto& acc = exchange->account();
      co_return co_await open_session(identity{acc.id, acc.address}, "AUTH SCRAM-SHA-256");
    }
    challenge = std::move(step->challenge);
  }
  co_return co_await error("Authentication exchange too long");
}

asio::awaitable<session::outcome> session::open_session(identity who_id, std::string_view how) {
  auto who = std::optional<identity>(std::move(who_id));
  auto open = [&b = backend_, who = *who]() { return b.open_maildrop(who); };
  auto drop = co_await core::run_blocking(blocking_, std::move(open));
  if (!drop) {
    // RFC 1939 §7: if the maildrop cannot be opened the server answers -ERR and stays
    // in AUTHORIZATION.
    log_.error("cannot open the maildrop of {}: {}", who->address, drop.error().message);
    co_return co_await error("Unable to open the maildrop", resp_code::sys_temp);
  }
  identity_ = std::move(*who);
  drop_ = std::move(*drop);
  deleted_.assign(drop_.messages.size(), false);
  deleted_count_ = 0;
  deleted_size_ = 0;
  state_ = state::transaction;
  log_.info("{} login as {}, {} messages", how, identity_->address, drop_.messages.size());
  const std::string text = fmt::format("Logged in, maildrop has {} messages ({} octets)", drop_.messages.size(),
                                       drop_size());
  co_return co_await ok(text);
}

asio::awaitable<session::outcome> session::login_failed(std::string_view username, std::string_view how,
                                                       std::string_view refusal) {
  ++auth_failures_;
  // The user name helps admins; the password is never logged.
  log_.info("{} login failed for '{}'", how, username);
  if (auth_failures_ >= settings_.max_auth_failures) {
    (void)co_await send(proto::err("Too many failed logins, closing", resp_code::auth));
    co_return outcome::close;
  }
  // RFC 3206 §4: [AUTH], the credentials were wrong (or the user must act on the
  // refusal); [SYS/TEMP] for a block, which passes by itself.
  if (!refusal.empty()) {
    co_return co_await error(refusal, refusal.starts_with("Too many") ? resp_code::sys_temp : resp_code::auth);
  }
  co_return co_await error("Authentication failed", resp_code::auth);
}

}  // namespace letterhead::pop3::server
