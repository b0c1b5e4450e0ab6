// USER/PASS and APOP (RFC 1939 §7), AUTH (RFC 5034) with PLAIN (RFC 4616).
#include <fmt/format.h>

#include "core/runtime.hpp"
#include "pop3/proto/sasl.hpp"
#include "pop3/server/session.hpp"

namespace letterhead::pop3::server {

namespace asio = boost::asio;
using proto::resp_code;

namespace {

constexpr std::string_view tls_required = "Authentication requires TLS: use STLS first";

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
    if (!co_await send("+OK Supported mechanisms follow\r\nPLAIN\r\n.\r\n")) co_return outcome::close;
    co_return outcome::next;
  }
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
  auto check = [&b = backend_, username, password = std::move(password)]() {
    return b.authenticate(username, password);
  };
  auto who = co_await core::run_blocking(blocking_, std::move(check));
  if (!who) {
    if (who.error().code != core::errc::denied) {
      log_.error("authentication backend error: {}", who.error().message);
      co_return co_await error("Temporary authentication failure", resp_code::sys_temp);
    }
    co_return co_await login_failed(username, how);
  }

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

asio::awaitable<session::outcome> session::login_failed(std::string_view username, std::string_view how) {
  ++auth_failures_;
  // The user name helps admins; the password is never logged.
  log_.info("{} login failed for '{}'", how, username);
  if (auth_failures_ >= settings_.max_auth_failures) {
    (void)co_await send(proto::err("Too many failed logins, closing", resp_code::auth));
    co_return outcome::close;
  }
  // RFC 3206 §4: [AUTH], the credentials were wrong.
  co_return co_await error("Authentication failed", resp_code::auth);
}

}  // namespace letterhead::pop3::server
