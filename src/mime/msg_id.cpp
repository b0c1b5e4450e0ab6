#include "mime/msg_id.hpp"

#include "mime/detail/ascii.hpp"
#include "mime/detail/lex.hpp"

namespace letterhead::mime {

std::vector<std::string> parse_msg_id_list(std::string_view s) {
  std::vector<std::string> out;
  if (s.find('<') == std::string_view::npos) {
    std::size_t i = 0;
    while (i < s.size()) {
      i = detail::skip_cfws(s, i);
      std::size_t begin = i;
      while (i < s.size() && !detail::is_space(s[i]) && s[i] != ',' && s[i] != '(') ++i;
      std::string_view word = s.substr(begin, i - begin);
      if (word.find('@') != std::string_view::npos) out.emplace_back(word);
      if (i < s.size() && s[i] == ',') ++i;
    }
    return out;
  }
  std::size_t i = 0;
  std::string ignored;
  while (i < s.size()) {
    char c = s[i];
    if (c == '(') {
      i = detail::skip_comment(s, i);
    } else if (c == '"') {
      ignored.clear();
      i = detail::read_quoted(s, i, ignored);  // a phrase of obs-in-reply-to
    } else if (c == '<') {
      std::string id;
      ++i;
      while (i < s.size() && s[i] != '>' && s[i] != '<') {
        if (s[i] == '(') {
          i = detail::skip_comment(s, i);  // RFC 5322 §4.5.4 allows CFWS in obs-id parts
          continue;
        }
        if (s[i] == '"') {
          // A quoted obs-id-left keeps its quotes and inner spaces: they are part of it.
          std::size_t end = s.find('"', i + 1);
          while (end != std::string_view::npos && s[end - 1] == '\\') end = s.find('"', end + 1);
          end = (end == std::string_view::npos) ? s.size() : end + 1;
          id.append(s.substr(i, end - i));
          i = end;
          continue;
        }
        if (!detail::is_space(s[i])) id.push_back(s[i]);
        ++i;
      }
      if (i < s.size() && s[i] == '>') ++i;
      if (!id.empty()) out.push_back(std::move(id));
    } else {
      ++i;
    }
  }
  return out;
}

std::optional<std::string> parse_msg_id(std::string_view raw_value) {
  auto ids = parse_msg_id_list(raw_value);
  if (ids.empty()) return std::nullopt;
  return std::move(ids.front());
}

}  // namespace letterhead::mime
