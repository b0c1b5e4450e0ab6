// The POP3 listeners of `serve` (pop3, pop3s).
#include <spdlog/spdlog.h>

#include "app/services.hpp"

namespace letterhead::app {

core::result<std::size_t> start_pop3(services& s) {
  const auto& cfg = s.ctx.config;
  for (const auto& [name, address] : {std::pair{"pop3", cfg.listen.pop3}, {"pop3s", cfg.listen.pop3s}}) {
    if (address) spdlog::warn("listen.{} is set but this build has no POP3 server yet", name);
  }
  return std::size_t{0};
}

}  // namespace letterhead::app
