#pragma once
// Secrets kept at rest in the store (TOTP seeds) are sealed with the installation's
// secret key (libsodium secretbox: XSalsa20-Poly1305), so that a copy of the
// database alone, such as a PostgreSQL backup, gives no second factors away. The key
// lives in a file beside the config (`[security] secret_key_file`); every node of a
// cluster needs the same file.
//
// Stored form: "lhs1" + 24-byte nonce + sealed bytes. A value without the prefix is
// a secret written before sealing existed and is used as it is.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::directory {

inline constexpr std::size_t secret_key_bytes = 32;

// secret_key_bytes fresh random bytes, for a new key file.
[[nodiscard]] std::string make_secret_key();

// Seals `plain` under `key` (secret_key_bytes long). An empty key stores the secret
// as it is (unit tests and installations without a key file).
[[nodiscard]] std::string seal_secret(std::string_view key, std::string_view plain);

// The secret back; errc::invalid when the sealed bytes were altered or the key is
// not the one they were sealed with.
[[nodiscard]] core::result<std::string> open_secret(std::string_view key, std::string_view stored);

}  // namespace letterhead::directory
