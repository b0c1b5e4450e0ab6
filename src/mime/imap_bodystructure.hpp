#pragma once
// IMAP BODYSTRUCTURE and BODY (RFC 9051 §7.5.2, RFC 3501 §7.4.2) and the decoded
// section content of BINARY (RFC 3516).
//
// Conventions (those of Cyrus and of the RFC's own examples; clients compare them
// case-insensitively): media type, subtype, parameter names, disposition type and
// transfer encoding in upper case; parameter values, ids, descriptions and locations as
// written, unfolded, not decoded. RFC 2231 parameters (whose charset the parser
// recorded) are sent in their extended form with their continuations joined, e.g.
// ("FILENAME*" "UTF-8''%E6%8A%A5.pdf"), as Dovecot does; RFC 2047 words in quoted
// values are left for the client to decode.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/message.hpp"

namespace letterhead::mime {

// The body structure of part `part_index` (0: the whole message). extensible=true gives
// BODYSTRUCTURE (with extension data: md5 always NIL, disposition, language, location;
// multiparts add their parameters), false gives BODY. A message/rfc822 part (or
// message/global, RFC 6532 §3.7) is written with the envelope and body structure of
// the message it encapsulates and its line count; pass the index of that message's
// root instead to describe just the encapsulated message.
//  - text/*: body-fld-lines is part::body_lines; without a charset parameter the
//    RFC 2045 §5.2 default ("CHARSET" "US-ASCII") is added.
//  - body-fld-octets: the body as stored (still transfer-encoded).
//  - Encoding "7BIT" when absent; id, description NIL when absent.
//  - A multipart without children (no delimiter found, or a parse limit) gets one
//    empty text/plain child: the grammar needs at least one (RFC 9051 §9 1*body).
//  - A message/rfc822 part whose content was not parsed (a parse limit, or a
//    forbidden base64/quoted-printable encoding) gets the envelope of the header at
//    the start of its body (NILs if encoded) and a text/plain body for the rest.
// An index out of range gives an empty text/plain structure.
[[nodiscard]] std::string imap_bodystructure(std::string_view bytes, const message& m,
                                             bool extensible, std::size_t part_index = 0,
                                             const imap_output_options& options = {});

// RFC 3516 §4.2 UNKNOWN-CTE: whether BINARY can decode part `part_index`'s
// Content-Transfer-Encoding (7bit, 8bit, binary, base64, quoted-printable).
[[nodiscard]] bool imap_binary_decodable(const message& m, std::size_t part_index) noexcept;

// BINARY[section] (RFC 3516 §4.2): the body of part `part_index` with its
// Content-Transfer-Encoding undone (no charset conversion). The empty section, the
// whole message, is sent as stored (see the section overload below). Errors: errc::not_found for an
// index out of range; errc::invalid with message "UNKNOWN-CTE" for an encoding we
// cannot decode (answer NO [UNKNOWN-CTE]).
[[nodiscard]] core::result<std::string> imap_binary(std::string_view bytes, const message& m,
                                                    std::size_t part_index);

// BINARY.SIZE[section] (RFC 3516 §4.2): the size of imap_binary's value (decodes: the
// caller may cache it). For an index out of range or an undecodable encoding: 0 (check
// imap_binary_decodable first to answer UNKNOWN-CTE).
[[nodiscard]] std::uint64_t imap_binary_size(std::string_view bytes, const message& m,
                                             std::size_t part_index);

// The same addressed by section part numbers ("1.2" is {1, 2}, section.hpp). The empty
// section is the whole message, returned as stored (RFC 3516 §4.2: nothing to decode
// at the top level). A section naming no part: errc::not_found (binary_size: 0).
[[nodiscard]] core::result<std::string> imap_binary(std::string_view bytes, const message& m,
                                                    std::span<const std::uint32_t> section);
[[nodiscard]] std::uint64_t imap_binary_size(std::string_view bytes, const message& m,
                                             std::span<const std::uint32_t> section);

}  // namespace letterhead::mime
