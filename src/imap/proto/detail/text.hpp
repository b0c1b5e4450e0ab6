#pragma once
// Character classes of the IMAP grammar (RFC 9051 §9) and small text helpers private
// to imap/proto. ASCII only on purpose: <cctype> depends on the C locale.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace letterhead::imap::proto::detail {

[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_alpha(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
[[nodiscard]] constexpr bool is_8bit(char c) noexcept { return static_cast<unsigned char>(c) >= 0x80; }
// RFC 9051 §9 CTL: %x00-1F / %x7F.
[[nodiscard]] constexpr bool is_ctl(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
// RFC 9051 §9 ATOM-CHAR = <any CHAR except atom-specials>; atom-specials = "(" / ")" /
// "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials.
[[nodiscard]] constexpr bool is_atom_char(char c) noexcept {
  if (is_8bit(c) || is_ctl(c)) return false;
  switch (c) {
    case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}
// RFC 9051 §9 ASTRING-CHAR = ATOM-CHAR / resp-specials.
[[nodiscard]] constexpr bool is_astring_char(char c) noexcept { return is_atom_char(c) || c == ']'; }
// RFC 9051 §9 tag = 1*<any ASTRING-CHAR except "+">.
[[nodiscard]] constexpr bool is_tag_char(char c) noexcept { return is_astring_char(c) && c != '+'; }
// RFC 9051 §9 list-char = ATOM-CHAR / list-wildcards / resp-specials.
[[nodiscard]] constexpr bool is_list_char(char c) noexcept {
  return is_astring_char(c) || c == '%' || c == '*';
}

[[nodiscard]] constexpr char to_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_upper(a[i]) != to_upper(b[i])) return false;
  }
  return true;
}
[[nodiscard]] inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_upper(c);
  return out;
}

// Well-formed UTF-8 per RFC 3629 §4 (no overlong forms, no surrogates, <= U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view s) noexcept;

// Decodes one code point of well-formed UTF-8 at s[pos], advancing pos; -1 when the
// bytes there are not well-formed (pos then advances by one).
[[nodiscard]] std::int32_t next_code_point(std::string_view s, std::size_t& pos) noexcept;

// Appends the UTF-8 form of a scalar value (cp <= U+10FFFF, not a surrogate).
void append_utf8(std::string& out, std::uint32_t cp);

}  // namespace letterhead::imap::proto::detail
