#pragma once
// Addresses of accounts and aliases as the directory keeps them: local@domain with
// a dot-atom local part (RFC 5322 §3.4.1; UTF-8 allowed per RFC 6531) and an ASCII
// domain name of LDH labels (RFC 5321 §4.1.2; IDNs are given in A-label form).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::directory {

struct address {
  std::string local;
  std::string domain;  // lower-case
  [[nodiscard]] std::string str() const { return local + "@" + domain; }
};

[[nodiscard]] core::result<std::string> normalize_domain(std::string_view name);
[[nodiscard]] core::result<address> parse_address(std::string_view text);
[[nodiscard]] std::string lower_ascii(std::string_view s);

}  // namespace letterhead::directory
