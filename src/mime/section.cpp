#include "mime/section.hpp"

#include <algorithm>

namespace letterhead::mime {
namespace {

bool is_message_top(const message& m, std::size_t i) {
  const part& p = m.parts[i];
  return !p.parent || m.parts[*p.parent].embedded == i;
}

}  // namespace

std::optional<std::size_t> find_section(const message& m, std::span<const std::uint32_t> path) {
  if (m.parts.empty()) return std::nullopt;
  std::size_t msg = 0;  // the message (or multipart) the next number indexes
  std::size_t cur = 0;
  for (std::size_t k = 0; k < path.size(); ++k) {
    const std::uint32_t n = path[k];
    const part& container = m.parts[msg];
    if (container.is_multipart()) {
      if (n == 0 || n > container.children.size()) return std::nullopt;
      cur = container.children[n - 1];
    } else {
      if (n != 1) return std::nullopt;  // a non-multipart message has only part 1
      cur = msg;
    }
    if (k + 1 == path.size()) break;
    const part& c = m.parts[cur];
    if (c.embedded) {
      msg = *c.embedded;
    } else if (c.is_multipart() && cur != msg) {
      msg = cur;
    } else {
      return std::nullopt;
    }
  }
  return cur;
}

std::optional<std::size_t> find_section_message(const message& m,
                                                std::span<const std::uint32_t> path) {
  if (m.parts.empty()) return std::nullopt;
  if (path.empty()) return 0;
  auto p = find_section(m, path);
  if (!p) return std::nullopt;
  return m.parts[*p].embedded;
}

section_path section_of(const message& m, std::size_t index) {
  section_path reversed;
  if (index >= m.parts.size()) return reversed;
  std::size_t i = index;
  for (;;) {
    const part& p = m.parts[i];
    if (is_message_top(m, i)) {
      if (!p.is_multipart()) reversed.push_back(1);
      if (!p.parent) break;
      i = *p.parent;
      continue;
    }
    const std::size_t parent = *p.parent;
    const auto& siblings = m.parts[parent].children;
    auto it = std::find(siblings.begin(), siblings.end(), i);
    reversed.push_back(static_cast<std::uint32_t>(it - siblings.begin() + 1));
    i = parent;
    if (is_message_top(m, parent)) {
      // A multipart that is a whole message has no number: its children are numbered
      // under the message.
      if (!m.parts[parent].parent) break;
      i = *m.parts[parent].parent;
    }
  }
  std::reverse(reversed.begin(), reversed.end());
  return reversed;
}

std::string to_string(std::span<const std::uint32_t> path) {
  std::string out;
  for (std::size_t k = 0; k < path.size(); ++k) {
    if (k > 0) out.push_back('.');
    out += std::to_string(path[k]);
  }
  return out;
}

std::optional<section_path> parse_section_path(std::string_view text) {
  section_path out;
  if (text.empty()) return out;
  std::uint64_t n = 0;
  bool digits = false;
  for (std::size_t k = 0; k <= text.size(); ++k) {
    if (k == text.size() || text[k] == '.') {
      if (!digits || n == 0) return std::nullopt;
      out.push_back(static_cast<std::uint32_t>(n));
      n = 0;
      digits = false;
      continue;
    }
    char c = text[k];
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n > UINT32_MAX) return std::nullopt;
    digits = true;
  }
  return out;
}

}  // namespace letterhead::mime
