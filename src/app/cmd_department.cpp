// letterhead department add|list|move|remove
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/org_cli.hpp"

namespace letterhead::app {

void add_department_commands(CLI::App& app, globals& g) {
  auto* dep = app.add_subcommand("department", "the department tree / 部门");
  dep->require_subcommand(1);

  struct add_opts {
    std::string name, parent;
  };
  auto a = std::make_shared<add_opts>();
  auto* add = dep->add_subcommand("add", "add a department (under --parent, by id or path like Sales/East)");
  add->add_option("NAME", a->name, "e.g. \"销售部\" or Sales")->required();
  add->add_option("--parent", a->parent, "parent department id or path (default: top level)");
  add->callback([&g, a] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    store::id_t parent = 0;
    if (!a->parent.empty()) {
      auto p = org.find_department(a->parent);
      if (!p) { g.status = report(p.error()); return; }
      parent = p->id;
    }
    auto d = org.add_department(directory::actor::operator_cli(), a->name, parent);
    if (!d) { g.status = report(d.error()); return; }
    std::cout << "added department " << department_label(org, d->id) << "\n";
  });

  auto* list = dep->add_subcommand("list", "list the tree with ids");
  list->callback([&g] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto all = org.list_departments();
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& d : *all) {
      auto path = org.department_path(d.id);
      std::cout << d.id << "\t" << (path ? *path : d.name) << "\n";
    }
  });

  struct move_opts {
    std::string department, parent;
    bool top = false;
  };
  auto m = std::make_shared<move_opts>();
  auto* move = dep->add_subcommand("move", "move a department under another (or --top)");
  move->add_option("DEPARTMENT", m->department, "id or path")->required();
  move->add_option("PARENT", m->parent, "new parent id or path");
  move->add_flag("--top", m->top, "make it a top-level department");
  move->callback([&g, m] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto d = org.find_department(m->department);
    if (!d) { g.status = report(d.error()); return; }
    if (m->parent.empty() == !m->top) {
      g.status = report(core::error{core::errc::invalid, "give either PARENT or --top"});
      return;
    }
    store::id_t parent = 0;
    if (!m->top) {
      auto p = org.find_department(m->parent);
      if (!p) { g.status = report(p.error()); return; }
      parent = p->id;
    }
    if (auto r = org.move_department(directory::actor::operator_cli(), d->id, parent); !r) {
      g.status = report(r.error());
      return;
    }
    std::cout << "moved department " << department_label(org, d->id) << "\n";
  });

  struct rm_opts {
    std::string department, reparent;
    bool to_top = false;
  };
  auto r = std::make_shared<rm_opts>();
  auto* remove = dep->add_subcommand(
      "remove", "remove a department; its sub-departments, people and list memberships move to its parent "
                "(a top-level one must be empty unless --move-to or --move-to-top is given)");
  remove->add_option("DEPARTMENT", r->department, "id or path")->required();
  remove->add_option("--move-to", r->reparent, "department (id or path) that takes over its contents");
  remove->add_flag("--move-to-top", r->to_top, "its sub-departments become top-level, its people have none");
  remove->callback([&g, r] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto d = org.find_department(r->department);
    if (!d) { g.status = report(d.error()); return; }
    std::optional<store::id_t> reparent;
    if (r->to_top) reparent = 0;
    if (!r->reparent.empty()) {
      auto p = org.find_department(r->reparent);
      if (!p) { g.status = report(p.error()); return; }
      reparent = p->id;
    }
    const auto label = department_label(org, d->id);
    if (auto ok = org.remove_department(directory::actor::operator_cli(), d->id, reparent); !ok) {
      g.status = report(ok.error());
      return;
    }
    std::cout << "removed department " << label << "\n";
  });
}

}  // namespace letterhead::app
