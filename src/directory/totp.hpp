#pragma once
// TOTP (RFC 6238) as authenticator apps use it: HMAC-SHA-1, 6 digits, 30-second
// steps from the Unix epoch, and one step of clock drift either way (RFC 6238 §5.2).
// Replays are refused by the caller, which remembers the last accepted step.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace letterhead::directory {

inline constexpr std::int64_t totp_step_seconds = 30;
inline constexpr int totp_digits = 6;
inline constexpr std::size_t totp_secret_bytes = 20;  // RFC 4226 §4 R6: 160 bits recommended

// RFC 4226 §5.3: the HOTP value for `counter`, as `digits` decimal digits.
[[nodiscard]] std::string hotp(std::string_view secret, std::uint64_t counter, int digits = totp_digits);

// RFC 6238 §4.2: T = floor(unix_time / 30).
[[nodiscard]] constexpr std::int64_t totp_step(std::int64_t unix_time) noexcept {
  return unix_time / totp_step_seconds;
}

// The step (current, one before or one after) whose code is `code`, if any, and only
// when it is above `last_used_step` (a code is accepted once). Codes of another
// length or with non-digits never match.
[[nodiscard]] std::optional<std::int64_t> totp_match(std::string_view secret, std::string_view code,
                                                     std::int64_t unix_time, std::int64_t last_used_step);

// The Key Uri Format authenticator apps read from a QR code:
// otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
[[nodiscard]] std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace letterhead::directory
