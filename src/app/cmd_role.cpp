// letterhead role grant|revoke|list, rule set|list|remove
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/org_cli.hpp"

namespace letterhead::app {
namespace {

struct grant_opts {
  std::string address, role, domain, department;
};

void add_grant_options(CLI::App* cmd, grant_opts& o) {
  cmd->add_option("ADDRESS", o.address, "the account")->required();
  cmd->add_option("ROLE", o.role,
                  "super-admin, domain-admin, department-admin, user, or any label (e.g. sales-lead)")
      ->required();
  cmd->add_option("--domain", o.domain, "the domain of a domain-admin");
  cmd->add_option("--department", o.department, "the department (id or path) of a department-admin");
}

core::result<store::role_grant> make_grant(context& ctx, directory::organisation& org, const grant_opts& o) {
  auto acc = account_named(*ctx.store, o.address);
  if (!acc) return std::unexpected(acc.error());
  store::role_grant r;
  r.account_id = acc->id;
  r.role = o.role;
  r.domain = o.domain;
  if (!o.department.empty()) {
    auto d = org.find_department(o.department);
    if (!d) return std::unexpected(d.error());
    r.department_id = d->id;
  }
  return r;
}

std::string rule_text(const store::mail_rule& r) {
  std::string out;
  if (r.internal_only) out += fmt::format(" internal-only={}", *r.internal_only ? "yes" : "no");
  if (r.allowed_domains) {
    std::string d;
    for (const auto& x : *r.allowed_domains) d += (d.empty() ? "" : ",") + x;
    out += " allowed-domains=" + d;
  }
  if (r.max_recipients) out += fmt::format(" max-recipients={}", *r.max_recipients);
  if (r.max_message_size) out += fmt::format(" max-size={}", *r.max_message_size);
  return out;
}

}  // namespace

void add_role_commands(CLI::App& app, globals& g) {
  auto* role = app.add_subcommand("role", "roles and admin rights / 角色与权限");
  role->require_subcommand(1);

  auto go = std::make_shared<grant_opts>();
  auto* grant = role->add_subcommand("grant", "give an account a role");
  add_grant_options(grant, *go);
  grant->callback([&g, go] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto r = make_grant(*ctx, org, *go);
    if (!r) { g.status = report(r.error()); return; }
    if (auto ok = org.grant_role(directory::actor::operator_cli(), *r); !ok) { g.status = report(ok.error()); return; }
    std::cout << "granted " << go->role << " to " << go->address << "\n";
  });

  auto ro = std::make_shared<grant_opts>();
  auto* revoke = role->add_subcommand("revoke", "take a role away (with the same scope it was given)");
  add_grant_options(revoke, *ro);
  revoke->callback([&g, ro] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto r = make_grant(*ctx, org, *ro);
    if (!r) { g.status = report(r.error()); return; }
    if (auto ok = org.revoke_role(directory::actor::operator_cli(), *r); !ok) { g.status = report(ok.error()); return; }
    std::cout << "revoked " << ro->role << " from " << ro->address << "\n";
  });

  auto list_address = std::make_shared<std::string>();
  auto* list = role->add_subcommand("list", "list role grants");
  list->add_option("ADDRESS", *list_address, "only this account");
  list->callback([&g, list_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    store::id_t id = 0;
    if (!list_address->empty()) {
      auto acc = account_named(*ctx->store, *list_address);
      if (!acc) { g.status = report(acc.error()); return; }
      id = acc->id;
    }
    auto all = ctx->store->list_roles(id);
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& r : *all) {
      std::cout << r.address << "\t" << r.role;
      if (!r.domain.empty()) std::cout << "\tdomain=" << r.domain;
      if (r.department_id != 0) std::cout << "\tdepartment=" << department_label(org, r.department_id);
      std::cout << "\n";
    }
  });

  // --- mail rules ---
  auto* rule = app.add_subcommand("rule", "mail rules per account or role / 收发规则");
  rule->require_subcommand(1);

  struct rule_opts {
    std::string subject, allowed, max_size;
    bool internal_only = false, not_internal_only = false;
    std::int64_t max_recipients = -1;
    bool clear_domains = false;
  };
  auto so = std::make_shared<rule_opts>();
  auto* set = rule->add_subcommand("set", "set rules for ACCOUNT or role:NAME (fields not given stay as they are)");
  set->add_option("SUBJECT", so->subject, "an account address, or role:NAME (e.g. role:intern, role:user)")->required();
  set->add_flag("--internal-only", so->internal_only, "may neither send outside nor receive from outside");
  set->add_flag("--no-internal-only", so->not_internal_only, "lift internal-only");
  set->add_option("--allowed-domains", so->allowed, "external domains allowed anyway, comma-separated");
  set->add_flag("--clear-allowed-domains", so->clear_domains, "forget the allowed domains");
  set->add_option("--max-recipients", so->max_recipients, "most recipients per message (0 = no limit)");
  set->add_option("--max-size", so->max_size, "largest message it may send, e.g. 10M (0 = no limit)");
  set->callback([&g, so] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    store::mail_rule r;
    if (so->subject.starts_with("role:")) {
      r.role = so->subject.substr(5);
    } else {
      auto acc = account_named(*ctx->store, so->subject);
      if (!acc) { g.status = report(acc.error()); return; }
      r.account_id = acc->id;
    }
    auto existing = ctx->store->list_mail_rules();
    if (!existing) { g.status = report(existing.error()); return; }
    for (const auto& e : *existing) {
      if ((r.account_id != 0 && e.account_id == r.account_id) || (!r.role.empty() && e.role == r.role)) {
        r.internal_only = e.internal_only;
        r.allowed_domains = e.allowed_domains;
        r.max_recipients = e.max_recipients;
        r.max_message_size = e.max_message_size;
      }
    }
    if (so->internal_only) r.internal_only = true;
    if (so->not_internal_only) r.internal_only = false;
    if (so->clear_domains) r.allowed_domains.reset();
    if (!so->allowed.empty()) {
      std::vector<std::string> domains;
      std::stringstream in(so->allowed);
      for (std::string d; std::getline(in, d, ',');) {
        if (!d.empty()) domains.push_back(d);
      }
      r.allowed_domains = domains;
    }
    if (so->max_recipients == 0) r.max_recipients.reset();
    else if (so->max_recipients > 0) r.max_recipients = static_cast<std::uint32_t>(so->max_recipients);
    if (!so->max_size.empty()) {
      auto size = parse_size(so->max_size);
      if (!size) { g.status = report(size.error()); return; }
      if (*size == 0) r.max_message_size.reset();
      else r.max_message_size = *size;
    }
    if (auto ok = org.set_rule(directory::actor::operator_cli(), r); !ok) { g.status = report(ok.error()); return; }
    std::cout << "rules for " << so->subject << ":" << rule_text(r) << "\n";
  });

  auto* rlist = rule->add_subcommand("list", "list mail rules");
  rlist->callback([&g] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto all = ctx->store->list_mail_rules();
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& r : *all) {
      std::cout << (r.role.empty() ? r.address : "role:" + r.role) << rule_text(r) << "\n";
    }
  });

  auto rm_subject = std::make_shared<std::string>();
  auto* rremove = rule->add_subcommand("remove", "remove the rules of ACCOUNT or role:NAME");
  rremove->add_option("SUBJECT", *rm_subject)->required();
  rremove->callback([&g, rm_subject] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    store::id_t id = 0;
    std::string role;
    if (rm_subject->starts_with("role:")) {
      role = rm_subject->substr(5);
    } else {
      auto acc = account_named(*ctx->store, *rm_subject);
      if (!acc) { g.status = report(acc.error()); return; }
      id = acc->id;
    }
    if (auto ok = org.remove_rule(directory::actor::operator_cli(), id, role); !ok) { g.status = report(ok.error()); return; }
    std::cout << "removed rules of " << *rm_subject << "\n";
  });
}

}  // namespace letterhead::app
