#pragma once
// Secrets kept at rest in the store (TOTP seeds) are sealed with the installation's
// secret key, so that a copy of the database alone, such as a PostgreSQL backup,
// gives no second factors away. The key lives in a file beside the config
// (`[security] secret_key_file`); every node of a cluster needs the same file.
//
// Stored forms:
// - "lhs2" + 24-byte nonce + XChaCha20-Poly1305-IETF ciphertext whose additional
//   data names what the secret belongs to (the account id for a TOTP seed), so a
//   sealed value copied into another account's row does not open there;
// - "lhs1" + 24-byte nonce + XSalsa20-Poly1305 secretbox (not bound; still read);
// - anything else: a secret written before sealing existed, used as it is.
// The last two are re-sealed as "lhs2" (opened_secret::needs_reseal).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::directory {

inline constexpr std::size_t secret_key_bytes = 32;

// secret_key_bytes fresh random bytes, for a new key file.
[[nodiscard]] std::string make_secret_key();

// The key in `path`, made once if the file does not exist: written to a temporary
// file (O_EXCL, mode 0600), fsynced, then linked to `path` (which never replaces a
// key another process made first: both then use that one) and the directory
// fsynced, so a crash never leaves a short key file. An existing file of any other
// length than secret_key_bytes is refused with a message saying what to do (never
// replaced: sealed seeds depend on it).
[[nodiscard]] core::result<std::string> load_or_create_secret_key(const std::string& path);

// Seals `plain` under `key` (secret_key_bytes long), bound to `owner` (e.g. the
// account id as text). An empty key stores the secret as it is (unit tests and
// installations without a key file).
[[nodiscard]] std::string seal_secret(std::string_view key, std::string_view plain, std::string_view owner);

struct opened_secret {
  std::string plain;
  bool needs_reseal = false;  // an older stored form: seal it again with seal_secret()
};

// The secret back; errc::invalid when the sealed bytes were altered, sealed for
// another owner, or the key is not the one they were sealed with.
[[nodiscard]] core::result<opened_secret> open_secret(std::string_view key, std::string_view stored,
                                                      std::string_view owner);

}  // namespace letterhead::directory
