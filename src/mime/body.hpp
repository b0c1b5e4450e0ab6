#pragma once
// Bodies of parsed parts: transfer-decoded bytes, and text as UTF-8 for display and
// search (RFC 2045 §6, RFC 2046 §4.1.2).

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "mime/charset.hpp"
#include "mime/message.hpp"

namespace letterhead::mime {

// `base` with charset_hint set for decoding the header fields of part `index`: raw
// 8-bit header text is most likely in the charset of the part's text, so the hint is
// the part's own charset, or for a multipart or message the charset of its first text
// part (RFC 6532 UTF-8 is still tried first). US-ASCII and UTF-8 give no hint. The
// result refers to strings inside `m`: use it while `m` lives.
[[nodiscard]] decode_options decode_options_for(const message& m, std::size_t index,
                                                decode_options base = {});

// The body of `p` with its Content-Transfer-Encoding undone (base64, quoted-printable);
// other encodings are returned as stored. `bytes` is the buffer given to parse().
[[nodiscard]] std::string decoded_body(std::string_view bytes, const part& p);

// The body of a text/* part, transfer-decoded and converted from its charset to UTF-8.
// An unknown charset does not fail: the text is decoded as if unlabelled (UTF-8 if
// valid, else options.fallback_charset). So is a text/* part without a charset
// parameter or labelled us-ascii that is not plain ASCII. Not a text part: errc::invalid.
// Line breaks are kept as stored (CRLF or LF).
[[nodiscard]] core::result<std::string> text_body_utf8(std::string_view bytes, const part& p,
                                                       const decode_options& options = {});

}  // namespace letterhead::mime
