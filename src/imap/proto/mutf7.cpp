#include "imap/proto/mutf7.hpp"

#include <cstdint>
#include <vector>

#include "imap/proto/detail/text.hpp"

namespace letterhead::imap::proto {

namespace {

using core::errc;
using core::fail;

// RFC 3501 §5.1.3: RFC 2152 BASE64 with "," instead of "/".
constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

constexpr bool is_printable_ascii(std::uint32_t c) noexcept { return c >= 0x20 && c <= 0x7e; }

void encode_shift(std::string& out, const std::vector<std::uint16_t>& units) {
  out += '&';
  std::uint32_t bits = 0;
  int nbits = 0;
  for (std::uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += alphabet[(bits >> nbits) & 0x3f];
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out += alphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
}

}  // namespace

core::result<std::string> mutf7_decode(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  std::size_t i = 0;
  while (i < name.size()) {
    const char c = name[i];
    if (c != '&') {
      // RFC 3501 §5.1.3: printable US-ASCII other than "&" represents itself; nothing
      // else may appear outside a shift.
      if (!is_printable_ascii(static_cast<unsigned char>(c))) {
        return fail(errc::invalid, "mailbox name is not modified UTF-7 (8-bit or control character)");
      }
      out += c;
      ++i;
      continue;
    }
    std::size_t end = name.find('-', i + 1);
    if (end == std::string_view::npos) return fail(errc::invalid, "unterminated modified UTF-7 shift");
    if (end == i + 1) {  // "&-" is "&"
      out += '&';
      i = end + 1;
      continue;
    }
    std::uint32_t bits = 0;
    int nbits = 0;
    std::uint32_t high = 0;  // pending high surrogate
    bool any = false;
    for (std::size_t j = i + 1; j < end; ++j) {
      const int v = b64_value(name[j]);
      if (v < 0) return fail(errc::invalid, "bad character in modified UTF-7 shift");
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      nbits += 6;
      if (nbits < 16) continue;
      nbits -= 16;
      const std::uint32_t unit = (bits >> nbits) & 0xffff;
      bits &= (1u << nbits) - 1;
      any = true;
      if (high != 0) {
        if (unit < 0xdc00 || unit > 0xdfff) return fail(errc::invalid, "unpaired surrogate in modified UTF-7");
        detail::append_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
        high = 0;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        high = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        return fail(errc::invalid, "unpaired surrogate in modified UTF-7");
      } else if (is_printable_ascii(unit)) {
        // RFC 3501 §5.1.3: printable US-ASCII MUST represent itself.
        return fail(errc::invalid, "non-canonical modified UTF-7 (encoded ASCII)");
      } else {
        detail::append_utf8(out, unit);
      }
    }
    // Leftover bits must be fewer than one UTF-16 unit's worth of a character and zero.
    if (!any || high != 0 || nbits >= 6 || bits != 0) {
      return fail(errc::invalid, "malformed modified UTF-7 shift");
    }
    i = end + 1;
    // Two shifts in a row ("&AAA-&AAA-") are a non-canonical spelling of one.
    if (i < name.size() && name[i] == '&' && i + 1 < name.size() && name[i + 1] != '-') {
      return fail(errc::invalid, "non-canonical modified UTF-7 (adjacent shifts)");
    }
  }
  return out;
}

std::string mutf7_encode(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size() + utf8.size() / 2);
  std::vector<std::uint16_t> units;
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    std::int32_t cp = detail::next_code_point(utf8, pos);
    if (cp < 0) cp = 0xfffd;
    const auto u = static_cast<std::uint32_t>(cp);
    if (is_printable_ascii(u)) {
      if (!units.empty()) {
        encode_shift(out, units);
        units.clear();
      }
      out += static_cast<char>(u);
      if (u == '&') out += '-';
      continue;
    }
    if (u >= 0x10000) {
      units.push_back(static_cast<std::uint16_t>(0xd800 + ((u - 0x10000) >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xdc00 + ((u - 0x10000) & 0x3ff)));
    } else {
      units.push_back(static_cast<std::uint16_t>(u));
    }
  }
  if (!units.empty()) encode_shift(out, units);
  return out;
}

}  // namespace letterhead::imap::proto
