#pragma once
// Password hashing with argon2id (libsodium's crypto_pwhash_str), and a check of
// a password against a stored hash in constant time. Hashing is slow on purpose:
// call these on the blocking pool, never on an io thread.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/types.hpp"

namespace letterhead::directory {

// argon2id with t=2 passes over m=19 MiB (OWASP's floor for argon2id), one lane:
// about 40 ms on the 2-core reference machine.
struct password_cost {
  unsigned long long ops = 2;
  std::size_t memory = 19u * 1024 * 1024;
};

[[nodiscard]] core::result<std::string> hash_password(std::string_view password,
                                                      const password_cost& cost = {});

// True when the password matches the stored argon2id string.
[[nodiscard]] bool verify_password(std::string_view stored_hash, std::string_view password);

// The rules every new password must pass under the default policy; returns a
// message for the user when not.
[[nodiscard]] core::result<void> check_password_policy(std::string_view password,
                                                       std::string_view address);

// The same under a domain's policy: length, character classes, not containing the
// address's local part or the display name (or their parts of 3+ characters), and
// not on the common-password list (common_passwords.hpp). History is the caller's
// (it needs the stored hashes). Messages are in English and Chinese.
[[nodiscard]] core::result<void> check_password_policy(std::string_view password, std::string_view address,
                                                       std::string_view display_name,
                                                       const store::password_policy& policy);

}  // namespace letterhead::directory
