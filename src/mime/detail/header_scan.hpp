#pragma once
// The line scanner behind parse_header_block and the MIME parser. It takes a predicate
// that says whether a line ends the header early: inside a multipart, a boundary line
// ends a part even when its header lacks the empty line.

#include <cstddef>
#include <cstring>
#include <string_view>

#include "mime/detail/ascii.hpp"
#include "mime/header.hpp"

namespace letterhead::mime::detail {

struct line {
  std::size_t begin = 0;
  std::size_t content_end = 0;  // before CRLF or LF
  std::size_t end = 0;          // after the LF, or the end of the data
};

[[nodiscard]] inline line line_at(std::string_view data, std::size_t pos) noexcept {
  const void* lf = std::memchr(data.data() + pos, '\n', data.size() - pos);
  if (lf == nullptr) return {pos, data.size(), data.size()};
  std::size_t at = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
  std::size_t content_end = (at > pos && data[at - 1] == '\r') ? at - 1 : at;
  return {pos, content_end, at + 1};
}

// RFC 5322 §3.6.8: ftext is printable US-ASCII except ":".
[[nodiscard]] constexpr bool is_ftext(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && c != ':';
}

// Where the field name of `l` ends and its colon is, if `l` starts a field.
struct field_start {
  std::size_t name_end = 0;
  std::size_t colon = 0;
};
[[nodiscard]] inline bool match_field_start(std::string_view data, const line& l,
                                            field_start& out) noexcept {
  std::size_t i = l.begin;
  while (i < l.content_end && is_ftext(data[i])) ++i;
  if (i == l.begin) return false;
  std::size_t name_end = i;
  while (i < l.content_end && is_wsp(data[i])) ++i;  // RFC 5322 §4.5.8 obs-optional
  if (i >= l.content_end || data[i] != ':') return false;
  out = {name_end, i};
  return true;
}

struct header_scan {
  header_block block;
  std::size_t newlines = 0;  // LF bytes consumed, for body line counts
};

// `stop(line)` is asked before each line; true leaves that line unconsumed.
// `field_budget`, if given, is a message-wide cap on recorded fields, decremented here.
template <class Stop>
[[nodiscard]] header_scan scan_header(std::string_view data, std::size_t begin,
                                      const header_limits& limits, std::size_t* field_budget,
                                      Stop&& stop) {
  header_scan out;
  header_block& hb = out.block;
  enum class state { none, field, skipped } current = state::none;
  std::size_t pos = begin;
  bool first = true;
  while (pos < data.size()) {
    const line l = line_at(data, pos);
    if (stop(l)) break;
    const bool has_lf = l.end > l.content_end && data[l.end - 1] == '\n';
    if (l.content_end == l.begin && has_lf) {
      pos = l.end;
      ++out.newlines;
      hb.has_separator = true;
      break;
    }
    if (is_wsp(data[l.begin])) {
      // RFC 5322 §2.2.3: a line starting with WSP continues the previous field.
      if (current == state::field) {
        header_field& f = hb.fields.back();
        f.value.end = l.content_end;
        f.whole.end = l.end;
      } else if (current == state::none) {
        ++hb.malformed_lines;
        current = state::skipped;
      }
    } else if (field_start fs; match_field_start(data, l, fs)) {
      const bool room = hb.fields.size() < limits.max_fields &&
                        l.begin - begin < limits.max_size &&
                        (field_budget == nullptr || *field_budget > 0);
      if (room) {
        hb.fields.push_back(header_field{{l.begin, fs.name_end}, {fs.colon + 1, l.content_end},
                                         {l.begin, l.end}});
        if (field_budget) --*field_budget;
        current = state::field;
      } else {
        hb.truncated = true;
        current = state::skipped;
      }
    } else if (first) {
      break;  // no header at all: the body starts here
    } else {
      ++hb.malformed_lines;
      current = state::skipped;
    }
    first = false;
    if (has_lf) ++out.newlines;
    pos = l.end;
  }
  hb.range = {begin, pos};
  return out;
}

}  // namespace letterhead::mime::detail
