#include "smtp/proto/auth.hpp"

#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto {

core::result<auth_plain> decode_auth_plain(std::string_view base64) {
  using core::errc;
  using core::fail;
  auto decoded = base64_decode(base64);
  if (!decoded) return fail(errc::invalid, "Invalid base64 in authentication data");
  std::string_view msg = *decoded;
  // RFC 4616 §2: exactly two NULs separate the three fields.
  std::size_t first = msg.find('\0');
  if (first == std::string_view::npos) return fail(errc::invalid, "Invalid PLAIN authentication data");
  std::size_t second = msg.find('\0', first + 1);
  if (second == std::string_view::npos) return fail(errc::invalid, "Invalid PLAIN authentication data");
  if (msg.find('\0', second + 1) != std::string_view::npos) {
    return fail(errc::invalid, "Invalid PLAIN authentication data");
  }
  std::string_view authzid = msg.substr(0, first);
  std::string_view authcid = msg.substr(first + 1, second - first - 1);
  std::string_view password = msg.substr(second + 1);
  if (authcid.empty() || password.empty()) return fail(errc::invalid, "Invalid PLAIN authentication data");
  if (authzid.size() > max_auth_identity_length || authcid.size() > max_auth_identity_length ||
      password.size() > max_auth_password_length) {
    return fail(errc::invalid, "Authentication data too long");
  }
  if (!detail::is_valid_utf8(authzid) || !detail::is_valid_utf8(authcid)) {
    return fail(errc::invalid, "Invalid UTF-8 in authentication data");
  }
  return auth_plain{std::string(authzid), std::string(authcid), std::string(password)};
}

}  // namespace letterhead::smtp::proto
