#pragma once
// One HTTP/1.1 connection (RFC 9112): requests read with request_reader, answered
// through the router, written with serialize(), kept alive until the client says
// close, the request limit is reached, the idle timer fires or the server stops.
//
// SECURITY
// - Every read has a deadline: a request must arrive whole within request_timeout
//   of its first byte (the connection's start for the first request), so a client
//   sending headers a byte at a time (slow loris) is cut off; an idle keep-alive
//   connection waits idle_timeout. The transport closes the socket when a deadline
//   passes.
// - Header and body sizes are bounded by request_reader; after a malformed or
//   oversized request the session answers, reads and discards briefly (so that the
//   answer is not lost to a TCP reset) and closes.
// - Handlers that block run on the blocking pool, never on an io thread.
// - The log line per request has method, path (never the query string, which may
//   carry an address), status and body size.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/log.hpp"
#include "core/tcp_server.hpp"
#include "core/transport.hpp"
#include "http/request_reader.hpp"
#include "http/router.hpp"

namespace letterhead::http {

struct session_settings {
  std::string name = "http";  // "https" on the implicit-TLS listener, for the logs
  bool implicit_tls = false;
  reader_limits limits;
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds idle_timeout{15};
  std::size_t keepalive_requests = 100;
};

class session final : public core::connection_session {
 public:
  session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
          const router& routes, boost::asio::thread_pool& blocking, std::uint64_t id);

  boost::asio::awaitable<void> run() override;
  void request_shutdown() override;

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<response> dispatch(const request& req);
  boost::asio::awaitable<bool> send(std::string_view data);
  // After an error answer: read and drop what the client still sends, briefly.
  boost::asio::awaitable<void> linger();

  std::shared_ptr<core::transport> transport_;
  std::shared_ptr<const session_settings> settings_;
  const router& routes_;
  boost::asio::thread_pool& blocking_;
  core::conn_log log_;
  bool shutdown_ = false;
  bool waiting_ = false;  // idle between requests: a shutdown may cancel the read
};

}  // namespace letterhead::http
