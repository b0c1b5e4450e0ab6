#pragma once
// Text for IMAP SEARCH (RFC 9051 §6.4.4 BODY, TEXT, HEADER, SUBJECT, FROM, ...) as
// UTF-8, and the substring match behind it.
//
// Matching: RFC 9051 §6.4.4 asks for case-insensitive substring matching. Both sides
// go through NFKC_Casefold: Unicode full case folding (so "STRASSE" finds "straße"
// and "Σ" finds "ς") plus compatibility normalisation (full-width "ＡＢＣ" finds "abc",
// composed and decomposed accents match). Chinese has no case; substrings of it match
// as they are ("季度" in "第三季度报告"). No word segmentation: that is search/'s job.

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/message.hpp"

namespace letterhead::mime {

// Bounds on the text extracted from one message (bodies and headers together).
struct search_text_limits {
  std::size_t max_bytes = 10u << 20;  // 10 MiB of UTF-8: the rest is not searched
};

// The folded form search compares (NFKC_Casefold). Fold a haystack once to test many
// needles against it with folded_contains.
[[nodiscard]] std::string search_fold(std::string_view utf8);
[[nodiscard]] bool folded_contains(std::string_view folded_haystack,
                                   std::string_view folded_needle) noexcept;

// Case-insensitive substring test (see above). An empty needle is found everywhere.
[[nodiscard]] bool text_contains(std::string_view haystack_utf8, std::string_view needle_utf8);

// Every field named `field` in the header of part `part_index` (0 is the message's
// header), each decoded like decode_unstructured (RFC 2047 words anywhere, raw 8-bit
// by decode_options_for the part), joined with "\n". Empty if there is none.
[[nodiscard]] std::string decoded_header_text(std::string_view bytes, const message& m,
                                              std::size_t part_index, std::string_view field);

// The UTF-8 text of every text/* part, in order, including those of attached messages:
// transfer-decoded and converted from the part's charset (text_body_utf8; GBK, GB18030,
// Big5, ... through ICU), text/html with tags, comments, <script> and <style> removed
// and character references decoded. Parts are separated by "\n". At most
// limits.max_bytes, cut at a character boundary.
[[nodiscard]] std::string searchable_body_text(std::string_view bytes, const message& m,
                                               const search_text_limits& limits = {});

// For SEARCH TEXT: every header field of every part (the message's header, MIME
// headers, headers of attached messages) as "Name: decoded value" lines, then the body
// text. At most limits.max_bytes.
[[nodiscard]] std::string searchable_full_text(std::string_view bytes, const message& m,
                                               const search_text_limits& limits = {});

// text/html to plain text for searching (crude, linear): tags and comments dropped
// (a tag becomes a space when it separates words), <script>/<style> content dropped,
// character references (&amp; &#20013; &#x4e2d; and the common named ones) decoded.
[[nodiscard]] std::string html_to_text(std::string_view html);

}  // namespace letterhead::mime
