#pragma once
// IMAP string output (RFC 9051 §4.3, RFC 3501 §4.3) shared by ENVELOPE and
// BODYSTRUCTURE: quoted strings where the grammar allows them, literals otherwise.

#include <span>
#include <string>
#include <string_view>

#include "mime/header.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/message.hpp"

namespace letterhead::mime::detail {

// Appends `s` as an IMAP string. Quoted when every byte is a TEXT-CHAR (%x01-7F except
// CR and LF), with "\" before '"' and '\' (RFC 9051 §4.3 quoted-specials); also quoted
// when options.utf8 and `s` is valid UTF-8 (RFC 6855 §3, RFC 9051 §9 QUOTED-CHAR
// UTF8-2/3/4). Otherwise a literal "{n}\r\n" + bytes (CHAR8, RFC 9051 §4.3). NUL may
// appear in neither form: it is replaced with U+FFFD.
void append_string(std::string& out, std::string_view s, const imap_output_options& options);

// NIL for nullopt-like absence is the caller's business; this writes NIL for `absent`.
void append_nstring(std::string& out, const std::string* s, const imap_output_options& options);

// ASCII upper case, for media types, parameter names and encodings in BODYSTRUCTURE.
[[nodiscard]] std::string upper(std::string_view s);

// The ENVELOPE list (RFC 9051 §7.5.2) from the header fields of one message.
void append_envelope(std::string& out, std::string_view bytes,
                     std::span<const header_field> fields, const imap_output_options& options);

// The ENVELOPE of a message/rfc822 (or message/global) part that has no parsed
// encapsulated message (a parse limit, or a forbidden base64/quoted-printable encoding,
// RFC 2046 §5.2.1): read from the header at the start of its body, or all NIL when the
// body is encoded.
void append_unparsed_envelope(std::string& out, std::string_view bytes, const part& p,
                              const imap_output_options& options);

}  // namespace letterhead::mime::detail
