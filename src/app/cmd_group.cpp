// letterhead group add|list|show|remove|add-member|remove-member|set-policy|held|approve|reject
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/delivery_setup.hpp"
#include "app/org_cli.hpp"
#include "delivery/moderation.hpp"

namespace letterhead::app {
namespace {

core::result<store::send_policy> parse_policy(std::string_view s) {
  if (s == "anyone") return store::send_policy::anyone;
  if (s == "internal") return store::send_policy::internal;
  if (s == "members") return store::send_policy::members;
  if (s == "senders") return store::send_policy::senders;
  if (s == "roles") return store::send_policy::roles;
  return core::fail(core::errc::invalid,
                    fmt::format("unknown send policy '{}' (anyone, internal, members, senders, roles)", s));
}

const char* policy_name(store::send_policy p) {
  switch (p) {
    case store::send_policy::anyone: return "anyone";
    case store::send_policy::internal: return "internal";
    case store::send_policy::members: return "members";
    case store::send_policy::senders: return "senders";
    case store::send_policy::roles: return "roles";
  }
  return "?";
}

const char* kind_name(store::member_kind k) {
  switch (k) {
    case store::member_kind::account: return "account";
    case store::member_kind::department: return "department";
    case store::member_kind::external: return "external";
    case store::member_kind::group: return "group";
    case store::member_kind::all: return "all";
  }
  return "?";
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

void add_group_commands(CLI::App& app, globals& g) {
  auto* group = app.add_subcommand("group", "groups and distribution lists / 邮件组");
  group->require_subcommand(1);

  struct add_opts {
    std::string address, name, policy = "anyone", allow, owners;
    bool moderated = false;
  };
  auto a = std::make_shared<add_opts>();
  auto* add = group->add_subcommand("add", "add a group address");
  add->add_option("ADDRESS", a->address)->required();
  add->add_option("--name", a->name, "display name, e.g. \"销售部全体\"");
  add->add_option("--policy", a->policy, "who may send: anyone, internal, members, senders, roles");
  add->add_option("--allow", a->allow, "senders (addresses) or roles, comma-separated, for senders/roles");
  add->add_flag("--moderated", a->moderated, "hold mail until an owner approves it");
  add->add_option("--owners", a->owners, "owner accounts, comma-separated");
  add->callback([&g, a] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto policy = parse_policy(a->policy);
    if (!policy) { g.status = report(policy.error()); return; }
    store::group rec;
    rec.address = a->address;
    rec.name = a->name;
    rec.policy = *policy;
    rec.allowed = split_list(a->allow);
    rec.moderated = a->moderated;
    rec.owners = split_list(a->owners);
    auto added = org.add_group(directory::actor::operator_cli(), rec);
    if (!added) { g.status = report(added.error()); return; }
    std::cout << "added group " << added->address << "\n";
  });

  auto list_domain = std::make_shared<std::string>();
  auto* list = group->add_subcommand("list", "list groups");
  list->add_option("DOMAIN", *list_domain, "only this domain");
  list->callback([&g, list_domain] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto all = ctx->store->list_groups(*list_domain);
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& grp : *all) {
      std::cout << grp.address << "\t" << grp.name << "\tpolicy=" << policy_name(grp.policy)
                << (grp.moderated ? "\tmoderated" : "") << "\n";
    }
  });

  auto show_address = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "show a group: settings, members, who it reaches, held mail");
  show->add_option("ADDRESS", *show_address)->required();
  show->callback([&g, show_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto grp = ctx->store->find_group(*show_address);
    if (!grp) { g.status = report(grp.error()); return; }
    std::cout << "address: " << grp->address << "\nname: " << grp->name << "\npolicy: " << policy_name(grp->policy)
              << "\nallowed: " << join(grp->allowed) << "\nmoderated: " << (grp->moderated ? "yes" : "no")
              << "\nowners: " << join(grp->owners) << "\n";
    auto members = ctx->store->list_group_members(grp->id);
    if (!members) { g.status = report(members.error()); return; }
    for (const auto& m : *members) {
      std::cout << "member: " << kind_name(m.kind) << "\t"
                << (m.kind == store::member_kind::department ? department_label(org, m.ref) : m.address) << "\n";
    }
    auto reach = org.expand(*grp);
    if (!reach) { g.status = report(reach.error()); return; }
    for (const auto id : reach->accounts) {
      auto acc = ctx->store->get_account(id);
      if (acc) std::cout << "reaches: " << acc->address << "\n";
    }
    for (const auto& e : reach->external) std::cout << "reaches: " << e << "\n";
    auto held = ctx->store->list_held(grp->id);
    if (held) {
      for (const auto& h : *held) std::cout << "held: " << h.id << "\t<" << h.mail_from << ">\t" << h.size << " bytes\n";
    }
  });

  auto rm_address = std::make_shared<std::string>();
  auto* remove = group->add_subcommand("remove", "remove a group (its held mail is dropped)");
  remove->add_option("ADDRESS", *rm_address)->required();
  remove->callback([&g, rm_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    if (auto r = org.remove_group(directory::actor::operator_cli(), *rm_address); !r) {
      g.status = report(r.error());
      return;
    }
    std::cout << "removed group " << *rm_address << "\n";
  });

  struct member_opts {
    std::string group;
    std::vector<std::string> members;
  };
  auto am = std::make_shared<member_opts>();
  auto* add_member = group->add_subcommand(
      "add-member", "add members: account or group addresses, department:ID-or-path, all, external addresses");
  add_member->add_option("GROUP", am->group)->required();
  add_member->add_option("MEMBER", am->members)->required();
  add_member->callback([&g, am] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    for (const auto& m : am->members) {
      if (auto r = org.add_member(directory::actor::operator_cli(), am->group, m); !r) {
        g.status = report(r.error());
        return;
      }
      std::cout << "added " << m << " to " << am->group << "\n";
    }
  });

  auto rmm = std::make_shared<member_opts>();
  auto* remove_member = group->add_subcommand("remove-member", "remove members (named as for add-member)");
  remove_member->add_option("GROUP", rmm->group)->required();
  remove_member->add_option("MEMBER", rmm->members)->required();
  remove_member->callback([&g, rmm] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    for (const auto& m : rmm->members) {
      if (auto r = org.remove_member(directory::actor::operator_cli(), rmm->group, m); !r) {
        g.status = report(r.error());
        return;
      }
      std::cout << "removed " << m << " from " << rmm->group << "\n";
    }
  });

  struct policy_opts {
    std::string group, policy, allow, owners, name;
    bool moderated = false, unmoderated = false;
  };
  auto sp = std::make_shared<policy_opts>();
  auto* set_policy = group->add_subcommand("set-policy", "change who may send, moderation, owners or name");
  set_policy->add_option("GROUP", sp->group)->required();
  set_policy->add_option("POLICY", sp->policy, "anyone, internal, members, senders or roles");
  set_policy->add_option("--allow", sp->allow, "senders (addresses) or roles, comma-separated");
  set_policy->add_flag("--moderated", sp->moderated, "hold mail until an owner approves it");
  set_policy->add_flag("--unmoderated", sp->unmoderated, "stop holding mail");
  set_policy->add_option("--owners", sp->owners, "owner accounts, comma-separated (replaces the owners)");
  set_policy->add_option("--name", sp->name, "display name");
  set_policy->callback([&g, sp] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    auto grp = ctx->store->find_group(sp->group);
    if (!grp) { g.status = report(grp.error()); return; }
    if (!sp->policy.empty()) {
      auto p = parse_policy(sp->policy);
      if (!p) { g.status = report(p.error()); return; }
      grp->policy = *p;
    }
    if (!sp->allow.empty()) grp->allowed = split_list(sp->allow);
    if (sp->moderated) grp->moderated = true;
    if (sp->unmoderated) grp->moderated = false;
    if (!sp->owners.empty()) grp->owners = split_list(sp->owners);
    if (!sp->name.empty()) grp->name = sp->name;
    if (auto r = org.update_group(directory::actor::operator_cli(), *grp); !r) {
      g.status = report(r.error());
      return;
    }
    std::cout << "updated group " << grp->address << ": policy=" << policy_name(grp->policy)
              << (grp->moderated ? " moderated" : "") << "\n";
  });

  auto held_group = std::make_shared<std::string>();
  auto* held = group->add_subcommand("held", "list messages waiting for moderation");
  held->add_option("GROUP", *held_group, "only this group");
  held->callback([&g, held_group] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    store::id_t gid = 0;
    if (!held_group->empty()) {
      auto grp = ctx->store->find_group(*held_group);
      if (!grp) { g.status = report(grp.error()); return; }
      gid = grp->id;
    }
    auto all = ctx->store->list_held(gid);
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& h : *all) {
      std::cout << h.id << "\t" << h.group_address << "\t<" << h.mail_from << ">\t" << h.size << " bytes\n";
    }
  });

  auto approve_id = std::make_shared<store::id_t>(0);
  auto* approve = group->add_subcommand("approve", "deliver a held message to its group");
  approve->add_option("ID", *approve_id)->required();
  approve->callback([&g, approve_id] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    delivery::local_delivery deliver(*ctx->store, *ctx->directory);
    configure_delivery(deliver, *ctx);
    auto done = delivery::approve_held(deliver, org, directory::actor::operator_cli(), *approve_id);
    if (!done) { g.status = report(done.error()); return; }
    std::cout << "approved message " << *approve_id << ": " << done->local_copies << " local copies, " << done->queued
              << " queued\n";
  });

  auto reject_id = std::make_shared<store::id_t>(0);
  auto* reject = group->add_subcommand("reject", "drop a held message");
  reject->add_option("ID", *reject_id)->required();
  reject->callback([&g, reject_id] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::organisation org(*ctx->store, *ctx->directory);
    if (auto r = delivery::reject_held(org, directory::actor::operator_cli(), *reject_id); !r) {
      g.status = report(r.error());
      return;
    }
    std::cout << "rejected message " << *reject_id << "\n";
  });
}

}  // namespace letterhead::app
