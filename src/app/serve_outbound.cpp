// The outbound queue worker of `serve`: sends what local delivery queued for remote
// recipients, directly to MX hosts or through [relay] host.
#include <unistd.h>

#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/outbound_signer.hpp"
#include "app/services.hpp"
#include "core/runtime.hpp"
#include "core/tls.hpp"
#include "delivery/outbound/dsn.hpp"
#include "delivery/outbound/worker.hpp"

namespace letterhead::app {

core::result<std::shared_ptr<delivery::outbound::queue_worker>> start_outbound(services& s) {
  const auto& cfg = s.ctx.config;
  auto tls = core::make_client_tls_context();
  if (!tls) return std::unexpected(tls.error());

  // Direct delivery needs DNS; a smarthost given by name does too.
  std::shared_ptr<dns::resolver> resolver;
  dns::options dns_options;
  dns_options.servers = cfg.dns.servers;
  dns_options.trust_anchor_file = cfg.dns.trust_anchor;
  dns_options.timeout = cfg.dns.timeout;
  auto made = dns::make_resolver(dns_options);
  if (!made) return std::unexpected(made.error());
  resolver = std::move(*made);
  s.keep.push_back(resolver);

  // RFC 3464 DSNs go back through local delivery; DKIM signing (mailauth/) plugs in
  // as the message_signer.
  delivery::outbound::dsn_options dsn;
  dsn.hostname = cfg.hostname;
  dsn.max_age = static_cast<store::unix_time>(cfg.queue.max_age.count());
  auto sink = std::make_shared<delivery::outbound::dsn_bounce_sink>(*s.ctx.store, s.delivery, std::move(dsn));
  s.keep.push_back(sink);

  // DKIM (RFC 6376) with the From domain's active keys, if it has any.
  auto signer = std::make_shared<outbound_signer>(*s.ctx.store);
  s.keep.push_back(signer);

  delivery::outbound::worker_options options;
  options.hostname = cfg.hostname;
  // Unique per process across nodes: they share the hostname, and in containers every
  // server may be PID 1.
  options.lease_owner = fmt::format("{}:{}:{:08x}", cfg.hostname, ::getpid(), std::random_device{}());
  options.queue = cfg.queue;
  options.relay = cfg.relay;
  auto worker = std::make_shared<delivery::outbound::queue_worker>(
      s.rt.io(), s.rt.blocking(), *s.ctx.store, resolver.get(), std::move(*tls), std::move(options), *sink, signer.get());
  s.keep.push_back(worker);
  s.delivery.on_enqueued([worker] { worker->wake(); });
  worker->start();
  return worker;
}

}  // namespace letterhead::app
