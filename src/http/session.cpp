#include "http/session.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include "http/response_writer.hpp"

namespace letterhead::http {
namespace {

namespace asio = boost::asio;
namespace metrics = core::metrics;
using clock = std::chrono::steady_clock;

constexpr std::size_t read_chunk = 16 * 1024;
// What linger() reads and drops at most, and for how long.
constexpr std::size_t linger_bytes = 1024 * 1024;
constexpr std::chrono::seconds linger_time{2};

// Connections and open sessions are counted by core::tcp_server for every listener.
struct http_metrics {
  metrics::counter& requests;
  metrics::counter& syntax_errors;
  metrics::counter& server_errors;
  metrics::counter* responses[6];  // by status class: 1xx..5xx at [1]..[5]
};

const http_metrics& counters() {
  static const http_metrics m = [] {
    auto& g = metrics::global();
    http_metrics out{
        g.counter("letterhead_commands_total", {{"protocol", "http"}},
                  "Commands received (HTTP: requests answered)."),
        g.counter("letterhead_errors_total", {{"protocol", "http"}, {"kind", "syntax"}},
                  "Errors answered, by kind: syntax, user, server, io."),
        g.counter("letterhead_errors_total", {{"protocol", "http"}, {"kind", "server"}}),
        {}};
    for (int c = 1; c <= 5; ++c) {
      out.responses[c] = &g.counter("letterhead_http_responses_total", {{"code", fmt::format("{}xx", c)}},
                                    "HTTP responses by status class.");
    }
    return out;
  }();
  return m;
}

void count_response(unsigned status) {
  const auto cls = status / 100;
  if (cls >= 1 && cls <= 5) counters().responses[cls]->inc();
  if (cls == 5) counters().server_errors.inc();
}

// The path as sent, without the query (which may carry an address), for the log.
std::string log_path(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  if (path.size() > 200) return std::string(path.substr(0, 200)) + "...";
  return std::string(path);
}

std::chrono::seconds until(clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::seconds>(deadline - clock::now());
  return std::max(left, std::chrono::seconds(0));
}

}  // namespace

session::session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
                 const router& routes, boost::asio::thread_pool& blocking, std::uint64_t id)
    : transport_(std::move(t)),
      settings_(std::move(settings)),
      routes_(routes),
      blocking_(blocking),
      log_(settings_->name, id) {}

void session::request_shutdown() {
  shutdown_ = true;
  // Idle between requests: end now. In the middle of a request: answer it with
  // "Connection: close", then end.
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

asio::awaitable<bool> session::send(std::string_view data) {
  auto r = co_await transport_->write(data, settings_->request_timeout);
  if (!r) {
    log_.debug("write failed: {}", r.error().message);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> session::linger() {
  std::string sink;
  std::size_t dropped = 0;
  const auto until_time = clock::now() + linger_time;
  while (dropped < linger_bytes && clock::now() < until_time) {
    sink.clear();
    auto n = co_await transport_->read_some(sink, read_chunk, std::chrono::seconds(1));
    if (!n || *n == 0) co_return;
    dropped += *n;
  }
}

asio::awaitable<response> session::dispatch(const request& req) {
  const auto m = routes_.find(req.method, req.path);
  if (m.found == nullptr) co_return lookup_failure(m);
  if (!m.found->options.blocking) co_return run_handler(*m.found, req);
  // A named lambda, not a temporary inside the co_await (TOOLCHAIN.md pattern 1).
  auto job = [route = m.found, &req] { return run_handler(*route, req); };
  co_return co_await core::run_blocking(blocking_, std::move(job));
}

asio::awaitable<void> session::loop() {
  log_.debug("connect from {}", transport_->peer_ip());
  const auto& s = *settings_;
  // The first request, TLS handshake included, must arrive within request_timeout.
  std::optional<clock::time_point> deadline = clock::now() + s.request_timeout;
  if (s.implicit_tls) {
    if (auto r = co_await transport_->start_tls(s.request_timeout); !r) {
      log_.info("{}", r.error().message);
      co_return;
    }
  }
  std::string in;
  request_reader reader(s.limits);
  for (std::size_t served = 0;; ++served) {
    if (served > 0) {
      reader.reset();
      deadline.reset();
    }
    auto state = reader.feed(in);
    while (state == read_state::need_more) {
      if (reader.take_continue()) {
        if (!co_await send("HTTP/1.1 100 Continue\r\n\r\n")) co_return;
      }
      if (shutdown_ && !reader.started()) co_return;
      if (reader.started() && !deadline) deadline = clock::now() + s.request_timeout;
      const auto timeout = deadline ? until(*deadline) : s.idle_timeout;
      if (timeout.count() == 0) {
        log_.info("request not received in time from {}", transport_->peer_ip());
        co_return;
      }
      waiting_ = !reader.started();
      auto n = co_await transport_->read_some(in, read_chunk, timeout);
      waiting_ = false;
      if (!n) {
        if (n.error().code == core::errc::unavailable) {
          // RFC 9110 §15.5.9 allows closing without a 408; the transport has closed.
          if (reader.started()) log_.info("request not received in time from {}", transport_->peer_ip());
        } else if (!shutdown_) {
          log_.debug("read error: {}", n.error().message);
        }
        co_return;
      }
      if (*n == 0) {
        if (reader.finish() == read_state::error) log_.info("client closed in the middle of a request");
        co_return;
      }
      state = reader.feed(in);
    }
    counters().requests.inc();
    if (state == read_state::error) {
      counters().syntax_errors.inc();
      const auto status = reader.error_status();
      count_response(status);
      log_.info("- - {} 0 ({}; from {})", status, reader.error_reason(), transport_->peer_ip());
      // The framing can no longer be trusted: answer, then close (RFC 9112 §9.6).
      if (co_await send(serialize(error_response(status), write_options{.close = true}))) {
        co_await linger();
      }
      co_return;
    }
    auto req = reader.take();
    req.client_ip = transport_->peer_ip();
    req.tls = transport_->tls();
    const bool keep = reader.keep_alive() && !shutdown_ && served + 1 < s.keepalive_requests;
    const auto resp = co_await dispatch(req);
    if (resp.delay.count() > 0) {
      // A failed login's delay: a timer on this session's executor, so a flood of bad
      // passwords ties up no thread of the blocking pool. Bounded by the request
      // timeout; shutdown does not wait for it longer than that either.
      asio::steady_timer wait(co_await asio::this_coro::executor);
      wait.expires_after(std::min<clock::duration>(resp.delay, s.request_timeout));
      boost::system::error_code ec;
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    count_response(resp.status);
    const bool head = req.method == "HEAD";
    log_.info("{} {} {} {}", req.method, log_path(req.target), resp.status, head ? 0 : resp.body.size());
    const write_options o{.head = head, .close = !keep, .request_version = req.version};
    if (!co_await send(serialize(resp, o))) co_return;
    if (!keep) co_return;
  }
}

}  // namespace letterhead::http
