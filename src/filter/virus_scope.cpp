#include "filter/virus_scope.hpp"

#include <array>

#include "mime/body.hpp"
#include "mime/header.hpp"

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
// Markers count only at the start of a line, so the text is read one line start
// at a time (a search for each marker would stop at every 'b' of the text).
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
  for (std::size_t at = 0; at < text.size();) {
    const auto line = text.substr(at);
    for (const auto& m : markers) {
      if (line.starts_with(m.start) && (!m.then_mode || digits_then_space(text, at + m.start.size()))) return true;
    }
    const auto nl = text.find('\n', at);
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return false;
}

// RFC 2045 §6.8 base64 that every reader decodes to the same bytes: the alphabet,
// line breaks and blanks, and "=" only as the padding of the last group. Anything
// else (characters outside the alphabet, padding in the middle, a lone last
// character) is where decoders part ways: some stop at the first padding, some go on.
bool regular_base64(std::string_view body) {
  std::size_t symbols = 0;
  std::size_t padding = 0;
  for (const char c : body) {
    const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                          c == '/';
    if (alphabet) {
      if (padding != 0) return false;
      ++symbols;
    } else if (c == '=') {
      ++padding;
    } else if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
      return false;
    }
  }
  if (padding == 0) return symbols % 4 != 1;
  return padding <= 2 && (symbols + padding) % 4 == 0 && symbols % 4 != 1;
}

// A leaf that could carry a file: anything but inline text/plain.
bool carries_file(const mime::part& p) {
  return !p.is_text() || p.subtype != "plain" || p.disposition == "attachment" || !p.filename().empty();
}

bool identity_encoding(const mime::part& p) {
  return p.encoding == mime::transfer_encoding::seven_bit || p.encoding == mime::transfer_encoding::eight_bit ||
         p.encoding == mime::transfer_encoding::binary;
}

// Two Content-Type, Content-Transfer-Encoding or Content-Disposition fields in one
// header: our parser reads the first, other readers the last, and ClamAV decodes
// with every encoding it is given.
bool duplicate_mime_fields(std::string_view bytes, const mime::part& p) {
  for (const std::string_view name : {"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"}) {
    if (mime::find_fields(bytes, p.fields, name).size() > 1) return true;
  }
  return false;
}

}  // namespace

virus_scan_plan plan_virus_scan(std::string_view bytes, const mime::message& m) {
  using scope = virus_scan_plan::scope;
  if (m.truncated || m.parts.empty()) return {};
  // Raw bytes first: every 7bit/8bit part, and the preamble and epilogue of every
  // multipart, which no part covers.
  if (has_file_marker(bytes)) return {};
  virus_scan_plan plan;
  bool html = false;
  std::size_t leaves = 0;
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const auto& p = m.parts[i];
    if (p.defects != 0 || duplicate_mime_fields(bytes, p)) return {};
    if (p.is_multipart() || p.embedded) {
      // Containers: their parts are judged. One with an encoding would be read
      // differently by a reader that decodes it first.
      if (!identity_encoding(p)) return {};
      continue;
    }
    if (++leaves > max_virus_scan_streams) return {};
    if (!carries_file(p)) {
      if (p.encoding == mime::transfer_encoding::base64 || p.encoding == mime::transfer_encoding::quoted_printable) {
        if (has_file_marker(mime::decoded_body(bytes, p))) return {};
      }
      continue;
    }
    if (p.is_text() && p.subtype == "html") html = true;
    if (!identity_encoding(p) &&
        !(p.encoding == mime::transfer_encoding::base64 && regular_base64(mime::slice(bytes, p.body)))) {
      return {};
    }
    plan.parts.push_back(i);
  }
  plan.plain = true;
  if (html) {
    plan.parts.clear();
    return plan;
  }
  plan.what = plan.parts.empty() ? scope::skip : scope::parts;
  return plan;
}

std::vector<std::size_t> leaf_parts(const mime::message& m) {
  std::vector<std::size_t> leaves;
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    if (!m.parts[i].is_multipart() && !m.parts[i].embedded) leaves.push_back(i);
  }
  return leaves;
}

}  // namespace letterhead::filter
