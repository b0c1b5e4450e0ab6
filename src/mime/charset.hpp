#pragma once
// Charset conversion to UTF-8 through ICU (ucnv), with the label policy mail needs.
//
// Labels are mapped to the superset real mailers mean (the WHATWG Encoding Standard
// does the same for the web): "gb2312", "gbk", "x-gbk", "cp936" decode as GB18030;
// "iso-8859-1"/"latin1" as windows-1252; "ks_c_5601-1987"/"euc-kr" as windows-949;
// "shift_jis" as windows-31j; "iso-2022-jp" as ISO-2022-JP-2. Other labels go to
// ICU's own alias table. Invalid or unmapped byte sequences become U+FFFD.

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::mime {

// How bytes of unknown or undeclared charset become text. Passed to every function
// that turns header or body bytes into UTF-8.
struct decode_options {
  // Charset to try for raw 8-bit bytes that are not valid UTF-8, before the fallback:
  // e.g. the part's declared body charset, since mailers that put raw 8-bit bytes in
  // headers usually use the body's charset for them. Empty: none.
  std::string_view charset_hint;
  // Last resort for raw 8-bit bytes that are not valid UTF-8 (RFC 6532 allows only
  // UTF-8) and for text in an unknown charset. GB18030 because unlabelled 8-bit mail
  // our users receive is most often GBK, and GB18030 decodes every GBK sequence; a
  // deployment for another region may set "windows-1252".
  std::string_view fallback_charset = "gb18030";
};

// True if `bytes` is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view bytes) noexcept;

// The ICU converter name used for a charset label, or nullopt if no converter exists.
// "us-ascii" answers "US-ASCII" although to_utf8 treats it specially (see there).
[[nodiscard]] std::optional<std::string> icu_charset_name(std::string_view label);

// Converts `bytes` in charset `label` to UTF-8. Invalid sequences become U+FFFD.
// "us-ascii" (and aliases) pass valid UTF-8 through unchanged and decode other 8-bit
// bytes as windows-1252: a mislabelled 8-bit message is far more common than a reason
// to turn its letters into U+FFFD. Unknown or malformed label: errc::invalid.
[[nodiscard]] core::result<std::string> to_utf8(std::string_view bytes, std::string_view label);

// Never fails: valid UTF-8 passes through; otherwise `label` if known, then
// options.charset_hint, then options.fallback_charset, then U+FFFD for each bad byte.
[[nodiscard]] std::string to_utf8_lenient(std::string_view bytes, std::string_view label,
                                          const decode_options& options);

// Raw 8-bit text in a header (RFC 6532): UTF-8 if valid, else hint, else fallback.
[[nodiscard]] std::string raw_text_to_utf8(std::string_view bytes, const decode_options& options);

}  // namespace letterhead::mime
