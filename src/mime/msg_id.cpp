#include "mime/msg_id.hpp"

#include <algorithm>

#include "mime/detail/ascii.hpp"
#include "mime/detail/lex.hpp"

namespace letterhead::mime {
namespace {

constexpr std::size_t max_ids = 10'000;

// Keeps the first id and the last max_ids - 1: threading needs the root and the nearest
// parents of a References field, so a hostile one is trimmed in the middle.
class id_collector {
 public:
  void add(std::string id) {
    if (!have_first_) {
      first_ = std::move(id);
      have_first_ = true;
    } else if (tail_.size() < max_ids - 1) {
      tail_.push_back(std::move(id));
    } else {
      tail_[next_] = std::move(id);
      next_ = (next_ + 1) % tail_.size();
    }
  }
  std::vector<std::string> finish() {
    std::vector<std::string> out;
    if (!have_first_) return out;
    out.reserve(tail_.size() + 1);
    out.push_back(std::move(first_));
    std::rotate(tail_.begin(), tail_.begin() + static_cast<std::ptrdiff_t>(next_), tail_.end());
    for (auto& id : tail_) out.push_back(std::move(id));
    return out;
  }

 private:
  std::string first_;
  bool have_first_ = false;
  std::vector<std::string> tail_;
  std::size_t next_ = 0;
};

}  // namespace

std::vector<std::string> parse_msg_id_list(std::string_view s) {
  id_collector out;
  if (s.find('<') == std::string_view::npos) {
    std::size_t i = 0;
    while (i < s.size()) {
      i = detail::skip_cfws(s, i);
      std::size_t begin = i;
      while (i < s.size() && !detail::is_space(s[i]) && s[i] != ',' && s[i] != '(') ++i;
      std::string_view word = s.substr(begin, i - begin);
      if (word.find('@') != std::string_view::npos) out.add(std::string(word));
      if (i < s.size() && s[i] == ',') ++i;
    }
    return out.finish();
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
      if (!id.empty()) out.add(std::move(id));
    } else {
      ++i;
    }
  }
  return out.finish();
}

std::optional<std::string> parse_msg_id(std::string_view raw_value) {
  auto ids = parse_msg_id_list(raw_value);
  if (ids.empty()) return std::nullopt;
  return std::move(ids.front());
}

}  // namespace letterhead::mime
