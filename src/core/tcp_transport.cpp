#include "core/tcp_transport.hpp"

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace letterhead::core {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

// A deadline per operation, enforced by a watchdog coroutine that closes the socket
// when the deadline passes (Asio's timeout pattern). It holds a shared_ptr to the
// transport, so the transport lives until the watchdog has seen close().
class tcp_transport final : public transport,
                            public std::enable_shared_from_this<tcp_transport> {
 public:
  tcp_transport(tcp::socket socket, std::shared_ptr<ssl::context> tls,
                std::optional<tls_client_options> client = std::nullopt)
      : tls_context_(std::move(tls)),
        stream_(std::move(socket), *tls_context_),
        timer_(stream_.get_executor()),
        client_(std::move(client)) {
    boost::system::error_code ec;
    const auto ep = stream_.next_layer().remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
      }
      peer_ip_ = addr.to_string();
      loopback_ = addr.is_loopback();
    }
  }

  void start_watchdog() {
    auto self = shared_from_this();
    auto watch = [](std::shared_ptr<tcp_transport> t) -> asio::awaitable<void> {
      co_await t->watchdog();
    };
    asio::co_spawn(stream_.get_executor(), watch(std::move(self)), asio::detached);
  }

  asio::awaitable<core::result<std::size_t>> read_some(std::string& buf, std::size_t max,
                                                       std::chrono::seconds timeout) override {
    if (closed_) co_return core::fail(core::errc::io, "connection closed");
    boost::system::error_code ec;
    std::size_t n = 0;
    arm(timeout);
    // Wait for the socket to become readable before giving the read a buffer, so an
    // idle connection (thousands of IMAP clients) holds no read buffer while it waits.
    // Bytes the TLS engine already holds count as readable: with TLS 1.3 a client's
    // first request often arrives in the same segment as its Finished (curl does
    // this), and the handshake has read it off the socket into the engine's BIO.
    if (!tls_ || !tls_input_buffered()) {
      co_await stream_.next_layer().async_wait(tcp::socket::wait_read,
                                               asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        disarm();
        if (timed_out_) co_return core::fail(core::errc::unavailable, "timeout");
        co_return core::fail(core::errc::io, ec.message());
      }
    }
    const auto old = buf.size();
    buf.resize(old + max);
    if (tls_) {
      n = co_await stream_.async_read_some(asio::buffer(buf.data() + old, max),
                                           asio::redirect_error(asio::use_awaitable, ec));
    } else {
      n = co_await stream_.next_layer().async_read_some(
          asio::buffer(buf.data() + old, max), asio::redirect_error(asio::use_awaitable, ec));
    }
    disarm();
    buf.resize(old + n);
    if (n > 0) co_return n;
    if (timed_out_) co_return core::fail(core::errc::unavailable, "timeout");
    // EOF, or a TLS peer closing without close_notify (TOOLCHAIN.md): both end the stream.
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated || !ec) co_return 0;
    co_return core::fail(core::errc::io, ec.message());
  }

  asio::awaitable<core::result<void>> write(std::string_view data,
                                            std::chrono::seconds timeout) override {
    if (closed_) co_return core::fail(core::errc::io, "connection closed");
    boost::system::error_code ec;
    arm(timeout);
    if (tls_) {
      co_await asio::async_write(stream_, asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(stream_.next_layer(), asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    disarm();
    if (timed_out_) co_return core::fail(core::errc::unavailable, "timeout");
    if (ec) co_return core::fail(core::errc::io, ec.message());
    co_return core::result<void>{};
  }

  asio::awaitable<core::result<void>> start_tls(std::chrono::seconds timeout) override {
    if (tls_) co_return core::fail(core::errc::invalid, "TLS already active");
    boost::system::error_code ec;
    if (client_) {
      if (auto r = prepare_client_handshake(); !r) co_return r;
    }
    arm(timeout);
    co_await stream_.async_handshake(client_ ? ssl::stream_base::client : ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    disarm();
    if (timed_out_) co_return core::fail(core::errc::unavailable, "TLS handshake timeout");
    if (ec) co_return core::fail(core::errc::io, "TLS handshake failed: " + ec.message());
    tls_ = true;
    co_return core::result<void>{};
  }

  bool tls() const override { return tls_; }

  // SNI and, for a verifying client, the name to match and the verify mode.
  core::result<void> prepare_client_handshake() {
    SSL* s = stream_.native_handle();
    const auto& name = client_->server_name;
    boost::system::error_code ec;
    bool is_ip = false;
    if (!name.empty()) {
      (void)asio::ip::make_address(name, ec);
      is_ip = !ec;
    }
    // RFC 6066 §3: no IP literals in SNI.
    if (!name.empty() && !is_ip && SSL_set_tlsext_host_name(s, name.c_str()) != 1) {
      return core::fail(core::errc::invalid, "TLS server name rejected");
    }
    if (client_->verify) {
      if (name.empty()) return core::fail(core::errc::invalid, "TLS verification needs a server name");
      const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), name.c_str())
                           : SSL_set1_host(s, name.c_str());
      if (ok != 1) return core::fail(core::errc::invalid, "TLS server name rejected");
      SSL_set_verify(s, SSL_VERIFY_PEER, nullptr);
    } else {
      SSL_set_verify(s, SSL_VERIFY_NONE, nullptr);
    }
    return {};
  }

  // Decrypted bytes, unprocessed records, or ciphertext Asio has handed to OpenSSL.
  bool tls_input_buffered() const {
    SSL* s = const_cast<ssl::stream<tcp::socket>&>(stream_).native_handle();
    return SSL_pending(s) > 0 || SSL_has_pending(s) == 1 || BIO_ctrl_pending(SSL_get_rbio(s)) > 0;
  }

  std::string tls_description() const override {
    if (!tls_) return {};
    SSL* s = const_cast<ssl::stream<tcp::socket>&>(stream_).native_handle();
    return fmt::format("{} {}", SSL_get_version(s), SSL_get_cipher_name(s));
  }

  std::string peer_ip() const override { return peer_ip_; }
  bool peer_is_loopback() const override { return loopback_; }

  void cancel_read() override {
    boost::system::error_code ec;
    stream_.next_layer().cancel(ec);
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_.next_layer().close(ec);
    timer_.cancel();
  }

 private:
  void arm(std::chrono::seconds timeout) {
    deadline_ = clock::now() + timeout;
    timer_.cancel();  // the watchdog re-reads the deadline
  }
  void disarm() {
    deadline_ = clock::time_point::max();
    timer_.cancel();
  }

  asio::awaitable<void> watchdog() {
    while (!closed_) {
      if (deadline_ <= clock::now()) {
        timed_out_ = true;
        close();
        co_return;
      }
      timer_.expires_at(deadline_);
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  std::shared_ptr<ssl::context> tls_context_;
  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  clock::time_point deadline_ = clock::time_point::max();
  bool tls_ = false;
  bool closed_ = false;
  bool timed_out_ = false;
  bool loopback_ = false;
  std::string peer_ip_;
  std::optional<tls_client_options> client_;  // set for outgoing connections
};

}  // namespace

std::shared_ptr<transport> make_tcp_transport(tcp::socket socket,
                                              std::shared_ptr<ssl::context> tls) {
  auto t = std::make_shared<tcp_transport>(std::move(socket), std::move(tls));
  t->start_watchdog();
  return t;
}

std::shared_ptr<transport> make_tcp_client_transport(tcp::socket socket,
                                                     std::shared_ptr<ssl::context> tls,
                                                     tls_client_options options) {
  auto t = std::make_shared<tcp_transport>(std::move(socket), std::move(tls), std::move(options));
  t->start_watchdog();
  return t;
}

}  // namespace letterhead::core
