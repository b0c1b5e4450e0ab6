#include "pop3/proto/sasl.hpp"

#include <array>
#include <cstdint>

namespace letterhead::pop3::proto {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> decode_table = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}();

// RFC 3629 §4 well-formed UTF-8: no overlongs, no surrogates, at most U+10FFFF.
bool is_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (left == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += left == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

core::result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return core::fail(core::errc::invalid, "Invalid base64 length");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      std::int8_t d = 0;
      if (k < 4 - pad) {
        d = decode_table[static_cast<unsigned char>(text[i + k])];
        if (d < 0) return core::fail(core::errc::invalid, "Invalid base64 character");
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    // RFC 4648 §3.5: the bits that padding leaves unused must be zero.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
      return core::fail(core::errc::invalid, "Invalid base64 padding");
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

core::result<plain_credentials> decode_plain(std::string_view base64) {
  auto raw = base64_decode(base64);
  if (!raw) return std::unexpected(raw.error());
  const std::string_view msg = *raw;
  const std::size_t first = msg.find('\0');
  if (first == std::string_view::npos) return core::fail(core::errc::invalid, "Invalid PLAIN message");
  const std::size_t second = msg.find('\0', first + 1);
  if (second == std::string_view::npos) return core::fail(core::errc::invalid, "Invalid PLAIN message");
  plain_credentials c;
  c.authzid.assign(msg.substr(0, first));
  c.authcid.assign(msg.substr(first + 1, second - first - 1));
  c.password.assign(msg.substr(second + 1));
  if (c.authcid.empty() || c.password.empty() || c.password.find('\0') != std::string::npos ||
      c.authzid.size() > max_sasl_identity_length || c.authcid.size() > max_sasl_identity_length ||
      c.password.size() > max_sasl_password_length || !is_utf8(c.authzid) || !is_utf8(c.authcid)) {
    return core::fail(core::errc::invalid, "Invalid PLAIN message");
  }
  return c;
}

}  // namespace letterhead::pop3::proto
