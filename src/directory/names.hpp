#pragma once
// People's names: checks on display names, romanisation (ICU's Any-Latin, which is
// Han-Latin pinyin for Chinese), pinyin initials for the address list, and addresses
// made from names in a domain's format.
//
// Untrusted input: display names typed by admins (and, through the admin API later,
// by department admins). Names are UTF-8; invalid UTF-8 is refused.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::directory {

inline constexpr std::size_t max_display_name = 128;

// Refuses control characters, invalid UTF-8, more than max_display_name bytes, and
// names that mix the confusable alphabets Latin, Cyrillic and Greek (a homograph of
// a colleague's name is the classic impersonation trick). Han with Latin ("David 张")
// is allowed.
[[nodiscard]] core::result<void> check_display_name(std::string_view name);

// Lower-case ASCII romanisation, words separated by one space: "张伟" -> "zhang wei",
// "José Müller" -> "jose muller".
[[nodiscard]] std::string romanize(std::string_view name);

// What the address list matches a query against.
struct name_keys {
  std::string spaced;    // "zhang wei"
  std::string joined;    // "zhangwei"
  std::string initials;  // "zw"
};
[[nodiscard]] name_keys keys_for(std::string_view name);

// The supported per-domain formats, e.g. "first.last".
[[nodiscard]] const std::vector<std::string>& address_formats();
[[nodiscard]] bool is_address_format(std::string_view format);

// The local part for a name in a format. "first" and "last" follow the order in which
// the name is written: "Wei Zhang" -> wei.zhang, "张伟" (family name first) ->
// zhang.wei; Chinese compound surnames (欧阳, 司马, ...) stay one word. errc::invalid
// when nothing usable is left of the name.
[[nodiscard]] core::result<std::string> local_part_for(std::string_view name, std::string_view format);

}  // namespace letterhead::directory
