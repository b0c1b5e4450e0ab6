#pragma once
// The parse result: a tree of parts as byte ranges into the caller's buffer plus the
// decoded MIME fields each part needs (RFC 2045-2049). Everything IMAP's ENVELOPE,
// BODYSTRUCTURE and BODY[section] need is here or in section.hpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/byte_range.hpp"
#include "mime/content_type.hpp"
#include "mime/header.hpp"
#include "mime/transfer_encoding.hpp"

namespace letterhead::mime {

// Things wrong with a part that the parser worked around. Bits of part::defects.
enum class part_defect : std::uint32_t {
  malformed_header_lines = 1u << 0,  // lines that are neither a field nor a continuation
  invalid_content_type = 1u << 1,    // unparsable Content-Type: text/plain assumed (RFC 2045 §5.2)
  missing_boundary = 1u << 2,        // multipart without boundary: treated as text/plain
  unterminated_multipart = 1u << 3,  // no close delimiter before the end (RFC 2046 §5.1.1)
  no_body_parts = 1u << 4,           // multipart in which no delimiter line was found
  encoded_message = 1u << 5,         // message/rfc822 with base64/quoted-printable
                                     // (forbidden by RFC 2046 §5.2.1): not descended into
  header_truncated = 1u << 6,        // a header limit stopped the recording of fields
};

struct part {
  // The header section including the empty line that ends it (RFC 9051 §6.4.5 HEADER
  // and MIME); may be empty. The body follows directly: header.end == body.begin.
  byte_range header;
  // The body: for a child of a multipart it ends before the line break that precedes the
  // next delimiter, which belongs to the delimiter (RFC 2046 §5.1.1).
  byte_range body;
  std::vector<header_field> fields;
  std::size_t malformed_header_lines = 0;

  // Content-Type, lower-cased. Defaults: text/plain (RFC 2045 §5.2), message/rfc822 for
  // a child of multipart/digest (RFC 2046 §5.1.5).
  std::string type = "text";
  std::string subtype = "plain";
  std::vector<parameter> type_params;  // as in the header; no synthesized charset
  bool explicit_type = false;          // a valid Content-Type field was present

  transfer_encoding encoding = transfer_encoding::seven_bit;
  std::string encoding_name = "7bit";  // the token as written, lower-cased ("7bit" if absent)
  std::string content_id;              // unfolded and trimmed, angle brackets kept
  std::string content_description;     // decoded to UTF-8 (RFC 2047)
  std::string disposition;             // lower-case disposition type, empty if absent (RFC 2183)
  std::vector<parameter> disposition_params;
  std::vector<std::string> content_language;  // RFC 3282
  std::string content_location;               // RFC 2557 §4.2, whitespace removed

  std::size_t body_lines = 0;  // LF-terminated lines in body, plus a final unterminated one

  std::optional<std::size_t> parent;     // index in message::parts; none for the root
  std::vector<std::size_t> children;     // multipart children in order: numbered from 1
  std::size_t depth = 0;                 // root 0, each multipart or message level +1
  std::optional<std::size_t> embedded;   // message/rfc822 (or message/global): the root
                                         // part of the encapsulated message
  std::uint32_t defects = 0;             // part_defect bits

  [[nodiscard]] byte_range whole() const noexcept { return {header.begin, body.end}; }
  [[nodiscard]] bool is_multipart() const noexcept { return type == "multipart"; }
  [[nodiscard]] bool is_text() const noexcept { return type == "text"; }
  [[nodiscard]] bool has(part_defect d) const noexcept {
    return (defects & static_cast<std::uint32_t>(d)) != 0;
  }
  // The "charset" parameter as written; "us-ascii" for text/* without one (RFC 2046
  // §4.1.2); empty for other types without one.
  [[nodiscard]] std::string_view charset() const noexcept;
  // The file name (UTF-8): Content-Disposition "filename", else Content-Type "name".
  [[nodiscard]] std::string_view filename() const noexcept;
  [[nodiscard]] const parameter* type_param(std::string_view name) const noexcept {
    return find_parameter(type_params, name);
  }
};

struct message {
  // parts[0] is the root (the message itself); parts are in pre-order, so a parent
  // comes before its children and a message/rfc822 part before its embedded message.
  std::vector<part> parts;
  // A limit (depth, part count, header fields or size) stopped the parse somewhere; the
  // ranges that were recorded are still exact.
  bool truncated = false;

  [[nodiscard]] const part& root() const noexcept { return parts.front(); }
};

}  // namespace letterhead::mime
