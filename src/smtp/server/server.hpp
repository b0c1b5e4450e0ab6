#pragma once
// The SMTP listeners of one process: MX (25), submission (587) and submissions
// (465), each accepting connections and running one session coroutine per
// connection. Limits on connections in total and per client IP are enforced here.

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::core {
class runtime;
class tls_contexts;
}  // namespace letterhead::core

namespace letterhead::smtp::server {

class server {
 public:
  server(core::runtime& runtime, const core::tls_contexts& tls, const core::config& config,
         backend& backend);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds a listener now (so that a port in use is reported at start) and begins
  // accepting once the runtime runs.
  [[nodiscard]] core::result<void> listen(listener_kind kind, std::string_view address);

  // Stops accepting and asks every session to finish (idle ones at once).
  void stop();

  [[nodiscard]] std::size_t active_sessions() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace letterhead::smtp::server
