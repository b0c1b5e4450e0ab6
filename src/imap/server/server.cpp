#include "imap/server/server.hpp"

#include "core/runtime.hpp"
#include "core/tcp_server.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                          store::store& store, directory::directory& dir, bool implicit_tls,
                          std::string_view address, junk_feedback_hook junk_feedback) {
  auto settings = std::make_shared<session_settings>();
  settings->hostname = config.hostname;
  settings->implicit_tls = implicit_tls;
  settings->allow_plaintext_auth_on_loopback = config.smtp.allow_plaintext_auth_on_loopback;
  settings->limits = config.limits;
  settings->append_limit = config.limits.message_size;
  settings->junk_feedback = std::move(junk_feedback);
  auto* blocking = &rt.blocking();
  return tcp.listen(address, implicit_tls ? "imaps" : "imap", "* BYE Too many connections, try again later\r\n",
                    [settings, blocking, st = &store, d = &dir](std::shared_ptr<core::transport> t, std::uint64_t id) {
                      return std::make_unique<session>(std::move(t), settings, *st, *d, *blocking, id);
                    });
}

}  // namespace letterhead::imap::server
