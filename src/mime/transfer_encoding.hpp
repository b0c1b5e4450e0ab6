#pragma once
// Content-Transfer-Encoding decoding (RFC 2045 §6). Decoders are tolerant: mail in the
// wild breaks every rule, and a reader would rather see most of a body than none.

#include <string>
#include <string_view>

namespace letterhead::mime {

enum class transfer_encoding {
  seven_bit,         // "7bit", also the default (RFC 2045 §6.1)
  eight_bit,         // "8bit"
  binary,            // "binary"
  quoted_printable,  // "quoted-printable"
  base64,            // "base64"
  other,             // an unknown token (e.g. "x-uuencode"): bytes are passed through
};

// The encoding a Content-Transfer-Encoding value names (case-insensitive, CFWS trimmed).
// An empty value means the default, 7bit.
[[nodiscard]] transfer_encoding parse_transfer_encoding(std::string_view value) noexcept;

// RFC 2045 §6.8: characters outside the alphabet are ignored; "=" ends a 4-character
// group, so that concatenated padded chunks decode too; a trailing partial group is
// decoded as far as it carries whole bytes.
[[nodiscard]] std::string decode_base64(std::string_view encoded);

// RFC 2045 §6.7: "=XX" (either hex case), soft line breaks ("=" at the end of a line,
// also after trailing whitespace), trailing whitespace on a line removed (rule 3);
// a malformed "=" sequence is kept literally. Hard line breaks are kept as written.
[[nodiscard]] std::string decode_quoted_printable(std::string_view encoded);

// RFC 2047 §4.2: the Q encoding of encoded-words ("_" is a space, "=XX" a byte).
[[nodiscard]] std::string decode_q(std::string_view encoded);

// Decodes `body` according to `encoding`; identity for 7bit, 8bit, binary and other.
[[nodiscard]] std::string decode_transfer(std::string_view body, transfer_encoding encoding);

// RFC 2045 §6.8: base64 in lines of 76 characters, each ending in CRLF (none for
// empty input).
[[nodiscard]] std::string encode_base64(std::string_view bytes);

// RFC 2045 §6.7 for text in canonical form: CRLF (or a bare LF) is a hard line break
// written as CRLF; "=", bytes >= 0x7F, controls other than TAB (a bare CR too) become
// "=XX"; a space or TAB before a line break or at the end is encoded (rule 3); lines
// are cut with soft line breaks at 76 characters (rule 5). The result is 7-bit with
// lines of at most 76 characters, and decode_quoted_printable gives back `text` (with
// bare LFs as CRLF).
[[nodiscard]] std::string encode_quoted_printable(std::string_view text);

}  // namespace letterhead::mime
