#pragma once
// The admin API (issue 6): JSON over HTTPS under /api/v1/, documented in
// docs/admin-api.yaml (OpenAPI 3). Every operation calls the same directory/
// organisation function the CLI calls, as the logged-in admin, so permissions
// (a department admin stays inside their department) and the audit log are the
// same whichever way an admin works.
//
// Sessions (directory/admin_sessions.hpp): POST /api/v1/session with password and
// TOTP code sets an HttpOnly, Secure, SameSite=Strict cookie; state-changing
// requests must repeat the session's CSRF token in X-CSRF-Token. Scripts may send
// the token as "Authorization: Bearer" instead (no ambient credential, so no CSRF
// token). Plain HTTP is refused: the API answers only on the https listener.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "directory/admin_sessions.hpp"
#include "directory/directory.hpp"
#include "directory/org.hpp"
#include "http/router.hpp"

namespace letterhead::http::admin {

struct services {
  directory::directory& dir;
  directory::organisation& org;
  directory::admin_sessions& sessions;
  // Runs after a domain is added (app/ makes its DKIM keys, as `domain add` does).
  std::function<void(const std::string& domain, std::string_view actor)> domain_added;
  // Moderation (delivery/moderation.hpp, wired by app/): deliver a held message to
  // its group, answering how many local copies and queued recipients it made.
  std::function<core::result<std::pair<std::size_t, std::size_t>>(const directory::actor&, store::id_t)> approve_held;
  std::function<core::result<void>(const directory::actor&, store::id_t)> reject_held;
};

// Larger bodies get 413: no admin request comes near it.
inline constexpr std::size_t max_json_body = 64 * 1024;

void add_routes(router& r, services s);

}  // namespace letterhead::http::admin
