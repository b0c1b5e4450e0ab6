#pragma once
// Header sections (RFC 5322 §2.2, §3.6; RFC 6532 for UTF-8) as byte ranges, and the
// decoding of field values: unfolding (§2.2.3) and RFC 2047 encoded-words.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.hpp"
#include "mime/byte_range.hpp"
#include "mime/charset.hpp"

namespace letterhead::mime {

struct header_field {
  byte_range name;   // the field name, without whitespace before the colon
  byte_range value;  // after the colon up to the line break that ends the field; includes
                     // leading whitespace and the line breaks of folding
  byte_range whole;  // from the name through the final line break (CRLF or LF)
};

struct header_limits {
  std::size_t max_fields = core::limits{}.header_count;  // fields recorded per block
  std::size_t max_size = core::limits{}.header_size;     // bytes in which fields are recorded
};

struct header_block {
  // The header section through the empty line that ends it (when there is one): what
  // IMAP BODY[HEADER] returns (RFC 9051 §6.4.5). The body starts at range.end.
  byte_range range;
  std::vector<header_field> fields;
  bool has_separator = false;       // the block ended with an empty line
  std::size_t malformed_lines = 0;  // lines that are neither a field nor a continuation
  bool truncated = false;           // a limit stopped the recording of fields
};

// Parses the header block starting at `begin`. Lines end in LF, with or without CR
// before it (a bare CR is an ordinary byte: SMTP refuses or normalises it, DESIGN.md).
// Tolerates: whitespace before the colon (RFC 5322 §4.5.8 obs-optional); NUL and 8-bit
// bytes in values; lines without a colon (counted in malformed_lines and skipped). If
// the first line is not a field, the block is empty and everything is body (a message
// without header, as some tools write). Past the limits, fields are no longer recorded
// but the scan still finds the end of the block, so the body offset stays right.
// Linear in the size of the block.
[[nodiscard]] header_block parse_header_block(std::string_view bytes, std::size_t begin = 0,
                                              const header_limits& limits = {});

// RFC 5322 §2.2.3: removes the line breaks of folding (CR and LF), keeps the whitespace.
[[nodiscard]] std::string unfold(std::string_view raw_value);

// An unstructured field body (Subject, Comments, Content-Description) as UTF-8:
// unfolded, leading and trailing whitespace trimmed, RFC 2047 encoded-words decoded
// (adjacent words joined without the whitespace between them, §6.2; words in one
// charset converted together so characters split across words survive; an RFC 2231
// §5 language suffix accepted; malformed words left as written), raw 8-bit text per
// decode_options (RFC 6532 UTF-8 first). The result contains no CR, LF or NUL.
[[nodiscard]] std::string decode_unstructured(std::string_view raw_value,
                                              const decode_options& options = {});

// Field lookup by name, case-insensitively (RFC 5322 §1.2.2).
[[nodiscard]] const header_field* find_field(std::string_view bytes,
                                             std::span<const header_field> fields,
                                             std::string_view name) noexcept;
[[nodiscard]] std::vector<const header_field*> find_fields(std::string_view bytes,
                                                           std::span<const header_field> fields,
                                                           std::string_view name);

// Raw value bytes of the first field named `name` (including folding), or nullopt.
[[nodiscard]] std::optional<std::string_view> raw_value(std::string_view bytes,
                                                        std::span<const header_field> fields,
                                                        std::string_view name) noexcept;

// Decoded value (decode_unstructured) of the first / of every field named `name`.
[[nodiscard]] std::optional<std::string> header_value(std::string_view bytes,
                                                      std::span<const header_field> fields,
                                                      std::string_view name,
                                                      const decode_options& options = {});
[[nodiscard]] std::vector<std::string> header_values(std::string_view bytes,
                                                     std::span<const header_field> fields,
                                                     std::string_view name,
                                                     const decode_options& options = {});

}  // namespace letterhead::mime
