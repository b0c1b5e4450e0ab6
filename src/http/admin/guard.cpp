// The admin API's gate: see guard.hpp.

#include "http/admin/guard.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json/object.hpp>

#include "http/admin/json_io.hpp"

namespace letterhead::http::admin {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 6265 §5.4 Cookie: name=value pairs separated by "; ".
std::string cookie_value(const request& req, std::string_view name) {
  for (const auto& f : req.headers) {
    if (!iequals(f.name, "Cookie")) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      auto pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

bool safe_method(std::string_view m) { return m == "GET" || m == "HEAD"; }

}  // namespace

std::string session_token(const request& req, bool& bearer) {
  bearer = false;
  if (auto auth = req.header("Authorization")) {
    auto v = trim(*auth);
    // RFC 6750 §2.1: the scheme is case-insensitive.
    if (v.size() > 7 && iequals(v.substr(0, 7), "Bearer ")) {
      bearer = true;
      return std::string(trim(v.substr(7)));
    }
  }
  return cookie_value(req, session_cookie);
}

path_tail split_tail(const request& req, std::string_view prefix) {
  std::string_view rest = req.path;
  if (rest.starts_with(prefix)) rest.remove_prefix(prefix.size());
  path_tail t;
  auto slash = rest.find('/');
  t.item = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) t.action = std::string(rest.substr(slash + 1));
  return t;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 §2.1; a malformed escape stays as it is (the lookup then finds nothing).
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

path_tail split_tail_encoded(const request& req, std::string_view prefix) {
  std::string_view rest = req.target;
  rest = rest.substr(0, rest.find('?'));
  if (!rest.starts_with(prefix)) return split_tail(req, prefix);
  rest.remove_prefix(prefix.size());
  // Dot segments were resolved in req.path only: such a target takes the plain way.
  if (rest.find("/.") != std::string_view::npos || rest.starts_with(".")) return split_tail(req, prefix);
  path_tail t;
  auto slash = rest.find('/');
  t.item = percent_decode(rest.substr(0, slash));
  if (slash != std::string_view::npos) t.action = percent_decode(rest.substr(slash + 1));
  if (t.item.find('\0') != std::string::npos || t.action.find('\0') != std::string::npos) return split_tail(req, prefix);
  return t;
}

core::result<store::account> visible_account(services s, const directory::admin_principal& who,
                                             std::string_view address) {
  const auto missing = [] { return core::fail(core::errc::not_found, "no such account / 账户不存在"); };
  auto acc = s.dir.store().find_account(address);
  if (!acc) return acc.error().code == core::errc::not_found ? missing() : acc;
  auto visible = s.org.may_see_account(who.who, *acc);
  if (!visible) return std::unexpected(visible.error());
  if (!*visible) return missing();
  return acc;
}

bool is_super(const directory::admin_principal& who) {
  return std::ranges::any_of(who.roles, [](const auto& g) { return g.role == directory::role_super_admin; });
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  std::string d(at == std::string_view::npos ? std::string_view{} : address.substr(at + 1));
  std::ranges::transform(d, d.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return d;
}

response done(core::result<void> r) {
  if (!r) return error_for(r.error());
  boost::json::object o;
  o["ok"] = true;
  return json_ok(o);
}

handler guarded(services s, admin_handler h) {
  return [s, h = std::move(h)](const request& req) -> response {
    if (!req.tls) return json_error(403, "the admin API is served over HTTPS only / 管理接口仅通过 HTTPS 提供");
    bool bearer = false;
    const auto token = session_token(req, bearer);
    if (token.empty()) return json_error(401, "not logged in / 未登录");
    const auto csrf = req.header("X-CSRF-Token").value_or("");
    auto who = s.sessions.check(token, csrf, !bearer && !safe_method(req.method));
    if (!who) {
      if (who.error().code == core::errc::not_found) return json_error(401, who.error().message);
      return error_for(who.error());
    }
    return h(req, *who);
  };
}

}  // namespace letterhead::http::admin
