#include "app/delivery_setup.hpp"

#include <memory>

#include "delivery/forwarding.hpp"

namespace letterhead::app {

void configure_delivery(delivery::local_delivery& d, context& ctx) {
  const auto& cfg = ctx.config;
  d.set_parse_limits(cfg.limits);
  d.set_forwarding(std::make_shared<const delivery::forwarding>(
      *ctx.store, *ctx.directory,
      delivery::forwarding_options{.srs = cfg.forwarding.srs,
                                   .srs_domain = cfg.forwarding.srs_domain,
                                   .srs_max_age_days = cfg.forwarding.srs_max_age.count() / 86400,
                                   .arc_seal = cfg.forwarding.arc_seal,
                                   .authserv_id = cfg.auth.authserv_id.empty() ? cfg.hostname : cfg.auth.authserv_id}));
}

}  // namespace letterhead::app
