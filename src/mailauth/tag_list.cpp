#include "mailauth/tag_list.hpp"

#include <fmt/format.h>

namespace letterhead::mailauth {

namespace {

constexpr bool is_fws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string_view trim_fws(std::string_view s) noexcept {
  while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
  return s;
}

// tag-name = ALPHA *ALNUMPUNC (RFC 6376 §3.2)
bool valid_name(std::string_view n) noexcept {
  if (n.empty() || !is_alpha(n.front())) return false;
  for (char c : n) {
    if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

// VALCHAR = %x21-3A / %x3C-7E, with FWS between tvals. Octets above 0x7E are
// tolerated (UTF-8 in n= notes is seen in deployed records); other controls are not.
bool valid_value(std::string_view v) noexcept {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_fws(ch)) continue;
    if (c < 0x21 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

const tag* tag_list::find(std::string_view name) const noexcept {
  for (const auto& t : tags) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::optional<std::string_view> tag_list::value(std::string_view name) const noexcept {
  if (const auto* t = find(name)) return t->value;
  return std::nullopt;
}

core::result<tag_list> parse_tag_list(std::string_view text) {
  tag_list out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    // ";" never occurs inside a tag-value (VALCHAR excludes it), so each segment
    // between semicolons is exactly one tag-spec.
    std::size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view spec = text.substr(pos, end - pos);
    if (!trim_fws(spec).empty()) {
      const std::size_t eq = spec.find('=');
      if (eq == std::string_view::npos) {
        return core::fail(core::errc::invalid, "tag without '='");
      }
      const std::string_view name = trim_fws(spec.substr(0, eq));
      if (!valid_name(name)) return core::fail(core::errc::invalid, "invalid tag name");
      const std::string_view raw_value = spec.substr(eq + 1);
      if (!valid_value(raw_value)) {
        return core::fail(core::errc::invalid, fmt::format("invalid character in tag {}=", name));
      }
      if (out.find(name) != nullptr) {
        return core::fail(core::errc::invalid, fmt::format("duplicate tag {}=", name));
      }
      if (out.tags.size() == max_tags) return core::fail(core::errc::invalid, "too many tags");
      out.tags.push_back(tag{name, trim_fws(raw_value), pos + eq + 1, end});
    }
    if (end == text.size()) break;
    pos = end + 1;
  }
  return out;
}

std::string strip_fws(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (!is_fws(c)) out.push_back(c);
  }
  return out;
}

std::vector<std::string_view> split_colon_list(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t colon = value.find(':', pos);
    const std::size_t end = colon == std::string_view::npos ? value.size() : colon;
    out.push_back(trim_fws(value.substr(pos, end - pos)));
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return out;
}

}  // namespace letterhead::mailauth
