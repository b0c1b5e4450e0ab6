// IDLE (RFC 2177, RFC 9051 §6.3.13): updates reach the client as they happen. A
// delivery or another session's change wakes us through the store's notifier; a
// slow poll catches changes made by other processes.
#include <boost/asio/steady_timer.hpp>

#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {
constexpr std::chrono::seconds poll_interval{20};
// RFC 9051 §5.4 / RFC 2177: a client should re-issue IDLE within 29 minutes.
constexpr std::chrono::minutes idle_limit{30};
}  // namespace

asio::awaitable<session::outcome> session::cmd_idle(const command& cmd) {
  out_ += "+ idling\r\n";
  co_await sync_selected(true);
  if (!co_await flush()) co_return outcome::close;
  if (!poll_timer_) poll_timer_ = std::make_unique<asio::steady_timer>(executor_);
  const auto deadline = std::chrono::steady_clock::now() + idle_limit;
  for (;;) {
    // Whatever the client sends now ends IDLE: "DONE" (RFC 2177 §3), anything else
    // is an error.
    auto ev = reader_.next();
    using kind = proto::command_reader::event::kind;
    if (ev.k == kind::command) {
      std::string line = ev.text;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      std::string upper(line);
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper != "DONE") co_return co_await bad(cmd, "Expected DONE");
      co_await sync_selected(true);
      co_return co_await ok(cmd, "IDLE terminated");
    }
    if (ev.k == kind::literal_request) {
      reader_.refuse_literal();
      co_return co_await bad(cmd, "Expected DONE");
    }
    if (ev.k == kind::error) co_return co_await bad(cmd, "Expected DONE");
    if (shutdown_) {
      untagged("BYE Server shutting down");
      (void)co_await flush();
      co_return outcome::close;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      untagged("BYE IDLE for too long");
      (void)co_await flush();
      co_return outcome::close;
    }
    // Wait for bytes from the client, a notification or the poll tick.
    wake_->idling = true;
    wake_->woken = false;
    poll_timer_->expires_after(poll_interval);
    poll_timer_->async_wait([wake = wake_](const boost::system::error_code& ec) {
      if (!ec) wake->wake();
    });
    std::string in;
    auto n = co_await transport_->read_some(in, 4 * 1024, std::chrono::duration_cast<std::chrono::seconds>(idle_limit));
    wake_->idling = false;
    poll_timer_->cancel();
    if (n && *n > 0) {
      reader_.feed(in);
    } else if (!wake_->woken && !shutdown_) {
      co_return outcome::close;  // the client went away or the read failed
    }
    co_await sync_selected(true);
    if (!co_await flush()) co_return outcome::close;
    // Woken by the notifier or the poll: the account may have been disabled (issue 6).
    if (!co_await still_authorized()) co_return outcome::close;
  }
}

}  // namespace letterhead::imap::server
