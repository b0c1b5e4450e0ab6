#include "core/tcp_transport.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sys/socket.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace letterhead::core {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

// OpenSSL drives the non-blocking socket itself through this BIO; the transport
// waits for readiness with Asio (async_wait) whenever OpenSSL wants to read or write.
// Asio's ssl::stream would keep two 17 KiB buffers and a BIO pair per connection,
// even idle ones and plaintext ones; here an idle connection holds no I/O buffer
// (SSL_MODE_RELEASE_BUFFERS) and a plaintext one holds no SSL object at all.
//
// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when the peer
// has reset the connection; send(MSG_NOSIGNAL) does not.
int bio_fd(BIO* b) { return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b))); }

int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  for (;;) {
    const ssize_t n = ::send(bio_fd(b), data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
    return -1;
  }
}

int bio_read(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  for (;;) {
    // Only what OpenSSL asks for (a record header, then its body): bytes beyond the
    // current record stay in the kernel, so waiting for readability stays truthful.
    const ssize_t n = ::recv(bio_fd(b), data, static_cast<std::size_t>(len), 0);
    if (n >= 0) return static_cast<int>(n);  // 0: the peer closed
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(b);
    return -1;
  }
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "letterhead socket");
    if (m != nullptr) {
      BIO_meth_set_write(m, bio_write);
      BIO_meth_set_read(m, bio_read);
      BIO_meth_set_ctrl(m, bio_ctrl);
    }
    return m;
  }();
  return method;
}

struct ssl_deleter {
  void operator()(SSL* s) const { SSL_free(s); }
};

// The first error OpenSSL queued for this thread, then an empty queue.
std::string take_openssl_error(int err) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    return reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", e);
  }
  if (err == SSL_ERROR_SYSCALL && errno != 0) return std::strerror(errno);
  if (err == SSL_ERROR_SYSCALL) return "connection closed by peer";
  return fmt::format("TLS error {}", err);
}

// The peer ended the TCP stream without close_notify. OpenSSL 3 reports it as
// SSL_R_UNEXPECTED_EOF_WHILE_READING; older releases as SSL_ERROR_SYSCALL with
// errno 0 and nothing queued.
bool peer_truncated(int err, int saved_errno) {
  if (err == SSL_ERROR_SSL) {
    const unsigned long e = ERR_peek_error();
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
  }
  return err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && saved_errno == 0;
}

bool would_block(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

// Each operation has a deadline: a timer whose expiry closes the socket, so the
// pending wait completes with an error and the operation reports the timeout. The
// timer's handler holds only a weak pointer and a generation number, so a handler
// already queued when the operation finished cannot close a later one.
class tcp_transport final : public transport,
                            public std::enable_shared_from_this<tcp_transport> {
 public:
  tcp_transport(tcp::socket socket, std::shared_ptr<ssl::context> tls,
                std::optional<tls_client_options> client = std::nullopt)
      : tls_context_(std::move(tls)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        client_(std::move(client)) {
    boost::system::error_code ec;
    // OpenSSL reads and writes the descriptor directly: it must never block.
    socket_.non_blocking(true, ec);
    const auto ep = socket_.remote_endpoint(ec);
    if (!ec) set_peer(ep.address());
  }

  // The client's address: the socket's peer, or the one a PROXY header named.
  void set_peer(asio::ip::address addr) {
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
      addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    }
    peer_ip_ = addr.to_string();
    loopback_ = addr.is_loopback();
  }

  ~tcp_transport() override { close(); }
  tcp_transport(const tcp_transport&) = delete;
  tcp_transport& operator=(const tcp_transport&) = delete;

  asio::awaitable<core::result<std::size_t>> read_some(std::string& buf, std::size_t max,
                                                       std::chrono::seconds timeout) override {
    if (closed_) co_return core::fail(core::errc::io, "connection closed");
    if (ssl_ && !tls_) co_return core::fail(core::errc::io, "TLS handshake failed");
    boost::system::error_code ec;
    arm(timeout);
    // Wait for the socket to become readable before giving the read a buffer, so an
    // idle connection (thousands of IMAP clients) holds no read buffer while it waits.
    // Bytes OpenSSL already holds, decrypted (SSL_pending) or not (SSL_has_pending),
    // count as readable: waiting on the socket for them could wait forever.
    bool wait = !(tls_ && tls_input_buffered());
    auto want = tcp::socket::wait_read;
    for (;;) {
      if (wait) {
        co_await socket_.async_wait(want, asio::redirect_error(asio::use_awaitable, ec));
        if (timed_out_) co_return core::fail(core::errc::unavailable, "timeout");
        if (ec) {
          disarm();
          co_return core::fail(core::errc::io, ec.message());
        }
      }
      wait = true;
      const auto old = buf.size();
      buf.resize(old + max);
      if (!tls_) {
        const std::size_t n = socket_.read_some(asio::buffer(buf.data() + old, max), ec);
        buf.resize(old + n);
        if (n == 0 && would_block(ec)) {
          want = tcp::socket::wait_read;
          continue;
        }
        disarm();
        if (n > 0) co_return n;
        if (ec == asio::error::eof || !ec) co_return 0;
        co_return core::fail(core::errc::io, ec.message());
      }
      ERR_clear_error();
      errno = 0;
      std::size_t n = 0;
      const int rc = SSL_read_ex(ssl_.get(), buf.data() + old, max, &n);
      const int saved_errno = errno;
      buf.resize(old + (rc == 1 ? n : 0));
      if (rc == 1) {
        disarm();
        co_return n;
      }
      const int err = SSL_get_error(ssl_.get(), rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        want = err == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write;
        continue;
      }
      disarm();
      // close_notify (RFC 8446 §6.1): the end of the stream; ours goes out at close().
      if (err == SSL_ERROR_ZERO_RETURN) co_return 0;
      // After a fatal error OpenSSL must not send close_notify.
      fatal_ = true;
      // A peer closing without close_notify (TOOLCHAIN.md): a normal end of stream.
      if (peer_truncated(err, saved_errno)) {
        ERR_clear_error();
        co_return 0;
      }
      errno = saved_errno;
      co_return core::fail(core::errc::io, take_openssl_error(err));
    }
  }

  // Writes everything or fails. TLS output is encrypted one record at a time into
  // OpenSSL's single write buffer and handed to the kernel; when the socket is full
  // the write waits, so a client that never reads costs at most one record of
  // memory here, until the deadline closes the connection.
  asio::awaitable<core::result<void>> write(std::string_view data,
                                            std::chrono::seconds timeout) override {
    if (closed_) co_return core::fail(core::errc::io, "connection closed");
    if (ssl_ && !tls_) co_return core::fail(core::errc::io, "TLS handshake failed");
    boost::system::error_code ec;
    arm(timeout);
    writing_ = true;
    std::size_t done = 0;
    while (done < data.size()) {
      auto want = tcp::socket::wait_write;
      if (!tls_) {
        done += socket_.write_some(asio::buffer(data.data() + done, data.size() - done), ec);
        if (!ec) continue;
        if (!would_block(ec)) {
          writing_ = false;
          disarm();
          co_return core::fail(core::errc::io, ec.message());
        }
      } else {
        ERR_clear_error();
        errno = 0;
        std::size_t n = 0;
        // After WANT_WRITE the retry passes the same bytes again, as OpenSSL requires.
        const int rc = SSL_write_ex(ssl_.get(), data.data() + done, data.size() - done, &n);
        if (rc == 1) {
          done += n;
          continue;
        }
        const int err = SSL_get_error(ssl_.get(), rc);
        if (err == SSL_ERROR_WANT_READ) {
          want = tcp::socket::wait_read;
        } else if (err != SSL_ERROR_WANT_WRITE) {
          writing_ = false;
          fatal_ = true;
          disarm();
          co_return core::fail(core::errc::io, take_openssl_error(err));
        }
      }
      co_await socket_.async_wait(want, asio::redirect_error(asio::use_awaitable, ec));
      if (timed_out_) {
        writing_ = false;
        co_return core::fail(core::errc::unavailable, "timeout");
      }
      if (ec) {
        writing_ = false;
        disarm();
        co_return core::fail(core::errc::io, ec.message());
      }
    }
    writing_ = false;
    disarm();
    co_return core::result<void>{};
  }

  asio::awaitable<core::result<void>> start_tls(std::chrono::seconds timeout) override {
    if (ssl_) co_return core::fail(core::errc::invalid, "TLS already active");
    if (closed_) co_return core::fail(core::errc::io, "connection closed");
    if (!tls_context_) co_return core::fail(core::errc::invalid, "TLS not available");
    if (auto r = make_ssl(); !r) co_return r;
    boost::system::error_code ec;
    arm(timeout);
    for (;;) {
      ERR_clear_error();
      errno = 0;
      const int rc = SSL_do_handshake(ssl_.get());
      const int saved_errno = errno;
      if (rc == 1) break;
      const int err = SSL_get_error(ssl_.get(), rc);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        fatal_ = true;
        disarm();
        errno = saved_errno;
        const bool eof = peer_truncated(err, saved_errno);
        std::string why = eof ? std::string("connection closed by peer") : take_openssl_error(err);
        // "certificate verify failed" alone does not tell the admin which check failed.
        const long verified = SSL_get_verify_result(ssl_.get());
        if (client_ && client_->verify && verified != X509_V_OK) {
          why += fmt::format(" ({})", X509_verify_cert_error_string(verified));
        }
        ERR_clear_error();
        co_return core::fail(core::errc::io, "TLS handshake failed: " + why);
      }
      const auto want = err == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write;
      co_await socket_.async_wait(want, asio::redirect_error(asio::use_awaitable, ec));
      if (timed_out_) co_return core::fail(core::errc::unavailable, "TLS handshake timeout");
      if (ec) {
        disarm();
        co_return core::fail(core::errc::io, "TLS handshake failed: " + ec.message());
      }
    }
    disarm();
    if (client_ && client_->check) {
      if (auto why = client_->check(ssl_.get()); !why.empty()) {
        fatal_ = true;
        co_return core::fail(core::errc::denied, why);
      }
    }
    tls_ = true;
    co_return core::result<void>{};
  }

  bool tls() const override { return tls_; }

  std::string tls_description() const override {
    if (!tls_) return {};
    return fmt::format("{} {}", SSL_get_version(ssl_.get()), SSL_get_cipher_name(ssl_.get()));
  }

  std::string peer_ip() const override { return peer_ip_; }
  bool peer_is_loopback() const override { return loopback_; }

  void cancel_read() override {
    boost::system::error_code ec;
    socket_.cancel(ec);
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    // One non-blocking attempt at our close_notify (RFC 8446 §6.1, RFC 5246 §7.2.1):
    // neither side has to wait for the other's. Not after a fatal error or a timeout,
    // nor in the middle of a record being written.
    if (tls_ && !fatal_ && !timed_out_ && !writing_) {
      ERR_clear_error();
      (void)SSL_shutdown(ssl_.get());
      ERR_clear_error();
    }
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    ++generation_;
    timer_.cancel();
  }

 private:
  core::result<void> make_ssl() {
    const BIO_METHOD* method = socket_bio_method();
    SSL* s = method != nullptr ? SSL_new(tls_context_->native_handle()) : nullptr;
    if (s == nullptr) {
      ERR_clear_error();
      return core::fail(core::errc::internal, "cannot create a TLS session");
    }
    ssl_.reset(s);
    BIO* bio = BIO_new(method);
    if (bio == nullptr) {
      ERR_clear_error();
      return core::fail(core::errc::internal, "cannot create a TLS session");
    }
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket_.native_handle())));
    BIO_set_init(bio, 1);
    SSL_set_bio(s, bio, bio);
    // Partial writes let write() resume after the last whole record it got out;
    // RELEASE_BUFFERS frees the record buffers whenever they are empty.
    SSL_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
    // Renegotiation (TLS 1.2) lets a peer make us redo the handshake's work at will.
    SSL_set_options(s, SSL_OP_NO_RENEGOTIATION);
    if (!client_) {
      SSL_set_accept_state(s);
      return {};
    }
    SSL_set_connect_state(s);
    return prepare_client_handshake();
  }

  // SNI and, for a verifying client, the name to match and the verify mode.
  core::result<void> prepare_client_handshake() {
    SSL* s = ssl_.get();
    const auto& name = client_->server_name;
    boost::system::error_code ec;
    bool is_ip = false;
    if (!name.empty()) {
      (void)asio::ip::make_address(name, ec);
      is_ip = !ec;
    }
    // RFC 6066 §3: no IP literals in SNI.
    if (!name.empty() && !is_ip && SSL_set_tlsext_host_name(s, name.c_str()) != 1) {
      ERR_clear_error();
      return core::fail(core::errc::invalid, "TLS server name rejected");
    }
    if (client_->verify) {
      if (name.empty()) return core::fail(core::errc::invalid, "TLS verification needs a server name");
      const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), name.c_str())
                           : SSL_set1_host(s, name.c_str());
      if (ok != 1) {
        ERR_clear_error();
        return core::fail(core::errc::invalid, "TLS server name rejected");
      }
      SSL_set_verify(s, SSL_VERIFY_PEER, nullptr);
    } else {
      SSL_set_verify(s, SSL_VERIFY_NONE, nullptr);
    }
    if (client_->prepare) {
      if (auto why = client_->prepare(s); !why.empty()) return core::fail(core::errc::denied, why);
    }
    return {};
  }

  bool tls_input_buffered() const { return SSL_pending(ssl_.get()) > 0 || SSL_has_pending(ssl_.get()) == 1; }

  void arm(std::chrono::seconds timeout) {
    const std::uint64_t generation = ++generation_;
    timer_.expires_after(timeout);  // cancels the previous wait, if any
    timer_.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->generation_ != generation || self->closed_) return;
      self->timed_out_ = true;
      self->close();
    });
  }

  void disarm() {
    ++generation_;
    timer_.cancel();
  }

  std::shared_ptr<ssl::context> tls_context_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::unique_ptr<SSL, ssl_deleter> ssl_;  // from start_tls() on
  std::uint64_t generation_ = 0;
  bool tls_ = false;       // the handshake completed
  bool fatal_ = false;     // OpenSSL reported a fatal error: no close_notify
  bool writing_ = false;   // a write is between records
  bool closed_ = false;
  bool timed_out_ = false;
  bool loopback_ = false;
  std::string peer_ip_;
  std::optional<tls_client_options> client_;  // set for outgoing connections
};

}  // namespace

std::shared_ptr<transport> make_tcp_transport(tcp::socket socket, std::shared_ptr<ssl::context> tls,
                                              std::optional<asio::ip::address> client) {
  auto t = std::make_shared<tcp_transport>(std::move(socket), std::move(tls));
  if (client) t->set_peer(*client);
  return t;
}

std::shared_ptr<transport> make_tcp_client_transport(tcp::socket socket,
                                                     std::shared_ptr<ssl::context> tls,
                                                     tls_client_options options) {
  return std::make_shared<tcp_transport>(std::move(socket), std::move(tls), std::move(options));
}

}  // namespace letterhead::core
