// The POP3 listeners of `serve`: pop3 (STLS) and pop3s (implicit TLS).
#include <spdlog/spdlog.h>

#include "app/pop3_backend.hpp"
#include "app/services.hpp"
#include "pop3/server/server.hpp"

namespace letterhead::app {

core::result<std::size_t> start_pop3(services& s) {
  const auto& cfg = s.ctx.config;
  if (!cfg.listen.pop3 && !cfg.listen.pop3s) return std::size_t{0};
  auto backend = std::make_shared<pop3_backend>(*s.ctx.directory);
  s.keep.push_back(backend);
  struct entry {
    bool implicit_tls;
    const std::optional<std::string>& address;
    const char* name;
  };
  const entry entries[] = {
      {false, cfg.listen.pop3, "pop3"},
      {true, cfg.listen.pop3s, "pop3s"},
  };
  std::size_t started = 0;
  for (const auto& e : entries) {
    if (!e.address) continue;
    if (auto r = pop3::server::listen(s.net, s.rt, cfg, *backend, e.implicit_tls, *e.address); !r) {
      return std::unexpected(r.error());
    }
    spdlog::info("{} listening on {}", e.name, *e.address);
    ++started;
  }
  return started;
}

}  // namespace letterhead::app
