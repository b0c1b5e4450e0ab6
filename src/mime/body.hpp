#pragma once
// Bodies of parsed parts: transfer-decoded bytes, and text as UTF-8 for display and
// search (RFC 2045 §6, RFC 2046 §4.1.2).

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "mime/charset.hpp"
#include "mime/message.hpp"

namespace letterhead::mime {

// The body of `p` with its Content-Transfer-Encoding undone (base64, quoted-printable);
// other encodings are returned as stored. `bytes` is the buffer given to parse().
[[nodiscard]] std::string decoded_body(std::string_view bytes, const part& p);

// The body of a text/* part, transfer-decoded and converted from its charset to UTF-8.
// An unknown charset does not fail: the text is decoded as if unlabelled (UTF-8 if
// valid, else options.fallback_charset). A text/* part without a charset parameter
// that is not plain ASCII is treated the same way. Not a text part: errc::invalid.
// Line breaks are kept as stored (CRLF or LF).
[[nodiscard]] core::result<std::string> text_body_utf8(std::string_view bytes, const part& p,
                                                       const decode_options& options = {});

}  // namespace letterhead::mime
