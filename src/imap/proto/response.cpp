#include "imap/proto/response.hpp"

#include "imap/proto/detail/text.hpp"
#include "imap/proto/mutf7.hpp"

namespace letterhead::imap::proto {

std::string quoted_or_literal(std::string_view s, bool utf8_ok) {
  bool quotable = true;
  bool eight_bit = false;
  for (char c : s) {
    if (c == '\0' || c == '\r' || c == '\n') quotable = false;
    if (detail::is_8bit(c)) eight_bit = true;
  }
  // RFC 9051 §9 QUOTED-CHAR: UTF8-2 / UTF8-3 / UTF8-4 in IMAP4rev2 and UTF8=ACCEPT.
  if (eight_bit && !(utf8_ok && detail::is_valid_utf8(s))) quotable = false;
  std::string out;
  if (!quotable) {
    out.reserve(s.size() + 24);
    out += '{';
    out += std::to_string(s.size());
    out += "}\r\n";
    out += s;
    return out;
  }
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string nstring(const std::optional<std::string>& s, bool utf8_ok) {
  return s ? quoted_or_literal(*s, utf8_ok) : std::string("NIL");
}

std::string nstring(std::optional<std::string_view> s, bool utf8_ok) {
  return s ? quoted_or_literal(*s, utf8_ok) : std::string("NIL");
}

std::string astring(std::string_view s, bool utf8_ok) {
  bool atom = !s.empty() && !detail::iequals(s, "NIL");
  for (char c : s) atom = atom && detail::is_astring_char(c);
  return atom ? std::string(s) : quoted_or_literal(s, utf8_ok);
}

std::string mailbox_name(std::string_view utf8_name, bool utf8_accept) {
  if (utf8_accept) return astring(utf8_name, true);
  return astring(mutf7_encode(utf8_name), false);
}

std::string flag_list(std::span<const std::string> flags) {
  std::string out = "(";
  for (const auto& f : flags) {
    if (out.size() > 1) out += ' ';
    out += f;
  }
  out += ')';
  return out;
}

}  // namespace letterhead::imap::proto
