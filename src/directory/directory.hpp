#pragma once
// The directory: domains, accounts, aliases and catch-alls, with the rules that make
// them consistent (addresses well-formed and in one of our domains, passwords hashed
// with argon2id and checked against policy), authentication without user
// enumeration, and recipient resolution for delivery. Records live in the Store.
//
// Untrusted input: addresses and credentials from SMTP/IMAP/POP3 clients before
// authentication. Calls may block (store, argon2id): run them on the blocking pool.

#include <chrono>
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
#include "store/store.hpp"

namespace letterhead::directory {

// Where mail for one address goes.
struct resolution {
  std::vector<store::id_t> accounts;   // local accounts, each once
  std::vector<std::string> external;   // addresses outside our domains, each once
};

struct new_user {
  std::string address;
  std::string display_name;
  std::string password;  // empty = no password login until one is set
  std::uint64_t quota_bytes = 0;
};

class directory {
 public:
  explicit directory(store::store& store, password_cost cost = {});

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

  [[nodiscard]] core::result<bool> is_local_domain(std::string_view domain);

  // Where mail to `address` goes: account, alias (recursively, loops cut), or the
  // domain's catch-all. errc::not_found when the domain is ours and nothing matches;
  // an address in a foreign domain resolves to itself as external.
  [[nodiscard]] core::result<resolution> resolve(std::string_view address);

  // May the account use `from` as envelope sender or From: its own address or an
  // alias that delivers to it.
  [[nodiscard]] core::result<bool> may_send_as(const store::account& account, std::string_view from);

  [[nodiscard]] store::store& store() noexcept { return store_; }

 private:
  [[nodiscard]] core::result<void> resolve_into(const std::string& address, int depth,
                                                std::vector<std::string>& seen, resolution& out);
  [[nodiscard]] bool cached_login(const std::string& key, const store::account& account);
  void remember_login(const std::string& key, const store::account& account);
  [[nodiscard]] std::string login_cache_key(std::string_view username, std::string_view password) const;

  store::store& store_;
  password_cost cost_;
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
