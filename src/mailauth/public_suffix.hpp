#pragma once
// The Public Suffix List (https://publicsuffix.org/list/, Debian package
// `publicsuffix`): which names are registries ("com", "com.cn", "*.ck"), so that the
// organisational domain of a name is its public suffix plus one label (RFC 7489
// §3.2). Loaded once; a lookup costs one hash probe per label of the name.
//
// Rules in Unicode are stored in their A-label (xn--) form, the form names have in
// DNS and in most mail headers.

#include <string>
#include <string_view>
#include <unordered_set>

#include "core/error.hpp"

namespace letterhead::mailauth {

inline constexpr std::string_view default_public_suffix_file = "/usr/share/publicsuffix/public_suffix_list.dat";

class public_suffix_list {
 public:
  // Parses the list's text (rules one a line, "//" comments, "*." wildcards, "!"
  // exceptions). Both the ICANN and the private sections count.
  [[nodiscard]] static public_suffix_list parse(std::string_view text);
  // errc::not_found when the file cannot be read.
  [[nodiscard]] static core::result<public_suffix_list> load(const std::string& path);

  // The public suffix of a lower-case name without a trailing dot (the algorithm of
  // publicsuffix.org: exception rules win, then the longest match, then "*").
  [[nodiscard]] std::string public_suffix(std::string_view name) const;
  // RFC 7489 §3.2: the public suffix and one more label; the name itself when it is
  // a public suffix (or has no label to add).
  [[nodiscard]] std::string organizational_domain(std::string_view name) const;

  [[nodiscard]] std::size_t size() const noexcept { return rules_.size() + wildcards_.size() + exceptions_.size(); }

 private:
  std::unordered_set<std::string> rules_;       // "com.cn"
  std::unordered_set<std::string> wildcards_;   // "ck" for "*.ck"
  std::unordered_set<std::string> exceptions_;  // "www.ck" for "!www.ck"
};

}  // namespace letterhead::mailauth
