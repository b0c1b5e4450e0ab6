// The HTTP listeners of `serve` (http, and https with implicit TLS): one router with
// the basic routes (/, /healthz, /metrics) and autoconfiguration, and the process
// metrics that /metrics shows whatever else is counted.
#include <chrono>
#include <memory>

#include <boost/version.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/dkim_setup.hpp"
#include "app/dns_records.hpp"
#include "app/services.hpp"
#include "delivery/moderation.hpp"
#include "directory/admin_sessions.hpp"
#include "directory/org.hpp"
#include "http/admin/api.hpp"
#include "core/metrics.hpp"
#include "core/tcp_server.hpp"
#include "http/autoconfig/routes.hpp"
#include "http/basic_routes.hpp"
#include "http/mta_sts_route.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace letterhead::app {
namespace {

namespace metrics = core::metrics;

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

// Gauges for the whole process; the callback handles live in `keep`, so that no
// callback outlives the store or the listeners it reads.
void register_process_metrics(services& s) {
  auto& g = metrics::global();
  g.gauge("letterhead_up", {}, "1 while the server is serving.").set(1);
  g.gauge("letterhead_build_info", {{"compiler", compiler()}, {"boost", BOOST_LIB_VERSION}},
          "Build information; the value is always 1.")
      .set(1);
  const auto start = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  g.gauge("process_start_time_seconds", {}, "Start time of the process since the Unix epoch, in seconds.")
      .set(start.count());

  auto* st = s.ctx.store.get();
  auto queue = std::make_shared<metrics::callback_handle>(g.gauge_callback(
      "letterhead_queue_length", {}, "Messages in the outbound queue.", [st]() -> std::optional<double> {
        // todo: a count query in the store; listing is fine for the queue sizes of today.
        auto q = st->list_queue();
        if (!q) return std::nullopt;
        return static_cast<double>(q->size());
      }));
  s.keep.push_back(queue);
}

}  // namespace

core::result<std::size_t> start_http(services& s) {
  const auto& cfg = s.ctx.config;
  if (!cfg.listen.http && !cfg.listen.https) return 0;

  auto routes = std::make_shared<http::router>();
  http::add_basic_routes(*routes, http::basic_options{cfg.http.metrics});
  auto* dir = s.ctx.directory.get();
  http::autoconfig::add_routes(*routes, http::autoconfig::settings_from(cfg),
                               [dir](std::string_view domain) { return dir->is_local_domain(domain); });
  // RFC 8461 §3.3: our policy, the one `letterhead dns DOMAIN` announces.
  http::add_mta_sts_route(*routes, [dir, policy = our_mta_sts_policy(cfg.hostname, cfg.http.mta_sts_mode)](
                                       std::string_view domain) -> core::result<std::optional<std::string>> {
    auto ours = dir->is_local_domain(domain);
    if (!ours) return std::unexpected(ours.error());
    if (!*ours) return std::nullopt;
    return policy;
  });
  // The admin API answers on the https listener only (http/admin/guard.cpp).
  auto org = std::make_shared<directory::organisation>(*s.ctx.store, *dir);
  auto sessions = std::make_shared<directory::admin_sessions>(*dir);
  auto* ctx = &s.ctx;
  http::admin::services api{*dir, *org, *sessions, {}, {}, {}};
  api.domain_added = [ctx](const std::string& domain, std::string_view actor) {
    (void)setup_domain_dkim(*ctx, domain, actor);
  };
  auto* delivery = &s.delivery;
  api.approve_held = [delivery, org](const directory::actor& who, store::id_t id)
      -> core::result<std::pair<std::size_t, std::size_t>> {
    auto done = delivery::approve_held(*delivery, *org, who, id);
    if (!done) return std::unexpected(done.error());
    return std::pair{done->local_copies, done->queued};
  };
  api.reject_held = [org](const directory::actor& who, store::id_t id) { return delivery::reject_held(*org, who, id); };
  http::admin::add_routes(*routes, api);
  s.keep.push_back(org);
  s.keep.push_back(sessions);
  s.keep.push_back(routes);
  register_process_metrics(s);

  std::size_t started = 0;
  for (const auto& [name, address, implicit] :
       {std::tuple{"http", cfg.listen.http, false}, std::tuple{"https", cfg.listen.https, true}}) {
    if (!address) continue;
    if (auto r = http::listen(s.net, s.rt, cfg, *routes, implicit, *address); !r) {
      return std::unexpected(r.error());
    }
    spdlog::info("{} listening on {}", name, *address);
    ++started;
  }
  return started;
}

}  // namespace letterhead::app
