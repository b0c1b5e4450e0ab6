#pragma once
// Modified UTF-7 mailbox names (RFC 3501 §5.1.3; RFC 9051 §5.1.3 keeps it for clients
// that have not enabled UTF8=ACCEPT, RFC 6855 §3).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::imap::proto {

// Decodes a modified UTF-7 name to UTF-8. Strict: only printable US-ASCII may appear
// outside shifts; "&-" is "&"; a shift holds modified BASE64 (',' for '/') of UTF-16BE
// with well-paired surrogates, ends with '-', and has zero padding bits. A name that is
// not the canonical encoding of what it decodes to (a printable ASCII character or an
// empty text in a shift, two shifts in a row, an unterminated shift) is refused
// (errc::invalid), so every name has exactly one spelling on the wire.
[[nodiscard]] core::result<std::string> mutf7_decode(std::string_view name);

// Encodes UTF-8 to modified UTF-7. Ill-formed UTF-8 bytes are encoded as U+FFFD.
[[nodiscard]] std::string mutf7_encode(std::string_view utf8);

}  // namespace letterhead::imap::proto
