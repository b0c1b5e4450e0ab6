#pragma once
// Account security (issue 6 part B): what a login brings with it (protocol, client
// address), the brute-force limits, and the records the admin commands return. The
// operations themselves are members of directory (directory.hpp, "account
// security"), implemented in security_*.cpp, so that the CLI and the admin API call
// the same function.
//
// Brute-force protection (SECURITY): failures are counted in the store (shared by
// every node) under two keys: the client's IP, and the IP with the account. Too many
// under IP+account blocks that pair only, so an attacker elsewhere cannot lock the
// real user out; too many from one IP blocks the IP for every account (the ban list).
// Blocked attempts are answered without checking the password. Each failure also
// asks the session to wait before answering, longer as the IP's failures grow.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/types.hpp"

namespace letterhead::directory {

enum class login_protocol { imap, pop3, smtp, http };

[[nodiscard]] constexpr const char* to_string(login_protocol p) noexcept {
  switch (p) {
    case login_protocol::imap: return "imap";
    case login_protocol::pop3: return "pop3";
    case login_protocol::smtp: return "smtp";
    case login_protocol::http: return "http";
  }
  return "?";
}

struct login_context {
  login_protocol protocol = login_protocol::imap;
  std::string remote_ip;  // "" = unknown: no per-IP counting
  // A second factor follows (admin logins): authenticate() leaves the success
  // bookkeeping (clearing the failure count, history, new-network mail) to
  // directory::complete_login once the second factor passed, so that a right
  // password does not reset the count of wrong TOTP codes.
  bool second_factor_pending = false;
  // Out: how long the session should wait before it answers a failure.
  std::chrono::milliseconds delay{0};
};

// [security] in the config.
struct security_options {
  std::uint32_t max_failures_per_ip = 30;       // within failure_window, then the IP is blocked
  std::uint32_t max_failures_per_account = 5;   // per IP+account within the window
  std::chrono::seconds failure_window{900};
  std::chrono::seconds ip_block{3600};
  std::chrono::seconds account_block{900};
  std::chrono::milliseconds max_delay{3000};    // cap of the per-failure delay
  std::size_t login_history = 500;              // events kept per account
  bool new_network_mail = true;                 // mail the user on a login from a new /24 or /64
  std::chrono::seconds auto_reply_interval{std::chrono::hours(24 * 7)};  // RFC 3834 §2 per sender
  std::string totp_issuer = "Letterhead";       // label in authenticator apps
  // Seals TOTP seeds at rest (secret_box.hpp); empty = stored as they are.
  std::string secret_key;
};

// The message that authenticate() uses for every failure the client must not learn
// more about (unknown user, wrong password, disabled account, wrong protocol).
inline constexpr std::string_view invalid_credentials_message = "invalid credentials";

// For a protocol session: the text to show when a login was refused for a reason the
// user should know (blocked, password change required or expired, TOTP account
// without an app password); empty for invalid credentials and server errors.
[[nodiscard]] std::string refusal_text(const core::error& e);

struct totp_enrolment {
  std::string secret_base32;
  std::string uri;  // otpauth://
};

struct offboard_options {
  std::string successor;
  bool forward = false;         // mail to the account also goes to the successor
  std::string auto_reply;       // text sent to senders (RFC 3834); empty = none
  bool transfer_mail = false;   // move the mail under "Offboarded/<address>" of the successor
  // Which of the leaver's groups the acting admin may manage: only their ownership
  // moves; the others keep the leaver as owner and are reported. Empty = all (the
  // local operator, or a super admin).
  std::function<bool(const store::group&)> may_move_group;
  // Fault injection for tests: called with "plan" once the plan is made (outside the
  // transaction), then inside it after each part (store::offboarding_plan::fault; the
  // same for restore); an error there rolls everything back.
  std::function<core::result<void>(std::string_view step)> after_step;
};

// What offboard() did, for the CLI to print.
struct offboard_report {
  std::size_t app_passwords_revoked = 0;
  std::size_t mailboxes_shared = 0;
  std::size_t messages_moved = 0;
  std::size_t groups_moved = 0;
  std::vector<std::string> groups_kept;  // owned, but outside the actor's scope
};

// "192.0.2.0/24" or "2001:db8:1:2::/64" for a client address; "" when unparsable.
[[nodiscard]] std::string login_network(std::string_view ip);

}  // namespace letterhead::directory
