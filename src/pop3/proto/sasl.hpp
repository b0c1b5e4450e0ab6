#pragma once
// SASL for POP3 AUTH (RFC 5034): base64 (RFC 4648 §4) and the PLAIN mechanism's
// message (RFC 4616 §2). What the credentials mean is directory/'s business.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::pop3::proto {

// RFC 5034 §4: client responses are not bound by the 255-octet command limit; we
// accept lines up to this many octets while an AUTH exchange waits for one.
inline constexpr std::size_t max_sasl_response_length = 12288;

// RFC 4616 §2: authcid and passwd must be accepted up to 255 octets; we allow
// identities up to 255 and passwords up to 1024.
inline constexpr std::size_t max_sasl_identity_length = 255;
inline constexpr std::size_t max_sasl_password_length = 1024;

[[nodiscard]] std::string base64_encode(std::string_view bytes);

// Strict: standard alphabet, padding only at the end, length a multiple of 4, unused
// bits zero (RFC 4648 §3.5 lets a decoder refuse the rest). "" decodes to "".
[[nodiscard]] core::result<std::string> base64_decode(std::string_view text);

struct plain_credentials {
  std::string authzid;  // "" when absent
  std::string authcid;
  std::string password;
};

// RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd, base64-encoded.
// authcid and password must not be empty; nothing may hold NUL; identities must be
// UTF-8. Passwords are not checked for UTF-8 (a legacy client's Latin-1 password
// harms nobody).
[[nodiscard]] core::result<plain_credentials> decode_plain(std::string_view base64);

}  // namespace letterhead::pop3::proto
