#include "smtp/server/server.hpp"

#include <memory>

#include "core/runtime.hpp"
#include "core/tcp_server.hpp"
#include "smtp/proto/reply.hpp"
#include "smtp/server/session.hpp"

namespace letterhead::smtp::server {

core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                          backend& backend, listener_kind kind, std::string_view address,
                          std::shared_ptr<core::rate_counter> connection_rate) {
  auto settings = std::make_shared<session_settings>();
  settings->hostname = config.hostname;
  settings->kind = kind;
  settings->implicit_tls = kind == listener_kind::submissions;
  settings->tls_available = true;
  settings->allow_plaintext_auth_on_loopback = config.smtp.allow_plaintext_auth_on_loopback;
  settings->max_received_headers = config.smtp.max_received_headers;
  settings->limits = config.limits;
  if (config.limits.smtp_connections_per_minute_per_ip != 0) {
    settings->connection_rate =
        connection_rate ? std::move(connection_rate) : core::make_memory_rate_counter(std::chrono::minutes(1));
  }
  const char* name = kind == listener_kind::mx ? "smtp" : kind == listener_kind::submission ? "submission"
                                                                                            : "submissions";
  auto* blocking = &rt.blocking();
  auto* back = &backend;
  return tcp.listen(address, name, proto::format_reply(421, "4.7.0", "Too many connections, try again later"),
                    [settings, blocking, back](std::shared_ptr<core::transport> t, std::uint64_t id) {
                      return std::make_unique<session>(std::move(t), settings, *back, *blocking, id);
                    });
}

}  // namespace letterhead::smtp::server
