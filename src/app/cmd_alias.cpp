// letterhead alias add ALIAS TARGET..., alias list [DOMAIN], alias remove ALIAS
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "app/context.hpp"

namespace letterhead::app {

void add_alias_commands(CLI::App& app, globals& g) {
  auto* alias = app.add_subcommand("alias", "manage aliases / 管理别名");
  alias->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto targets = std::make_shared<std::vector<std::string>>();
  auto* add = alias->add_subcommand("add", "make ALIAS deliver to every TARGET (replaces its targets)");
  add->add_option("ALIAS", *name)->required();
  add->add_option("TARGET", *targets)->required();
  add->callback([&g, name, targets] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto r = ctx->directory->add_alias(*name, *targets, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "alias " << *name << " set\n";
  });

  auto domain = std::make_shared<std::string>();
  auto* list = alias->add_subcommand("list", "list aliases");
  list->add_option("DOMAIN", *domain, "only this domain");
  list->callback([&g, domain] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto all = ctx->directory->list_aliases(*domain);
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& a : *all) {
      std::cout << a.address << "\t";
      for (std::size_t i = 0; i < a.targets.size(); ++i) std::cout << (i ? " " : "") << a.targets[i];
      std::cout << "\n";
    }
  });

  auto rm = std::make_shared<std::string>();
  auto* remove = alias->add_subcommand("remove", "remove an alias");
  remove->add_option("ALIAS", *rm)->required();
  remove->callback([&g, rm] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto r = ctx->directory->remove_alias(*rm, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "removed alias " << *rm << "\n";
  });
}

}  // namespace letterhead::app
