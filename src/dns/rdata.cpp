#include "dns/rdata.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace letterhead::dns {

namespace {

std::uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

void append_label_byte(std::string& out, std::uint8_t b) {
  if (b >= 'A' && b <= 'Z') {
    out += static_cast<char>(b - 'A' + 'a');
  } else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_') {
    out += static_cast<char>(b);
  } else {
    out += '\\';
    out += static_cast<char>('0' + b / 100);
    out += static_cast<char>('0' + b / 10 % 10);
    out += static_cast<char>('0' + b % 10);
  }
}

std::optional<std::string> parse_address(std::string_view rdata, int family, std::size_t size) {
  if (rdata.size() != size) return std::nullopt;
  unsigned char bytes[16];
  std::memcpy(bytes, rdata.data(), size);
  char text[INET6_ADDRSTRLEN];
  if (::inet_ntop(family, bytes, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

}  // namespace

std::optional<std::string> parse_name(std::string_view wire, std::size_t& pos) {
  std::string out;
  std::size_t wire_length = 0;
  std::size_t p = pos;
  bool first = true;
  while (true) {
    if (p >= wire.size()) return std::nullopt;
    const std::uint8_t len = byte_at(wire, p++);
    if ((len & 0xc0) != 0) return std::nullopt;  // pointer (0xc0) or extended label type
    wire_length += 1u + len;
    if (wire_length > max_wire_name) return std::nullopt;
    if (len == 0) break;
    if (wire.size() - p < len) return std::nullopt;
    if (!first) out += '.';
    first = false;
    for (std::size_t i = 0; i < len; ++i) append_label_byte(out, byte_at(wire, p + i));
    p += len;
  }
  pos = p;
  return out;
}

std::optional<mx_record> parse_mx(std::string_view rdata) {
  if (rdata.size() < 3) return std::nullopt;
  mx_record mx;
  mx.preference = static_cast<std::uint16_t>(byte_at(rdata, 0) << 8 | byte_at(rdata, 1));
  std::size_t pos = 2;
  auto host = parse_name(rdata, pos);
  if (!host || pos != rdata.size()) return std::nullopt;
  mx.host = std::move(*host);
  return mx;
}

std::optional<std::string> parse_txt(std::string_view rdata) {
  // One or more <character-string>s: a length byte, then that many bytes.
  if (rdata.empty()) return std::nullopt;
  std::string out;
  std::size_t pos = 0;
  while (pos < rdata.size()) {
    const std::size_t len = byte_at(rdata, pos++);
    if (rdata.size() - pos < len) return std::nullopt;
    out.append(rdata.substr(pos, len));
    pos += len;
  }
  return out;
}

std::optional<tlsa_record> parse_tlsa(std::string_view rdata) {
  if (rdata.size() < 3) return std::nullopt;
  tlsa_record t;
  t.usage = byte_at(rdata, 0);
  t.selector = byte_at(rdata, 1);
  t.matching_type = byte_at(rdata, 2);
  t.data = std::string(rdata.substr(3));
  return t;
}

std::optional<std::string> parse_ptr(std::string_view rdata) {
  std::size_t pos = 0;
  auto name = parse_name(rdata, pos);
  if (!name || pos != rdata.size()) return std::nullopt;
  return name;
}

std::optional<std::string> parse_a(std::string_view rdata) { return parse_address(rdata, AF_INET, 4); }

std::optional<std::string> parse_aaaa(std::string_view rdata) {
  return parse_address(rdata, AF_INET6, 16);
}

}  // namespace letterhead::dns
