#pragma once
// The directory: domains, accounts, aliases and catch-alls, with the rules that make
// them consistent (addresses well-formed and in one of our domains, passwords hashed
// with argon2id and checked against policy), authentication without user
// enumeration, and recipient resolution for delivery. Records live in the Store.
//
// Untrusted input: addresses and credentials from SMTP/IMAP/POP3 clients before
// authentication. Calls may block (store, argon2id): run them on the blocking pool.

#include <chrono>
#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "directory/address.hpp"
#include "directory/password.hpp"
#include "directory/sasl.hpp"
#include "directory/security.hpp"
#include "store/store.hpp"

namespace letterhead::directory {

// Where mail for one address goes.
struct resolution {
  std::vector<store::id_t> accounts;   // local accounts, each once
  std::vector<std::string> external;   // addresses outside our domains, each once
  // Groups reached directly or through aliases (not through other groups): their
  // send policies apply (organisation::check_sender).
  std::vector<store::id_t> groups;
  // Moderated groups among those, left unexpanded when resolve_options::hold_moderated.
  std::vector<store::id_t> held_groups;
};

struct resolve_options {
  // Leave moderated groups unexpanded (in resolution::held_groups): delivery holds
  // the message for them. Approval resolves again without this.
  bool hold_moderated = false;
};

struct new_user {
  std::string address;
  std::string display_name;
  std::string password;  // empty = no password login until one is set
  // address "@domain": the local part is made from display_name in the domain's
  // address format (organisation::address_for), numbered on collision.
  std::uint64_t quota_bytes = 0;
};

class directory {
 public:
  explicit directory(store::store& store, password_cost cost = {}, security_options security = {});

  // --- administration (each records an audit entry with `actor`) ---
  [[nodiscard]] core::result<store::domain> add_domain(std::string_view name, std::string_view actor);
  [[nodiscard]] core::result<void> remove_domain(std::string_view name, std::string_view actor);
  [[nodiscard]] core::result<std::vector<store::domain>> list_domains();
  [[nodiscard]] core::result<void> set_catch_all(std::string_view domain, std::string_view target,
                                                 std::string_view actor);

  [[nodiscard]] core::result<store::account> add_user(const new_user& user, std::string_view actor);
  [[nodiscard]] core::result<void> set_password(std::string_view address, std::string_view password,
                                                std::string_view actor);
  [[nodiscard]] core::result<void> remove_user(std::string_view address, std::string_view actor);
  // RFC 9208 STORAGE limit in bytes, 0 = unlimited.
  [[nodiscard]] core::result<void> set_quota(std::string_view address, std::uint64_t bytes, std::string_view actor);
  [[nodiscard]] core::result<std::vector<store::account>> list_users(std::string_view domain);

  [[nodiscard]] core::result<void> add_alias(std::string_view alias,
                                             const std::vector<std::string>& targets,
                                             std::string_view actor);
  [[nodiscard]] core::result<void> remove_alias(std::string_view alias, std::string_view actor);
  [[nodiscard]] core::result<std::vector<store::alias>> list_aliases(std::string_view domain);

  // --- protocol-facing ---
  // Checks a login. Unknown users cost the same time as wrong passwords (no user
  // enumeration by timing), and both give the same error.
  [[nodiscard]] core::result<store::account> authenticate(std::string_view username,
                                                          std::string_view password);
  // The same for a protocol session: brute-force limits per IP and IP+account, app
  // passwords allowed for ctx.protocol, TOTP accounts limited to app passwords outside
  // HTTP, password change and expiry, login history and the new-network mail. On
  // failure ctx.delay says how long to wait before answering; refusal_text() says
  // what the client may be told.
  [[nodiscard]] core::result<store::account> authenticate(std::string_view username,
                                                          std::string_view password, login_context& ctx);
  // A SASL exchange (sasl.hpp) for `mechanism`; nullptr when it is not supported.
  [[nodiscard]] std::unique_ptr<sasl_exchange> start_sasl(std::string_view mechanism, const login_context& ctx);
  // For open sessions: false once the account is disabled, frozen or offboarded
  // (checked in the store at most every few seconds per account; never blocks when
  // the answer is fresh, see account_active_cached).
  [[nodiscard]] core::result<bool> account_active(store::id_t account);
  // The cached answer if it is fresh, without blocking; nullopt = ask account_active.
  [[nodiscard]] std::optional<bool> account_active_cached(store::id_t account);

  // Whether the domain is one of ours. The answer is remembered for a few seconds:
  // every message asks several times (RCPT, resolution, DMARC for its author's
  // domain). A domain added or removed elsewhere (the CLI, another node) takes
  // effect within local_domain_ttl, a no within not_local_ttl; through this
  // directory at once.
  [[nodiscard]] core::result<bool> is_local_domain(std::string_view domain);
  static constexpr std::chrono::seconds local_domain_ttl{5};
  static constexpr std::chrono::seconds not_local_ttl{2};

  // Where mail to `address` goes: account, alias (recursively, loops cut), or the
  // domain's catch-all. errc::not_found when the domain is ours and nothing matches;
  // an address in a foreign domain resolves to itself as external.
  [[nodiscard]] core::result<resolution> resolve(std::string_view address, const resolve_options& options = {});

  // May the account use `from` as envelope sender or From: its own address or an
  // alias that delivers to it.
  [[nodiscard]] core::result<bool> may_send_as(const store::account& account, std::string_view from);

  [[nodiscard]] store::store& store() noexcept { return store_; }

  // === account security and offboarding (issue 6 part B; security_*.cpp). Each
  // operation audits with `actor`. ===
  [[nodiscard]] core::result<store::password_policy> password_policy(std::string_view domain);
  [[nodiscard]] core::result<void> set_password_policy(std::string_view domain, const store::password_policy& p,
                                                       std::string_view actor);
  // The user's own change (webmail later; `letterhead user change-password`): checks
  // the old password, clears a required change.
  [[nodiscard]] core::result<void> change_own_password(std::string_view address, std::string_view old_password,
                                                       std::string_view new_password);
  // The user must set a new password at the next login.
  [[nodiscard]] core::result<void> require_password_change(std::string_view address, std::string_view actor);
  // Mails users whose password expires within their policy's warn_days (once per
  // password); returns how many went out. `serve` runs it hourly.
  [[nodiscard]] core::result<std::size_t> send_password_expiry_warnings(store::unix_time now);

  // TOTP (RFC 6238): enable returns the secret once; errc::exists when already on.
  [[nodiscard]] core::result<totp_enrolment> enable_totp(std::string_view address, std::string_view actor);
  [[nodiscard]] core::result<void> disable_totp(std::string_view address, std::string_view actor);
  [[nodiscard]] core::result<bool> totp_enabled(std::string_view address);
  // Seals every TOTP seed stored in an older form (plain, or not bound to its
  // account) in the current one; `serve` runs it at start. Returns how many.
  [[nodiscard]] core::result<std::size_t> reseal_totp_secrets();

  // An unguessable capability over `data` (moderation by reply, delivery/
  // moderation.hpp): 128 bits of HMAC-SHA-256 under the installation's secret key
  // (a per-process key when there is none), in lower-case base32. Nothing is stored:
  // the token is recomputed from what it names and compared in constant time.
  [[nodiscard]] std::string capability_token(std::string_view purpose, std::string_view data) const;
  [[nodiscard]] bool check_capability_token(std::string_view purpose, std::string_view data,
                                            std::string_view token) const;
  // Second factor of web and admin logins; a code is accepted once (errc::denied).
  [[nodiscard]] core::result<void> verify_totp(std::string_view address, std::string_view code,
                                               store::unix_time now);

  // App passwords: add returns the generated password once.
  [[nodiscard]] core::result<std::string> add_app_password(std::string_view address, std::string_view name,
                                                           const std::vector<std::string>& protocols,
                                                           std::string_view actor);
  [[nodiscard]] core::result<std::vector<store::app_password>> list_app_passwords(std::string_view address);
  [[nodiscard]] core::result<void> revoke_app_password(std::string_view address, std::string_view name,
                                                       std::string_view actor);

  [[nodiscard]] core::result<std::vector<store::login_event>> login_history(std::string_view address,
                                                                           std::size_t limit);
  [[nodiscard]] core::result<std::vector<store::login_throttle>> list_bans(store::unix_time now);
  // Lifts every block and failure count of the IP (alone and with any account).
  [[nodiscard]] core::result<std::size_t> unban(std::string_view ip, std::string_view actor);

  [[nodiscard]] core::result<offboard_report> offboard(std::string_view address, const offboard_options& o,
                                                       std::string_view actor);
  // Undoes offboard(): re-enables the account (unless it was frozen before), takes the
  // successor's access away, moves transferred mail back, returns list ownerships.
  // Revoked app passwords stay revoked. Like offboard(), one store transaction.
  [[nodiscard]] core::result<void> restore(std::string_view address, std::string_view actor,
                                           const std::function<core::result<void>(std::string_view)>& after_step = {});
  // A wrong second factor after a right password counts like a wrong password for
  // the brute-force limits: TOTP codes are only six digits.
  void note_second_factor_failure(login_context& ctx, const store::account& acc);
  // The success bookkeeping authenticate() deferred for ctx.second_factor_pending.
  void complete_login(const login_context& ctx, const store::account& acc);
  [[nodiscard]] core::result<void> freeze(std::string_view address, std::string_view actor);
  [[nodiscard]] core::result<void> unfreeze(std::string_view address, std::string_view actor);
  // RFC 3834 auto-replies for offboarded recipients of a delivered message: queued to
  // the sender at most once per sender per interval, never to the null sender, lists
  // or automatic mail. Returns how many were queued.
  [[nodiscard]] core::result<std::size_t> send_offboarding_replies(const std::vector<std::string>& recipients,
                                                                   std::string_view mail_from,
                                                                   std::string_view message);
  // === end of account security ===

 private:
  [[nodiscard]] core::result<void> resolve_into(const std::string& address, int depth,
                                                std::vector<std::string>& seen, resolution& out,
                                                const resolve_options& options);
  [[nodiscard]] bool cached_login(const std::string& key, const store::account& account);
  void remember_login(const std::string& key, const store::account& account);
  [[nodiscard]] std::string login_cache_key(std::string_view username, std::string_view password) const;

  // --- account security helpers (security_*.cpp) ---
  friend class scram_exchange;
  [[nodiscard]] core::result<store::account> account_for(std::string_view address);
  // Hashes, checks the domain's policy and history, derives SCRAM credentials and
  // stores it all; must_change as given.
  [[nodiscard]] core::result<void> store_new_password(const store::account& acc, std::string_view password,
                                                      bool must_change);
  // After the password (or SCRAM proof) was right: TOTP, required change, expiry.
  [[nodiscard]] core::result<void> check_login_allowed(const store::account& acc, login_protocol protocol,
                                                       bool app_password);
  [[nodiscard]] core::result<void> check_not_blocked(const login_context& ctx, store::id_t account);
  // Records a failed login; `count` = false for failures that guess nothing (a
  // disabled account is refused whatever the password), which leave the brute-force
  // counters alone, so that a leaver's phone polling from an office NAT does not get
  // the office's address blocked.
  void note_failure(login_context& ctx, store::id_t account, std::string_view result, bool count = true);
  void note_success(const login_context& ctx, const store::account& acc);
  // Puts a message into the account's INBOX (notices to the user).
  [[nodiscard]] core::result<void> deliver_notice(const store::account& acc, const std::string& message);

  store::store& store_;
  password_cost cost_;
  security_options security_;
  struct active_entry {
    bool active;
    std::chrono::steady_clock::time_point checked;
  };
  std::mutex active_mutex_;
  std::unordered_map<store::id_t, active_entry> active_cache_;
  struct local_answer {
    bool local;
    std::chrono::steady_clock::time_point asked;
  };
  std::mutex local_mutex_;
  std::unordered_map<std::string, local_answer> local_domains_;
  void forget_local_domains();
  std::string dummy_hash_;  // verified against for unknown users, to equalise timing

  // Verified logins, keyed by a keyed hash (BLAKE2b with a per-process random key) of
  // user and password, so that clients reconnecting often don't pay argon2id each
  // time; the password itself is never kept. Entries expire and are dropped when
  // the account's hash changes.
  struct cached {
    std::string password_hash;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex cache_mutex_;
  std::unordered_map<std::string, cached> login_cache_;
  std::string cache_key_;
};

}  // namespace letterhead::directory
