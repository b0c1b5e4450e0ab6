// /api/v1/audit (what `letterhead audit` prints), /api/v1/security/bans and
// /api/v1/queue (what `letterhead queue list|show|hold|release|retry|remove` does):
// for super admins; domain admins see the audit records that mention their domains.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "http/admin/guard.hpp"
#include "http/admin/json_io.hpp"

namespace letterhead::http::admin {

namespace json = boost::json;
using directory::admin_principal;

namespace {


// Whether `text` names an address in `domain`: "@domain" not followed by more of a
// domain name (example.com must not match example.com.cn or example.community).
bool names_domain(std::string_view text, std::string_view domain) {
  const std::string needle = "@" + std::string(domain);
  for (auto pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + 1)) {
    const auto end = pos + needle.size();
    if (end == text.size()) return true;
    const unsigned char c = static_cast<unsigned char>(text[end]);
    if (!std::isalnum(c) && c != '.' && c != '-') return true;
  }
  return false;
}

core::result<std::int64_t> number_param(const request& req, std::string_view name, std::int64_t fallback) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return fallback;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size() || n < 0) {
    return core::fail(core::errc::invalid, fmt::format("'{}' must be a non-negative integer", name));
  }
  return n;
}

response audit(services s, const request& req, const admin_principal& who) {
  store::audit_query q;
  for (auto [name, field] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
    auto n = number_param(req, name, 0);
    if (!n) return error_for(n.error());
    *field = *n;
  }
  auto before = number_param(req, "before", 0);
  if (!before) return error_for(before.error());
  q.before_id = *before;
  auto limit = number_param(req, "limit", 100);
  if (!limit) return error_for(limit.error());
  q.limit = static_cast<std::size_t>(std::min<std::int64_t>(*limit, 1000));
  q.actor = req.query_param("actor").value_or("");
  q.action_prefix = req.query_param("action").value_or("");
  q.mentions = req.query_param("account").value_or("");
  std::vector<std::string> domains;
  if (!is_super(who)) {
    // A domain admin sees what concerns their domains: records naming an address in
    // them. Other admins see nothing here.
    for (const auto& g : who.roles) {
      if (g.role == directory::role_domain_admin) domains.push_back(g.domain);
    }
    if (domains.empty()) {
      return json_error(403, "only super and domain admins read the audit log / 仅超级管理员和域管理员可查看审计日志");
    }
    if (!q.mentions.empty() && std::ranges::none_of(domains, [&](const auto& d) { return names_domain(q.mentions, d); })) {
      return json_error(403, "that account is outside your domain / 该账户不在您管理的域内");
    }
    if (q.mentions.empty() && domains.size() == 1) q.mentions = "@" + domains.front();
  }
  auto records = s.dir.store().query_audit(q);
  if (!records) return error_for(records.error());
  json::array out;
  for (const auto& r : *records) {
    if (!domains.empty() && std::ranges::none_of(domains, [&](const auto& d) {
          return names_domain(r.actor, d) || names_domain(r.detail, d);
        })) {
      continue;
    }
    json::object o;
    o["id"] = r.id;
    o["time"] = r.time;
    o["actor"] = r.actor;
    o["action"] = r.action;
    o["detail"] = r.detail;
    out.push_back(std::move(o));
  }
  json::object o;
  o["records"] = std::move(out);
  return json_ok(o);
}

response bans(services s, const admin_principal& who) {
  if (!is_super(who)) return json_error(403, "super admins only / 仅限超级管理员");
  auto all = s.dir.list_bans(static_cast<store::unix_time>(::time(nullptr)));
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& b : *all) {
    json::object o;
    o["key"] = b.key;
    o["failures"] = b.failures;
    o["blocked_until"] = b.blocked_until;
    out.push_back(std::move(o));
  }
  json::object o;
  o["bans"] = std::move(out);
  return json_ok(o);
}

const char* state_name(store::queue_recipient::state st) {
  switch (st) {
    case store::queue_recipient::state::pending:
      return "pending";
    case store::queue_recipient::state::delivered:
      return "delivered";
    case store::queue_recipient::state::failed:
      return "failed";
  }
  return "pending";
}

// What `letterhead queue list` shows; `full` adds what `queue show` does.
json::object entry_json(const store::queue_entry& e, bool full) {
  json::object o;
  o["id"] = e.id;
  o["mail_from"] = e.mail_from;
  o["attempts"] = e.attempts;
  o["next_attempt"] = e.next_attempt;
  o["held"] = e.held;
  if (full) {
    o["size"] = e.size;
    o["created"] = e.created;
    o["last_attempt"] = e.last_attempt;
    o["auth_account"] = e.auth_account;
    o["body_type"] = e.body_type;
    o["smtputf8"] = e.smtputf8;
    o["requiretls"] = e.requiretls;
    o["delay_warned"] = e.delay_warned;
    o["dsn_ret"] = e.dsn_ret;
    o["dsn_envid"] = e.dsn_envid;
    o["lease_owner"] = e.lease_owner;
    o["lease_until"] = e.lease_until;
  }
  json::array rcpts;
  for (const auto& r : e.recipients) {
    json::object x;
    x["address"] = r.address;
    x["state"] = state_name(r.status);
    x["last_reply"] = r.last_reply;
    if (full) {
      x["remote_mta"] = r.remote_mta;
      x["dsn_notify"] = r.dsn_notify;
      x["dsn_sent"] = r.dsn_sent;
    }
    rcpts.push_back(std::move(x));
  }
  o["recipients"] = std::move(rcpts);
  return o;
}

response queue(services s, const admin_principal& who) {
  if (!is_super(who)) return json_error(403, "super admins only / 仅限超级管理员");
  auto all = s.dir.store().list_queue();
  if (!all) return error_for(all.error());
  json::array out;
  for (const auto& e : *all) out.push_back(entry_json(e, false));
  json::object o;
  o["queue"] = std::move(out);
  return json_ok(o);
}

// /api/v1/queue/ID: GET shows the entry, DELETE removes it without sending (no
// bounce); POST .../hold, .../release, .../retry as `letterhead queue` does. Each
// change is audited. A worker sending the entry right now keeps its lease: hold
// stops later attempts, remove makes its write-back fail.
response queue_entry_route(services s, const request& req, const admin_principal& who) {
  if (!is_super(who)) return json_error(403, "super admins only / 仅限超级管理员");
  const auto tail = split_tail(req, "/api/v1/queue/");
  store::id_t id = 0;
  const auto* end = tail.item.data() + tail.item.size();
  if (auto [p, ec] = std::from_chars(tail.item.data(), end, id); ec != std::errc{} || p != end || id <= 0) {
    return json_error(404, "no such queue entry / 没有这个队列条目");
  }
  auto& st = s.dir.store();
  auto not_found = [&](const core::error& e) {
    return e.code == core::errc::not_found ? json_error(404, "no such queue entry / 没有这个队列条目")
                                           : error_for(e);
  };
  if (req.method == "GET" && tail.action.empty()) {
    auto e = st.get_queue_entry(id);
    if (!e) return not_found(e.error());
    return json_ok(entry_json(*e, true));
  }
  core::result<void> r;
  std::string_view action;
  if (req.method == "DELETE" && tail.action.empty()) {
    action = "remove";
    r = st.remove_queue_entry(id);
  } else if (req.method == "POST" && (tail.action == "hold" || tail.action == "release")) {
    action = tail.action;
    r = st.set_queue_held(id, tail.action == "hold");
  } else if (req.method == "POST" && tail.action == "retry") {
    action = "retry";
    r = st.retry_queue_entry(id, static_cast<store::unix_time>(std::time(nullptr)));
  } else {
    return json_error(404, "no such queue action / 没有这个队列操作");
  }
  if (!r) return not_found(r.error());
  (void)st.audit(who.who.name, fmt::format("queue.{}", action), std::to_string(id));
  json::object o;
  o["ok"] = true;
  return json_ok(o);
}

}  // namespace

void add_audit_routes(router& r, services s) {
  add_guarded(r, s, "GET", "/api/v1/audit",
              [s](const request& req, const admin_principal& who) { return audit(s, req, who); });
  add_guarded(r, s, "GET", "/api/v1/security/bans",
              [s](const request&, const admin_principal& who) { return bans(s, who); });
  add_guarded(r, s, "DELETE", "/api/v1/security/bans/", [s](const request& req, const admin_principal& who) {
    if (!is_super(who)) return json_error(403, "super admins only / 仅限超级管理员");
    auto ip = split_tail(req, "/api/v1/security/bans/").item;
    auto n = s.dir.unban(ip, who.who.name);
    if (!n) return error_for(n.error());
    json::object o;
    o["lifted"] = *n;
    return json_ok(o);
  }, match::prefix);
  add_guarded(r, s, "GET", "/api/v1/queue",
              [s](const request&, const admin_principal& who) { return queue(s, who); });
  for (const char* method : {"GET", "POST", "DELETE"}) {
    add_guarded(r, s, method, "/api/v1/queue/", [s](const request& req, const admin_principal& who) {
      return queue_entry_route(s, req, who);
    }, match::prefix);
  }
}

}  // namespace letterhead::http::admin
