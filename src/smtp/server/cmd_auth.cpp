// AUTH (RFC 4954) with the PLAIN (RFC 4616), LOGIN and SCRAM-SHA-256 (RFC 7677)
// mechanisms. The SCRAM exchange itself is directory/'s (sasl.hpp), shared with IMAP
// and POP3; brute-force limits and login history are directory::authenticate's.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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
// Rounds of one SASL exchange (SCRAM needs three).
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
  directory::login_context ctx{directory::login_protocol::smtp, transport_->peer_ip(), {}};
  if (mechanism == directory::sasl_scram_sha256) {
    auto exchange = backend_.start_sasl(mechanism, ctx);
    if (!exchange) co_return co_await error_reply(504, "5.5.4", "Unrecognized authentication mechanism");
    std::optional<std::string> pending;
    if (initial) {
      auto decoded = proto::base64_decode(*initial == "=" ? "" : *initial);
      if (!decoded) co_return co_await error_reply(501, "5.5.2", "Invalid base64");
      pending = std::move(*decoded);
    }
    std::string challenge;
    for (int round = 0; round < max_sasl_rounds; ++round) {
      std::string response;
      if (pending) {
        response = std::move(*pending);
        pending.reset();
      } else {
        // RFC 4954 §4: each challenge is "334 " and base64; "*" cancels.
        if (!co_await reply("334 " + proto::base64_encode(challenge) + "\r\n")) co_return outcome::close;
        auto line = co_await read_line();
        if (!line) co_return outcome::close;
        if (proto::is_auth_cancel(*line)) co_return co_await error_reply(501, "5.0.0", "Authentication cancelled");
        auto decoded = proto::base64_decode(*line);
        if (!decoded) co_return co_await error_reply(501, "5.5.2", "Invalid base64");
        response = std::move(*decoded);
      }
      auto respond = [&ex = *exchange, response] { return ex.respond(response); };
      auto step = co_await core::run_blocking(blocking_, std::move(respond));
      if (!step) {
        co_return co_await auth_failed(mechanism, "", step.error(), exchange->delay());
      }
      if (step->done) {
        const auto& acc = exchange->account();
        identity_ = identity{acc.id, acc.address};
        log_.info("AUTH {} as {}", mechanism, identity_->address);
        if (!co_await reply(235, "2.7.0", "Authentication successful")) co_return outcome::close;
        co_return outcome::next;
      }
      challenge = std::move(step->challenge);
    }
    co_return co_await error_reply(501, "5.5.2", "Authentication exchange too long");
  }
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

  auto check = [&b = backend_, username, password, &ctx]() { return b.login(username, password, ctx); };
  auto who = co_await core::run_blocking(blocking_, std::move(check));
  if (!who) co_return co_await auth_failed(mechanism, username, who.error(), ctx.delay);
  identity_ = std::move(*who);
  log_.info("AUTH {} as {}", mechanism, identity_->address);
  if (!co_await reply(235, "2.7.0", "Authentication successful")) co_return outcome::close;
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::auth_failed(std::string_view mechanism, std::string_view username,
                                                      const core::error& e, std::chrono::milliseconds delay) {
  if (e.code == core::errc::invalid) co_return co_await error_reply(501, "5.5.2", "Invalid authentication data");
  if (e.code != core::errc::denied && e.code != core::errc::limit) {
    log_.error("authentication backend error: {}", e.message);
    co_return co_await error_reply(454, "4.7.0", "Temporary authentication failure");
  }
  co_await pause(delay);
  ++auth_failures_;
  // The username is logged to help admins; the password never is.
  log_.info("AUTH {} failed for '{}'", mechanism, username);
  if (auth_failures_ >= max_auth_failures) {
    (void)co_await reply(421, "4.7.0", "Too many failed authentications, closing");
    co_return outcome::close;
  }
  // A block is temporary (RFC 4954 §6: 454); a refusal the user can act on says why.
  if (e.code == core::errc::limit) co_return co_await error_reply(454, "4.7.0", directory::refusal_text(e));
  if (auto text = directory::refusal_text(e); !text.empty()) co_return co_await error_reply(535, "5.7.8", text);
  co_return co_await error_reply(535, "5.7.8", "Authentication credentials invalid");
}

}  // namespace letterhead::smtp::server
