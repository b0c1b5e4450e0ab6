#include "mime/body.hpp"

namespace letterhead::mime {

std::string decoded_body(std::string_view bytes, const part& p) {
  return decode_transfer(slice(bytes, p.body), p.encoding);
}

core::result<std::string> text_body_utf8(std::string_view bytes, const part& p,
                                         const decode_options& options) {
  if (!p.is_text()) return core::fail(core::errc::invalid, "not a text part");
  std::string decoded = decoded_body(bytes, p);
  const parameter* charset = p.type_param("charset");
  if (charset == nullptr || charset->value.empty()) {
    // RFC 2046 §4.1.2 says us-ascii; 8-bit bytes mean the sender forgot the label.
    return raw_text_to_utf8(decoded, options);
  }
  return to_utf8_lenient(decoded, charset->value, options);
}

}  // namespace letterhead::mime
