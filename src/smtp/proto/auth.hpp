#pragma once
// SASL message grammar for SMTP AUTH (RFC 4954): PLAIN (RFC 4616) and the prompts of
// the LOGIN mechanism (draft-murchison-sasl-login). What the credentials mean is
// directory/'s business; this only takes the client's bytes apart.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "smtp/proto/base64.hpp"

namespace letterhead::smtp::proto {

// RFC 4616 §2: authcid and passwd must be accepted up to 255 octets; we allow
// authzid/authcid up to 255 and passwords up to 1024.
inline constexpr std::size_t max_auth_identity_length = 255;
inline constexpr std::size_t max_auth_password_length = 1024;

struct auth_plain {
  std::string authzid;  // "" when absent: act as authcid
  std::string authcid;
  std::string password;
};

// RFC 4616 §2 message = [authzid] UTF8NUL authcid UTF8NUL passwd, base64-encoded
// (RFC 4954 §4). authcid and password must not be empty; authzid and authcid must be
// UTF-8; none may hold NUL. The password bytes are not checked for UTF-8 (RFC 4616
// asks for it, but rejecting a legacy client's Latin-1 password gains nothing).
[[nodiscard]] core::result<auth_plain> decode_auth_plain(std::string_view base64);

// RFC 4954 §4: a client answers "*" to cancel the exchange (the server replies 501).
[[nodiscard]] constexpr bool is_auth_cancel(std::string_view line) noexcept { return line == "*"; }

// The LOGIN mechanism's prompts, already base64 for a "334 " reply.
inline constexpr std::string_view auth_login_username_prompt = "VXNlcm5hbWU6";  // "Username:"
inline constexpr std::string_view auth_login_password_prompt = "UGFzc3dvcmQ6";  // "Password:"

}  // namespace letterhead::smtp::proto
