#include "mime/seven_bit.hpp"

#include <optional>
#include <vector>

#include <fmt/format.h>

#include "mime/charset.hpp"
#include "mime/detail/ascii.hpp"
#include "mime/header.hpp"
#include "mime/transfer_encoding.hpp"

namespace letterhead::mime {
namespace {

struct edit {
  byte_range range;
  std::string text;
};

core::error refuse(std::string text) { return core::error{core::errc::invalid, std::move(text)}; }

// RFC 2047 §5(1): fields whose body is *text, where an encoded-word may stand for
// any word. Extension fields are left out: some (X-Original-To...) hold addresses.
bool unstructured(std::string_view name) {
  return detail::iequals(name, "Subject") || detail::iequals(name, "Comments") ||
         detail::iequals(name, "Content-Description");
}

// The field with its 8-bit words as encoded-words, or nullopt when it may not be.
std::optional<std::string> encode_field(std::string_view bytes, const header_field& f) {
  const auto name = slice(bytes, f.name);
  const auto value = unfold(slice(bytes, f.value));
  if (!unstructured(name) || !is_valid_utf8(value) || value.find('\0') != std::string::npos) return std::nullopt;
  std::size_t first = 0;
  while (first < value.size() && static_cast<unsigned char>(value[first]) < 0x80) ++first;
  std::size_t last = value.size();
  while (last > first && static_cast<unsigned char>(value[last - 1]) < 0x80) --last;
  // Whole words only: an encoded-word must be separated from other text by white
  // space (RFC 2047 §5(1)).
  while (first > 0 && !detail::is_wsp(value[first - 1])) --first;
  while (last < value.size() && !detail::is_wsp(value[last])) ++last;
  const auto prefix = std::string_view(value).substr(0, first);
  std::string out(name);
  out += ':';
  out += prefix;
  if (prefix.empty()) out += ' ';
  out += utf8_encoded_words(std::string_view(value).substr(first, last - first));
  out += std::string_view(value).substr(last);
  out += "\r\n";
  return out;
}

bool is_message_root(const message& m, std::size_t index) {
  if (index == 0) return true;
  const auto& parent = m.parts[*m.parts[index].parent];
  return parent.embedded && *parent.embedded == index;
}

// The part's header with 8-bit unstructured fields encoded and, when `cte` is set,
// its Content-Transfer-Encoding replaced.
core::result<std::string> rewrite_header(std::string_view bytes, const message& m, std::size_t index,
                                         const std::optional<std::string_view>& cte) {
  const auto& p = m.parts[index];
  const auto header = slice(bytes, p.header);
  if (p.has(part_defect::header_truncated)) {
    return std::unexpected(refuse("a header section too large to rewrite"));
  }
  std::string out;
  std::size_t pos = p.header.begin;
  bool mime_version = false;
  for (const auto& f : p.fields) {
    out += bytes.substr(pos, f.whole.begin - pos);
    pos = f.whole.end;
    const auto name = slice(bytes, f.name);
    if (detail::iequals(name, "MIME-Version")) mime_version = true;
    if (cte && detail::iequals(name, "Content-Transfer-Encoding")) continue;
    const auto whole = slice(bytes, f.whole);
    if (is_seven_bit(whole)) {
      out += whole;
    } else if (auto encoded = encode_field(bytes, f)) {
      out += *encoded;
    } else {
      return std::unexpected(refuse(fmt::format("8-bit bytes in the {} header field (only UTF-8 text in Subject, "
                                                "Comments or Content-Description can become RFC 2047 encoded-words)",
                                                detail::trim(name).substr(0, 64))));
    }
  }
  std::string added;
  if (cte) {
    if (!mime_version && is_message_root(m, index)) added += "MIME-Version: 1.0\r\n";
    added += fmt::format("Content-Transfer-Encoding: {}\r\n", *cte);
  }
  auto tail = bytes.substr(pos, p.header.end - pos);
  // The empty line that ends the section stays last; a part without header gets one.
  std::size_t blank = 0;
  if (header.empty()) {
    tail = {};
  } else if (header == "\n" || header.ends_with("\n\n")) {
    blank = 1;
  } else if (header == "\r\n" || header.ends_with("\n\r\n")) {
    blank = 2;
  }
  out += tail.substr(0, tail.size() - blank);
  if (!added.empty() && !out.empty() && !out.ends_with('\n')) out += "\r\n";
  out += added;
  out += blank > 0 ? tail.substr(tail.size() - blank) : std::string_view(header.empty() && cte ? "\r\n" : "");
  return out;
}

bool global_subtype(std::string_view subtype) { return subtype.starts_with("global"); }

}  // namespace

bool is_seven_bit(std::string_view bytes) noexcept {
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || u == 0) return false;
  }
  return true;
}

std::string utf8_encoded_words(std::string_view utf8) {
  // "=?UTF-8?B?" + 60 characters of base64 (45 bytes) + "?=" is 72 characters.
  constexpr std::size_t max_bytes = 45;
  std::string out;
  while (!utf8.empty()) {
    std::size_t n = std::min(max_bytes, utf8.size());
    // Back off to the start of a character (a continuation byte is 10xxxxxx).
    while (n < utf8.size() && n > 1 && (static_cast<unsigned char>(utf8[n]) & 0xC0) == 0x80) --n;
    auto b64 = encode_base64(utf8.substr(0, n));
    while (b64.ends_with('\n') || b64.ends_with('\r')) b64.pop_back();
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + b64 + "?=";
    utf8.remove_prefix(n);
  }
  return out;
}

core::result<std::string> to_seven_bit(std::string_view bytes, const parse_limits& limits) {
  if (is_seven_bit(bytes)) return std::string(bytes);
  const auto m = parse(bytes, limits);
  std::vector<edit> edits;
  // Parts inside a body that was re-encoded whole (message/global) are skipped.
  std::size_t skip_until = 0;
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const auto& p = m.parts[i];
    if (p.header.begin < skip_until) continue;
    const auto body = slice(bytes, p.body);
    const bool labelled_8bit =
        p.encoding == transfer_encoding::eight_bit || p.encoding == transfer_encoding::binary;
    std::optional<std::string_view> cte;
    std::optional<std::string> new_body;
    if (p.is_multipart()) {
      if (p.children.empty() && !is_seven_bit(body)) {
        return std::unexpected(refuse("8-bit bytes in a multipart part whose parts could not be parsed"));
      }
      // RFC 2045 §6.4: 7bit, 8bit or binary only; 7bit once every part is.
      if (labelled_8bit) cte = "7bit";
    } else if (p.embedded && !global_subtype(p.subtype)) {
      // RFC 2046 §5.2.1: no base64 or quoted-printable for message/rfc822; the
      // encapsulated message (next in pre-order) is converted instead.
      if (labelled_8bit) cte = "7bit";
    } else if (p.encoding == transfer_encoding::binary || !is_seven_bit(body)) {
      if (p.type == "message" && !global_subtype(p.subtype) && p.encoding != transfer_encoding::base64 &&
          p.encoding != transfer_encoding::quoted_printable) {
        return std::unexpected(refuse(fmt::format(
            "8-bit bytes in a message/{} part, which may not be re-encoded (RFC 2046 §5.2)", p.subtype.substr(0, 64))));
      }
      if (p.encoding == transfer_encoding::other) {
        return std::unexpected(refuse(fmt::format("8-bit bytes in a part with the unknown transfer encoding {}",
                                                  p.encoding_name.substr(0, 64))));
      }
      const auto decoded = decode_transfer(body, p.encoding);
      const bool qp = p.encoding == transfer_encoding::quoted_printable ||
                      (p.is_text() && p.encoding != transfer_encoding::base64 &&
                       p.encoding != transfer_encoding::binary);
      new_body = qp ? encode_quoted_printable(decoded) : encode_base64(decoded);
      cte = qp ? "quoted-printable" : "base64";
      skip_until = p.body.end;
    }
    if (cte || !is_seven_bit(slice(bytes, p.header))) {
      auto header = rewrite_header(bytes, m, i, cte);
      if (!header) return std::unexpected(header.error());
      edits.push_back({p.header, std::move(*header)});
    }
    if (new_body) edits.push_back({p.body, std::move(*new_body)});
  }
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 3 + 256);
  std::size_t pos = 0;
  for (const auto& e : edits) {
    out += bytes.substr(pos, e.range.begin - pos);
    out += e.text;
    pos = e.range.end;
  }
  out += bytes.substr(pos);
  if (!is_seven_bit(out)) {
    return std::unexpected(refuse(m.truncated ? "8-bit bytes in MIME structure too deep or too large to convert"
                                              : "8-bit bytes outside any part that can be re-encoded "
                                                "(a preamble, an epilogue or a malformed header line)"));
  }
  return out;
}

}  // namespace letterhead::mime
