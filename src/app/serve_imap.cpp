// The IMAP listeners of `serve` (imap, imaps).
#include <spdlog/spdlog.h>

#include "app/services.hpp"

namespace letterhead::app {

core::result<std::size_t> start_imap(services& s) {
  const auto& cfg = s.ctx.config;
  for (const auto& [name, address] : {std::pair{"imap", cfg.listen.imap}, {"imaps", cfg.listen.imaps}}) {
    if (address) spdlog::warn("listen.{} is set but this build has no IMAP server yet", name);
  }
  return std::size_t{0};
}

}  // namespace letterhead::app
