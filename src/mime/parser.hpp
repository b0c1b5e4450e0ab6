#pragma once
// The MIME parser: one pass over the message, no copies of it, bounded work.
//
// Input is untrusted (any byte from the network, before authentication on the MX).
// Guarantees: the input is never modified; time is linear in the input size times the
// number of open multipart levels a boundary-like line is compared against (at most
// max_depth); memory is proportional to the number of parts and recorded header fields,
// both capped. Reaching a limit sets message::truncated; nothing throws.

#include <cstddef>
#include <string_view>

#include "core/limits.hpp"
#include "mime/charset.hpp"
#include "mime/message.hpp"

namespace letterhead::mime {

// Defaults mirror core::limits ([limits] mime_depth, mime_parts, header_count,
// header_size); from_config() copies a loaded configuration.
struct parse_limits {
  // Deepest part created (the root is depth 0). Deeper structure stays inside the body
  // of the deepest part. Clamped to hard_max_depth: the parser recurses per level.
  std::size_t max_depth = core::limits{}.mime_depth;
  std::size_t max_parts = core::limits{}.mime_parts;
  std::size_t max_header_fields = core::limits{}.header_count;  // per part
  std::size_t max_header_size = core::limits{}.header_size;     // per part, in bytes
  // Header fields recorded in the whole message: without it, 10,000 parts of 1,000
  // three-byte fields would cost ~16 bytes of memory per input byte.
  std::size_t max_total_header_fields = 200'000;

  static constexpr std::size_t hard_max_depth = 256;

  [[nodiscard]] static parse_limits from_config(const core::limits& l) noexcept {
    parse_limits p;
    p.max_depth = l.mime_depth;
    p.max_parts = l.mime_parts;
    p.max_header_fields = l.header_count;
    p.max_header_size = l.header_size;
    return p;
  }
};

// Parses a message (RFC 5322 + MIME). `options` decides how raw 8-bit parameter values
// and Content-Description are turned into UTF-8. The result refers to `bytes` by
// offset; keep the bytes to use it.
[[nodiscard]] message parse(std::string_view bytes, const parse_limits& limits = {},
                            const decode_options& options = {});

}  // namespace letterhead::mime
