#include "mime/content_type.hpp"

#include <algorithm>
#include <unordered_map>

#include "mime/detail/ascii.hpp"
#include "mime/detail/encoded_word.hpp"
#include "mime/detail/lex.hpp"

namespace letterhead::mime {
namespace {

using detail::is_token_char;
using detail::skip_cfws;

// RFC 2231 §3: sections are small numbers; anything bigger is an attack or garbage.
constexpr unsigned max_section = 10000;
// Parameters read from one field: bounds memory on a hostile multi-megabyte field.
constexpr std::size_t max_parameters = 2 * max_section;

struct raw_param {
  std::string name;  // lower-cased, with any "*" suffix
  std::string value;
};

std::size_t skip_to_semicolon(std::string_view s, std::size_t i) {
  std::string ignored;
  while (i < s.size() && s[i] != ';') {
    if (s[i] == '"') {
      ignored.clear();
      i = detail::read_quoted(s, i, ignored);
    } else if (s[i] == '(') {
      i = detail::skip_comment(s, i);
    } else {
      ++i;
    }
  }
  return i;
}

// An unquoted value runs to the next ";" (values with spaces or tspecials such as
// "boundary=----=_Part_1" are common); folding is removed and a trailing comment
// ("charset=us-ascii (Plain text)") dropped.
std::string unquoted_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  std::string_view t = detail::trim(out);
  if (!t.empty() && t.back() == ')') {
    std::size_t depth = 0;
    for (std::size_t k = t.size(); k-- > 0;) {
      if (t[k] == ')') {
        ++depth;
      } else if (t[k] == '(' && --depth == 0) {
        if (k > 0 && detail::is_wsp(t[k - 1])) t = detail::trim(t.substr(0, k));
        break;
      }
    }
  }
  return std::string(t);
}

std::vector<raw_param> lex_parameters(std::string_view s) {
  std::vector<raw_param> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < max_parameters) {
    i = skip_cfws(s, i);
    if (i >= s.size()) break;
    if (s[i] == ';') {
      ++i;
      continue;
    }
    std::size_t name_begin = i;
    while (i < s.size() && is_token_char(s[i])) ++i;
    std::string_view name = s.substr(name_begin, i - name_begin);
    i = skip_cfws(s, i);
    if (name.empty() || i >= s.size() || s[i] != '=') {
      i = skip_to_semicolon(s, i);
      continue;
    }
    i = skip_cfws(s, i + 1);
    raw_param p{detail::lower(name), {}};
    if (i < s.size() && s[i] == '"') {
      i = detail::read_quoted(s, i, p.value);
      i = skip_to_semicolon(s, i);
    } else {
      std::size_t value_begin = i;
      while (i < s.size() && s[i] != ';') ++i;
      p.value = unquoted_value(s.substr(value_begin, i - value_begin));
    }
    out.push_back(std::move(p));
  }
  return out;
}

struct split_name {
  std::string_view base;
  bool rfc2231 = false;
  int section = -1;  // -1: "name*" (a single extended value)
  bool extended = false;
  bool drop = false;  // a section number past max_section
};

// RFC 2231 §3 and §4: name*, name*N, name*N*.
split_name split_parameter_name(std::string_view name) {
  auto star = name.find('*');
  if (star == std::string_view::npos || star == 0) return {name};
  std::string_view rest = name.substr(star + 1);
  split_name out{name.substr(0, star), true};
  if (rest.empty()) {
    out.extended = true;
    return out;
  }
  unsigned n = 0;
  std::size_t k = 0;
  while (k < rest.size() && detail::is_digit(rest[k])) {
    n = n * 10 + static_cast<unsigned>(rest[k] - '0');
    if (n > max_section) {
      out.drop = true;
      return out;
    }
    ++k;
  }
  if (k == 0) return {name};
  if (k == rest.size()) {
    out.section = static_cast<int>(n);
  } else if (rest.substr(k) == "*") {
    out.section = static_cast<int>(n);
    out.extended = true;
  } else {
    return {name};
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && detail::hex_value(s[i + 1]) >= 0 &&
        detail::hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(detail::hex_value(s[i + 1]) * 16 + detail::hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string decode_plain_value(std::string_view raw, const decode_options& options) {
  bool simple = true;
  for (char c : raw) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\0') simple = false;
  }
  if (simple && raw.find("=?") == std::string_view::npos) return std::string(raw);
  detail::text_builder builder(options);
  builder.text_with_encoded_words(raw);
  return builder.finish();
}

struct segment {
  int section;
  bool extended;
  std::string value;
  std::size_t order;  // position in the field, so that the first duplicate wins
};

struct group {
  std::string name;
  std::optional<std::string> plain;
  std::vector<segment> segments;
};

// Joins RFC 2231 sections 0..n (stopping at a gap) into one parameter, or nullopt if
// there is no section 0.
std::optional<parameter> assemble(group& g, const decode_options& options) {
  auto single = std::find_if(g.segments.begin(), g.segments.end(),
                             [](const segment& s) { return s.section < 0; });
  std::vector<const segment*> ordered;
  if (single != g.segments.end()) {
    ordered.push_back(&*single);
  } else {
    std::sort(g.segments.begin(), g.segments.end(), [](const segment& a, const segment& b) {
      return a.section != b.section ? a.section < b.section : a.order < b.order;
    });
    int expected = 0;
    for (const auto& s : g.segments) {
      if (s.section < expected) continue;  // a duplicate section: the first wins
      if (s.section > expected) break;     // a gap ends the value
      ordered.push_back(&s);
      ++expected;
    }
  }
  if (ordered.empty()) return std::nullopt;

  parameter p;
  p.name = g.name;
  bool first = true;
  for (const segment* s : ordered) {
    std::string_view v = s->value;
    if (s->extended) {
      // RFC 2231 §4: only the first section carries charset'language'.
      if (first) {
        auto q1 = v.find('\'');
        auto q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
        if (q2 != std::string_view::npos) {
          p.charset = std::string(v.substr(0, q1));
          p.language = std::string(v.substr(q1 + 1, q2 - q1 - 1));
          v = v.substr(q2 + 1);
        }
      }
      p.raw += percent_decode(v);
    } else {
      p.raw += v;
    }
    first = false;
  }
  if (!p.charset.empty()) {
    p.value = to_utf8_lenient(p.raw, p.charset, options);
    detail::sanitize_controls(p.value);
  } else {
    p.value = decode_plain_value(p.raw, options);
  }
  return p;
}

}  // namespace

std::vector<parameter> parse_parameters(std::string_view raw, const decode_options& options) {
  std::vector<group> groups;
  std::unordered_map<std::string, std::size_t> index;
  for (auto& rp : lex_parameters(raw)) {
    split_name sn = split_parameter_name(rp.name);
    if (sn.drop) continue;
    std::string base(sn.base);
    auto [it, inserted] = index.try_emplace(base, groups.size());
    if (inserted) groups.push_back(group{base, std::nullopt, {}});
    group& g = groups[it->second];
    if (sn.rfc2231) {
      g.segments.push_back(
          segment{sn.section, sn.extended, std::move(rp.value), g.segments.size()});
    } else if (!g.plain) {
      g.plain = std::move(rp.value);
    }
  }
  std::vector<parameter> out;
  out.reserve(groups.size());
  for (auto& g : groups) {
    if (!g.segments.empty()) {
      if (auto p = assemble(g, options)) {
        out.push_back(std::move(*p));
        continue;
      }
    }
    if (g.plain) {
      parameter p;
      p.name = g.name;
      p.raw = std::move(*g.plain);
      p.value = decode_plain_value(p.raw, options);
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::optional<content_type> parse_content_type(std::string_view s, const decode_options& options) {
  std::size_t i = skip_cfws(s, 0);
  std::size_t type_begin = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  std::string_view type = s.substr(type_begin, i - type_begin);
  i = skip_cfws(s, i);
  if (type.empty() || i >= s.size() || s[i] != '/') return std::nullopt;
  i = skip_cfws(s, i + 1);
  std::size_t subtype_begin = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  std::string_view subtype = s.substr(subtype_begin, i - subtype_begin);
  if (subtype.empty()) return std::nullopt;
  content_type ct;
  ct.type = detail::lower(type);
  ct.subtype = detail::lower(subtype);
  ct.params = parse_parameters(s.substr(i), options);
  return ct;
}

std::optional<content_disposition> parse_content_disposition(std::string_view s,
                                                             const decode_options& options) {
  std::size_t i = skip_cfws(s, 0);
  std::size_t type_begin = i;
  while (i < s.size() && is_token_char(s[i])) ++i;
  if (i == type_begin) return std::nullopt;
  content_disposition cd;
  cd.type = detail::lower(s.substr(type_begin, i - type_begin));
  cd.params = parse_parameters(s.substr(i), options);
  return cd;
}

const parameter* find_parameter(std::span<const parameter> params, std::string_view name) noexcept {
  for (const auto& p : params) {
    if (detail::iequals(p.name, name)) return &p;
  }
  return nullptr;
}

std::vector<std::string> parse_content_language(std::string_view s) {
  constexpr std::size_t max_tags = 1000;
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < max_tags) {
    i = skip_cfws(s, i);
    std::size_t begin = i;
    while (i < s.size() && s[i] != ',' && s[i] != '(' && !detail::is_space(s[i])) ++i;
    if (i > begin) out.emplace_back(s.substr(begin, i - begin));
    i = skip_cfws(s, i);
    if (i < s.size() && s[i] == ',') ++i;
    else if (i == begin && i < s.size()) ++i;
  }
  return out;
}

}  // namespace letterhead::mime
