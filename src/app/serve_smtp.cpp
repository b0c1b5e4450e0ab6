// The SMTP listeners of `serve`: MX, submission and submissions.
#include <spdlog/spdlog.h>

#include "app/abuse_limits.hpp"
#include "app/inbound_auth.hpp"
#include "app/inbound_filter.hpp"
#include "app/services.hpp"
#include "app/shared_rate_counter.hpp"
#include "app/smtp_backend.hpp"
#include "smtp/server/server.hpp"

namespace letterhead::app {

core::result<std::size_t> start_smtp(services& s) {
  const auto& cfg = s.ctx.config;
  auto backend = std::make_shared<smtp_backend>(*s.ctx.directory, s.delivery);
  s.keep.push_back(backend);
  // SPF, DKIM and DMARC at the MX ([auth]).
  auto auth = inbound_auth::create(cfg, *s.ctx.directory);
  if (!auth) return std::unexpected(auth.error());
  backend->set_auth(*auth);
  backend->set_limits(std::make_shared<abuse_limits>(cfg, *s.ctx.directory, s.delivery));
  {
    // The blocklists need DNS only when some zone is configured.
    std::shared_ptr<dns::resolver> resolver;
    if (cfg.spam.enabled && (!cfg.spam.dnsbl.empty() || !cfg.spam.uribl.empty())) {
      dns::options o;
      o.servers = cfg.dns.servers;
      o.trust_anchor_file = cfg.dns.trust_anchor;
      o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.dns.timeout);
      auto made = dns::make_resolver(o);
      if (!made) return std::unexpected(made.error());
      resolver = std::move(*made);
    }
    auto filters = inbound_filter::create(cfg, resolver, &*s.ctx.directory);
    if (!filters) return std::unexpected(filters.error());
    backend->set_filter(std::move(*filters));
  }
  struct entry {
    smtp::server::listener_kind kind;
    const std::optional<std::string>& address;
    const char* name;
  };
  const entry entries[] = {
      {smtp::server::listener_kind::mx, cfg.listen.smtp, "smtp"},
      {smtp::server::listener_kind::submission, cfg.listen.submission, "submission"},
      {smtp::server::listener_kind::submissions, cfg.listen.submissions, "submissions"},
  };
  std::size_t started = 0;
  for (const auto& e : entries) {
    if (!e.address) continue;
    // Each listener counts connections per client address on its own (a busy MX
    // client does not lock a user out of submission); in a cluster, over all nodes.
    std::shared_ptr<core::rate_counter> connection_rate =
        make_rate_counter(cfg, *s.ctx.store, std::string("connections-") + e.name, std::chrono::minutes(1));
    if (auto r = smtp::server::listen(s.net, s.rt, cfg, *backend, e.kind, *e.address, connection_rate); !r) {
      return std::unexpected(r.error());
    }
    spdlog::info("{} listening on {}", e.name, *e.address);
    ++started;
  }
  return started;
}

}  // namespace letterhead::app
