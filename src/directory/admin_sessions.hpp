#pragma once
// Logged-in sessions of the admin API (issue 6): who may log in (holders of an admin
// role), with what (password, then a TOTP code: required for the roles the config
// names), and the session that follows (an opaque bearer token in a cookie plus a
// CSRF token the client repeats in a header on every state-changing request).
//
// SECURITY: the token is 256 random bits; only its SHA-256 is stored, so a copy of
// the database hands out no sessions. Sessions end after `idle` without use, after
// `lifetime` in any case, at logout, and as soon as the account is disabled, frozen
// or offboarded or loses its last admin role (checked on every request).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "directory/directory.hpp"
#include "directory/org.hpp"
#include "store/store.hpp"

namespace letterhead::directory {

struct admin_session_options {
  std::chrono::seconds idle{30 * 60};
  std::chrono::seconds lifetime{12 * 3600};
  // Roles whose holders must log in with TOTP. An admin of such a role who has not
  // enrolled cannot log in to the API until they do (`letterhead user totp enable`).
  std::vector<std::string> totp_required_roles{std::string(role_super_admin), std::string(role_domain_admin),
                                               std::string(role_department_admin)};
};

struct admin_login_result {
  std::string token;       // goes in the session cookie, never logged
  std::string csrf_token;  // the client sends it back in X-CSRF-Token
  store::account account;
  std::vector<store::role_grant> roles;
  store::unix_time expires = 0;
};

// The admin behind a request.
struct admin_principal {
  store::account account;
  actor who;
  std::vector<store::role_grant> roles;
  std::string csrf_token;
};

class admin_sessions {
 public:
  explicit admin_sessions(directory& dir, admin_session_options options = {})
      : dir_(dir), options_(std::move(options)) {}

  // errc::denied with a message fit for the client: invalid credentials (whatever
  // was wrong), not an administrator, TOTP required or wrong. Counts towards the
  // brute-force limits like any login (ctx.delay comes back set on failure).
  [[nodiscard]] core::result<admin_login_result> login(std::string_view address, std::string_view password,
                                                       std::string_view totp_code, login_context& ctx);
  // The principal for a session token: errc::not_found for no, an expired or a
  // revoked session (log in again), errc::denied for a wrong CSRF token or an account
  // no longer an admin. `csrf` is checked (constant time) when `need_csrf` (every
  // method but GET and HEAD).
  [[nodiscard]] core::result<admin_principal> check(std::string_view token, std::string_view csrf, bool need_csrf);
  [[nodiscard]] core::result<void> logout(std::string_view token);

  [[nodiscard]] const admin_session_options& options() const noexcept { return options_; }

 private:
  directory& dir_;
  admin_session_options options_;
};

// True for the roles that make an account an administrator of something.
[[nodiscard]] bool is_admin_role(std::string_view role) noexcept;

}  // namespace letterhead::directory
