#include "directory/address.hpp"

#include <fmt/format.h>

namespace letterhead::directory {
namespace {

bool is_atext(unsigned char c) {
  // RFC 5322 §3.2.3 atext, plus any non-ASCII byte (RFC 6531 §3.3 extends atext with UTF-8).
  if (c >= 0x80) return true;
  if (std::isalnum(c)) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

core::result<std::string> normalize_domain(std::string_view name) {
  std::string d = lower_ascii(name);
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.size() > 253) {
    return core::fail(core::errc::invalid, fmt::format("'{}' is not a valid domain name", name));
  }
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= d.size(); ++i) {
    if (i == d.size() || d[i] == '.') {
      const auto len = i - label_start;
      // RFC 1035 §2.3.4 / RFC 5890: labels of 1..63 octets, no leading/trailing hyphen.
      if (len == 0 || len > 63 || d[label_start] == '-' || d[i - 1] == '-') {
        return core::fail(core::errc::invalid, fmt::format("'{}' is not a valid domain name", name));
      }
      label_start = i + 1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(d[i]);
    if (!(std::isalnum(c) || c == '-')) {
      return core::fail(core::errc::invalid,
                        fmt::format("'{}' is not a valid domain name (use the xn-- form for "
                                    "international names)", name));
    }
  }
  return d;
}

core::result<address> parse_address(std::string_view text) {
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return core::fail(core::errc::invalid, fmt::format("'{}' is not an address (local@domain)", text));
  }
  const auto local = text.substr(0, at);
  // RFC 5321 §4.5.3.1.1: local part at most 64 octets.
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return core::fail(core::errc::invalid, fmt::format("'{}' has an invalid local part", text));
  }
  for (const char c : local) {
    if (c != '.' && !is_atext(static_cast<unsigned char>(c))) {
      return core::fail(core::errc::invalid, fmt::format("'{}' has an invalid local part", text));
    }
  }
  auto domain = normalize_domain(text.substr(at + 1));
  if (!domain) return std::unexpected(domain.error());
  return address{std::string(local), std::move(*domain)};
}

}  // namespace letterhead::directory
