#include "filter/virus_scope.hpp"

#include <array>

#include "mime/body.hpp"

namespace letterhead::filter {

namespace {

bool digits_then_space(std::string_view text, std::size_t i) {
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 8) {
    ++i;
    ++digits;
  }
  return digits > 0 && i < text.size() && text[i] == ' ';
}

// The first lines of the encodings that carry a file inside plain text, which clamd
// finds and decodes wherever they are (a part, a preamble, an epilogue):
// - uuencode(1): "begin MODE NAME" (any mode digits: a forger need not write octal),
//   and "begin-base64 MODE NAME" from uuencode -m;
// - yEnc: "=ybegin line=128 size=... name=...";
// - BinHex 4.0 (RFC 1741): "(This file must be converted with BinHex 4.0)".
bool has_file_marker(std::string_view text) {
  struct marker {
    std::string_view start;
    bool then_mode;  // digits and a space must follow
  };
  static constexpr std::array<marker, 4> markers{{
      {"begin ", true},
      {"begin-base64 ", true},
      {"=ybegin ", false},
      {"(This file must be converted with BinHex", false},
  }};
  for (const auto& m : markers) {
    for (auto at = text.find(m.start); at != std::string_view::npos; at = text.find(m.start, at + 1)) {
      if (at != 0 && text[at - 1] != '\n') continue;
      if (!m.then_mode || digits_then_space(text, at + m.start.size())) return true;
    }
  }
  return false;
}

}  // namespace

bool needs_virus_scan(std::string_view bytes, const mime::message& m) {
  if (m.truncated || m.parts.empty()) return true;
  // Raw bytes first: every 7bit/8bit part, and the preamble and epilogue of every
  // multipart, which no part covers.
  if (has_file_marker(bytes)) return true;
  for (const auto& p : m.parts) {
    if (p.defects != 0) return true;
    if (p.is_multipart() || p.embedded) continue;  // containers: their parts are judged
    if (!p.is_text() || p.subtype != "plain") return true;
    if (p.disposition == "attachment" || !p.filename().empty()) return true;
    if (p.encoding == mime::transfer_encoding::base64 || p.encoding == mime::transfer_encoding::quoted_printable) {
      if (has_file_marker(mime::decoded_body(bytes, p))) return true;
    }
  }
  return false;
}

}  // namespace letterhead::filter
