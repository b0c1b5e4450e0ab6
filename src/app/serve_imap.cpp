// The IMAP listeners of `serve` (imap with STARTTLS, imaps with implicit TLS).
#include <spdlog/spdlog.h>

#include "app/bayes_trainer.hpp"
#include "app/services.hpp"
#include "core/runtime.hpp"
#include "imap/server/server.hpp"

namespace letterhead::app {

core::result<std::size_t> start_imap(services& s) {
  const auto& cfg = s.ctx.config;
  std::size_t started = 0;
  // Moves into and out of Junk train the classifier of the MX (app/bayes_trainer.hpp).
  imap::server::junk_feedback_hook feedback;
  if (cfg.spam.enabled && cfg.spam.bayes) {
    auto trainer = std::make_shared<bayes_trainer>(*s.ctx.store, s.rt.blocking(), bayes_options_from(cfg),
                                                  bayes_company_limit_from(cfg));
    feedback = trainer->hook();
    s.keep.push_back(trainer);
  }
  for (const auto& [name, address, implicit] :
       {std::tuple{"imap", cfg.listen.imap, false}, std::tuple{"imaps", cfg.listen.imaps, true}}) {
    if (!address) continue;
    if (auto r = imap::server::listen(s.net, s.rt, cfg, *s.ctx.store, *s.ctx.directory, implicit, *address,
                                       feedback);
        !r) {
      return std::unexpected(r.error());
    }
    spdlog::info("{} listening on {}", name, *address);
    ++started;
  }
  return started;
}

}  // namespace letterhead::app
