#include "core/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

namespace letterhead::core {

namespace {

constexpr std::string_view v1_prefix = "PROXY ";
// Spec §2.2: chosen so that it never appears at the start of any text protocol.
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t v2_fixed_size = 16;

std::unexpected<error> invalid(std::string_view why) {
  return fail(errc::invalid, "bad PROXY header: " + std::string(why));
}

// Spec §2.1: ports are decimal 0..65535; leading zeros are refused so that each
// port has one spelling.
std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

result<std::optional<proxy_header>> parse_v1(std::string_view input) {
  const auto lf = input.find('\n');
  if (lf == std::string_view::npos) {
    if (input.size() >= proxy_v1_max_size) return invalid("v1 line longer than 107 bytes");
    // A CR anywhere but last, or any byte outside printable ASCII: no line will fix it.
    for (std::size_t i = 0; i < input.size(); ++i) {
      const auto c = static_cast<unsigned char>(input[i]);
      if ((c == '\r' && i + 1 != input.size()) || (c != '\r' && (c < 0x20 || c > 0x7e))) {
        return invalid("v1 line with a control character");
      }
    }
    return std::nullopt;
  }
  if (lf + 1 > proxy_v1_max_size) return invalid("v1 line longer than 107 bytes");
  if (lf == 0 || input[lf - 1] != '\r') return invalid("v1 line not ended by CRLF");
  std::string_view line = input.substr(v1_prefix.size(), lf - 1 - v1_prefix.size());
  if (!std::ranges::all_of(line, [](char c) { return c >= 0x20 && c <= 0x7e; })) {
    return invalid("v1 line with a control character");
  }
  proxy_header h;
  h.version = 1;
  h.size = lf + 1;
  // Spec §2.1: after UNKNOWN the receiver ignores the rest of the line and uses the
  // real connection endpoints.
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return h;
  const bool tcp4 = line.starts_with("TCP4 ");
  if (!tcp4 && !line.starts_with("TCP6 ")) return invalid("v1 protocol is not TCP4, TCP6 or UNKNOWN");
  line.remove_prefix(5);
  // Exactly one space between fields (spec §2.1).
  std::array<std::string_view, 4> f;
  {
    std::string_view rest = line;
    for (std::size_t i = 0; i < 4; ++i) {
      const auto sp = rest.find(' ');
      if ((i < 3) != (sp != std::string_view::npos)) {
        return invalid("v1 line needs 4 fields after the protocol");
      }
      f[i] = rest.substr(0, sp);
      if (f[i].empty()) return invalid("v1 line with an empty field");
      rest = i < 3 ? rest.substr(sp + 1) : std::string_view{};
    }
  }
  auto src = parse_ip_address(f[0]);
  auto dst = parse_ip_address(f[1]);
  if (!src || !dst) return invalid("v1 address is not an IP address");
  // The family must match the protocol; an IPv4-mapped IPv6 text counts as IPv6
  // under TCP6 (it parses to IPv4, but contains ':').
  const auto is_v4_text = [](std::string_view s) { return s.find(':') == std::string_view::npos; };
  if (tcp4 != is_v4_text(f[0]) || tcp4 != is_v4_text(f[1])) {
    return invalid("v1 address family differs from the protocol");
  }
  auto sport = parse_port(f[2]);
  auto dport = parse_port(f[3]);
  if (!sport || !dport) return invalid("v1 port is not 0..65535");
  h.source = proxy_endpoint{*src, *sport};
  h.destination = proxy_endpoint{*dst, *dport};
  return h;
}

std::uint16_t be16(const unsigned char* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

result<std::optional<proxy_header>> parse_v2(std::string_view input) {
  if (input.size() < v2_fixed_size) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(input.data());
  const unsigned version = p[12] >> 4;
  const unsigned command = p[12] & 0x0F;
  const unsigned family = p[13] >> 4;
  const unsigned protocol = p[13] & 0x0F;
  const std::size_t length = be16(p + 14);
  // Spec §2.2: other versions and commands must be dropped.
  if (version != 2) return invalid("v2 version is not 2");
  if (command > 1) return invalid("v2 command is not LOCAL or PROXY");
  if (v2_fixed_size + length > proxy_v2_max_size) return invalid("v2 header longer than 4096 bytes");
  if (input.size() < v2_fixed_size + length) return std::nullopt;
  proxy_header h;
  h.version = 2;
  h.size = v2_fixed_size + length;
  // LOCAL: the proxy's own connection (a health check); the block is skipped whole.
  if (command == 0) return h;
  if (family == 0 || family == 3) return h;  // AF_UNSPEC, AF_UNIX: real endpoints
  if (family > 3) return invalid("v2 address family unknown");
  if (protocol != 1) return invalid("v2 INET/INET6 header not over STREAM");
  const bool v6 = family == 2;
  const std::size_t alen = v6 ? 16 : 4;
  const std::size_t block = 2 * alen + 4;
  if (length < block) return invalid("v2 length shorter than its address block");
  const auto* a = p + v2_fixed_size;
  proxy_endpoint src;
  proxy_endpoint dst;
  src.address.v6 = dst.address.v6 = v6;
  std::copy_n(a, alen, src.address.bytes.begin());
  std::copy_n(a + alen, alen, dst.address.bytes.begin());
  src.port = be16(a + 2 * alen);
  dst.port = be16(a + 2 * alen + 2);
  // Spec §2.2.7: TLVs fill the rest; each must fit. Their contents are not used.
  std::size_t at = block;
  while (at < length) {
    if (length - at < 3) return invalid("v2 TLV truncated");
    const std::size_t tlen = be16(a + at + 1);
    if (length - at - 3 < tlen) return invalid("v2 TLV longer than the header");
    at += 3 + tlen;
  }
  h.source = src;
  h.destination = dst;
  return h;
}

}  // namespace

result<std::optional<proxy_header>> parse_proxy_header(std::string_view input) {
  // Compare the signature as far as bytes have arrived; a mismatch is final.
  const auto matches = [&](std::string_view sig) {
    const auto n = std::min(input.size(), sig.size());
    return input.substr(0, n) == sig.substr(0, n);
  };
  if (input.empty()) return std::nullopt;
  if (matches(v1_prefix)) {
    if (input.size() < v1_prefix.size()) return std::nullopt;
    return parse_v1(input);
  }
  if (matches(v2_signature)) {
    if (input.size() < v2_signature.size()) return std::nullopt;
    return parse_v2(input);
  }
  return invalid("no PROXY signature");
}

}  // namespace letterhead::core
