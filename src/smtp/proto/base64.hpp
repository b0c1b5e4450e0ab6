#pragma once
// Base64 (RFC 4648 §4) as SASL uses it in SMTP AUTH (RFC 4954 §4): the standard
// alphabet with padding, no line breaks, no whitespace.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::smtp::proto {

[[nodiscard]] std::string base64_encode(std::string_view bytes);

// Strict decoding: length a multiple of 4, padding only at the end, no other
// characters, unused bits zero (RFC 4648 §3.5 lets a decoder reject the rest; a
// client that means well never sends it). "" decodes to "".
[[nodiscard]] core::result<std::string> base64_decode(std::string_view text);

}  // namespace letterhead::smtp::proto
