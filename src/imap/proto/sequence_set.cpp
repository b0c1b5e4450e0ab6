#include "imap/proto/sequence_set.hpp"

#include "imap/proto/detail/scanner.hpp"

namespace letterhead::imap::proto {

core::result<sequence_set> parse_sequence_set(std::string_view text) {
  detail::scanner s(text, parse_options{});
  sequence_set set;
  if (!s.seq_set(set, detail::scanner::allow_saved::yes) || !s.at_end()) {
    return core::fail(core::errc::invalid, "bad sequence set");
  }
  return set;
}

namespace {

void append_number(std::string& out, std::uint32_t n) {
  if (n == 0) {
    out += '*';
  } else {
    out += std::to_string(n);
  }
}

}  // namespace

std::string to_string(const sequence_set& set) {
  if (set.saved) return "$";
  std::string out;
  for (const auto& r : set.ranges) {
    if (!out.empty()) out += ',';
    append_number(out, r.first);
    if (r.last != r.first) {
      out += ':';
      append_number(out, r.last);
    }
  }
  return out;
}

std::string format_sequence_set(std::span<const std::uint32_t> ascending) {
  std::string out;
  std::size_t i = 0;
  while (i < ascending.size()) {
    const std::uint32_t first = ascending[i];
    std::uint32_t last = first;
    ++i;
    while (i < ascending.size() && (ascending[i] == last || (last != UINT32_MAX && ascending[i] == last + 1))) {
      last = ascending[i];
      ++i;
    }
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last != first) {
      out += ':';
      out += std::to_string(last);
    }
  }
  return out;
}

}  // namespace letterhead::imap::proto
