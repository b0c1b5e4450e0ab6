// The IMAP listeners of `serve` (imap with STARTTLS, imaps with implicit TLS).
#include <spdlog/spdlog.h>

#include "app/services.hpp"
#include "imap/server/server.hpp"

namespace letterhead::app {

core::result<std::size_t> start_imap(services& s) {
  const auto& cfg = s.ctx.config;
  std::size_t started = 0;
  for (const auto& [name, address, implicit] :
       {std::tuple{"imap", cfg.listen.imap, false}, std::tuple{"imaps", cfg.listen.imaps, true}}) {
    if (!address) continue;
    if (auto r = imap::server::listen(s.net, s.rt, cfg, *s.ctx.store, *s.ctx.directory, implicit, *address); !r) {
      return std::unexpected(r.error());
    }
    spdlog::info("{} listening on {}", name, *address);
    ++started;
  }
  return started;
}

}  // namespace letterhead::app
