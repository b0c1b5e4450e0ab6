#pragma once
// How many leading bytes of `text` are ASCII (below 0x80), eight at a time. Most mail
// text is ASCII, and a byte-by-byte look before the first other byte was a visible
// share of the MX's filtering (bench/README.md, issue 5).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace letterhead::core {

[[nodiscard]] inline std::size_t ascii_prefix(std::string_view text) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, text.data() + i, 8);
    if ((w & 0x8080808080808080ull) != 0) break;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
  return i;
}

}  // namespace letterhead::core
