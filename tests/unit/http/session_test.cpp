// The HTTP session over an in-memory transport: keep-alive, pipelining, limits,
// errors that close, blocking handlers, shutdown. The real binary with curl is in
// tests/integration/test_http.py.
#include "http/session.hpp"

#include <deque>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "http/basic_routes.hpp"

namespace letterhead::http {
namespace {

namespace asio = boost::asio;

// Hands out the scripted chunks one read at a time; after the script, the peer
// closes (or, with timeout_at_end, the read deadline passes).
class memory_transport final : public core::transport {
 public:
  memory_transport(std::deque<std::string> script, bool timeout_at_end, std::string ip)
      : script_(std::move(script)), timeout_at_end_(timeout_at_end), ip_(std::move(ip)) {}

  asio::awaitable<core::result<std::size_t>> read_some(std::string& buf, std::size_t max,
                                                       std::chrono::seconds timeout) override {
    timeouts.push_back(timeout);
    if (closed_) co_return core::fail(core::errc::io, "closed");
    if (script_.empty()) {
      if (timeout_at_end_) co_return core::fail(core::errc::unavailable, "timeout");
      co_return 0;
    }
    auto& front = script_.front();
    const auto n = std::min(max, front.size());
    buf.append(front, 0, n);
    front.erase(0, n);
    if (front.empty()) script_.pop_front();
    co_return n;
  }
  asio::awaitable<core::result<void>> write(std::string_view data, std::chrono::seconds) override {
    out += data;
    co_return core::result<void>{};
  }
  asio::awaitable<core::result<void>> start_tls(std::chrono::seconds) override {
    tls_ = true;
    co_return core::result<void>{};
  }
  bool tls() const override { return tls_; }
  std::string tls_description() const override { return tls_ ? "TLSv1.3 TEST" : ""; }
  std::string peer_ip() const override { return ip_; }
  bool peer_is_loopback() const override { return ip_ == "127.0.0.1"; }
  void cancel_read() override {}
  void close() override { closed_ = true; }

  std::string out;
  std::vector<std::chrono::seconds> timeouts;

 private:
  std::deque<std::string> script_;
  bool timeout_at_end_;
  std::string ip_;
  bool tls_ = false;
  bool closed_ = false;
};

struct options {
  bool timeout_at_end = false;
  std::string ip = "127.0.0.1";
  bool implicit_tls = false;
  std::size_t keepalive_requests = 100;
  reader_limits limits{};
};

struct result {
  std::string out;
  std::vector<std::chrono::seconds> timeouts;
};

result run(std::deque<std::string> script, const options& o = {}) {
  router routes;
  add_basic_routes(routes, {});
  routes.add("POST", "/echo", [](const request& r) {
    response out;
    out.body = r.body;
    return out;
  });
  routes.add(
      "GET", "/who",
      [](const request& r) {
        response out;
        out.body = r.client_ip + (r.tls ? " tls" : " plain");
        return out;
      },
      {.blocking = true});
  asio::io_context io;
  asio::thread_pool pool(1);
  auto t = std::make_shared<memory_transport>(std::move(script), o.timeout_at_end, o.ip);
  auto settings = std::make_shared<session_settings>();
  settings->implicit_tls = o.implicit_tls;
  settings->limits = o.limits;
  settings->request_timeout = std::chrono::seconds(30);
  settings->idle_timeout = std::chrono::seconds(5);
  settings->keepalive_requests = o.keepalive_requests;
  auto s = std::make_unique<session>(t, settings, routes, pool, 1);
  asio::co_spawn(io, s->run(), asio::detached);
  io.run();
  pool.join();
  return {t->out, t->timeouts};
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(http_session, keep_alive_and_pipelining) {
  auto r = run({"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /healthz HTTP/1.1\r\nHo",
                "st: h\r\n\r\n", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"});
  EXPECT_EQ(count(r.out, "HTTP/1.1 200 OK\r\n"), 3u) << r.out;
  EXPECT_EQ(count(r.out, "\r\n\r\nok\n"), 2u);
  EXPECT_TRUE(r.out.ends_with("\r\n\r\nhello"));
  EXPECT_EQ(r.out.find("Connection: close"), std::string::npos);
  // Between requests the idle timeout applies; within one, what is left of the
  // request timeout.
  ASSERT_GE(r.timeouts.size(), 2u);
  EXPECT_EQ(r.timeouts[1], std::chrono::seconds(30));
  EXPECT_EQ(r.timeouts.back(), std::chrono::seconds(5));
}

TEST(http_session, connection_close_and_request_limit) {
  auto r = run({"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"});
  EXPECT_EQ(count(r.out, "HTTP/1.1 200"), 1u);
  EXPECT_NE(r.out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(r.out.find("此服务器"), std::string::npos);

  std::string three;
  for (int i = 0; i < 3; ++i) three += "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
  auto limited = run({three}, {.keepalive_requests = 2});
  EXPECT_EQ(count(limited.out, "HTTP/1.1 200"), 2u);
  EXPECT_EQ(count(limited.out, "Connection: close"), 1u);
}

TEST(http_session, head_has_no_body) {
  auto r = run({"HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\n"});
  EXPECT_NE(r.out.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_TRUE(r.out.ends_with("\r\n\r\n"));
}

TEST(http_session, errors_answer_then_close) {
  auto bad = run({"GARBAGE\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"});
  EXPECT_TRUE(bad.out.starts_with("HTTP/1.1 400 Bad Request\r\n")) << bad.out;
  EXPECT_EQ(count(bad.out, "HTTP/1.1"), 1u);
  EXPECT_NE(bad.out.find("Connection: close"), std::string::npos);

  auto big = run({"GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(20000, 'x') + "\r\n\r\n"});
  EXPECT_TRUE(big.out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n")) << big.out;
  EXPECT_NE(big.out.find("请求头字段过大"), std::string::npos);

  auto body = run({"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", std::string(5000, 'x')});
  EXPECT_TRUE(body.out.starts_with("HTTP/1.1 413 Content Too Large\r\n")) << body.out;

  auto missing = run({"GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\nPUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"});
  EXPECT_TRUE(missing.out.starts_with("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_NE(missing.out.find("HTTP/1.1 405 Method Not Allowed\r\n"), std::string::npos);
  EXPECT_NE(missing.out.find("Allow: GET, HEAD\r\n"), std::string::npos);
}

TEST(http_session, expect_continue) {
  auto r = run({"POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", "abc"});
  EXPECT_TRUE(r.out.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")) << r.out;
  EXPECT_TRUE(r.out.ends_with("abc"));
}

TEST(http_session, slow_request_is_cut_off_without_answer) {
  auto r = run({"GET / HTTP/1.1\r\nHost:"}, {.timeout_at_end = true});
  EXPECT_EQ(r.out, "");
}

TEST(http_session, blocking_handler_and_peer_details) {
  auto r = run({"GET /who HTTP/1.1\r\nHost: h\r\n\r\n"}, {.ip = "192.0.2.9", .implicit_tls = true});
  EXPECT_TRUE(r.out.ends_with("\r\n\r\n192.0.2.9 tls")) << r.out;
}

TEST(http_session, metrics_only_from_loopback_by_default) {
  auto far = run({"GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n"}, {.ip = "192.0.2.9"});
  EXPECT_TRUE(far.out.starts_with("HTTP/1.1 403 Forbidden\r\n")) << far.out;
  auto near = run({"GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n"});
  EXPECT_TRUE(near.out.starts_with("HTTP/1.1 200 OK\r\n")) << near.out;
  EXPECT_NE(near.out.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(near.out.find("# TYPE letterhead_commands_total counter\n"), std::string::npos);
  EXPECT_NE(near.out.find("letterhead_commands_total{protocol=\"http\"}"), std::string::npos);
}

}  // namespace
}  // namespace letterhead::http
