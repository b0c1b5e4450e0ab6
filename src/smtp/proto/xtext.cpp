#include "smtp/proto/xtext.hpp"

#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto {

namespace {

// RFC 3461 §4 xchar: "!" (33) to "~" (126) except "+" (43) and "=" (61).
constexpr bool is_xchar(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && c != '+' && c != '=';
}

// RFC 5322 §3.2.3 atom, as RFC 3461 §4.2 addr-type.
constexpr bool is_atext(char c) noexcept {
  if (detail::is_alnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

core::result<std::string> xtext_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      // RFC 3461 §4 hexchar = "+" 2(%x30-39 / %x41-46)
      if (i + 2 >= text.size()) {
        return core::fail(core::errc::invalid, "Invalid xtext");
      }
      int hi = detail::hex_value(text[i + 1]);
      int lo = detail::hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return core::fail(core::errc::invalid, "Invalid xtext");
      char decoded = static_cast<char>(hi * 16 + lo);
      if (detail::is_control(decoded)) return core::fail(core::errc::invalid, "Invalid xtext");
      out.push_back(decoded);
      i += 2;
    } else if (is_xchar(c)) {
      out.push_back(c);
    } else {
      return core::fail(core::errc::invalid, "Invalid xtext");
    }
  }
  return out;
}

std::string xtext_encode(std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) {
    if (is_xchar(c)) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('+');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

core::result<original_recipient> parse_orcpt(std::string_view value) {
  std::size_t semi = value.find(';');
  if (semi == std::string_view::npos || semi == 0) {
    return core::fail(core::errc::invalid, "Invalid ORCPT parameter");
  }
  std::string_view type = value.substr(0, semi);
  for (char c : type) {
    if (!is_atext(c)) return core::fail(core::errc::invalid, "Invalid ORCPT parameter");
  }
  auto address = xtext_decode(value.substr(semi + 1));
  if (!address || address->empty()) return core::fail(core::errc::invalid, "Invalid ORCPT parameter");
  return original_recipient{std::string(type), std::move(*address)};
}

}  // namespace letterhead::smtp::proto
