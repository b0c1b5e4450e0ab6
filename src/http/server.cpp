#include "http/server.hpp"

#include <memory>

#include <fmt/format.h>

#include "core/runtime.hpp"
#include "core/tcp_server.hpp"
#include "http/session.hpp"

namespace letterhead::http {

core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                          const router& routes, bool implicit_tls, std::string_view address) {
  auto settings = std::make_shared<session_settings>();
  settings->name = implicit_tls ? "https" : "http";
  settings->implicit_tls = implicit_tls;
  settings->limits = reader_limits{config.http.header_size, config.http.body_size};
  settings->request_timeout = config.http.request_timeout;
  settings->idle_timeout = config.http.idle_timeout;
  settings->keepalive_requests = config.http.keepalive_requests;
  // Sent before any TLS handshake, so without a Date field (it would be stale).
  const std::string body = "Service Unavailable / 服务暂不可用\n";
  std::string refusal = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: {}\r\nRetry-After: 10\r\nConnection: close\r\n\r\n{}",
      body.size(), body);
  auto* blocking = &rt.blocking();
  const auto* r = &routes;
  return tcp.listen(address, settings->name, std::move(refusal),
                    [settings, blocking, r](std::shared_ptr<core::transport> t, std::uint64_t id) {
                      return std::make_unique<session>(std::move(t), settings, *r, *blocking, id);
                    });
}

}  // namespace letterhead::http
