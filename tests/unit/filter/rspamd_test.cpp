// The rspamd client: URL and reply parsing, and one exchange with a loopback peer
// that records the request (the real rspamd is in tests/integration/test_rspamd.py).

#include "filter/rspamd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace letterhead::filter {
namespace {

TEST(rspamd, url) {
  rspamd_options o;
  ASSERT_TRUE(parse_rspamd_url("http://127.0.0.1:11444/", o));
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 11444);
  ASSERT_TRUE(parse_rspamd_url("http://[::1]:8080", o));
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 8080);
  rspamd_options d;
  ASSERT_TRUE(parse_rspamd_url("http://rspamd.local", d));
  EXPECT_EQ(d.port, 11333);
  EXPECT_FALSE(parse_rspamd_url("https://x:1", o));
  EXPECT_FALSE(parse_rspamd_url("http://x:0", o));
  EXPECT_FALSE(parse_rspamd_url("http://x:99999", o));
  EXPECT_FALSE(parse_rspamd_url("http://x:1/checkv2", o));
  EXPECT_FALSE(parse_rspamd_url("http://:1", o));
}

TEST(rspamd, reply) {
  auto r = parse_rspamd_reply(
      R"({"is_skipped":false,"score":12.5,"required_score":15,"action":"add header",)"
      R"("symbols":{"GTUBE":{"name":"GTUBE","score":0},"R_X\u0001":{"score":1}}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->score, 12.5);
  EXPECT_DOUBLE_EQ(r->required_score, 15);
  EXPECT_EQ(r->action, "add header");
  ASSERT_EQ(r->symbols.size(), 2u);
  EXPECT_EQ(r->symbols[1], "R_X?");
  EXPECT_FALSE(parse_rspamd_reply("[]"));
  EXPECT_FALSE(parse_rspamd_reply(R"({"action":"reject"})"));
  EXPECT_FALSE(parse_rspamd_reply("{not json"));
}

// A peer that accepts one connection, reads the request and answers `reply`.
class fake_peer {
 public:
  explicit fake_peer(std::string reply) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 1);
    thread_ = std::thread([this, reply = std::move(reply)] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      for (;;) {
        const auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request_.append(buf, static_cast<std::size_t>(n));
        const auto end = request_.find("\r\n\r\n");
        if (end != std::string::npos && request_.size() >= end + 4 + 5) break;  // body "hello"
      }
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~fake_peer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& request() const { return request_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(rspamd, exchange_and_header_injection) {
  const std::string json = R"({"score":7.25,"required_score":15,"action":"reject"})";
  std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  reply += fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", json.size(), json);
  rspamd_options o;
  o.host = "127.0.0.1";
  o.timeout = std::chrono::milliseconds(5000);
  rspamd_request req;
  req.client_ip = "192.0.2.1";
  req.helo = "evil\r\nUser: admin";
  req.mail_from = "a@b.example";
  req.recipients = {"x@example.com", "y@example.com"};
  core::result<rspamd_result> r;
  std::string seen;
  {
    fake_peer peer(reply);
    o.port = peer.port();
    r = rspamd_check(o, req, "hello");
    // the destructor joins the peer's thread: request() is complete after it
    seen = peer.request();
  }
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r->score, 7.25);
  EXPECT_EQ(r->action, "reject");
  EXPECT_TRUE(seen.starts_with("POST /checkv2 HTTP/1.1\r\n")) << seen;
  EXPECT_NE(seen.find("\r\nIP: 192.0.2.1\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nRcpt: x@example.com\r\nRcpt: y@example.com\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nHelo: evilUser: admin\r\n"), std::string::npos);  // no injected field
  EXPECT_EQ(seen.find("\r\nUser:"), std::string::npos);
  EXPECT_TRUE(seen.ends_with("\r\n\r\nhello"));
}

// A host name is looked up within the request's deadline (getaddrinfo_a): "localhost"
// (from /etc/hosts) reaches the peer; a name the resolver cannot answer gives up by
// the deadline, whatever the system resolver's own timeouts, as unavailable.
// A name is looked up; one that does not exist makes the check unavailable (the
// deadline itself is proven by a_silent_resolver_does_not_outlast_the_deadline: here
// the resolver answers at once, so timing this would prove nothing).
TEST(rspamd, names_are_resolved) {
  const std::string json = R"({"score":1.5,"required_score":15,"action":"no action"})";
  {
    fake_peer peer(fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", json.size(), json));
    rspamd_options o;
    o.host = "localhost";
    o.port = peer.port();
    o.timeout = std::chrono::milliseconds(5000);
    auto r = rspamd_check(o, {}, "hello");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_DOUBLE_EQ(r->score, 1.5);
  }
  rspamd_options o;
  o.host = "rspamd.letterhead-test.invalid";  // RFC 6761 §6.4: never resolves
  o.port = 11333;
  o.timeout = std::chrono::milliseconds(5000);
  auto r = rspamd_check(o, {}, "hello");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::unavailable);
}

// With a resolver that never answers (a silent UDP socket on 127.0.0.77:53, named
// by a resolv.conf bind-mounted over /etc/resolv.conf in a mount namespace of its
// own), getaddrinfo would wait timeout × attempts = 10 s; the lookup gives up at the
// request's deadline (1 s). The check runs in a fresh process (this binary again,
// the DISABLED_ case below): glibc's lookup threads do not survive a fork.
TEST(rspamd, a_silent_resolver_does_not_outlast_the_deadline) {
  if (::geteuid() != 0) GTEST_SKIP() << "a mount namespace needs root";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(77);
    // Private, so that the bind mount below never reaches the machine's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(77);
    const std::string conf = "/tmp/letterhead-silent-resolv-" + std::to_string(::getpid());
    std::ofstream(conf) << "nameserver 127.0.0.77\noptions timeout:5 attempts:2\n";
    if (::mount(conf.c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0) ::_exit(77);
    ::unlink(conf.c_str());
    ::setenv("LETTERHEAD_SILENT_RESOLVER", "1", 1);
    // The abandoned lookup is still glibc's when the child exits: not a leak.
    const char* asan = std::getenv("ASAN_OPTIONS");
    ::setenv("ASAN_OPTIONS", (std::string(asan != nullptr ? asan : "") + ":detect_leaks=0").c_str(), 1);
    ::execl("/proc/self/exe", "rspamd_test", "--gtest_also_run_disabled_tests",
            "--gtest_filter=rspamd.DISABLED_silent_resolver_child", nullptr);
    ::_exit(78);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "no mount namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(rspamd, DISABLED_silent_resolver_child) {
  if (std::getenv("LETTERHEAD_SILENT_RESOLVER") == nullptr) GTEST_SKIP() << "run by the test above";
  const int dns = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(53);
  ::inet_pton(AF_INET, "127.0.0.77", &a.sin_addr);
  ASSERT_EQ(::bind(dns, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // reads nothing, answers nothing
  rspamd_options o;
  o.host = "rspamd.example.com";
  o.port = 11333;
  o.timeout = std::chrono::milliseconds(1000);
  const auto start = std::chrono::steady_clock::now();
  auto r = rspamd_check(o, {}, "hello");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  ::close(dns);
}

TEST(rspamd, errors_are_unavailable) {
  {
    fake_peer peer("HTTP/1.1 500 Internal\r\nContent-Length: 0\r\n\r\n");
    rspamd_options o;
    o.host = "127.0.0.1";
    o.port = peer.port();
    auto r = rspamd_check(o, {}, "hello");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::errc::unavailable);
  }
  {
    fake_peer peer("HTTP/1.1 200 OK\r\n\r\n" + std::string(100000, ' ') + "{}");
    rspamd_options o;
    o.host = "127.0.0.1";
    o.port = peer.port();
    o.max_response = 4096;
    auto r = rspamd_check(o, {}, "hello");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("too large"), std::string::npos);
  }
  // Nobody listening: refused at once; the rule source then adds nothing.
  rspamd_options o;
  o.host = "127.0.0.1";
  o.port = 9;
  EXPECT_FALSE(rspamd_check(o, {}, "hello"));
  auto source = make_rspamd_rules(o);
  message_input in;
  in.bytes = "hello";
  std::vector<finding> out;
  source->evaluate(in, out);
  source->evaluate(in, out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace letterhead::filter
