#pragma once
// Unicode normalisations for comparison keys and search, through ICU.

#include <string>
#include <string_view>

namespace letterhead::mime::detail {

// RFC 5051 i;unicode-casemap canonical form: each character replaced by its simple
// titlecase mapping (UnicodeData), then NFKD. Invalid UTF-8 becomes U+FFFD.
[[nodiscard]] std::string unicode_casemap_key(std::string_view utf8);

// NFKC_Casefold (Unicode §3.13 / UAX #31 "NFKC_CF"): full case folding plus
// compatibility normalisation and removal of default ignorables. "ß" and "SS" fold
// alike, full-width "ＡＢＣ" and "abc" too. Invalid UTF-8 becomes U+FFFD.
[[nodiscard]] std::string nfkc_casefold(std::string_view utf8);

}  // namespace letterhead::mime::detail
