#include "directory/names.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <unicode/translit.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace letterhead::directory {
namespace {

// ICU transliterators are not safe for concurrent use: one per thread.
icu::Transliterator* latin_transliterator() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode ec = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> out(
        icu::Transliterator::createInstance("Any-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, ec));
    if (U_FAILURE(ec)) out.reset();
    return out;
  }();
  return t.get();
}

// Two-character Chinese surnames (复姓) that must not be split into two words.
constexpr std::string_view compound_surnames[] = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
    "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "澹台",
};

bool has_han(std::string_view s) {
  std::int32_t i = 0;
  const auto n = static_cast<std::int32_t>(s.size());
  while (i < n) {
    UChar32 c = 0;
    U8_NEXT(s.data(), i, n, c);
    UErrorCode ec = U_ZERO_ERROR;
    if (c >= 0 && uscript_getScript(c, &ec) == USCRIPT_HAN) return true;
  }
  return false;
}

// Keeps [a-z0-9] of a romanised word.
std::string clean_word(std::string_view w) {
  std::string out;
  for (const char c : w) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
  }
  return out;
}

std::vector<std::string> words(std::string_view spaced) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < spaced.size()) {
    auto j = spaced.find(' ', i);
    if (j == std::string_view::npos) j = spaced.size();
    auto w = clean_word(spaced.substr(i, j - i));
    if (!w.empty()) out.push_back(std::move(w));
    i = j + 1;
  }
  return out;
}

// (written-first part, written-last part) of a name, romanised.
std::pair<std::string, std::string> name_parts(std::string_view name) {
  const auto w = words(romanize(name));
  if (w.empty()) return {};
  if (w.size() == 1) return {w[0], ""};
  if (has_han(name)) {
    // One syllable per character: the surname is the first (two for a compound one).
    std::size_t surname = 1;
    for (const auto c : compound_surnames) {
      if (name.starts_with(c)) surname = 2;
    }
    if (surname >= w.size()) surname = w.size() - 1;
    std::string first, last;
    for (std::size_t i = 0; i < w.size(); ++i) (i < surname ? first : last) += w[i];
    return {first, last};
  }
  return {w.front(), w.back()};
}

}  // namespace

core::result<void> check_display_name(std::string_view name) {
  if (name.size() > max_display_name) {
    return core::fail(core::errc::invalid, fmt::format("a name has at most {} bytes", max_display_name));
  }
  std::set<int> alphabets;
  std::int32_t i = 0;
  const auto n = static_cast<std::int32_t>(name.size());
  while (i < n) {
    UChar32 c = 0;
    U8_NEXT(name.data(), i, n, c);
    if (c < 0) return core::fail(core::errc::invalid, "the name is not valid UTF-8");
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029) {
      return core::fail(core::errc::invalid, "the name contains control characters");
    }
    UErrorCode ec = U_ZERO_ERROR;
    const auto script = uscript_getScript(c, &ec);
    if (script == USCRIPT_LATIN || script == USCRIPT_CYRILLIC || script == USCRIPT_GREEK) alphabets.insert(script);
  }
  if (alphabets.size() > 1) {
    return core::fail(core::errc::invalid,
                      "the name mixes Latin, Cyrillic or Greek letters (look-alike characters are refused)");
  }
  return {};
}

std::string romanize(std::string_view name) {
  auto* t = latin_transliterator();
  std::string out;
  // ASCII is Latin already (the transliterator would only lower-case it, which the
  // loop below does): most names in mail headers skip ICU.
  const bool ascii = std::ranges::all_of(name, [](unsigned char c) { return c < 0x80; });
  if (t != nullptr && !ascii) {
    auto u = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), static_cast<std::int32_t>(name.size())));
    t->transliterate(u);
    u.toUTF8String(out);
  } else {
    out = std::string(name);
  }
  // One space between words, ASCII only.
  std::string spaced;
  for (const char c : out) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '\'';
    if (word) {
      spaced += c;
    } else if (c >= 'A' && c <= 'Z') {
      spaced += static_cast<char>(c - 'A' + 'a');
    } else if (!spaced.empty() && spaced.back() != ' ') {
      spaced += ' ';
    }
  }
  while (!spaced.empty() && spaced.back() == ' ') spaced.pop_back();
  return spaced;
}

name_keys keys_for(std::string_view name) {
  name_keys k;
  k.spaced = romanize(name);
  for (const auto& w : words(k.spaced)) {
    k.joined += w;
    k.initials += w.front();
  }
  return k;
}

const std::vector<std::string>& address_formats() {
  static const std::vector<std::string> all{"first.last", "f.last", "firstlast", "flast", "last.first", "first"};
  return all;
}

bool is_address_format(std::string_view format) {
  for (const auto& f : address_formats()) {
    if (f == format) return true;
  }
  return false;
}

core::result<std::string> local_part_for(std::string_view name, std::string_view format) {
  if (!is_address_format(format)) {
    return core::fail(core::errc::invalid, fmt::format("unknown address format '{}' (one of first.last, f.last, "
                                                       "firstlast, flast, last.first, first)", format));
  }
  auto [first, last] = name_parts(name);
  if (first.empty()) {
    return core::fail(core::errc::invalid, fmt::format("no address can be made from the name '{}'", name));
  }
  std::string out;
  if (last.empty() || format == "first") {
    out = first;
  } else if (format == "first.last") {
    out = first + "." + last;
  } else if (format == "f.last") {
    out = first.substr(0, 1) + "." + last;
  } else if (format == "firstlast") {
    out = first + last;
  } else if (format == "flast") {
    out = first.substr(0, 1) + last;
  } else {
    out = last + "." + first;
  }
  // RFC 5321 §4.5.3.1.1: room for a collision number.
  if (out.size() > 60) out.resize(60);
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace letterhead::directory
