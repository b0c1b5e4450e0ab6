#include "mime/search_text.hpp"

#include <array>
#include <cstdint>

#include "mime/body.hpp"
#include "mime/detail/ascii.hpp"
#include "mime/detail/unicode.hpp"
#include "mime/header.hpp"

namespace letterhead::mime {
namespace {

using detail::iequals;
using detail::istarts_with;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

struct named_reference {
  std::string_view name;
  std::uint32_t cp;
};

// The references mail HTML actually uses; others stay as written.
constexpr std::array<named_reference, 22> named_references = {{
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", ' '},     {"copy", 0xA9},    {"reg", 0xAE},
    {"trade", 0x2122}, {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
    {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
    {"middot", 0xB7},  {"bull", 0x2022},  {"euro", 0x20AC},  {"yen", 0xA5},
    {"times", 0xD7},   {"ensp", ' '},
}};

// A character reference at html[i] == '&': appends it and returns its length, or 0.
std::size_t character_reference(std::string_view html, std::size_t i, std::string& out) {
  std::size_t j = i + 1;
  if (j < html.size() && html[j] == '#') {
    ++j;
    const bool hex = j < html.size() && (html[j] == 'x' || html[j] == 'X');
    if (hex) ++j;
    std::uint32_t cp = 0;
    const std::size_t digits_begin = j;
    while (j < html.size() && j - digits_begin < 8) {
      const int v = hex ? detail::hex_value(html[j]) : (detail::is_digit(html[j]) ? html[j] - '0' : -1);
      if (v < 0) break;
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
      ++j;
    }
    if (j == digits_begin) return 0;
    append_utf8(out, cp);
    if (j < html.size() && html[j] == ';') ++j;
    return j - i;
  }
  while (j < html.size() && j - i <= 8 && detail::is_alpha(html[j])) ++j;
  const std::string_view name = html.substr(i + 1, j - i - 1);
  for (const auto& r : named_references) {
    if (r.name == name) {
      append_utf8(out, r.cp);
      if (j < html.size() && html[j] == ';') ++j;
      return j - i;
    }
  }
  return 0;
}

bool is_block_tag(std::string_view name) {
  static constexpr std::string_view blocks[] = {
      "p",  "br", "div", "tr", "td", "th", "li", "ul", "ol", "table", "h1", "h2", "h3",
      "h4", "h5", "h6", "blockquote", "hr", "title", "pre", "section", "article", "dd", "dt"};
  for (auto b : blocks) {
    if (iequals(name, b)) return true;
  }
  return false;
}

// Finds "</name" case-insensitively from `from`; npos if absent.
std::size_t find_end_tag(std::string_view html, std::size_t from, std::string_view name) {
  for (std::size_t k = html.find("</", from); k != std::string_view::npos;
       k = html.find("</", k + 2)) {
    if (istarts_with(html.substr(k + 2), name)) return k;
  }
  return std::string_view::npos;
}

// Appends as much of `text` as fits in `max` bytes in total, cut at a UTF-8 character
// boundary. Returns false once the output is full.
bool append_bounded(std::string& out, std::string_view text, std::size_t max) {
  if (out.size() >= max) return false;
  const std::size_t room = max - out.size();
  if (text.size() <= room) {
    out += text;
    return true;
  }
  std::size_t cut = room;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  out += text.substr(0, cut);
  return false;
}

}  // namespace

std::string html_to_text(std::string_view html) {
  std::string out;
  out.reserve(html.size() / 2);
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      if (std::size_t n = character_reference(html, i, out)) {
        i += n;
        continue;
      }
      out.push_back(c);
      ++i;
      continue;
    }
    if (c != '<') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (html.substr(i, 4) == "<!--") {
      const std::size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    std::size_t j = i + 1;
    const bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    const std::size_t name_begin = j;
    while (j < html.size() && (detail::is_alpha(html[j]) || detail::is_digit(html[j]))) ++j;
    const std::string_view name = html.substr(name_begin, j - name_begin);
    if (name.empty() && !closing && (j >= html.size() || html[j] != '!')) {
      out.push_back(c);  // a lone "<" in text
      ++i;
      continue;
    }
    const std::size_t gt = html.find('>', j);
    if (gt == std::string_view::npos) break;  // an unterminated tag ends the text
    i = gt + 1;
    if (!closing && (iequals(name, "script") || iequals(name, "style"))) {
      const std::size_t end = find_end_tag(html, i, name);
      if (end == std::string_view::npos) break;
      const std::size_t end_gt = html.find('>', end);
      i = end_gt == std::string_view::npos ? html.size() : end_gt + 1;
      continue;
    }
    if (is_block_tag(name)) out.push_back('\n');
  }
  return out;
}

std::string search_fold(std::string_view utf8) { return detail::nfkc_casefold(utf8); }

bool folded_contains(std::string_view folded_haystack, std::string_view folded_needle) noexcept {
  return folded_haystack.find(folded_needle) != std::string_view::npos;
}

bool text_contains(std::string_view haystack_utf8, std::string_view needle_utf8) {
  if (needle_utf8.empty()) return true;
  return folded_contains(search_fold(haystack_utf8), search_fold(needle_utf8));
}

std::string decoded_header_text(std::string_view bytes, const message& m, std::size_t part_index,
                                std::string_view field) {
  std::string out;
  if (part_index >= m.parts.size()) return out;
  const auto values =
      header_values(bytes, m.parts[part_index].fields, field, decode_options_for(m, part_index));
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back('\n');
    out += values[i];
  }
  return out;
}

namespace {

void append_body_text(std::string& out, std::string_view bytes, const message& m,
                      std::size_t max) {
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const part& p = m.parts[i];
    if (!p.is_text()) continue;
    auto text = text_body_utf8(bytes, p, decode_options_for(m, i));
    if (!text) continue;
    if (!out.empty() && !append_bounded(out, "\n", max)) return;
    const bool html = p.subtype == "html";
    if (!append_bounded(out, html ? html_to_text(*text) : *text, max)) return;
  }
}

}  // namespace

std::string searchable_body_text(std::string_view bytes, const message& m,
                                 const search_text_limits& limits) {
  std::string out;
  append_body_text(out, bytes, m, limits.max_bytes);
  return out;
}

std::string searchable_full_text(std::string_view bytes, const message& m,
                                 const search_text_limits& limits) {
  std::string out;
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const decode_options options = decode_options_for(m, i);
    for (const header_field& f : m.parts[i].fields) {
      std::string line(slice(bytes, f.name));
      line += ": ";
      line += decode_unstructured(slice(bytes, f.value), options);
      line.push_back('\n');
      if (!append_bounded(out, line, limits.max_bytes)) return out;
    }
  }
  append_body_text(out, bytes, m, limits.max_bytes);
  return out;
}

}  // namespace letterhead::mime
