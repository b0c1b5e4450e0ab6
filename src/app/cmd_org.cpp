// Organisation additions to existing command families: `user set` (profile),
// `domain set` (address format), and `directory search` (the global address list).
// Registered after add_user_commands/add_domain_commands, onto their subcommands.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/org_cli.hpp"

namespace letterhead::app {

namespace {

// CLI11 2.1 throws for an unknown name (no get_subcommand_no_throw yet).
CLI::App* subcommand(CLI::App& app, const std::string& name) {
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

}  // namespace

void add_org_commands(CLI::App& app, globals& g) {
  if (auto* user = subcommand(app, "user"); user != nullptr) {
    struct set_opts {
      std::string address;
      std::string name, title, phone, department, manager, employee_id;
    };
    auto o = std::make_shared<set_opts>();
    auto* set = user->add_subcommand("set", "set profile fields (\"\" clears one)");
    set->add_option("ADDRESS", o->address)->required();
    set->add_option("--name", o->name, "display name");
    set->add_option("--title", o->title, "job title");
    set->add_option("--phone", o->phone, "phone number");
    set->add_option("--department", o->department, "department id or path");
    set->add_option("--manager", o->manager, "the manager's address");
    set->add_option("--employee-id", o->employee_id, "employee number");
    set->callback([&g, o, set] {
      // A field given as "" clears it; one not given stays.
      const auto given = [set](const char* option) { return set->count(option) > 0; };
      auto ctx = open_context(config_path(g.config));
      if (!ctx) { g.status = report(ctx.error()); return; }
      directory::organisation org(*ctx->store, *ctx->directory);
      auto acc = account_named(*ctx->store, o->address);
      if (!acc) { g.status = report(acc.error()); return; }
      auto p = ctx->store->get_profile(acc->id);
      if (!p) { g.status = report(p.error()); return; }
      if (given("--name")) p->display_name = o->name;
      if (given("--title")) p->title = o->title;
      if (given("--phone")) p->phone = o->phone;
      if (given("--employee-id")) p->employee_id = o->employee_id;
      if (given("--department")) {
        p->department_id = 0;
        if (!o->department.empty()) {
          auto d = org.find_department(o->department);
          if (!d) { g.status = report(d.error()); return; }
          p->department_id = d->id;
        }
      }
      if (given("--manager")) {
        p->manager_id = 0;
        if (!o->manager.empty()) {
          auto m = account_named(*ctx->store, o->manager);
          if (!m) { g.status = report(m.error()); return; }
          p->manager_id = m->id;
        }
      }
      if (auto r = org.set_profile(directory::actor::operator_cli(), *p); !r) { g.status = report(r.error()); return; }
      std::cout << "updated " << acc->address << "\n";
    });
  }

  if (auto* domain = subcommand(app, "domain"); domain != nullptr) {
    struct set_opts {
      std::string domain;
      std::string format;
    };
    auto o = std::make_shared<set_opts>();
    auto* set = domain->add_subcommand("set", "domain settings");
    set->add_option("DOMAIN", o->domain)->required();
    set->add_option("--address-format", o->format,
                    "how `user add --name NAME @DOMAIN` makes addresses: first.last, f.last, firstlast, flast, "
                    "last.first, first (\"\" = none)");
    set->callback([&g, o, set] {
      auto ctx = open_context(config_path(g.config));
      if (!ctx) { g.status = report(ctx.error()); return; }
      directory::organisation org(*ctx->store, *ctx->directory);
      if (set->count("--address-format") > 0) {
        if (auto r = org.set_address_format(directory::actor::operator_cli(), o->domain, o->format); !r) {
          g.status = report(r.error());
          return;
        }
      }
      auto f = ctx->store->address_format(o->domain);
      if (!f) { g.status = report(f.error()); return; }
      std::cout << o->domain << "\taddress-format=" << (f->empty() ? "-" : *f) << "\n";
    });
  }

  auto* dir = app.add_subcommand("directory", "the global address list / 通讯录");
  dir->require_subcommand(1);
  struct search_opts {
    std::string text;
    std::size_t limit = 50;
  };
  auto s = std::make_shared<search_opts>();
  auto* search = dir->add_subcommand("search", "find people by name, pinyin, initials, address, title or phone");
  search->add_option("TEXT", s->text, "e.g. 张伟, zhangwei, zw")->required();
  search->add_option("--limit", s->limit, "most results (default 50)");
  search->callback([&g, s] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto found = org.search(s->text, s->limit);
    if (!found) { g.status = report(found.error()); return; }
    for (const auto& e : *found) {
      std::cout << e.profile.address << "\t" << e.profile.display_name << "\t" << e.profile.title << "\t"
                << (e.profile.department_id ? department_label(org, e.profile.department_id) : "-") << "\t"
                << e.profile.phone << "\n";
    }
  });
}

}  // namespace letterhead::app
