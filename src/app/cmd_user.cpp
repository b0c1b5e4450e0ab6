// letterhead user add|list|passwd|remove
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "app/context.hpp"

namespace letterhead::app {

void add_user_commands(CLI::App& app, globals& g) {
  auto* user = app.add_subcommand("user", "manage accounts / 管理用户");
  user->require_subcommand(1);

  struct add_opts {
    std::string address, name;
    bool password_stdin = false;
    std::uint64_t quota_mb = 0;
  };
  auto a = std::make_shared<add_opts>();
  auto* add = user->add_subcommand("add", "add an account with its mailboxes");
  add->add_option("ADDRESS", a->address)->required();
  add->add_option("--name", a->name, "display name, e.g. \"张伟\"");
  add->add_flag("--password-stdin", a->password_stdin, "read the password from standard input");
  add->add_option("--quota-mb", a->quota_mb, "mailbox quota in MiB (0 = unlimited)");
  add->callback([&g, a] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::new_user u;
    u.address = a->address;
    u.display_name = a->name;
    u.quota_bytes = a->quota_mb * 1024 * 1024;
    if (a->password_stdin) {
      auto p = read_password_stdin();
      if (!p) { g.status = report(p.error()); return; }
      u.password = std::move(*p);
    }
    auto acc = ctx->directory->add_user(u, "cli");
    if (!acc) { g.status = report(acc.error()); return; }
    std::cout << "added user " << acc->address << "\n";
  });

  auto list_domain = std::make_shared<std::string>();
  auto* list = user->add_subcommand("list", "list accounts");
  list->add_option("DOMAIN", *list_domain, "only this domain");
  list->callback([&g, list_domain] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto all = ctx->directory->list_users(*list_domain);
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& u : *all) {
      std::cout << u.address << "\t" << u.display_name << (u.disabled ? "\tdisabled" : "") << "\n";
    }
  });

  auto pw_address = std::make_shared<std::string>();
  auto* passwd = user->add_subcommand("passwd", "set a password (read from standard input)");
  passwd->add_option("ADDRESS", *pw_address)->required();
  passwd->callback([&g, pw_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto p = read_password_stdin();
    if (!p) { g.status = report(p.error()); return; }
    if (auto r = ctx->directory->set_password(*pw_address, *p, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "password changed for " << *pw_address << "\n";
  });

  auto rm_address = std::make_shared<std::string>();
  auto* remove = user->add_subcommand("remove", "remove an account and all its mail");
  remove->add_option("ADDRESS", *rm_address)->required();
  remove->callback([&g, rm_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto r = ctx->directory->remove_user(*rm_address, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "removed user " << *rm_address << "\n";
  });
}

}  // namespace letterhead::app
