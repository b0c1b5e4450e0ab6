#include "mime/transfer_encoding.hpp"

#include <array>
#include <cstdint>

#include "mime/detail/ascii.hpp"

namespace letterhead::mime {
namespace {

constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr auto base64_table = make_base64_table();

}  // namespace

transfer_encoding parse_transfer_encoding(std::string_view value) noexcept {
  value = detail::trim(value);
  // A comment after the token is legal CFWS (RFC 2045 §6.1 uses RFC 822 lexing).
  if (auto paren = value.find('('); paren != std::string_view::npos) {
    value = detail::trim(value.substr(0, paren));
  }
  if (value.empty() || detail::iequals(value, "7bit")) return transfer_encoding::seven_bit;
  if (detail::iequals(value, "8bit")) return transfer_encoding::eight_bit;
  if (detail::iequals(value, "binary")) return transfer_encoding::binary;
  if (detail::iequals(value, "quoted-printable")) return transfer_encoding::quoted_printable;
  if (detail::iequals(value, "base64")) return transfer_encoding::base64;
  return transfer_encoding::other;
}

std::string decode_base64(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size() / 4 * 3 + 3);
  std::uint32_t group = 0;
  int count = 0;
  auto flush_partial = [&] {
    // 2 characters carry one byte, 3 carry two; a lone character carries none.
    if (count == 2) {
      out.push_back(static_cast<char>(group >> 4));
    } else if (count == 3) {
      out.push_back(static_cast<char>(group >> 10));
      out.push_back(static_cast<char>((group >> 2) & 0xFF));
    }
    group = 0;
    count = 0;
  };
  for (char c : encoded) {
    if (c == '=') {
      flush_partial();
      continue;
    }
    const auto v = base64_table[static_cast<unsigned char>(c)];
    if (v < 0) continue;  // RFC 2045 §6.8: ignore characters outside the alphabet
    group = (group << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>(group >> 16));
      out.push_back(static_cast<char>((group >> 8) & 0xFF));
      out.push_back(static_cast<char>(group & 0xFF));
      group = 0;
      count = 0;
    }
  }
  flush_partial();
  return out;
}

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    // One line at a time: [i, content_end) is the line without its line break.
    std::size_t eol = in.find('\n', i);
    std::size_t next = (eol == std::string_view::npos) ? n : eol + 1;
    std::size_t content_end = (eol == std::string_view::npos) ? n : eol;
    if (content_end > i && in[content_end - 1] == '\r') --content_end;
    std::string_view line_break = in.substr(content_end, next - content_end);

    // RFC 2045 §6.7 rule 3: trailing whitespace was added in transport; drop it.
    std::size_t end = content_end;
    while (end > i && detail::is_wsp(in[end - 1])) --end;

    bool soft_break = false;
    std::size_t j = i;
    while (j < end) {
      char c = in[j];
      if (c != '=') {
        out.push_back(c);
        ++j;
        continue;
      }
      if (j + 1 == end) {
        soft_break = true;  // RFC 2045 §6.7 rule 5: "=" at the end of a line
        ++j;
        continue;
      }
      if (j + 2 < end) {
        int hi = detail::hex_value(in[j + 1]);
        int lo = detail::hex_value(in[j + 2]);
        if (hi >= 0 && lo >= 0) {
          out.push_back(static_cast<char>(hi * 16 + lo));
          j += 3;
          continue;
        }
      }
      out.push_back('=');  // malformed: keep literally (RFC 2045 §6.7 note on robustness)
      ++j;
    }
    if (!soft_break) out.append(line_break);
    i = next;
  }
  return out;
}

std::string decode_q(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '_') {
      out.push_back(' ');  // RFC 2047 §4.2 (2)
    } else if (c == '=' && i + 2 < in.size() && detail::hex_value(in[i + 1]) >= 0 &&
               detail::hex_value(in[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(detail::hex_value(in[i + 1]) * 16 + detail::hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string decode_transfer(std::string_view body, transfer_encoding encoding) {
  switch (encoding) {
    case transfer_encoding::base64: return decode_base64(body);
    case transfer_encoding::quoted_printable: return decode_quoted_printable(body);
    default: return std::string(body);
  }
}

std::string encode_base64(std::string_view in) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  constexpr std::size_t groups_per_line = 19;  // 76 characters (RFC 2045 §6.8)
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4 + (in.size() / 57 + 1) * 2);
  std::size_t groups = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t left = in.size() - i;
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (left > 1) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (left > 2) n |= static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += left > 1 ? alphabet[(n >> 6) & 63] : '=';
    out += left > 2 ? alphabet[n & 63] : '=';
    if (++groups == groups_per_line || left <= 3) {
      out += "\r\n";
      groups = 0;
    }
  }
  return out;
}

std::string encode_quoted_printable(std::string_view in) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  constexpr std::size_t max_line = 76;  // RFC 2045 §6.7 rule 5, the "=" of a soft break included
  std::string out;
  out.reserve(in.size() + in.size() / 8 + 8);
  std::size_t column = 0;
  auto emit = [&](std::string_view piece) {
    // Room for the piece and, unless the line ends here, a soft break's "=".
    if (column + piece.size() > max_line - 1) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\n' || (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n')) {
      if (c == '\r') ++i;
      out += "\r\n";
      column = 0;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    const bool line_ends = i + 1 == in.size() || in[i + 1] == '\n' ||
                           (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n');
    const bool literal = (u >= 33 && u <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_ends);
    if (literal) {
      emit(std::string_view(&c, 1));
    } else {
      const char encoded[3] = {'=', hex[u >> 4], hex[u & 15]};
      emit(std::string_view(encoded, 3));
    }
  }
  return out;
}

}  // namespace letterhead::mime
