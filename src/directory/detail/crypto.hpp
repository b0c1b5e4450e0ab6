#pragma once
// The primitives account security needs (OpenSSL underneath): HMAC-SHA-1 for TOTP
// (RFC 6238 §1.2, RFC 4226 §5), SHA-256, HMAC-SHA-256 and PBKDF2 for SCRAM
// (RFC 5802 §2.2, RFC 7677), random bytes, base64 (RFC 4648 §4) and base32 (§6).
// Private to directory/.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace letterhead::directory::detail {

[[nodiscard]] std::string hmac_sha1(std::string_view key, std::string_view data);
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);
[[nodiscard]] std::string sha256(std::string_view data);
// RFC 5802 §2.2 Hi(): PBKDF2 with HMAC-SHA-256, one block (32 bytes).
[[nodiscard]] std::string pbkdf2_sha256(std::string_view password, std::string_view salt, std::uint32_t iterations);
[[nodiscard]] std::string random_bytes(std::size_t n);
// Equal length and equal bytes, in time independent of where they differ.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Strict: padding required, nothing outside the alphabet.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// RFC 4648 §6 alphabet, without padding (as authenticator apps expect).
[[nodiscard]] std::string base32_encode(std::string_view bytes);
// Case-insensitive; spaces and padding ignored.
[[nodiscard]] std::optional<std::string> base32_decode(std::string_view text);

}  // namespace letterhead::directory::detail
