#pragma once
// What every admin route goes through before its operation: HTTPS only, a valid
// session (cookie or bearer token), the CSRF token on state-changing requests, and
// errors turned into JSON answers.

#include <functional>
#include <string>
#include <string_view>

#include "directory/admin_sessions.hpp"
#include "http/admin/api.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace letterhead::http::admin {

// RFC 6265bis §4.1.3.2: the __Host- prefix makes browsers refuse the cookie unless it
// is Secure, Path=/ and without Domain, so a sibling subdomain cannot plant one.
inline constexpr std::string_view session_cookie = "__Host-lh_admin";

using admin_handler = std::function<response(const request&, const directory::admin_principal&)>;

// A router handler running `h` for a logged-in admin.
[[nodiscard]] handler guarded(services s, admin_handler h);

// The session token a request carries: "Authorization: Bearer", else the cookie.
// `bearer` tells which (a bearer token needs no CSRF token).
[[nodiscard]] std::string session_token(const request& req, bool& bearer);

// The path after `prefix` split at its first '/': ("alice@example.com", "freeze").
struct path_tail {
  std::string item;
  std::string action;
};
[[nodiscard]] path_tail split_tail(const request& req, std::string_view prefix);
// The same, split on the request-target as sent and percent-decoded afterwards, so an
// item may carry an encoded '/' ("Sales%2FEast" is the department path "Sales/East").
// Falls back to split_tail() when the target does not start with `prefix` literally.
[[nodiscard]] path_tail split_tail_encoded(const request& req, std::string_view prefix);

// Shared by the route files.
// The account at `address` if the admin may know it exists (organisation::
// may_see_account); otherwise errc::not_found with the same text as for a missing one.
[[nodiscard]] core::result<store::account> visible_account(services s, const directory::admin_principal& who,
                                                           std::string_view address);
[[nodiscard]] bool is_super(const directory::admin_principal& who);
// The domain of an address, lower case ("" without '@').
[[nodiscard]] std::string domain_of(std::string_view address);
// {"ok": true}, or the error's answer.
[[nodiscard]] response done(core::result<void> r);

// Helpers for route files: register one guarded route.
inline void add_guarded(router& r, services s, std::string method, std::string path, admin_handler h,
                        match kind = match::exact) {
  r.add(std::move(method), std::move(path), guarded(s, std::move(h)), {.kind = kind, .blocking = true});
}

// The routes of each area (routes_*.cpp).
void add_session_routes(router& r, services s);
void add_account_routes(router& r, services s);
void add_org_routes(router& r, services s);
void add_audit_routes(router& r, services s);
void add_policy_routes(router& r, services s);

}  // namespace letterhead::http::admin
