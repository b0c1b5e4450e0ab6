#pragma once
// Offsets into the caller's message buffer. The parser never copies or rewrites the
// stored bytes: everything it reports about a message's layout is a byte_range.

#include <cstddef>
#include <string_view>

namespace letterhead::mime {

// Half-open range [begin, end) of byte offsets into the message given to parse().
struct byte_range {
  std::size_t begin = 0;
  std::size_t end = 0;

  [[nodiscard]] constexpr std::size_t size() const noexcept { return end - begin; }
  [[nodiscard]] constexpr bool empty() const noexcept { return end == begin; }
  friend constexpr bool operator==(const byte_range&, const byte_range&) = default;
};

// The bytes a range names. The range must come from a parse of these same bytes.
[[nodiscard]] constexpr std::string_view slice(std::string_view bytes, byte_range r) noexcept {
  return bytes.substr(r.begin, r.end - r.begin);
}

}  // namespace letterhead::mime
