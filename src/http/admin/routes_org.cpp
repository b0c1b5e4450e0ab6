// /api/v1/departments, /api/v1/groups, /api/v1/roles: what `letterhead department|
// group|role` do, through the same organisation functions (which check that the
// admin may act on the department, group or domain, and audit).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "http/admin/guard.hpp"
#include "http/admin/json_io.hpp"

namespace letterhead::http::admin {

namespace json = boost::json;
using directory::admin_principal;

namespace {



// --- departments ---

response list_departments(services s, const admin_principal& who) {
  auto all = s.org.list_departments();
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& d : *all) {
    // A department admin sees its own subtree only.
    if (auto visible = s.org.may_see_department(who.who, d.id); !visible || !*visible) continue;
    json::object o;
    o["id"] = d.id;
    o["parent_id"] = d.parent_id;
    o["name"] = d.name;
    if (auto path = s.org.department_path(d.id)) o["path"] = *path;
    out.push_back(std::move(o));
  }
  json::object o;
  o["departments"] = std::move(out);
  return json_ok(o);
}

response add_department(services s, const request& req, const admin_principal& who) {
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto name = string_field(*body, "name", true);
  if (!name) return error_for(name.error());
  auto parent = string_field(*body, "parent", false);
  if (!parent) return error_for(parent.error());
  store::id_t parent_id = 0;
  if (!parent->empty()) {
    auto p = s.org.find_department(*parent);
    if (!p) return error_for(p.error());
    parent_id = p->id;
  }
  auto d = s.org.add_department(who.who, *name, parent_id);
  if (!d) return error_for(d.error());
  json::object o;
  o["id"] = d->id;
  o["parent_id"] = d->parent_id;
  o["name"] = d->name;
  return json_ok(o, 201);
}

// A department by id or path (its '/' sent as %2F), answered as missing when it is
// outside the admin's scope.
core::result<store::department> visible_department(services s, const admin_principal& who, std::string_view text) {
  const auto missing = [] { return core::fail(core::errc::not_found, "no such department / 部门不存在"); };
  auto d = s.org.find_department(text);
  if (!d) return d.error().code == core::errc::not_found ? missing() : d;
  auto visible = s.org.may_see_department(who.who, d->id);
  if (!visible) return std::unexpected(visible.error());
  if (!*visible) return missing();
  return d;
}

response department_item(services s, const request& req, const admin_principal& who) {
  auto tail = split_tail_encoded(req, "/api/v1/departments/");
  auto d = visible_department(s, who, tail.item);
  if (!d) return error_for(d.error());
  if (req.method == "DELETE" && tail.action.empty()) {
    // Without reparent_to the contents go to the parent department (a top-level one
    // must be empty): organisation::remove_department.
    std::optional<store::id_t> reparent;
    if (auto to = req.query_param("reparent_to")) {
      auto target = visible_department(s, who, *to);
      if (!target) return error_for(target.error());
      reparent = target->id;
    }
    return done(s.org.remove_department(who.who, d->id, reparent));
  }
  if (req.method == "POST" && tail.action == "move") {
    auto body = parse_object(req);
    if (!body) return error_for(body.error());
    auto parent = string_field(*body, "parent", false);
    if (!parent) return error_for(parent.error());
    store::id_t parent_id = 0;
    if (!parent->empty()) {
      auto p = s.org.find_department(*parent);
      if (!p) return error_for(p.error());
      parent_id = p->id;
    }
    return done(s.org.move_department(who.who, d->id, parent_id));
  }
  return json_error(404, "no such resource / 资源不存在");
}

// --- groups ---

constexpr std::pair<store::send_policy, std::string_view> policy_names[] = {
    {store::send_policy::anyone, "anyone"},   {store::send_policy::internal, "internal"},
    {store::send_policy::members, "members"}, {store::send_policy::senders, "senders"},
    {store::send_policy::roles, "roles"},
};

std::string_view policy_name(store::send_policy p) {
  for (const auto& [v, n] : policy_names) {
    if (v == p) return n;
  }
  return "anyone";
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& x : v) a.push_back(json::value(x));
  return a;
}

core::result<std::vector<std::string>> string_list(const json::object& o, std::string_view name) {
  std::vector<std::string> out;
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return core::fail(core::errc::invalid, fmt::format("'{}' must be a list of strings", name));
  if (v->as_array().size() > 1000) return core::fail(core::errc::limit, fmt::format("'{}' is too long", name));
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return core::fail(core::errc::invalid, fmt::format("'{}' must be a list of strings", name));
    out.emplace_back(x.as_string());
  }
  return out;
}

json::object group_json(const store::group& g) {
  json::object o;
  o["address"] = g.address;
  o["name"] = g.name;
  o["send_policy"] = policy_name(g.policy);
  o["allowed"] = strings(g.allowed);
  o["moderated"] = g.moderated;
  o["owners"] = strings(g.owners);
  return o;
}

// Fields of a POST or PUT body over `g`.
core::result<void> apply_group_fields(store::group& g, const json::object& body) {
  if (body.contains("name")) {
    auto name = string_field(body, "name", false);
    if (!name) return std::unexpected(name.error());
    g.name = *name;
  }
  if (body.contains("send_policy")) {
    auto p = string_field(body, "send_policy", false);
    if (!p) return std::unexpected(p.error());
    bool known = false;
    for (const auto& [v, n] : policy_names) {
      if (n == *p) {
        g.policy = v;
        known = true;
      }
    }
    if (!known) return core::fail(core::errc::invalid, "send_policy: anyone, internal, members, senders or roles");
  }
  if (body.contains("allowed")) {
    auto a = string_list(body, "allowed");
    if (!a) return std::unexpected(a.error());
    g.allowed = std::move(*a);
  }
  if (body.contains("owners")) {
    auto a = string_list(body, "owners");
    if (!a) return std::unexpected(a.error());
    g.owners = std::move(*a);
  }
  if (body.contains("moderated")) {
    auto m = bool_field(body, "moderated");
    if (!m) return std::unexpected(m.error());
    g.moderated = m->value_or(false);
  }
  return {};
}

response list_groups(services s, const request& req, const admin_principal& who) {
  auto all = s.dir.store().list_groups(req.query_param("domain").value_or(""));
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& g : *all) {
    auto at = g.address.rfind('@');
    if (!s.org.may_manage_domain(who.who, g.address.substr(at + 1)) && !s.org.may_moderate(who.who, g)) continue;
    out.push_back(group_json(g));
  }
  json::object o;
  o["groups"] = std::move(out);
  return json_ok(o);
}

response add_group(services s, const request& req, const admin_principal& who) {
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto address = string_field(*body, "address", true);
  if (!address) return error_for(address.error());
  store::group g;
  g.address = *address;
  if (auto r = apply_group_fields(g, *body); !r) return error_for(r.error());
  auto added = s.org.add_group(who.who, g);
  if (!added) return error_for(added.error());
  return json_ok(group_json(*added), 201);
}

response group_item(services s, const request& req, const admin_principal& who) {
  auto tail = split_tail(req, "/api/v1/groups/");
  const auto missing = [] { return json_error(404, "no such group / 群组不存在"); };
  auto g = s.dir.store().find_group(tail.item);
  if (!g) return g.error().code == core::errc::not_found ? missing() : error_for(g.error());
  // Outside the admin's scope, the same answer as for a missing group.
  if (auto visible = s.org.may_see_group(who.who, *g); !visible || !*visible) {
    if (!visible) return error_for(visible.error());
    return missing();
  }
  if (tail.action.empty()) {
    if (req.method == "GET") {
      if (auto may = s.org.may_moderate(who.who, *g); !may) return error_for(may.error());
      auto o = group_json(*g);
      auto members = s.dir.store().list_group_members(g->id);
      if (!members) return error_for(members.error());
      json::array m;
      for (const auto& x : *members) m.push_back(json::value(x.address));
      o["members"] = std::move(m);
      return json_ok(o);
    }
    if (req.method == "PUT") {
      auto body = parse_object(req);
      if (!body) return error_for(body.error());
      auto updated = *g;
      if (auto r = apply_group_fields(updated, *body); !r) return error_for(r.error());
      if (auto r = s.org.update_group(who.who, updated); !r) return error_for(r.error());
      return json_ok(group_json(updated));
    }
    if (req.method == "DELETE") return done(s.org.remove_group(who.who, g->address));
  }
  // members: POST {"member": "..."} adds; DELETE .../members/<member> removes.
  if (tail.action == "members" && req.method == "POST") {
    auto body = parse_object(req);
    if (!body) return error_for(body.error());
    auto member = string_field(*body, "member", true);
    if (!member) return error_for(member.error());
    return done(s.org.add_member(who.who, g->address, *member));
  }
  if (tail.action.starts_with("members/") && req.method == "DELETE") {
    return done(s.org.remove_member(who.who, g->address, tail.action.substr(8)));
  }
  return json_error(404, "no such resource / 资源不存在");
}

// --- roles ---

core::result<store::role_grant> grant_from(services s, const json::object& body) {
  store::role_grant r;
  auto account = string_field(body, "account", true);
  if (!account) return std::unexpected(account.error());
  auto acc = s.dir.store().find_account(*account);
  if (!acc) return std::unexpected(acc.error());
  r.account_id = acc->id;
  r.address = acc->address;
  auto role = string_field(body, "role", true);
  if (!role) return std::unexpected(role.error());
  r.role = *role;
  auto domain = string_field(body, "domain", false);
  if (!domain) return std::unexpected(domain.error());
  r.domain = *domain;
  auto department = string_field(body, "department", false);
  if (!department) return std::unexpected(department.error());
  if (!department->empty()) {
    auto d = s.org.find_department(*department);
    if (!d) return std::unexpected(d.error());
    r.department_id = d->id;
  }
  return r;
}

response list_roles(services s, const admin_principal& who) {
  auto all = s.dir.store().list_roles(0);
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& g : *all) {
    auto acc = s.dir.store().get_account(g.account_id);
    if (!acc || !s.org.may_manage_account(who.who, *acc)) continue;
    json::object o;
    o["account"] = g.address;
    o["role"] = g.role;
    if (!g.domain.empty()) o["domain"] = g.domain;
    if (g.department_id != 0) o["department_id"] = g.department_id;
    out.push_back(std::move(o));
  }
  json::object o;
  o["roles"] = std::move(out);
  return json_ok(o);
}

}  // namespace

void add_org_routes(router& r, services s) {
  add_guarded(r, s, "GET", "/api/v1/departments", [s](const request&, const admin_principal& who) {
    return list_departments(s, who);
  });
  add_guarded(r, s, "POST", "/api/v1/departments", [s](const request& req, const admin_principal& who) {
    return add_department(s, req, who);
  });
  for (const char* m : {"POST", "DELETE"}) {
    add_guarded(r, s, m, "/api/v1/departments/",
                [s](const request& req, const admin_principal& who) { return department_item(s, req, who); },
                match::prefix);
  }
  add_guarded(r, s, "GET", "/api/v1/groups",
              [s](const request& req, const admin_principal& who) { return list_groups(s, req, who); });
  add_guarded(r, s, "POST", "/api/v1/groups",
              [s](const request& req, const admin_principal& who) { return add_group(s, req, who); });
  for (const char* m : {"GET", "POST", "PUT", "DELETE"}) {
    add_guarded(r, s, m, "/api/v1/groups/",
                [s](const request& req, const admin_principal& who) { return group_item(s, req, who); },
                match::prefix);
  }
  add_guarded(r, s, "GET", "/api/v1/roles",
              [s](const request&, const admin_principal& who) { return list_roles(s, who); });
  for (auto [path, grant] : {std::pair{"/api/v1/roles/grant", true}, std::pair{"/api/v1/roles/revoke", false}}) {
    add_guarded(r, s, "POST", path, [s, grant](const request& req, const admin_principal& who) {
      auto body = parse_object(req);
      if (!body) return error_for(body.error());
      auto g = grant_from(s, *body);
      if (!g) return error_for(g.error());
      return done(grant ? s.org.grant_role(who.who, *g) : s.org.revoke_role(who.who, *g));
    });
  }
}

}  // namespace letterhead::http::admin
