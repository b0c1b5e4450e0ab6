// The TCP transport on real loopback sockets, against a peer written with OpenSSL's
// blocking API in its own thread (an independent TLS implementation of the same
// protocol as far as these tests go): STARTTLS with plaintext pipelined after the
// command, data decrypted ahead of the socket (SSL_pending), large writes, a peer
// that never reads, a peer closing mid-handshake or without close_notify, our
// close_notify, timeouts and cancellation, and our own client side against our
// server side with and without certificate verification.
#include "core/tcp_transport.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/tls.hpp"

namespace letterhead::core {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// One self-signed server context for the whole binary: generating RSA keys is slow.
std::shared_ptr<asio::ssl::context> server_context() {
  static std::unique_ptr<tls_contexts> contexts = [] {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("letterhead-tcp-transport-" + std::to_string(::getpid()));
    auto c = tls_contexts::load(tls_config{}, dir.string(), "mail.test");
    EXPECT_TRUE(c.has_value());
    std::filesystem::remove_all(dir);
    return std::move(*c);
  }();
  return contexts->server();
}

// The blocking peer: a plain socket, optionally with OpenSSL on it.
struct peer {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;

  explicit peer(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~peer() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }
  void send_plain(std::string_view s) const {
    EXPECT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  std::string recv_plain(std::size_t n) const {
    std::string out;
    while (out.size() < n) {
      char buf[512];
      const auto got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  bool handshake() {
    ctx = SSL_CTX_new(TLS_client_method());
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    return SSL_connect(ssl) == 1;
  }
  void write(std::string_view s) const {
    std::size_t n = 0;
    EXPECT_EQ(SSL_write_ex(ssl, s.data(), s.size(), &n), 1);
  }
  // Reads until `n` bytes or the end; `end` tells how the stream ended.
  std::string read(std::size_t n, int* end = nullptr) const {
    std::string out;
    while (out.size() < n) {
      char buf[16384];
      std::size_t got = 0;
      if (SSL_read_ex(ssl, buf, std::min(sizeof buf, n - out.size()), &got) != 1) {
        if (end != nullptr) *end = SSL_get_error(ssl, 0);
        ERR_clear_error();
        break;
      }
      out.append(buf, got);
    }
    return out;
  }
};

// Runs `server` on an accepted connection's transport while `client` runs in a
// thread against the port.
void run(const std::function<asio::awaitable<void>(std::shared_ptr<transport>)>& server,
         const std::function<void(std::uint16_t)>& client) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto port = acceptor.local_endpoint().port();
  auto accept_and_serve = [&]() -> asio::awaitable<void> {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    auto t = make_tcp_transport(std::move(s), server_context());
    co_await server(t);
    t->close();
  };
  bool finished = false;
  asio::co_spawn(io, accept_and_serve(), [&](std::exception_ptr e) {
    finished = true;
    if (e) std::rethrow_exception(e);
  });
  std::thread peer_thread(client, port);
  io.run_for(60s);
  peer_thread.join();
  EXPECT_TRUE(finished);
}

TEST(TcpTransport, StartTlsKeepsPlaintextPipelinedInTheSameReadOutOfTls) {
  // The session reads "STARTTLS\r\nINJECTED\r\n" as plaintext and throws the rest
  // away (CVE-2011-0411); the transport must not hand those bytes to TLS, and the
  // TLS stream must carry only what came through TLS.
  std::string plain;
  std::string secure;
  std::string description;
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        while (plain.find("INJECTED\r\n") == std::string::npos) {
          auto n = co_await t->read_some(plain, 4096, 5s);
          if (!n || *n == 0) break;
        }
        EXPECT_FALSE(t->tls());
        EXPECT_TRUE(co_await t->write("OK begin TLS\r\n", 5s));
        auto r = co_await t->start_tls(5s);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        EXPECT_TRUE(t->tls());
        description = t->tls_description();
        while (secure.find("\r\n") == std::string::npos) {
          auto n = co_await t->read_some(secure, 4096, 5s);
          if (!n || *n == 0) break;
        }
        EXPECT_TRUE(co_await t->write("OK secure\r\n", 5s));
      },
      [](std::uint16_t port) {
        peer p(port);
        p.send_plain("STARTTLS\r\nINJECTED\r\n");
        EXPECT_EQ(p.recv_plain(14), "OK begin TLS\r\n");
        ASSERT_TRUE(p.handshake());
        p.write("A1 NOOP\r\n");
        EXPECT_EQ(p.read(11), "OK secure\r\n");
      });
  EXPECT_EQ(plain, "STARTTLS\r\nINJECTED\r\n");
  EXPECT_EQ(secure, "A1 NOOP\r\n");
  EXPECT_TRUE(description.starts_with("TLSv1.")) << description;
}

TEST(TcpTransport, PlaintextLeftOnTheSocketAtStartTlsFailsTheHandshake) {
  // Bytes still unread when the handshake starts are read as TLS records: they are
  // refused (the handshake fails), never executed.
  core::result<void> handshake;
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        std::string in;
        while (in.size() < 10) {
          auto n = co_await t->read_some(in, 10 - in.size(), 5s);
          if (!n || *n == 0) break;
        }
        EXPECT_EQ(in, "STARTTLS\r\n");
        handshake = co_await t->start_tls(5s);
      },
      [](std::uint16_t port) {
        peer p(port);
        p.send_plain("STARTTLS\r\nA1 LOGIN alice secret\r\n");
        char c;
        (void)::recv(p.fd, &c, 1, 0);  // until the server gives up
      });
  ASSERT_FALSE(handshake);
  EXPECT_EQ(handshake.error().code, errc::io);
  EXPECT_TRUE(handshake.error().message.starts_with("TLS handshake failed")) << handshake.error().message;
}

TEST(TcpTransport, DecryptedBytesAreReadWithoutWaitingForTheSocket) {
  // One record holds the whole request; the server reads it a byte at a time. The
  // peer sends nothing more until it has the reply, so a read that waited on the
  // socket for bytes OpenSSL already decrypted would time out.
  std::string got;
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await t->start_tls(5s));
        while (!got.ends_with("\r\n")) {
          auto n = co_await t->read_some(got, 1, 3s);
          EXPECT_TRUE(n) << (n ? "" : n.error().message);
          if (!n || *n == 0) break;
        }
        EXPECT_TRUE(co_await t->write("OK\r\n", 5s));
      },
      [](std::uint16_t port) {
        peer p(port);
        ASSERT_TRUE(p.handshake());
        p.write("A1 CAPABILITY and some more text\r\n");
        EXPECT_EQ(p.read(4), "OK\r\n");
      });
  EXPECT_EQ(got, "A1 CAPABILITY and some more text\r\n");
}

std::string random_bytes(std::size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(TcpTransport, LargeWritesArriveWholeBothWays) {
  const std::string big = random_bytes(6 * 1024 * 1024 + 123);
  std::string received_by_server;
  std::string received_by_peer;
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await t->start_tls(5s));
        auto w = co_await t->write(big, 30s);
        EXPECT_TRUE(w) << (w ? "" : w.error().message);
        while (received_by_server.size() < big.size()) {
          auto n = co_await t->read_some(received_by_server, 64 * 1024, 30s);
          if (!n || *n == 0) break;
        }
      },
      [&](std::uint16_t port) {
        peer p(port);
        ASSERT_TRUE(p.handshake());
        received_by_peer = p.read(big.size());
        p.write(big);
      });
  EXPECT_TRUE(received_by_peer == big) << received_by_peer.size();
  EXPECT_TRUE(received_by_server == big) << received_by_server.size();
}

TEST(TcpTransport, PlaintextLargeWriteAndPeerEnd) {
  const std::string big = random_bytes(3 * 1024 * 1024);
  std::string received;
  std::size_t end_read = 1;
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await t->write(big, 30s));
        std::string in;
        auto n = co_await t->read_some(in, 100, 5s);
        EXPECT_TRUE(n);
        if (n) end_read = *n;
      },
      [&](std::uint16_t port) {
        peer p(port);
        received = p.recv_plain(big.size());
        ::shutdown(p.fd, SHUT_WR);
      });
  EXPECT_TRUE(received == big) << received.size();
  EXPECT_EQ(end_read, 0u);
}

TEST(TcpTransport, PeerThatNeverReadsTimesOutTheWrite) {
  core::result<void> w;
  std::atomic<bool> done{false};
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await t->start_tls(5s));
        w = co_await t->write(std::string(32 * 1024 * 1024, 'x'), 1s);
        done = true;
      },
      [&](std::uint16_t port) {
        peer p(port);
        ASSERT_TRUE(p.handshake());
        while (!done) std::this_thread::sleep_for(10ms);
      });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, errc::unavailable);
}

TEST(TcpTransport, PeerClosingMidHandshakeFailsPromptly) {
  core::result<void> handshake;
  const auto start = std::chrono::steady_clock::now();
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> { handshake = co_await t->start_tls(20s); },
      [](std::uint16_t port) {
        peer p(port);
        // The first bytes of a TLS 1.2 ClientHello record, then the end.
        p.send_plain(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
      });
  ASSERT_FALSE(handshake);
  EXPECT_EQ(handshake.error().code, errc::io);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(TcpTransport, TruncationAndCloseNotifyBothEndTheStream) {
  // Without close_notify (a client dropping the connection): a normal end.
  std::size_t truncated = 1;
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await t->start_tls(5s));
        std::string in;
        auto n = co_await t->read_some(in, 100, 5s);
        EXPECT_TRUE(n) << (n ? "" : n.error().message);
        if (n) truncated = *n;
      },
      [](std::uint16_t port) {
        peer p(port);
        ASSERT_TRUE(p.handshake());
        // The end of our stream, then everything the server sends until its close
        // (reading it all avoids a reset that could overtake the end).
        ::shutdown(p.fd, SHUT_WR);
        (void)p.recv_plain(1 << 20);
      });
  EXPECT_EQ(truncated, 0u);

  // With close_notify both ways: the peer's ends our read, ours ends the peer's.
  std::size_t notified = 1;
  int peer_end = 0;
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await t->start_tls(5s));
        std::string in;
        auto n = co_await t->read_some(in, 100, 5s);
        EXPECT_TRUE(n);
        if (n) notified = *n;
        t->close();
      },
      [&](std::uint16_t port) {
        peer p(port);
        ASSERT_TRUE(p.handshake());
        SSL_shutdown(p.ssl);
        (void)p.read(1, &peer_end);
      });
  EXPECT_EQ(notified, 0u);
  EXPECT_EQ(peer_end, SSL_ERROR_ZERO_RETURN);
}

TEST(TcpTransport, ReadTimeoutAndCancel) {
  core::result<std::size_t> timed_out;
  core::result<std::size_t> cancelled;
  core::result<void> after_cancel;
  std::atomic<bool> done{false};
  run(
      [&](std::shared_ptr<transport> t) -> asio::awaitable<void> {
        EXPECT_TRUE(co_await t->start_tls(5s));
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer timer(ex, 200ms);
        timer.async_wait([t](const boost::system::error_code&) { t->cancel_read(); });
        std::string in;
        cancelled = co_await t->read_some(in, 100, 10s);
        // The connection stays usable for a last reply.
        after_cancel = co_await t->write("BYE\r\n", 5s);
        timed_out = co_await t->read_some(in, 100, 1s);
        done = true;
      },
      [&](std::uint16_t port) {
        peer p(port);
        ASSERT_TRUE(p.handshake());
        EXPECT_EQ(p.read(5), "BYE\r\n");
        while (!done) std::this_thread::sleep_for(10ms);
      });
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().code, errc::io);
  EXPECT_TRUE(after_cancel);
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, errc::unavailable);
}

// Our client transport against our server transport.
void client_to_server(tls_client_options options, core::result<void>& client_result, std::string& server_saw) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto ep = acceptor.local_endpoint();
  auto client_ctx = make_client_tls_context();
  ASSERT_TRUE(client_ctx);
  auto server = [&]() -> asio::awaitable<void> {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    auto t = make_tcp_transport(std::move(s), server_context());
    if (!co_await t->start_tls(5s)) co_return;
    auto n = co_await t->read_some(server_saw, 100, 5s);
    EXPECT_TRUE(n);
    t->close();
  };
  auto client = [&]() -> asio::awaitable<void> {
    tcp::socket s(io);
    co_await s.async_connect(ep, asio::use_awaitable);
    auto t = make_tcp_client_transport(std::move(s), *client_ctx, options);
    client_result = co_await t->start_tls(5s);
    if (client_result) {
      EXPECT_TRUE(t->tls_description().starts_with("TLSv1."));
      EXPECT_TRUE(co_await t->write("EHLO client.test\r\n", 5s));
      std::string in;
      auto n = co_await t->read_some(in, 100, 5s);
      EXPECT_TRUE(n && *n == 0);  // the server's close_notify
    }
    t->close();
  };
  asio::co_spawn(io, server(), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  asio::co_spawn(io, client(), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  io.run_for(30s);
}

TEST(TcpTransport, ClientWithoutVerificationTalksToServer) {
  core::result<void> r;
  std::string saw;
  client_to_server({.server_name = "mail.test", .verify = false, .prepare = {}, .check = {}}, r, saw);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  EXPECT_EQ(saw, "EHLO client.test\r\n");
}

TEST(TcpTransport, VerifyingClientRefusesSelfSignedCertificate) {
  core::result<void> r;
  std::string saw;
  client_to_server({.server_name = "mail.test", .verify = true, .prepare = {}, .check = {}}, r, saw);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io);
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos) << r.error().message;
  EXPECT_EQ(saw, "");
}

}  // namespace
}  // namespace letterhead::core
