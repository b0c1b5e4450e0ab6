// RFC 9051 §6.4.5 fetch attributes; RFC 3516 §4 (BINARY); RFC 7162 §3.1.4 (MODSEQ);
// RFC 8474 §5 (EMAILID, THREADID); RFC 8514 (SAVEDATE).
#include "imap/proto/detail/grammar.hpp"
#include "imap/proto/detail/text.hpp"

namespace letterhead::imap::proto::detail {

namespace {

using kind = fetch_att::kind;

struct att_name {
  std::string_view name;
  kind k;
  bool peek;
};

constexpr att_name att_names[] = {
    {"ENVELOPE", kind::envelope, false},
    {"FLAGS", kind::flags, false},
    {"INTERNALDATE", kind::internaldate, false},
    {"RFC822", kind::rfc822, false},
    {"RFC822.HEADER", kind::rfc822_header, false},
    {"RFC822.SIZE", kind::rfc822_size, false},
    {"RFC822.TEXT", kind::rfc822_text, false},
    {"BODY", kind::body, false},  // BODY[...] when a section follows
    {"BODY.PEEK", kind::body_section, true},
    {"BODYSTRUCTURE", kind::bodystructure, false},
    {"UID", kind::uid, false},
    {"BINARY", kind::binary, false},
    {"BINARY.PEEK", kind::binary, true},
    {"BINARY.SIZE", kind::binary_size, false},
    {"MODSEQ", kind::modseq, false},
    {"EMAILID", kind::emailid, false},
    {"THREADID", kind::threadid, false},
    {"SAVEDATE", kind::savedate, false},
};

// The letters, digits and dots of a name such as "BODY.PEEK" or "HEADER.FIELDS.NOT".
std::string dotted_name(scanner& s) {
  std::string out;
  while (is_alpha(s.peek()) || is_digit(s.peek()) || s.peek() == '.') {
    out += to_upper(s.peek());
    (void)s.eat(s.peek());
  }
  return out;
}

// RFC 9051 §9: header-list = "(" header-fld-name *(SP header-fld-name) ")".
bool header_list(scanner& s, std::vector<std::string>& out) {
  if (!s.expect('(', "expected a header list")) return false;
  do {
    std::string name;
    if (!s.astring(name)) return false;
    if (name.empty()) return s.fail("bad header field name");
    for (char c : name) {
      if (c <= ' ' || c > '~' || c == ':') return s.fail("bad header field name");
    }
    out.push_back(upper(name));
  } while (s.eat(' '));
  return s.expect(')', "bad header list");
}

// RFC 9051 §9: section = "[" [section-spec] "]"; section-spec = section-msgtext /
// (section-part ["." section-text]); section-part = nz-number *("." nz-number);
// section-text = section-msgtext / "MIME"; section-msgtext = "HEADER" /
// "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT". For BINARY (RFC 3516 §4.2)
// section-binary = "[" [section-part] "]".
bool section(scanner& s, fetch_att& att, bool binary) {
  if (!s.expect('[', "expected a section")) return false;
  bool part = false;
  bool text_follows = false;
  if (is_digit(s.peek())) {
    part = true;
    while (true) {
      std::uint32_t n = 0;
      if (!s.nz_number(n)) return false;
      if (att.part.size() >= s.options().max_depth) return s.fail("section part too deep");
      att.part.push_back(n);
      if (!s.eat('.')) break;
      if (!is_digit(s.peek())) {
        text_follows = true;  // "1.2.HEADER"
        break;
      }
    }
  }
  if (part ? text_follows : s.peek() != ']') {
    if (binary) return s.fail("bad binary section");
    const std::string text = dotted_name(s);
    if (text == "HEADER" || text == "TEXT" || (text == "MIME" && part)) {
      att.section_text = text;
    } else if (text == "HEADER.FIELDS" || text == "HEADER.FIELDS.NOT") {
      att.section_text = text;
      if (!s.sp() || !header_list(s, att.fields)) return false;
    } else {
      return s.fail("bad section");
    }
  }
  return s.expect(']', "bad section");
}

// RFC 9051 §9: partial = "<" number64 "." nz-number64 ">" (uint32 here: no message we
// keep is 4 GiB).
bool partial(scanner& s, fetch_att& att) {
  if (!s.eat('<')) return true;
  std::uint32_t offset = 0;
  if (!s.number(offset) || !s.expect('.', "bad partial") || !s.nz_number(att.partial_count) ||
      !s.expect('>', "bad partial")) {
    return false;
  }
  att.partial_offset = offset;
  return true;
}

bool one_attribute(scanner& s, fetch_att& att) {
  const std::string name = dotted_name(s);
  if (name.empty()) return s.fail(s.at_end() ? "missing fetch attribute" : "bad fetch attribute");
  const att_name* found = nullptr;
  for (const auto& a : att_names) {
    if (a.name == name) found = &a;
  }
  if (!found) return s.fail("unknown fetch attribute");
  att = fetch_att{};
  att.k = found->k;
  att.peek = found->peek;
  switch (att.k) {
    case kind::body:
      if (s.peek() != '[') return true;
      att.k = kind::body_section;
      [[fallthrough]];
    case kind::body_section:
      return section(s, att, false) && partial(s, att);
    case kind::binary:
      return section(s, att, true) && partial(s, att);
    case kind::binary_size:
      return section(s, att, true);
    default:
      return true;
  }
}

}  // namespace

bool fetch_attributes(scanner& s, std::vector<fetch_att>& out) {
  out.clear();
  const auto add = [&](kind k) {
    fetch_att a;
    a.k = k;
    out.push_back(a);
  };
  // RFC 9051 §6.4.5 macros; not allowed inside a list.
  if (s.eat_word("ALL")) {
    for (kind k : {kind::flags, kind::internaldate, kind::rfc822_size, kind::envelope}) add(k);
    return true;
  }
  if (s.eat_word("FAST")) {
    for (kind k : {kind::flags, kind::internaldate, kind::rfc822_size}) add(k);
    return true;
  }
  if (s.eat_word("FULL")) {
    for (kind k : {kind::flags, kind::internaldate, kind::rfc822_size, kind::envelope, kind::body}) add(k);
    return true;
  }
  const auto end_of_att = [&] {
    const char c = s.peek();
    return c == ' ' || c == ')' || s.at_end() || s.fail("bad fetch attribute");
  };
  if (!s.eat('(')) {
    fetch_att a;
    if (!one_attribute(s, a) || !end_of_att()) return false;
    out.push_back(std::move(a));
    return true;
  }
  do {
    fetch_att a;
    if (!one_attribute(s, a) || !end_of_att()) return false;
    out.push_back(std::move(a));
  } while (s.eat(' '));
  return s.expect(')', "bad fetch attribute list");
}

}  // namespace letterhead::imap::proto::detail
