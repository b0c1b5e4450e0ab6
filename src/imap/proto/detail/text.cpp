#include "imap/proto/detail/text.hpp"

namespace letterhead::imap::proto::detail {

std::int32_t next_code_point(std::string_view s, std::size_t& pos) noexcept {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = at(pos);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  std::size_t len = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2, cp = b0 & 0x1fu, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3, cp = b0 & 0x0fu, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    ++pos;
    return -1;
  }
  if (s.size() - pos < len) {
    ++pos;
    return -1;
  }
  for (std::size_t i = 1; i < len; ++i) {
    const unsigned char b = at(pos + i);
    if ((b & 0xc0u) != 0x80u) {
      ++pos;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3fu);
  }
  // RFC 3629 §3: no overlong forms, no surrogates, nothing above U+10FFFF.
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++pos;
    return -1;
  }
  pos += len;
  return static_cast<std::int32_t>(cp);
}

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    if (next_code_point(s, pos) < 0) return false;
  }
  return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace letterhead::imap::proto::detail
