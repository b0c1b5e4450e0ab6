// AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms.
#include <fmt/format.h>

#include "core/runtime.hpp"
#include "smtp/proto/auth.hpp"
#include "smtp/proto/base64.hpp"
#include "smtp/server/session.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;

namespace {

// Failed AUTH attempts in one session before we hang up (brute-force damping; the
// directory issue adds per-IP and per-account limits across sessions).
constexpr std::size_t max_auth_failures = 5;

}  // namespace

asio::awaitable<session::outcome> session::cmd_auth(const proto::command& cmd) {
  if (!auth_allowed()) {
    if (settings_.kind == listener_kind::mx) {
      co_return co_await error_reply(503, "5.5.1", "AUTH is offered on the submission ports only");
    }
    // RFC 4954 §6: 538 when the mechanism needs an encrypted channel.
    co_return co_await error_reply(538, "5.7.11", "Encryption required: use STARTTLS first");
  }
  if (identity_) co_return co_await error_reply(503, "5.5.1", "Already authenticated");
  if (state_ == state::greeted) co_return co_await error_reply(503, "5.5.1", "Send EHLO first");
  if (state_ == state::mail || state_ == state::rcpt) {
    co_return co_await error_reply(503, "5.5.1", "AUTH not allowed during a transaction");
  }

  const std::string& mechanism = cmd.auth_mechanism;
  const std::optional<std::string>& initial = cmd.auth_initial_response;
  // RFC 4954 §4: responses to 334 may be up to 12288 octets, beyond a command line.
  struct auth_line_limit {
    proto::line_reader& lines;
    std::size_t normal;
    explicit auth_line_limit(proto::line_reader& l) : lines(l), normal(l.max_length()) {
      lines.set_max_length(std::max<std::size_t>(normal, 12288));
    }
    ~auth_line_limit() { lines.set_max_length(normal); }
  } limit(lines_);

  std::string username;
  std::string password;
  if (mechanism == "PLAIN") {
    std::string response;
    if (initial) {
      // RFC 4954 §4: "=" is an empty initial response.
      response = *initial == "=" ? "" : *initial;
    } else {
      if (!co_await reply("334 \r\n")) co_return outcome::close;
      auto line = co_await read_line();
      if (!line) co_return outcome::close;
      response = std::move(*line);
    }
    if (response == "*") co_return co_await error_reply(501, "5.0.0", "Authentication cancelled");
    auto creds = proto::decode_auth_plain(response);
    if (!creds) co_return co_await error_reply(501, "5.5.2", "Invalid PLAIN response");
    // An authorization identity other than the user itself is not supported.
    if (!creds->authzid.empty() && creds->authzid != creds->authcid) {
      co_return co_await error_reply(535, "5.7.8", "Authentication credentials invalid");
    }
    username = std::move(creds->authcid);
    password = std::move(creds->password);
  } else if (mechanism == "LOGIN") {
    std::string user_b64;
    if (initial) {
      user_b64 = *initial;
    } else {
      if (!co_await reply("334 VXNlcm5hbWU6\r\n")) co_return outcome::close;  // "Username:"
      auto line = co_await read_line();
      if (!line) co_return outcome::close;
      user_b64 = std::move(*line);
    }
    if (user_b64 == "*") co_return co_await error_reply(501, "5.0.0", "Authentication cancelled");
    if (!co_await reply("334 UGFzc3dvcmQ6\r\n")) co_return outcome::close;  // "Password:"
    auto pass_line = co_await read_line();
    if (!pass_line) co_return outcome::close;
    if (*pass_line == "*") co_return co_await error_reply(501, "5.0.0", "Authentication cancelled");
    auto u = proto::base64_decode(user_b64);
    auto p = proto::base64_decode(*pass_line);
    if (!u || !p) co_return co_await error_reply(501, "5.5.2", "Invalid base64");
    username = std::move(*u);
    password = std::move(*p);
  } else {
    co_return co_await error_reply(504, "5.5.4", "Unrecognized authentication mechanism");
  }

  auto check = [&b = backend_, username, password]() { return b.authenticate(username, password); };
  auto who = co_await core::run_blocking(blocking_, std::move(check));
  if (!who) {
    if (who.error().code != core::errc::denied) {
      log_.error("authentication backend error: {}", who.error().message);
      co_return co_await error_reply(454, "4.7.0", "Temporary authentication failure");
    }
    ++auth_failures_;
    // The username is logged to help admins; the password never is.
    log_.info("AUTH {} failed for '{}'", mechanism, username);
    if (auth_failures_ >= max_auth_failures) {
      (void)co_await reply(421, "4.7.0", "Too many failed authentications, closing");
      co_return outcome::close;
    }
    co_return co_await error_reply(535, "5.7.8", "Authentication credentials invalid");
  }
  identity_ = std::move(*who);
  log_.info("AUTH {} as {}", mechanism, identity_->address);
  if (!co_await reply(235, "2.7.0", "Authentication successful")) co_return outcome::close;
  co_return outcome::next;
}

}  // namespace letterhead::smtp::server
