// /api/v1/domains and /api/v1/users: what `letterhead domain|user|security` do,
// for the domains and accounts the logged-in admin manages.

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "http/admin/guard.hpp"
#include "http/admin/json_io.hpp"

namespace letterhead::http::admin {

namespace json = boost::json;
using directory::admin_principal;

namespace {


json::object account_json(const store::account& a) {
  json::object o;
  o["address"] = a.address;
  o["display_name"] = a.display_name;
  o["disabled"] = a.disabled;
  o["quota_bytes"] = a.quota_bytes;
  o["created"] = a.created;
  return o;
}


// The account named in the path, if this admin may manage it.
core::result<store::account> managed_account(services s, const admin_principal& who, std::string_view address) {
  // Outside the admin's scope the answer is the one for a missing account, so that
  // probing addresses of other domains or departments learns nothing.
  auto acc = visible_account(s, who, address);
  if (!acc) return acc;
  if (auto may = s.org.may_manage_account(who.who, *acc); !may) return std::unexpected(may.error());
  return acc;
}


// Accounts this admin may see: all for super admins, whole domains for their
// admins, the department subtrees for department admins.
core::result<std::vector<store::account>> visible_accounts(services s, const admin_principal& who,
                                                           std::string_view domain) {
  auto all = s.dir.list_users(domain);
  if (!all) return std::unexpected(all.error());
  if (is_super(who)) return all;
  std::set<std::string> domains;
  std::vector<store::id_t> roots;
  for (const auto& g : who.roles) {
    if (g.role == directory::role_domain_admin) domains.insert(g.domain);
    if (g.role == directory::role_department_admin && g.department_id != 0) roots.push_back(g.department_id);
  }
  std::set<store::id_t> departments;
  std::unordered_map<store::id_t, store::id_t> department_of;
  if (!roots.empty()) {
    auto tree = s.dir.store().list_departments();
    if (!tree) return std::unexpected(tree.error());
    for (auto root : roots) {
      for (auto id : directory::subtree(*tree, root)) departments.insert(id);
    }
    auto profiles = s.dir.store().list_profiles(domain);
    if (!profiles) return std::unexpected(profiles.error());
    for (const auto& p : *profiles) department_of[p.account_id] = p.department_id;
  }
  std::vector<store::account> out;
  for (auto& a : *all) {
    auto d = department_of.find(a.id);
    if (domains.contains(domain_of(a.address)) ||
        (d != department_of.end() && d->second != 0 && departments.contains(d->second))) {
      out.push_back(std::move(a));
    }
  }
  return out;
}

response list_domains(services s, const admin_principal& who) {
  auto all = s.dir.list_domains();
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& d : *all) {
    if (!is_super(who) && !s.org.may_manage_domain(who.who, d.name)) continue;
    json::object o;
    o["name"] = d.name;
    o["catch_all"] = d.catch_all ? json::value(*d.catch_all) : json::value(nullptr);
    o["created"] = d.created;
    out.push_back(std::move(o));
  }
  json::object o;
  o["domains"] = std::move(out);
  return json_ok(o);
}

response add_domain(services s, const request& req, const admin_principal& who) {
  if (auto may = s.org.may_manage_organisation(who.who); !may) return error_for(may.error());
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto name = string_field(*body, "name", true);
  if (!name) return error_for(name.error());
  auto d = s.dir.add_domain(*name, who.who.name);
  if (!d) return error_for(d.error());
  if (s.domain_added) s.domain_added(d->name, who.who.name);
  json::object o;
  o["name"] = d->name;
  return json_ok(o, 201);
}

json::object policy_json(const store::password_policy& p) {
  json::object o;
  o["min_length"] = p.min_length;
  o["min_classes"] = p.min_classes;
  o["history"] = p.history;
  o["max_age_days"] = p.max_age_days;
  o["warn_days"] = p.warn_days;
  o["change_at_first_login"] = p.change_at_first_login;
  o["refuse_common"] = p.refuse_common;
  return o;
}

// PUT of a password policy: the fields given replace the current ones.
core::result<store::password_policy> merge_policy(store::password_policy p, const json::object& body) {
  auto u32 = [&](std::string_view name, std::uint32_t& field) -> core::result<void> {
    auto v = int_field(body, name);
    if (!v) return std::unexpected(v.error());
    if (*v) {
      if (**v < 0 || **v > 100000) return core::fail(core::errc::invalid, fmt::format("'{}' is out of range", name));
      field = static_cast<std::uint32_t>(**v);
    }
    return {};
  };
  auto flag = [&](std::string_view name, bool& field) -> core::result<void> {
    auto v = bool_field(body, name);
    if (!v) return std::unexpected(v.error());
    if (*v) field = **v;
    return {};
  };
  for (auto r : {u32("min_length", p.min_length), u32("min_classes", p.min_classes), u32("history", p.history),
                 u32("max_age_days", p.max_age_days), u32("warn_days", p.warn_days),
                 flag("change_at_first_login", p.change_at_first_login), flag("refuse_common", p.refuse_common)}) {
    if (!r) return std::unexpected(r.error());
  }
  return p;
}

response domain_item(services s, const request& req, const admin_principal& who) {
  auto tail = split_tail(req, "/api/v1/domains/");
  if (tail.action.empty() && req.method == "DELETE") {
    if (auto may = s.org.may_manage_organisation(who.who); !may) return error_for(may.error());
    if (auto r = s.dir.remove_domain(tail.item, who.who.name); !r) return error_for(r.error());
    return done({});
  }
  if (tail.action == "password-policy") {
    if (auto may = s.org.may_manage_domain(who.who, tail.item); !may) return error_for(may.error());
    auto current = s.dir.password_policy(tail.item);
    if (!current) return error_for(current.error());
    if (req.method == "GET") return json_ok(policy_json(*current));
    if (req.method == "PUT") {
      auto body = parse_object(req);
      if (!body) return error_for(body.error());
      auto merged = merge_policy(*current, *body);
      if (!merged) return error_for(merged.error());
      if (auto r = s.dir.set_password_policy(tail.item, *merged, who.who.name); !r) return error_for(r.error());
      return json_ok(policy_json(*merged));
    }
  }
  return json_error(404, "no such resource / 资源不存在");
}

response list_users(services s, const request& req, const admin_principal& who) {
  auto domain = req.query_param("domain").value_or("");
  auto all = visible_accounts(s, who, domain);
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& a : *all) out.push_back(account_json(a));
  json::object o;
  o["users"] = std::move(out);
  return json_ok(o);
}

response add_user(services s, const request& req, const admin_principal& who) {
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto address = string_field(*body, "address", true);
  if (!address) return error_for(address.error());
  auto name = string_field(*body, "display_name", false);
  if (!name) return error_for(name.error());
  auto password = string_field(*body, "password", false);
  if (!password) return error_for(password.error());
  auto quota = int_field(*body, "quota_bytes");
  if (!quota) return error_for(quota.error());
  if (quota->value_or(0) < 0) return json_error(400, "'quota_bytes' must not be negative");
  if (auto may = s.org.may_manage_domain(who.who, domain_of(*address)); !may) return error_for(may.error());
  directory::new_user u;
  u.address = *address;
  u.display_name = *name;
  u.password = *password;
  u.quota_bytes = static_cast<std::uint64_t>(quota->value_or(0));
  auto acc = s.dir.add_user(u, who.who.name);
  if (!acc) return error_for(acc.error());
  return json_ok(account_json(*acc), 201);
}

response user_details(services s, const store::account& acc) {
  auto o = account_json(acc);
  if (auto u = s.dir.store().account_usage(acc.id)) {
    o["used_bytes"] = u->bytes;
    o["messages"] = u->messages;
  }
  if (auto p = s.dir.store().get_profile(acc.id)) {
    json::object prof;
    prof["title"] = p->title;
    prof["phone"] = p->phone;
    prof["employee_id"] = p->employee_id;
    prof["department_id"] = p->department_id;
    prof["manager_id"] = p->manager_id;
    o["profile"] = std::move(prof);
  }
  if (auto roles = s.dir.store().list_roles(acc.id)) {
    json::array r;
    for (const auto& g : *roles) {
      json::object x;
      x["role"] = g.role;
      if (!g.domain.empty()) x["domain"] = g.domain;
      if (g.department_id != 0) x["department_id"] = g.department_id;
      r.push_back(std::move(x));
    }
    o["roles"] = std::move(r);
  }
  if (auto totp = s.dir.totp_enabled(acc.address)) o["totp"] = *totp;
  return json_ok(o);
}

response set_profile(services s, const request& req, const admin_principal& who, const store::account& acc) {
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto current = s.dir.store().get_profile(acc.id);
  if (!current) return error_for(current.error());
  auto p = *current;
  for (auto [name, field] : {std::pair{"display_name", &p.display_name}, std::pair{"title", &p.title},
                             std::pair{"phone", &p.phone}, std::pair{"employee_id", &p.employee_id}}) {
    if (!body->contains(name)) continue;
    auto v = string_field(*body, name, false);
    if (!v) return error_for(v.error());
    *field = *v;
  }
  if (body->contains("department")) {
    auto d = string_field(*body, "department", false);
    if (!d) return error_for(d.error());
    if (d->empty()) {
      p.department_id = 0;
    } else {
      auto dep = s.org.find_department(*d);
      if (!dep) return error_for(dep.error());
      p.department_id = dep->id;
    }
  }
  if (body->contains("manager")) {
    auto m = string_field(*body, "manager", false);
    if (!m) return error_for(m.error());
    if (m->empty()) {
      p.manager_id = 0;
    } else {
      auto mgr = visible_account(s, who, *m);
      if (!mgr) {
        if (mgr.error().code == core::errc::not_found) return json_error(404, "no such manager account / 上级账户不存在");
        return error_for(mgr.error());
      }
      p.manager_id = mgr->id;
    }
  }
  if (auto r = s.org.set_profile(who.who, p); !r) return error_for(r.error());
  return done({});
}

response offboard(services s, const request& req, const admin_principal& who, const store::account& acc) {
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  directory::offboard_options o;
  auto successor = string_field(*body, "successor", true);
  if (!successor) return error_for(successor.error());
  o.successor = *successor;
  if (auto succ = managed_account(s, who, o.successor); !succ) return error_for(succ.error());
  auto forward = bool_field(*body, "forward");
  if (!forward) return error_for(forward.error());
  o.forward = forward->value_or(false);
  auto reply = string_field(*body, "auto_reply", false);
  if (!reply) return error_for(reply.error());
  o.auto_reply = *reply;
  auto transfer = bool_field(*body, "transfer_mail");
  if (!transfer) return error_for(transfer.error());
  o.transfer_mail = transfer->value_or(false);
  // Only the lists this admin manages change owner (a department admin naming
  // themselves successor must not gain the groups of another domain).
  o.may_move_group = [&s, &who](const store::group& g) {
    return s.org.may_manage_domain(who.who, domain_of(g.address)).has_value();
  };
  auto done = s.dir.offboard(acc.address, o, who.who.name);
  if (!done) return error_for(done.error());
  json::object out;
  out["app_passwords_revoked"] = done->app_passwords_revoked;
  out["mailboxes_shared"] = done->mailboxes_shared;
  out["messages_moved"] = done->messages_moved;
  out["groups_moved"] = done->groups_moved;
  json::array kept;
  for (const auto& g : done->groups_kept) kept.push_back(json::value(g));
  out["groups_kept"] = std::move(kept);
  return json_ok(out);
}

response logins(services s, const store::account& acc) {
  auto events = s.dir.login_history(acc.address, 100);
  if (!events) return error_for(events.error());
  json::array out;
  for (const auto& e : *events) {
    json::object o;
    o["time"] = e.time;
    o["ip"] = e.ip;
    o["protocol"] = e.protocol;
    o["result"] = e.result;
    out.push_back(std::move(o));
  }
  json::object o;
  o["logins"] = std::move(out);
  return json_ok(o);
}

response user_item(services s, const request& req, const admin_principal& who) {
  auto tail = split_tail(req, "/api/v1/users/");
  auto acc = managed_account(s, who, tail.item);
  if (!acc) return error_for(acc.error());
  const auto& m = req.method;
  const auto& act = tail.action;
  const auto& actor = who.who.name;
  if (act.empty()) {
    if (m == "GET") return user_details(s, *acc);
    if (m == "DELETE") return done(s.dir.remove_user(acc->address, actor));
  } else if (m == "POST" && act == "password") {
    auto body = parse_object(req);
    if (!body) return error_for(body.error());
    auto pw = string_field(*body, "password", true);
    if (!pw) return error_for(pw.error());
    return done(s.dir.set_password(acc->address, *pw, actor));
  } else if (m == "PUT" && act == "quota") {
    auto body = parse_object(req);
    if (!body) return error_for(body.error());
    auto bytes = int_field(*body, "bytes");
    if (!bytes) return error_for(bytes.error());
    if (!*bytes || **bytes < 0) return json_error(400, "'bytes' (0 = unlimited) is required");
    return done(s.dir.set_quota(acc->address, static_cast<std::uint64_t>(**bytes), actor));
  } else if (m == "PUT" && act == "profile") {
    return set_profile(s, req, who, *acc);
  } else if (m == "POST" && act == "freeze") {
    return done(s.dir.freeze(acc->address, actor));
  } else if (m == "POST" && act == "unfreeze") {
    return done(s.dir.unfreeze(acc->address, actor));
  } else if (m == "POST" && act == "offboard") {
    return offboard(s, req, who, *acc);
  } else if (m == "POST" && act == "restore") {
    return done(s.dir.restore(acc->address, actor));
  } else if (m == "POST" && act == "require-password-change") {
    return done(s.dir.require_password_change(acc->address, actor));
  } else if (m == "DELETE" && act == "totp") {
    return done(s.dir.disable_totp(acc->address, actor));
  } else if (m == "GET" && act == "logins") {
    return logins(s, *acc);
  }
  return json_error(404, "no such resource / 资源不存在");
}

}  // namespace

void add_account_routes(router& r, services s) {
  add_guarded(r, s, "GET", "/api/v1/domains",
              [s](const request&, const admin_principal& who) { return list_domains(s, who); });
  add_guarded(r, s, "POST", "/api/v1/domains",
              [s](const request& req, const admin_principal& who) { return add_domain(s, req, who); });
  for (const char* m : {"GET", "PUT", "DELETE"}) {
    add_guarded(r, s, m, "/api/v1/domains/",
                [s](const request& req, const admin_principal& who) { return domain_item(s, req, who); },
                match::prefix);
  }
  add_guarded(r, s, "GET", "/api/v1/users",
              [s](const request& req, const admin_principal& who) { return list_users(s, req, who); });
  add_guarded(r, s, "POST", "/api/v1/users",
              [s](const request& req, const admin_principal& who) { return add_user(s, req, who); });
  for (const char* m : {"GET", "POST", "PUT", "DELETE"}) {
    add_guarded(r, s, m, "/api/v1/users/",
                [s](const request& req, const admin_principal& who) { return user_item(s, req, who); },
                match::prefix);
  }
}

}  // namespace letterhead::http::admin
