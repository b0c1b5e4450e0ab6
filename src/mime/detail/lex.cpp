#include "mime/detail/lex.hpp"

#include "mime/detail/ascii.hpp"

namespace letterhead::mime::detail {

std::size_t skip_comment(std::string_view s, std::size_t i, std::string* text) {
  // Depth is a counter, not recursion: a line of a million "(" costs nothing extra.
  std::size_t depth = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      ++i;
      if (text) text->push_back(s[i]);
      continue;
    }
    if (c == '(') {
      if (depth++ > 0 && text) text->push_back(c);
      continue;
    }
    if (c == ')') {
      if (--depth == 0) return i + 1;
      if (text) text->push_back(c);
      continue;
    }
    if (text && c != '\r' && c != '\n') text->push_back(c);
  }
  return s.size();
}

std::size_t skip_cfws(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      i = skip_comment(s, i);
    } else {
      break;
    }
  }
  return i;
}

std::size_t read_quoted(std::string_view s, std::size_t i, std::string& out) {
  ++i;  // the opening quote
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      out.push_back(s[++i]);
    } else if (c == '"') {
      return i + 1;
    } else if (c != '\r' && c != '\n') {
      out.push_back(c);
    }
  }
  return s.size();
}

}  // namespace letterhead::mime::detail
