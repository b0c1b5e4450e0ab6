// /api/v1/session: log in (password, then TOTP), who am I, log out.

#include <chrono>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "http/admin/guard.hpp"
#include "http/admin/json_io.hpp"

namespace letterhead::http::admin {

namespace json = boost::json;

namespace {

json::array roles_json(const std::vector<store::role_grant>& roles) {
  json::array out;
  for (const auto& g : roles) {
    json::object o;
    o["role"] = g.role;
    if (!g.domain.empty()) o["domain"] = g.domain;
    if (g.department_id != 0) o["department_id"] = g.department_id;
    out.push_back(std::move(o));
  }
  return out;
}

// RFC 6265 §4.1: HttpOnly keeps it from scripts, Secure from plain HTTP, and
// SameSite=Strict from requests other sites make the browser send (CSRF, with the
// token as the second line of defence).
std::string cookie(std::string_view token, long long max_age) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict", session_cookie, token,
                     max_age);
}

response login(services s, const request& req) {
  if (!req.tls) return json_error(403, "the admin API is served over HTTPS only / 管理接口仅通过 HTTPS 提供");
  auto body = parse_object(req);
  if (!body) return error_for(body.error());
  auto address = string_field(*body, "address", true);
  if (!address) return error_for(address.error());
  auto password = string_field(*body, "password", true);
  if (!password) return error_for(password.error());
  auto totp = string_field(*body, "totp", false);
  if (!totp) return error_for(totp.error());
  auto bearer = bool_field(*body, "bearer");
  if (!bearer) return error_for(bearer.error());

  directory::login_context ctx;
  ctx.protocol = directory::login_protocol::http;
  ctx.remote_ip = req.client_ip;
  auto done = s.sessions.login(*address, *password, *totp, ctx);
  if (!done) {
    // The same wait as the mail protocols (brute-force limits), waited by the HTTP
    // session on a timer (response::delay), not by a thread of the blocking pool.
    const auto delayed = [&ctx](response r) {
      r.delay = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.delay);
      return r;
    };
    if (done.error().code == core::errc::denied) return delayed(json_error(401, done.error().message));
    // A blocked address or address+account (brute-force limits).
    if (done.error().code == core::errc::limit) return delayed(json_error(429, done.error().message));
    // The TOTP seed cannot be opened (secret key lost or changed): say so, an admin
    // must reset the account's TOTP.
    if (done.error().code == core::errc::unavailable) return json_error(503, done.error().message);
    return delayed(error_for(done.error()));
  }
  json::object o;
  o["account"] = done->account.address;
  o["display_name"] = done->account.display_name;
  o["roles"] = roles_json(done->roles);
  o["csrf_token"] = done->csrf_token;
  o["expires"] = done->expires;
  if (bearer->value_or(false)) {
    // A script's session: no ambient cookie it does not need.
    o["token"] = done->token;
    return json_ok(o);
  }
  auto r = json_ok(o);
  r.headers.push_back({"Set-Cookie", cookie(done->token, s.sessions.options().lifetime.count())});
  return r;
}

}  // namespace

void add_session_routes(router& r, services s) {
  r.add("POST", "/api/v1/session", [s](const request& req) { return login(s, req); }, {.blocking = true});
  add_guarded(r, s, "GET", "/api/v1/session", [](const request&, const directory::admin_principal& who) {
    json::object o;
    o["account"] = who.account.address;
    o["display_name"] = who.account.display_name;
    o["roles"] = roles_json(who.roles);
    // A reloaded page learns its CSRF token again (the cookie is HttpOnly).
    o["csrf_token"] = who.csrf_token;
    return json_ok(o);
  });
  add_guarded(r, s, "DELETE", "/api/v1/session", [s](const request& req, const directory::admin_principal& who) {
    bool bearer = false;
    if (auto out = s.sessions.logout(session_token(req, bearer)); !out) return error_for(out.error());
    (void)s.dir.store().audit(who.account.address, "admin.logout", "");
    json::object o;
    o["logged_out"] = true;
    auto r = json_ok(o);
    r.headers.push_back({"Set-Cookie", cookie("", 0)});
    return r;
  });
}

void add_routes(router& r, services s) {
  add_session_routes(r, s);
  add_account_routes(r, s);
  add_org_routes(r, s);
  add_audit_routes(r, s);
  add_policy_routes(r, s);
}

}  // namespace letterhead::http::admin
