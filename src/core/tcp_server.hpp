#pragma once
// Listeners for any line protocol: accept connections, enforce connection limits
// (in total and per client IP), run one session coroutine per connection on its own
// strand, and reach every live session at shutdown. SMTP, IMAP and POP3 each plug
// in a session factory. A listener may expect a PROXY header first: then the
// client's address is the one it names, for the limits here and for the session.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/transport.hpp"

namespace letterhead::core {

class runtime;
class tls_contexts;
struct proxy_config;

// What a listener runs for each connection.
class connection_session {
 public:
  virtual ~connection_session() = default;
  // Runs to the end of the connection; must not throw.
  virtual boost::asio::awaitable<void> run() = 0;
  // Called on the session's strand: finish soon (idle sessions at once).
  virtual void request_shutdown() = 0;
};

using session_factory =
    std::function<std::unique_ptr<connection_session>(std::shared_ptr<transport>, std::uint64_t id)>;

class tcp_server {
 public:
  tcp_server(runtime& rt, const tls_contexts& tls, const limits& limits);
  ~tcp_server();
  tcp_server(const tcp_server&) = delete;
  tcp_server& operator=(const tcp_server&) = delete;

  // Binds now (a port in use is reported at start) and accepts once the runtime
  // runs. `refusal` is the protocol's one-line answer for a connection over a limit
  // (e.g. "421 4.7.0 Too many connections\r\n"); `name` is for the logs.
  [[nodiscard]] result<void> listen(std::string_view address, std::string name, std::string refusal,
                                    session_factory factory);

  // The PROXY protocol (core/proxy_protocol.hpp) on the listeners `proxy` names,
  // from its trusted networks only. Call before listen().
  [[nodiscard]] result<void> accept_proxy(const proxy_config& proxy);

  // Stops accepting and asks every live session to finish.
  void stop();

  [[nodiscard]] std::size_t active_sessions() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace letterhead::core
