#pragma once
// Conversion of a message to 7-bit for a next hop without 8BITMIME or BINARYMIME
// (RFC 6152 §3, RFC 1652's advice: re-encode rather than bounce; RFC 3030 §3). A pure
// function of the bytes: the outbound queue calls it before DKIM signing, so that the
// signature covers what is sent.
//
// What changes:
//  - A leaf part whose body has 8-bit bytes (8bit, or no Content-Transfer-Encoding) is
//    re-encoded: text/* as quoted-printable, anything else as base64; a binary part
//    always as base64 (its line breaks need not be CRLF, RFC 2045 §2.9). Its
//    Content-Transfer-Encoding field is replaced, and MIME-Version added to a message
//    header that lacks it (RFC 2045 §4).
//  - message/rfc822 may not be base64 or quoted-printable (RFC 2046 §5.2.1): the
//    encapsulated message is converted in place and the part relabelled 7bit.
//    message/global, -headers and -delivery-status may be (RFC 6532 §3.5, RFC 6533
//    §6): they are base64'ed whole. message/partial and external-body must be 7bit
//    already (RFC 2046 §5.2.2, §5.2.3): 8-bit there fails.
//  - A multipart labelled 8bit or binary becomes 7bit (RFC 2045 §6.4) once its parts are.
//  - Raw 8-bit bytes in a header field: only unstructured text (Subject, Comments,
//    Content-Description) that is valid UTF-8 becomes RFC 2047 encoded-words (§5(1)).
//    Addresses, phrases, parameters and other fields fail: an encoded-word is not
//    allowed in an addr-spec (RFC 2047 §5(3)), rewriting structured fields risks
//    changing their meaning, and bytes that are not UTF-8 have no charset to name.
//
// Fails (errc::invalid, with a reason fit for a DSN) when a part cannot be converted or
// any 8-bit byte remains (a preamble, a malformed header line, structure cut by the
// parser's depth or part limits). Bounded: one parse (depth and parts capped by
// `limits`), no recursion here, output about 4/3 of the input at most plus headers.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "mime/parser.hpp"

namespace letterhead::mime {

// Whether the message can go to a server without 8BITMIME: no byte >= 0x80, no NUL.
[[nodiscard]] bool is_seven_bit(std::string_view bytes) noexcept;

// The message converted to 7-bit as described above; unchanged when already 7-bit.
[[nodiscard]] core::result<std::string> to_seven_bit(std::string_view message, const parse_limits& limits = {});

// RFC 2047 "B" encoded-words in UTF-8 for `utf8` (assumed valid), each at most 75
// characters (§2) and holding whole characters (§5), separated by CRLF SP (folding).
[[nodiscard]] std::string utf8_encoded_words(std::string_view utf8);

}  // namespace letterhead::mime
