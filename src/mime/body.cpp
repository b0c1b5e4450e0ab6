#include "mime/body.hpp"

#include "mime/detail/ascii.hpp"

namespace letterhead::mime {

decode_options decode_options_for(const message& m, std::size_t index, decode_options base) {
  // Pre-order: the first text part at or below `index` comes first among its
  // descendants; the walk stops at the end of the subtree (indexes are contiguous).
  if (index >= m.parts.size()) return base;
  const std::size_t depth = m.parts[index].depth;
  for (std::size_t i = index; i < m.parts.size(); ++i) {
    const part& p = m.parts[i];
    if (i > index && p.depth <= depth) break;
    const parameter* cs = p.type_param("charset");
    if (!p.is_text() || cs == nullptr) continue;
    if (detail::iequals(cs->value, "us-ascii") || detail::iequals(cs->value, "utf-8")) continue;
    base.charset_hint = cs->value;
    break;
  }
  return base;
}

std::string decoded_body(std::string_view bytes, const part& p) {
  return decode_transfer(slice(bytes, p.body), p.encoding);
}

core::result<std::string> text_body_utf8(std::string_view bytes, const part& p,
                                         const decode_options& options) {
  if (!p.is_text()) return core::fail(core::errc::invalid, "not a text part");
  std::string decoded = decoded_body(bytes, p);
  const parameter* charset = p.type_param("charset");
  if (charset == nullptr || charset->value.empty() ||
      icu_charset_name(charset->value).value_or("") == "US-ASCII") {
    // RFC 2046 §4.1.2 says us-ascii, implicitly or not; 8-bit bytes mean the sender's
    // software labelled its text without looking at it.
    return raw_text_to_utf8(decoded, options);
  }
  return to_utf8_lenient(decoded, charset->value, options);
}

}  // namespace letterhead::mime
