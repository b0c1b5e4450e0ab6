#pragma once
// A connection as the session sees it: bytes in and out with deadlines, and a TLS
// upgrade. Keeps sockets and OpenSSL out of the command files, which then compile
// with only Asio's coroutine headers.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/error.hpp"

namespace letterhead::core {

class transport {
 public:
  virtual ~transport() = default;

  // Appends at most `max` bytes to `buf`. Returns the count; 0 means the peer closed.
  // errc::unavailable when `timeout` passed without data.
  virtual boost::asio::awaitable<core::result<std::size_t>> read_some(
      std::string& buf, std::size_t max, std::chrono::seconds timeout) = 0;

  virtual boost::asio::awaitable<core::result<void>> write(std::string_view data,
                                                           std::chrono::seconds timeout) = 0;

  // Runs the TLS handshake on the connection: the server side on an accepted
  // connection, the client side on an outgoing one (make_tcp_client_transport).
  virtual boost::asio::awaitable<core::result<void>> start_tls(std::chrono::seconds timeout) = 0;

  [[nodiscard]] virtual bool tls() const = 0;
  // Protocol and cipher, e.g. "TLS1.3 TLS_AES_256_GCM_SHA384", for the Received header.
  [[nodiscard]] virtual std::string tls_description() const = 0;
  [[nodiscard]] virtual std::string peer_ip() const = 0;
  [[nodiscard]] virtual bool peer_is_loopback() const = 0;

  // Makes a pending read complete now with an error; the connection stays usable
  // for a last reply.
  virtual void cancel_read() = 0;

  // Ends the connection; any pending read or write completes with an error.
  virtual void close() = 0;
};

}  // namespace letterhead::core
