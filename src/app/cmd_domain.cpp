// letterhead domain add|list|remove NAME, domain catch-all DOMAIN [ADDRESS]
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/dkim_setup.hpp"

namespace letterhead::app {

void add_domain_commands(CLI::App& app, globals& g) {
  auto* domain = app.add_subcommand("domain", "manage mail domains / 管理邮件域名");
  domain->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto* add = domain->add_subcommand("add", "add a domain we receive mail for");
  add->add_option("NAME", *name, "domain name, e.g. example.com")->required();
  add->callback([&g, name] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto d = ctx->directory->add_domain(*name, "cli");
    if (!d) { g.status = report(d.error()); return; }
    std::cout << "added domain " << d->name << "\n";
    // Every domain signs its outbound mail (RFC 6376): keys come with the domain.
    (void)setup_domain_dkim(*ctx, d->name, "cli");
  });

  auto* list = domain->add_subcommand("list", "list domains");
  list->callback([&g] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto all = ctx->directory->list_domains();
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& d : *all) {
      std::cout << d.name;
      if (d.catch_all) std::cout << "\tcatch-all=" << *d.catch_all;
      std::cout << "\n";
    }
  });

  auto rm_name = std::make_shared<std::string>();
  auto* remove = domain->add_subcommand("remove", "remove a domain (it must have no accounts)");
  remove->add_option("NAME", *rm_name)->required();
  remove->callback([&g, rm_name] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto r = ctx->directory->remove_domain(*rm_name, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "removed domain " << *rm_name << "\n";
  });

  auto ca_domain = std::make_shared<std::string>();
  auto ca_target = std::make_shared<std::string>();
  auto* catch_all = domain->add_subcommand(
      "catch-all", "send mail for unknown addresses of DOMAIN to ADDRESS (no ADDRESS: turn off)");
  catch_all->add_option("DOMAIN", *ca_domain)->required();
  catch_all->add_option("ADDRESS", *ca_target);
  catch_all->callback([&g, ca_domain, ca_target] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto r = ctx->directory->set_catch_all(*ca_domain, *ca_target, "cli"); !r) {
      g.status = report(r.error());
      return;
    }
    std::cout << (ca_target->empty() ? "catch-all off for " : "catch-all set for ") << *ca_domain << "\n";
  });
}

}  // namespace letterhead::app
