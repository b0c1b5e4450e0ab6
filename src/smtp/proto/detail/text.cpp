#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto::detail {

bool is_valid_utf8(std::string_view s) noexcept {
  // RFC 3629 §4 UTF8-octets, byte ranges of the second octet per lead octet.
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto cont = [&](std::size_t at, unsigned lo, unsigned hi) {
    if (at >= n) return false;
    auto u = static_cast<unsigned char>(s[at]);
    return u >= lo && u <= hi;
  };
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
    } else if (c >= 0xc2 && c <= 0xdf) {
      if (!cont(i + 1, 0x80, 0xbf)) return false;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      unsigned lo = c == 0xe0 ? 0xa0 : 0x80;  // no overlong
      unsigned hi = c == 0xed ? 0x9f : 0xbf;  // no surrogates
      if (!cont(i + 1, lo, hi) || !cont(i + 2, 0x80, 0xbf)) return false;
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      unsigned lo = c == 0xf0 ? 0x90 : 0x80;  // no overlong
      unsigned hi = c == 0xf4 ? 0x8f : 0xbf;  // <= U+10FFFF
      if (!cont(i + 1, lo, hi) || !cont(i + 2, 0x80, 0xbf) || !cont(i + 3, 0x80, 0xbf)) {
        return false;
      }
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace letterhead::smtp::proto::detail
