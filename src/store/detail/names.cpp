#include "store/detail/names.hpp"

#include <algorithm>

namespace letterhead::store::detail {

namespace {

constexpr std::size_t max_address_length = 320;   // RFC 5321 §4.5.3.1: 64 + 1 + 255
constexpr std::size_t max_mailbox_name_length = 1024;
constexpr std::size_t max_keyword_length = 255;    // RFC 8621 §4.1.1

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

core::result<address_parts> parse_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return core::fail(core::errc::invalid,
                      "address \"" + std::string(address) + "\" is not of the form local@domain");
  }
  if (address.size() > max_address_length || has_control(address) ||
      address.find(' ') != std::string_view::npos) {
    return core::fail(core::errc::invalid, "address \"" + std::string(address) + "\" is not valid");
  }
  address_parts p;
  p.domain = ascii_lower(address.substr(at + 1));
  p.address = std::string(address.substr(0, at + 1)) + p.domain;
  p.key = ascii_lower(p.address);
  return p;
}

core::result<std::string> normalize_domain(std::string_view name) {
  if (name.empty() || name.size() > 255 || has_control(name) ||
      name.find_first_of(" @/") != std::string_view::npos) {
    return core::fail(core::errc::invalid, "domain name \"" + std::string(name) + "\" is not valid");
  }
  return ascii_lower(name);
}

core::result<std::string> normalize_mailbox_name(std::string_view name) {
  auto bad = [&](const char* why) {
    return core::fail(core::errc::invalid,
                      "mailbox name \"" + std::string(name) + "\" is not valid: " + why);
  };
  if (name.empty()) return bad("empty");
  if (name.size() > max_mailbox_name_length) return bad("too long");
  if (has_control(name)) return bad("control character");
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return bad("empty hierarchy level");
  }
  std::string out(name);
  auto first_end = out.find('/');
  auto first = std::string_view(out).substr(0, first_end);
  if (ascii_lower(first) == "inbox") out.replace(0, first.size(), "INBOX");
  return out;
}

std::vector<std::string> superior_names(std::string_view name) {
  std::vector<std::string> out;
  for (auto pos = name.find('/'); pos != std::string_view::npos; pos = name.find('/', pos + 1)) {
    out.emplace_back(name.substr(0, pos));
  }
  return out;
}

bool is_same_or_inferior(std::string_view name, std::string_view parent) {
  if (name == parent) return true;
  return name.size() > parent.size() && name.starts_with(parent) && name[parent.size()] == '/';
}

core::result<std::vector<std::string>> normalize_keywords(const std::vector<std::string>& keywords) {
  std::vector<std::string> out;
  out.reserve(keywords.size());
  for (const auto& k : keywords) {
    if (k.empty() || k.size() > max_keyword_length || has_control(k) ||
        k.find_first_of(" \\") != std::string::npos) {
      return core::fail(core::errc::invalid, "keyword \"" + k + "\" is not valid");
    }
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

std::string join_keywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (const auto& k : keywords) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view joined) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < joined.size()) {
    auto end = joined.find(' ', start);
    if (end == std::string_view::npos) end = joined.size();
    if (end > start) out.emplace_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_blob_hash(std::string_view hash) noexcept {
  if (hash.size() != 64) return false;
  return std::all_of(hash.begin(), hash.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace letterhead::store::detail
