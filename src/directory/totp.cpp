#include "directory/totp.hpp"

#include <fmt/format.h>

#include "directory/detail/crypto.hpp"

namespace letterhead::directory {

namespace {

// RFC 3986 §2.3 unreserved characters stay, everything else is percent-encoded.
std::string uri_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::string hotp(std::string_view secret, std::uint64_t counter, int digits) {
  char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  const auto mac = detail::hmac_sha1(secret, std::string_view(msg, sizeof msg));
  // RFC 4226 §5.3 dynamic truncation.
  const auto offset = static_cast<std::size_t>(mac[19] & 0x0f);
  const std::uint32_t bin = (std::uint32_t(std::uint8_t(mac[offset]) & 0x7f) << 24) |
                            (std::uint32_t(std::uint8_t(mac[offset + 1])) << 16) |
                            (std::uint32_t(std::uint8_t(mac[offset + 2])) << 8) | std::uint8_t(mac[offset + 3]);
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  return fmt::format("{:0{}}", bin % mod, digits);
}

std::optional<std::int64_t> totp_match(std::string_view secret, std::string_view code, std::int64_t unix_time,
                                       std::int64_t last_used_step) {
  if (secret.empty() || code.size() != static_cast<std::size_t>(totp_digits)) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const auto now = totp_step(unix_time);
  std::optional<std::int64_t> found;
  // Every candidate is computed and compared, so the time taken says nothing about
  // which one matched.
  for (std::int64_t step = now - 1; step <= now + 1; ++step) {
    if (step < 0) continue;
    const bool equal = detail::constant_time_equal(hotp(secret, static_cast<std::uint64_t>(step)), code);
    if (equal && step > last_used_step && !found) found = step;
  }
  return found;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret) {
  const auto b32 = detail::base32_encode(secret);
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
                     uri_escape(issuer), uri_escape(account), b32, uri_escape(issuer), totp_digits,
                     totp_step_seconds);
}

}  // namespace letterhead::directory
