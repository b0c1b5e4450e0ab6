#include "smtp/server/session.hpp"

#include <ctime>

#include <boost/asio/use_awaitable.hpp>

#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include <fmt/format.h>

#include "smtp/proto/reply.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;

session::session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
                 backend& backend, asio::thread_pool& blocking, std::uint64_t id)
    : transport_(std::move(t)),
      settings_holder_(std::move(settings)),
      settings_(*settings_holder_),
      backend_(backend),
      blocking_(blocking),
      log_(settings_.kind == listener_kind::mx ? "smtp" : "submission", id),
      lines_(settings_.limits.line_length) {}

void session::request_shutdown() {
  shutdown_ = true;
  // An idle session is waiting in read_some: cancelling the read wakes it to say
  // 421. A session inside a transaction notices the flag after its reply.
  if (state_ != state::mail && state_ != state::rcpt) transport_->cancel_read();
}

asio::awaitable<void> session::run() {
  try {
    co_await loop();
  } catch (const std::exception& e) {
    log_.error("session ended by exception: {}", e.what());
  }
  transport_->close();
}

asio::awaitable<void> session::loop() {
  log_.info("connect from {}", transport_->peer_ip());
  if (settings_.connection_rate &&
      (settings_.limits.rate_limit_loopback || !transport_->peer_is_loopback())) {
    // Every attempt counts, refused ones too: a client that keeps hammering stays
    // refused until it slows down. RFC 5321 §3.1: 421 instead of the greeting.
    std::size_t n = 0;
    auto hit = [counter = settings_.connection_rate, key = core::client_rate_key(transport_->peer_ip())] {
      return counter->hit(key, core::rate_counter::clock::now());
    };
    if (settings_.connection_rate->blocks()) {
      // A cluster's shared counter asks the database.
      n = co_await core::run_blocking(blocking_, std::move(hit));
    } else {
      n = hit();
    }
    if (n > settings_.limits.smtp_connections_per_minute_per_ip) {
      log_.info("refused: {} connections from {} in the last minute", n, transport_->peer_ip());
      static auto& limited = core::metrics::global().counter(
          "letterhead_connections_rate_limited_total", {{"protocol", "smtp"}},
          "Connections refused by the per-IP connection rate limit.");
      limited.inc();
      (void)co_await reply(421, "4.7.0",
                           fmt::format("Too many connections from {}: at most {} a minute, try again later",
                                       transport_->peer_ip(), settings_.limits.smtp_connections_per_minute_per_ip));
      co_return;
    }
  }
  if (settings_.implicit_tls) {
    // RFC 8314 §3.3: implicit TLS, the handshake comes before the greeting.
    if (auto r = co_await transport_->start_tls(settings_.limits.command_timeout); !r) {
      log_.info("{}", r.error().message);
      co_return;
    }
  }
  if (!co_await reply(220, "", fmt::format("{} ESMTP Letterhead", settings_.hostname))) co_return;

  while (!closing_) {
    if (shutdown_ && state_ != state::mail && state_ != state::rcpt) {
      (void)co_await reply(421, "4.3.2", "Service shutting down, try again later");
      co_return;
    }
    auto line = co_await read_line();
    if (!line) co_return;
    auto cmd = proto::parse_command(*line);
    outcome o = outcome::next;
    if (!cmd) {
      o = co_await error_reply(501, "5.5.4", cmd.error().message);
    } else if (cmd->v == proto::verb::unknown) {
      o = co_await error_reply(500, "5.5.1", "Command unrecognized");
    } else {
      o = co_await dispatch(*cmd);
    }
    if (o == outcome::close) co_return;
  }
}

asio::awaitable<std::optional<std::string>> session::read_line() {
  for (;;) {
    if (auto ev = lines_.next(); ev) {
      if (ev->too_long) {
        // RFC 5321 §4.5.3.1.4 / §4.2.2: 500 for a line too long.
        if (co_await error_reply(500, "5.5.2", "Line too long") == outcome::close) co_return std::nullopt;
        continue;
      }
      co_return std::move(ev->text);
    }
    in_.clear();
    auto n = co_await transport_->read_some(in_, 16 * 1024, settings_.limits.command_timeout);
    if (!n) {
      if (n.error().code == core::errc::unavailable) {
        // RFC 5321 §4.5.3.2.7: we may close an idle connection after the timeout.
        log_.info("timeout waiting for a command");
        (void)co_await reply(421, "4.4.2", "Timeout waiting for a command, closing");
      } else if (shutdown_) {
        log_.info("closing for shutdown");
        (void)co_await reply(421, "4.3.2", "Service shutting down, try again later");
      } else {
        log_.info("read error: {}", n.error().message);
      }
      co_return std::nullopt;
    }
    if (*n == 0) {
      log_.info("client closed the connection");
      co_return std::nullopt;
    }
    lines_.feed(in_);
  }
}

asio::awaitable<bool> session::reply(std::string text) {
  auto r = co_await transport_->write(text, settings_.limits.command_timeout);
  if (!r) {
    log_.info("write failed: {}", r.error().message);
    closing_ = true;
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> session::reply(int code, std::string_view enhanced, std::string_view text) {
  co_return co_await reply(proto::format_reply(code, enhanced, text));
}

asio::awaitable<session::outcome> session::error_reply(int code, std::string_view enhanced,
                                                       std::string_view text) {
  static auto& user = core::metrics::global().counter(
      "letterhead_errors_total", {{"protocol", "smtp"}, {"kind", "user"}}, "Errors answered, by kind.");
  static auto& server = core::metrics::global().counter(
      "letterhead_errors_total", {{"protocol", "smtp"}, {"kind", "server"}}, "Errors answered, by kind.");
  (code >= 400 && code < 500 && code != 421 ? server : user).inc();
  ++errors_;
  if (errors_ >= settings_.limits.errors) {
    // Too many errors: a broken or hostile client. Say why, then hang up.
    log_.info("too many errors, closing");
    (void)co_await reply(421, "4.7.0", "Too many errors, closing connection");
    co_return outcome::close;
  }
  if (!co_await reply(code, enhanced, text)) co_return outcome::close;
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::dispatch(const proto::command& cmd) {
  static auto& commands = core::metrics::global().counter("letterhead_commands_total", {{"protocol", "smtp"}},
                                                          "Commands received.");
  commands.inc();
  using proto::verb;
  switch (cmd.v) {
    case verb::helo: co_return co_await cmd_helo(cmd);
    case verb::ehlo: co_return co_await cmd_ehlo(cmd);
    case verb::starttls: co_return co_await cmd_starttls(cmd);
    case verb::auth: co_return co_await cmd_auth(cmd);
    case verb::mail: co_return co_await cmd_mail(cmd);
    case verb::rcpt: co_return co_await cmd_rcpt(cmd);
    case verb::data: co_return co_await cmd_data(cmd);
    case verb::bdat: co_return co_await cmd_bdat(cmd);
    case verb::lhlo:
      co_return co_await error_reply(500, "5.5.1", "Command unrecognized");
    default: co_return co_await cmd_misc(cmd);
  }
}

void session::reset_transaction() {
  envelope_ = envelope{};
  declared_size_ = 0;
  chunks_.clear();
  chunk_too_large_ = false;
  bdat_failed_ = false;
  if (state_ == state::mail || state_ == state::rcpt) state_ = state::hello;
}

bool session::auth_allowed() const {
  if (settings_.kind == listener_kind::mx) return false;  // AUTH is for submission ports
  if (transport_->tls()) return true;
  return settings_.allow_plaintext_auth_on_loopback && transport_->peer_is_loopback();
}

std::string session::received_header() const {
  // RFC 5321 §4.4 trace information; "with" keywords from RFC 3848.
  std::string with = esmtp_ ? "ESMTP" : "SMTP";
  if (esmtp_) {
    if (transport_->tls()) with += "S";
    if (identity_) with += "A";
  }
  // RFC 6531 §3.7.3: UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA.
  if (envelope_.smtputf8) {
    with = std::string("UTF8SMTP") + (transport_->tls() ? "S" : "") + (identity_ ? "A" : "");
  }
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string out = fmt::format("Received: from {} ([{}])\r\n\tby {} (Letterhead) with {}",
                                helo_.empty() ? "unknown" : helo_, transport_->peer_ip(),
                                settings_.hostname, with);
  if (transport_->tls()) out += fmt::format("\r\n\t(using {})", transport_->tls_description());
  if (envelope_.recipients.size() == 1) {
    out += fmt::format("\r\n\tfor <{}>", envelope_.recipients.front().address);
  }
  out += fmt::format(";\r\n\t{}\r\n", date);
  return out;
}

}  // namespace letterhead::smtp::server
