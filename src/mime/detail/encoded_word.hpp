#pragma once
// RFC 2047 encoded-word recognition and the builder that joins decoded words into
// UTF-8 text. Shared by unstructured fields, phrases (display names) and parameters.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mime/charset.hpp"

namespace letterhead::mime::detail {

struct encoded_word {
  std::string_view charset;   // RFC 2231 §5 language suffix ("*en") removed
  std::string_view language;  // empty if none
  char encoding = 'B';        // 'B' or 'Q'
  std::string_view text;      // the encoded-text
  std::size_t size = 0;       // bytes from "=?" through "?="
};

// Matches an encoded-word at the start of `s` (RFC 2047 §2):
// "=?" charset ["*" language] "?" ("B" / "Q") "?" encoded-text "?=".
// No whitespace or "?" inside the encoded-text. Scans at most to the third "?".
[[nodiscard]] std::optional<encoded_word> match_encoded_word(std::string_view s) noexcept;

// The bytes an encoded-word carries, or nullopt if its text is malformed (then the
// word is left as it stands, RFC 2047 §6.3).
[[nodiscard]] std::optional<std::string> decode_encoded_word(const encoded_word& word);

// Builds UTF-8 text from raw pieces, whitespace and decoded encoded-words.
//  - Whitespace between two encoded-words is dropped (RFC 2047 §6.2).
//  - Adjacent encoded-words in the same charset are converted together, so a
//    multi-byte character split across two words (GBK, UTF-8) decodes correctly.
//  - Raw bytes go through raw_text_to_utf8 (RFC 6532 UTF-8, else hint, else fallback).
//  - The result never contains CR, LF (become spaces) or NUL (becomes U+FFFD), so a
//    decoded value can be shown or re-used in a new header without injection.
class text_builder {
 public:
  explicit text_builder(const decode_options& options) : options_(options) {}

  void raw(std::string_view text);
  void space(std::string_view whitespace);
  void encoded(std::string_view charset, std::string_view bytes);
  // Raw text in which encoded-words may appear anywhere, even glued to other text:
  // mailers do that and readers decode it (lenient on RFC 2047 §5).
  void text_with_encoded_words(std::string_view text);

  [[nodiscard]] std::string finish();

 private:
  enum class mode { none, raw, encoded };
  void flush_raw();
  void flush_encoded();

  const decode_options& options_;
  std::string out_;
  std::string raw_;
  std::string encoded_bytes_;
  std::string encoded_charset_;
  std::string held_space_;
  mode mode_ = mode::none;
};

// Replaces CR and LF with a space and NUL with U+FFFD, in place.
void sanitize_controls(std::string& text);

}  // namespace letterhead::mime::detail
