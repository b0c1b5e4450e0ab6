#pragma once
// Lexical pieces of RFC 5322 §3.2 (CFWS, comments, quoted strings) shared by the
// structured-field parsers. Every function is linear in what it consumes and accepts
// unterminated constructs by running to the end of the input.

#include <cstddef>
#include <string>
#include <string_view>

namespace letterhead::mime::detail {

// Skips a comment starting at s[i] == '(' (nested, with quoted-pairs; RFC 5322 §3.2.2).
// Appends the comment's text (without the outer parentheses) to *text if given.
std::size_t skip_comment(std::string_view s, std::size_t i, std::string* text = nullptr);

// Skips folding whitespace and comments (CFWS).
std::size_t skip_cfws(std::string_view s, std::size_t i);

// Reads a quoted-string starting at s[i] == '"' (RFC 5322 §3.2.4): appends its content
// with quoted-pairs resolved and line breaks of folding removed. Returns the index
// after the closing quote.
std::size_t read_quoted(std::string_view s, std::size_t i, std::string& out);

// RFC 2045 §5.1 token character: not SPACE, CTL or tspecials. 8-bit bytes are allowed
// so that raw UTF-8 (RFC 6532) and mislabelled 8-bit survive.
[[nodiscard]] constexpr bool is_token_char(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u == 0x7F) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
      return false;
    default:
      return true;
  }
}

}  // namespace letterhead::mime::detail
