// /api/v1/rules (per-account and per-role mail rules), /api/v1/held (moderation),
// /api/v1/aliases, /api/v1/users/{address}/app-passwords and /api/v1/directory
// (the global address list): what `letterhead rule|group held|approve|reject|alias|
// user app-password|directory search` do.

#include <algorithm>
#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "http/admin/guard.hpp"
#include "http/admin/json_io.hpp"

namespace letterhead::http::admin {

namespace json = boost::json;
using directory::admin_principal;

namespace {





// --- mail rules ---

json::object rule_json(const store::mail_rule& r) {
  json::object o;
  if (r.account_id != 0) o["account"] = r.address;
  if (!r.role.empty()) o["role"] = r.role;
  if (r.internal_only) o["internal_only"] = *r.internal_only;
  if (r.allowed_domains) {
    json::array a;
    for (const auto& d : *r.allowed_domains) a.push_back(json::value(d));
    o["allowed_domains"] = std::move(a);
  }
  if (r.max_recipients) o["max_recipients"] = *r.max_recipients;
  if (r.max_message_size) o["max_message_size"] = *r.max_message_size;
  return o;
}

response list_rules(services s, const admin_principal& who) {
  auto all = s.dir.store().list_mail_rules();
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& r : *all) {
    if (r.account_id != 0) {
      auto acc = s.dir.store().get_account(r.account_id);
      if (!acc || !s.org.may_manage_account(who.who, *acc)) continue;
    } else if (!is_super(who)) {
      continue;  // role rules apply organisation-wide: super admins only
    }
    out.push_back(rule_json(r));
  }
  json::object o;
  o["rules"] = std::move(out);
  return json_ok(o);
}

// PUT /api/v1/rules: the fields given replace those of the existing rule for the
// account or role; null clears a field.
response put_rule(services s, const request& req, const admin_principal& who) {
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto account = string_field(*body, "account", false);
  if (!account) return error_for(account.error());
  auto role = string_field(*body, "role", false);
  if (!role) return error_for(role.error());
  if (account->empty() == role->empty()) return json_error(400, "give either 'account' or 'role'");
  store::mail_rule r;
  if (!account->empty()) {
    auto acc = visible_account(s, who, *account);
    if (!acc) return error_for(acc.error());
    r.account_id = acc->id;
  } else {
    r.role = *role;
  }
  auto existing = s.dir.store().list_mail_rules();
  if (!existing) return error_for(existing.error());
  for (const auto& e : *existing) {
    if ((r.account_id != 0 && e.account_id == r.account_id) || (!r.role.empty() && e.role == r.role)) {
      r.internal_only = e.internal_only;
      r.allowed_domains = e.allowed_domains;
      r.max_recipients = e.max_recipients;
      r.max_message_size = e.max_message_size;
    }
  }
  auto is_null = [&](std::string_view k) { return body->contains(k) && body->at(k).is_null(); };
  if (is_null("internal_only")) r.internal_only.reset();
  if (auto v = bool_field(*body, "internal_only"); !v) return error_for(v.error());
  else if (*v) r.internal_only = **v;
  if (is_null("allowed_domains")) r.allowed_domains.reset();
  if (auto* v = body->if_contains("allowed_domains"); v && !v->is_null()) {
    if (!v->is_array() || v->as_array().size() > 1000) return json_error(400, "'allowed_domains' must be a list");
    std::vector<std::string> domains;
    for (const auto& d : v->as_array()) {
      if (!d.is_string()) return json_error(400, "'allowed_domains' must be a list of strings");
      domains.emplace_back(d.as_string());
    }
    r.allowed_domains = std::move(domains);
  }
  if (is_null("max_recipients")) r.max_recipients.reset();
  if (auto v = int_field(*body, "max_recipients"); !v) return error_for(v.error());
  else if (*v) {
    if (**v <= 0 || **v > 1'000'000) return json_error(400, "'max_recipients' is out of range");
    r.max_recipients = static_cast<std::uint32_t>(**v);
  }
  if (is_null("max_message_size")) r.max_message_size.reset();
  if (auto v = int_field(*body, "max_message_size"); !v) return error_for(v.error());
  else if (*v) {
    if (**v <= 0) return json_error(400, "'max_message_size' is out of range");
    r.max_message_size = static_cast<std::uint64_t>(**v);
  }
  if (auto ok = s.org.set_rule(who.who, r); !ok) return error_for(ok.error());
  if (r.account_id != 0) r.address = *account;
  return json_ok(rule_json(r));
}

response delete_rule(services s, const request& req, const admin_principal& who) {
  const auto account = req.query_param("account").value_or("");
  const auto role = req.query_param("role").value_or("");
  if (account.empty() == role.empty()) return json_error(400, "give either ?account= or ?role=");
  store::id_t id = 0;
  if (!account.empty()) {
    auto acc = visible_account(s, who, account);
    if (!acc) return error_for(acc.error());
    id = acc->id;
  }
  return done(s.org.remove_rule(who.who, id, role));
}

// --- moderation ---

response list_held(services s, const request& req, const admin_principal& who) {
  store::id_t gid = 0;
  if (auto g = req.query_param("group"); g && !g->empty()) {
    auto grp = s.dir.store().find_group(*g);
    if (!grp) return error_for(grp.error());
    gid = grp->id;
  }
  auto all = s.dir.store().list_held(gid);
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& h : *all) {
    auto grp = s.dir.store().get_group(h.group_id);
    if (!grp || !s.org.may_moderate(who.who, *grp)) continue;
    json::object o;
    o["id"] = h.id;
    o["group"] = h.group_address;
    o["mail_from"] = h.mail_from;
    o["size"] = h.size;
    o["created"] = h.created;
    out.push_back(std::move(o));
  }
  json::object o;
  o["held"] = std::move(out);
  return json_ok(o);
}

response held_item(services s, const request& req, const admin_principal& who) {
  auto tail = split_tail(req, "/api/v1/held/");
  store::id_t id = 0;
  auto [end, ec] = std::from_chars(tail.item.data(), tail.item.data() + tail.item.size(), id);
  if (ec != std::errc{} || end != tail.item.data() + tail.item.size()) return json_error(404, "no such message");
  // A held message of a group outside the admin's scope is answered as a missing one.
  {
    auto h = s.dir.store().get_held(id);
    if (!h) return h.error().code == core::errc::not_found ? json_error(404, "no such message") : error_for(h.error());
    auto grp = s.dir.store().get_group(h->group_id);
    if (!grp) return error_for(grp.error());
    if (auto visible = s.org.may_see_group(who.who, *grp); !visible || !*visible) {
      if (!visible) return error_for(visible.error());
      return json_error(404, "no such message");
    }
  }
  if (tail.action == "approve" && s.approve_held) {
    auto r = s.approve_held(who.who, id);
    if (!r) return error_for(r.error());
    json::object o;
    o["local_copies"] = r->first;
    o["queued"] = r->second;
    return json_ok(o);
  }
  if (tail.action == "reject" && s.reject_held) return done(s.reject_held(who.who, id));
  return json_error(404, "no such resource / 资源不存在");
}

// --- aliases ---

response list_aliases(services s, const request& req, const admin_principal& who) {
  auto all = s.dir.list_aliases(req.query_param("domain").value_or(""));
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& a : *all) {
    if (!s.org.may_manage_domain(who.who, domain_of(a.address))) continue;
    json::object o;
    o["address"] = a.address;
    json::array t;
    for (const auto& x : a.targets) t.push_back(json::value(x));
    o["targets"] = std::move(t);
    out.push_back(std::move(o));
  }
  json::object o;
  o["aliases"] = std::move(out);
  return json_ok(o);
}

response add_alias(services s, const request& req, const admin_principal& who) {
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto address = string_field(*body, "address", true);
  if (!address) return error_for(address.error());
  auto* t = body->if_contains("targets");
  if (!t || !t->is_array() || t->as_array().empty() || t->as_array().size() > 1000) {
    return json_error(400, "'targets' must be a non-empty list of addresses");
  }
  std::vector<std::string> targets;
  for (const auto& x : t->as_array()) {
    if (!x.is_string()) return json_error(400, "'targets' must be a list of strings");
    targets.emplace_back(x.as_string());
  }
  if (auto may = s.org.may_manage_domain(who.who, domain_of(*address)); !may) return error_for(may.error());
  if (auto r = s.dir.add_alias(*address, targets, who.who.name); !r) return error_for(r.error());
  auto created = done({});
  created.status = 201;
  return created;
}

// --- app passwords and the address list ---

response app_passwords(services s, const request& req, const admin_principal& who) {
  auto tail = split_tail(req, "/api/v1/app-passwords/");
  auto acc = visible_account(s, who, tail.item);
  if (!acc) return error_for(acc.error());
  if (auto may = s.org.may_manage_account(who.who, *acc); !may) return error_for(may.error());
  if (req.method == "GET" && tail.action.empty()) {
    auto all = s.dir.list_app_passwords(acc->address);
    if (!all) return error_for(all.error());
    json::array out;
    for (const auto& p : *all) {
      json::object o;
      o["name"] = p.name;
      json::array protos;
      for (const auto& x : p.protocols) protos.push_back(json::value(x));
      o["protocols"] = std::move(protos);
      o["created"] = p.created;
      o["last_used"] = p.last_used;
      out.push_back(std::move(o));
    }
    json::object o;
    o["app_passwords"] = std::move(out);
    return json_ok(o);
  }
  if (req.method == "DELETE" && !tail.action.empty()) {
    return done(s.dir.revoke_app_password(acc->address, tail.action, who.who.name));
  }
  return json_error(404, "no such resource / 资源不存在");
}

response search_directory(services s, const request& req) {
  const auto q = req.query_param("q").value_or("");
  if (q.empty() || q.size() > 200) return json_error(400, "'q' (1 to 200 characters) is required");
  auto found = s.org.search(q, 50);
  if (!found) return error_for(found.error());
  json::array out;
  for (const auto& e : *found) {
    json::object o;
    o["address"] = e.profile.address;
    o["display_name"] = e.profile.display_name;
    o["title"] = e.profile.title;
    o["phone"] = e.profile.phone;
    o["department"] = e.department;
    out.push_back(std::move(o));
  }
  json::object o;
  o["entries"] = std::move(out);
  return json_ok(o);
}

}  // namespace

void add_policy_routes(router& r, services s) {
  add_guarded(r, s, "GET", "/api/v1/rules", [s](const request&, const admin_principal& who) {
    return list_rules(s, who);
  });
  add_guarded(r, s, "PUT", "/api/v1/rules",
              [s](const request& req, const admin_principal& who) { return put_rule(s, req, who); });
  add_guarded(r, s, "DELETE", "/api/v1/rules",
              [s](const request& req, const admin_principal& who) { return delete_rule(s, req, who); });
  add_guarded(r, s, "GET", "/api/v1/held",
              [s](const request& req, const admin_principal& who) { return list_held(s, req, who); });
  add_guarded(r, s, "POST", "/api/v1/held/",
              [s](const request& req, const admin_principal& who) { return held_item(s, req, who); },
              match::prefix);
  add_guarded(r, s, "GET", "/api/v1/aliases",
              [s](const request& req, const admin_principal& who) { return list_aliases(s, req, who); });
  add_guarded(r, s, "POST", "/api/v1/aliases",
              [s](const request& req, const admin_principal& who) { return add_alias(s, req, who); });
  add_guarded(r, s, "DELETE", "/api/v1/aliases/", [s](const request& req, const admin_principal& who) {
    auto alias = split_tail(req, "/api/v1/aliases/").item;
    if (auto may = s.org.may_manage_domain(who.who, domain_of(alias)); !may) return error_for(may.error());
    return done(s.dir.remove_alias(alias, who.who.name));
  }, match::prefix);
  for (const char* m : {"GET", "DELETE"}) {
    add_guarded(r, s, m, "/api/v1/app-passwords/",
                [s](const request& req, const admin_principal& who) { return app_passwords(s, req, who); },
                match::prefix);
  }
  add_guarded(r, s, "GET", "/api/v1/directory",
              [s](const request& req, const admin_principal&) { return search_directory(s, req); });
}

}  // namespace letterhead::http::admin
