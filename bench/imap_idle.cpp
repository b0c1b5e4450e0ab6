// Idle IMAP connections: opens K connections (implicit TLS or plaintext), logs each
// in (LOGIN, RFC 9051 §6.2.3) as one of U accounts in turn, optionally SELECTs INBOX
// and enters IDLE (RFC 2177) as a mail client waiting for new mail does, then holds
// them all without a byte more until standard input closes. What a benchmark reads
// meanwhile is the server's memory; this program only keeps the connections open.
//
//   imap_idle --port 993 --tls --connections 2000 --users 100 \
//             --user 'user{}@example.com' --password secret
//
// It prints "ready opened=N failed=F seconds=S" once every connection is logged in
// (or failed), and exits when its standard input reaches end of file.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 143;
  bool tls = false;
  unsigned connections = 2000;
  unsigned parallel = 32;  // logins in flight at once
  unsigned users = 1;
  std::string user = "alice@example.com";  // "{}" is replaced by the account number
  std::string password;
  bool idle = false;  // SELECT INBOX and IDLE after LOGIN
};

struct held {
  std::vector<std::unique_ptr<tcp::socket>> plain;
  std::vector<std::unique_ptr<ssl::stream<tcp::socket>>> tls;
};

struct shared_state {
  std::atomic<unsigned> next{0};
  unsigned opened = 0;
  unsigned failed = 0;
  unsigned errors_printed = 0;
  held connections;  // single io thread: no lock
};

std::string account(const options& o, unsigned k) {
  std::string a = o.user;
  if (const auto at = a.find("{}"); at != std::string::npos) a.replace(at, 2, std::to_string(k));
  return a;
}

// Reads lines until the tagged reply to `tag` (untagged lines and, for IDLE, the
// continuation request "+ " end on other prefixes); returns that line.
template <class Stream>
asio::awaitable<std::string> until(Stream& s, std::string& buf, std::string_view prefix) {
  for (;;) {
    const auto n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n", asio::use_awaitable);
    std::string line = buf.substr(0, n - 2);
    buf.erase(0, n);
    if (line.starts_with(prefix)) co_return line;
  }
}

template <class Stream>
asio::awaitable<void> command(Stream& s, std::string& buf, std::string_view tag, const std::string& text) {
  const auto line = fmt::format("{} {}\r\n", tag, text);
  co_await asio::async_write(s, asio::buffer(line), asio::use_awaitable);
  const auto reply = co_await until(s, buf, fmt::format("{} ", tag));
  if (!reply.starts_with(fmt::format("{} OK", tag))) throw std::runtime_error(reply);
}

// RFC 9051 §4.3: a quoted string may hold any CHAR but '"' and '\' unescaped.
std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + '"';
}

template <class Stream>
asio::awaitable<void> log_in(const options& o, Stream& s, unsigned k) {
  std::string buf;
  (void)co_await until(s, buf, "* ");  // greeting
  co_await command(s, buf, "a1", fmt::format("LOGIN {} {}", quoted(account(o, k % o.users)), quoted(o.password)));
  if (!o.idle) co_return;
  co_await command(s, buf, "a2", "SELECT INBOX");
  const auto line = std::string("a3 IDLE\r\n");
  co_await asio::async_write(s, asio::buffer(line), asio::use_awaitable);
  (void)co_await until(s, buf, "+");
}

asio::awaitable<void> opener(const options& o, shared_state& st, ssl::context& tls) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  const auto endpoints = co_await resolver.async_resolve(o.host, std::to_string(o.port), asio::use_awaitable);
  for (;;) {
    const unsigned k = st.next.fetch_add(1);
    if (k >= o.connections) break;
    try {
      if (o.tls) {
        auto s = std::make_unique<ssl::stream<tcp::socket>>(ex, tls);
        co_await asio::async_connect(s->next_layer(), endpoints, asio::use_awaitable);
        co_await s->async_handshake(ssl::stream_base::client, asio::use_awaitable);
        co_await log_in(o, *s, k);
        st.connections.tls.push_back(std::move(s));
      } else {
        auto s = std::make_unique<tcp::socket>(ex);
        co_await asio::async_connect(*s, endpoints, asio::use_awaitable);
        co_await log_in(o, *s, k);
        st.connections.plain.push_back(std::move(s));
      }
      ++st.opened;
    } catch (const std::exception& e) {
      ++st.failed;
      if (st.errors_printed++ < 5) std::fprintf(stderr, "connection %u: %s\n", k, e.what());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"Idle IMAP connections"};
  app.add_option("--host", o.host);
  app.add_option("--port", o.port)->required();
  app.add_flag("--tls", o.tls, "implicit TLS (imaps)");
  app.add_option("--connections", o.connections);
  app.add_option("--parallel", o.parallel, "logins in flight at once");
  app.add_option("--users", o.users, "accounts to log in as in turn: {} in --user is the number");
  app.add_option("--user", o.user);
  app.add_option("--password", o.password)->required();
  app.add_flag("--idle", o.idle, "SELECT INBOX and IDLE after LOGIN");
  CLI11_PARSE(app, argc, argv);
  if (o.users == 0 || o.parallel == 0) {
    std::fprintf(stderr, "--users and --parallel must be at least 1\n");
    return 2;
  }

  // The client's TLS costs are not what is measured; the server's certificate is
  // not checked (a throwaway one on loopback).
  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);
  asio::io_context io(1);
  shared_state st;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < o.parallel; ++i) asio::co_spawn(io, opener(o, st, tls), asio::detached);
  io.run();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ready opened=%u failed=%u seconds=%.2f\n", st.opened, st.failed, secs);
  std::fflush(stdout);
  while (std::getchar() != EOF) {
  }
  return st.failed == 0 ? 0 : 1;
}
