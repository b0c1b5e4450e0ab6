#include "filter/virus_scope.hpp"

#include "mime/body.hpp"

namespace letterhead::filter {

namespace {

// A uuencoded file inside plain text starts with a line "begin MODE NAME" (MODE three
// or four octal digits, as uuencode(1) writes it); clamd finds and decodes those.
bool has_uuencode_start(std::string_view text) {
  for (std::size_t at = text.find("begin "); at != std::string_view::npos; at = text.find("begin ", at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    std::size_t i = at + 6;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '7') {
      ++i;
      ++digits;
    }
    if ((digits == 3 || digits == 4) && i < text.size() && text[i] == ' ') return true;
  }
  return false;
}

}  // namespace

bool needs_virus_scan(std::string_view bytes, const mime::message& m) {
  if (m.truncated || m.parts.empty()) return true;
  for (const auto& p : m.parts) {
    if (p.defects != 0) return true;
    if (p.is_multipart() || p.embedded) continue;  // containers: their parts are judged
    if (!p.is_text() || p.subtype != "plain") return true;
    if (p.disposition == "attachment" || !p.filename().empty()) return true;
    const auto body = mime::slice(bytes, p.body);
    if (p.encoding == mime::transfer_encoding::base64 || p.encoding == mime::transfer_encoding::quoted_printable) {
      if (has_uuencode_start(mime::decoded_body(bytes, p))) return true;
    } else if (has_uuencode_start(body)) {
      return true;
    }
  }
  return false;
}

}  // namespace letterhead::filter
