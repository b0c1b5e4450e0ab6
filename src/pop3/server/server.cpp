#include "pop3/server/server.hpp"

#include <memory>

#include "core/runtime.hpp"
#include "core/tcp_server.hpp"
#include "pop3/proto/response.hpp"
#include "pop3/server/session.hpp"

namespace letterhead::pop3::server {

core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                          backend& backend, bool implicit_tls, std::string_view address) {
  auto settings = std::make_shared<session_settings>();
  settings->hostname = config.hostname;
  settings->implicit_tls = implicit_tls;
  settings->tls_available = true;
  // The same test setting as SMTP AUTH: plaintext logins on loopback only.
  settings->allow_plaintext_auth_on_loopback = config.smtp.allow_plaintext_auth_on_loopback;
  settings->limits = config.limits;
  auto* blocking = &rt.blocking();
  auto* back = &backend;
  return tcp.listen(address, implicit_tls ? "pop3s" : "pop3",
                    proto::err("Too many connections, try again later", proto::resp_code::sys_temp),
                    [settings, blocking, back](std::shared_ptr<core::transport> t, std::uint64_t id) {
                      return std::make_unique<session>(std::move(t), settings, *back, *blocking, id);
                    });
}

}  // namespace letterhead::pop3::server
