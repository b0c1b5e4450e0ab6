#include "pop3/server/session.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/runtime.hpp"

namespace letterhead::pop3::server {

namespace asio = boost::asio;
using proto::verb;

namespace {

constexpr unsigned authorization = static_cast<unsigned>(session::state::authorization);
constexpr unsigned transaction = static_cast<unsigned>(session::state::transaction);

}  // namespace

// The command table: which state allows what (RFC 1939 §4-§7; RFC 2449 §5: CAPA in
// AUTHORIZATION and TRANSACTION; RFC 2595 §4: STLS only in AUTHORIZATION).
const session::command_entry session::commands_[] = {
    {verb::user, authorization, &session::cmd_user},
    {verb::pass, authorization, &session::cmd_pass},
    {verb::apop, authorization, &session::cmd_apop},
    {verb::auth, authorization, &session::cmd_auth},
    {verb::stls, authorization, &session::cmd_stls},
    {verb::capa, authorization | transaction, &session::cmd_capa},
    {verb::quit, authorization | transaction, &session::cmd_quit},
    {verb::stat, transaction, &session::cmd_stat},
    {verb::list, transaction, &session::cmd_list},
    {verb::uidl, transaction, &session::cmd_uidl},
    {verb::retr, transaction, &session::cmd_retr},
    {verb::top, transaction, &session::cmd_top},
    {verb::dele, transaction, &session::cmd_dele},
    {verb::rset, transaction, &session::cmd_rset},
    {verb::noop, transaction, &session::cmd_noop},
};

session::session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
                 backend& backend, asio::thread_pool& blocking, std::uint64_t id)
    : transport_(std::move(t)),
      settings_holder_(std::move(settings)),
      settings_(*settings_holder_),
      backend_(backend),
      blocking_(blocking),
      log_(settings_.implicit_tls ? "pop3s" : "pop3", id),
      lines_(settings_.line_length) {}

void session::request_shutdown() {
  shutdown_ = true;
  // A session waiting for the client is woken to say goodbye; one in the middle of a
  // command (a store call, sending a message) notices the flag after its reply.
  if (waiting_) transport_->cancel_read();
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
  if (settings_.implicit_tls) {
    // RFC 8314 §3.3: implicit TLS, the handshake comes before the greeting.
    if (auto r = co_await transport_->start_tls(settings_.limits.command_timeout); !r) {
      log_.info("{}", r.error().message);
      co_return;
    }
  }
  // RFC 1939 §4: the greeting. No APOP timestamp, since APOP is not offered.
  if (!co_await send(proto::ok(fmt::format("{} Letterhead POP3 server ready", settings_.hostname)))) {
    co_return;
  }
  while (!closing_) {
    if (shutdown_) {
      // RFC 1939 §6: leaving without QUIT, nothing is deleted.
      (void)co_await send(proto::err("Server shutting down, try again later", proto::resp_code::sys_temp));
      co_return;
    }
    auto line = co_await read_line();
    if (!line) co_return;
    auto cmd = proto::parse_command(*line);
    outcome o = outcome::next;
    if (!cmd) {
      o = co_await error(cmd.error().message);
    } else if (cmd->v == verb::unknown) {
      o = co_await error("Unknown command");
    } else {
      o = co_await dispatch(*cmd);
    }
    if (o == outcome::close) co_return;
  }
}

asio::awaitable<session::outcome> session::dispatch(const proto::command& cmd) {
  for (const auto& entry : commands_) {
    if (entry.v != cmd.v) continue;
    if ((entry.states & static_cast<unsigned>(state_)) == 0) {
      co_return co_await error(fmt::format("{} is not valid in this state", proto::to_string(cmd.v)));
    }
    if (state_ == state::transaction && identity_) {
      auto active = [&b = backend_, who = *identity_]() { return b.still_active(who); };
      auto on = co_await core::run_blocking(blocking_, std::move(active));
      // A store error is no reason to end the session; a disabled account is. The
      // session closes without UPDATE (RFC 1939 §6): nothing marked is removed.
      if (on && !*on) {
        log_.info("account {} was disabled: ending the session", identity_->address);
        (void)co_await send(proto::err("This account has been disabled / 此账户已停用", proto::resp_code::sys_perm));
        co_return outcome::close;
      }
    }
    co_return co_await (this->*entry.run)(cmd);
  }
  co_return co_await error("Unknown command");
}

asio::awaitable<std::optional<std::string>> session::read_line() {
  for (;;) {
    auto ev = co_await read_event();
    if (!ev) co_return std::nullopt;
    if (!ev->too_long) co_return std::move(ev->text);
    if (co_await error("Line too long") == outcome::close) co_return std::nullopt;
  }
}

asio::awaitable<std::optional<proto::line_event>> session::read_event() {
  for (;;) {
    if (auto ev = lines_.next()) co_return std::move(*ev);
    in_.clear();
    waiting_ = true;
    auto n = co_await transport_->read_some(in_, 16 * 1024, settings_.autologout);
    waiting_ = false;
    if (!n) {
      if (n.error().code == core::errc::unavailable) {
        // RFC 1939 §3: when the autologout timer expires the server closes the
        // connection without a response and without entering UPDATE.
        log_.info("autologout timer expired");
      } else if (shutdown_) {
        log_.info("closing for shutdown");
        (void)co_await send(proto::err("Server shutting down, try again later", proto::resp_code::sys_temp));
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

asio::awaitable<bool> session::send(std::string_view text) {
  auto r = co_await transport_->write(text, settings_.limits.command_timeout);
  if (!r) {
    log_.info("write failed: {}", r.error().message);
    closing_ = true;
    co_return false;
  }
  co_return true;
}

asio::awaitable<session::outcome> session::ok(std::string_view text) {
  if (!co_await send(proto::ok(text))) co_return outcome::close;
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::error(std::string_view text, proto::resp_code code) {
  ++errors_;
  if (errors_ >= settings_.limits.errors) {
    // A broken or hostile client: say why, then hang up (nothing is deleted).
    log_.info("too many errors, closing");
    (void)co_await send(proto::err("Too many errors, closing connection"));
    co_return outcome::close;
  }
  if (!co_await send(proto::err(text, code))) co_return outcome::close;
  co_return outcome::next;
}

bool session::auth_allowed() const {
  if (transport_->tls()) return true;
  return settings_.allow_plaintext_auth_on_loopback && transport_->peer_is_loopback();
}

const maildrop_message* session::find(std::uint32_t n, std::string& why) const {
  if (n == 0 || n > drop_.messages.size()) {
    why = "No such message";
    return nullptr;
  }
  if (deleted_[n - 1]) {
    // RFC 1939 §5: a message marked as deleted may not be referred to.
    why = fmt::format("Message {} already deleted", n);
    return nullptr;
  }
  return &drop_.messages[n - 1];
}

std::string session::uid_of(const maildrop_message& m) const {
  // RFC 1939 §7: a unique-id is 1-70 characters 0x21-0x7E, the same for a message in
  // every session. UIDVALIDITY.UID is exactly IMAP's identity of the INBOX message.
  return fmt::format("{}.{}", drop_.uidvalidity, m.uid);
}

std::uint64_t session::drop_size() const {
  std::uint64_t octets = 0;
  for (const auto& m : drop_.messages) octets += m.size;
  return octets;
}

std::string session::drop_summary() const {
  return fmt::format("{} {}", drop_.messages.size() - deleted_count_, drop_size() - deleted_size_);
}

}  // namespace letterhead::pop3::server
