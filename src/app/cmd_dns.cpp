// letterhead dns DOMAIN: every DNS record DOMAIN needs, DKIM keys included.
#include <ctime>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/dns_records.hpp"

namespace letterhead::app {

void add_dns_command(CLI::App& app, globals& g) {
  auto domain = std::make_shared<std::string>();
  auto* dns = app.add_subcommand("dns", "print the DNS records DOMAIN needs / 打印域名所需的 DNS 记录");
  dns->add_option("DOMAIN", *domain)->required();
  dns->callback([&g, domain] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto local = ctx->directory->is_local_domain(*domain);
    if (!local) { g.status = report(local.error()); return; }
    if (!*local) {
      g.status = report(core::error{core::errc::not_found, fmt::format("{} is not one of our domains", *domain)});
      return;
    }
    std::string name = *domain;
    for (auto& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    auto keys = ctx->store->list_dkim_keys(name);
    if (!keys) { g.status = report(keys.error()); return; }
    std::cout << dns_records(name, ctx->config.hostname, *keys, static_cast<std::int64_t>(std::time(nullptr)),
                             ctx->config.http.mta_sts_mode);
  });
}

}  // namespace letterhead::app
