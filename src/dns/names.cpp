#include "dns/names.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iterator>

#include <fmt/format.h>

namespace letterhead::dns {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::optional<std::string> query_name(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
      out += c;
      continue;
    }
    if (!name_char(c) || ++label > 63) return std::nullopt;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (label == 0) return std::nullopt;
  return out;
}

std::optional<std::string> reverse_name(std::string_view ip) {
  const std::string text(ip);
  unsigned char b[16];
  if (::inet_pton(AF_INET, text.c_str(), b) == 1) {
    return fmt::format("{}.{}.{}.{}.in-addr.arpa", b[3], b[2], b[1], b[0]);
  }
  if (::inet_pton(AF_INET6, text.c_str(), b) != 1) return std::nullopt;
  static constexpr unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(std::begin(v4_mapped), std::end(v4_mapped), b)) {
    return fmt::format("{}.{}.{}.{}.in-addr.arpa", b[15], b[14], b[13], b[12]);
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(72);
  for (int i = 15; i >= 0; --i) {
    out += hex[b[i] & 0x0f];
    out += '.';
    out += hex[b[i] >> 4];
    out += '.';
  }
  out += "ip6.arpa";
  return out;
}

core::result<std::string> unbound_server(std::string_view server) {
  std::string_view host = server;
  std::string_view port = "53";
  if (server.starts_with('[')) {
    const auto close = server.find(']');
    if (close == std::string_view::npos) {
      return core::fail(core::errc::invalid, fmt::format("DNS server '{}': missing ']'", server));
    }
    host = server.substr(1, close - 1);
    const auto rest = server.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) {
        return core::fail(core::errc::invalid,
                          fmt::format("DNS server '{}': expected ':PORT' after ']'", server));
      }
      port = rest.substr(1);
    }
  } else if (const auto colon = server.find(':');
             colon != std::string_view::npos && server.find(':', colon + 1) == std::string_view::npos) {
    host = server.substr(0, colon);  // exactly one ':' is IPv4:PORT; more is a bare IPv6 address
    port = server.substr(colon + 1);
  }
  unsigned port_number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (ec != std::errc{} || end != port.data() + port.size() || port_number == 0 || port_number > 65535) {
    return core::fail(core::errc::invalid, fmt::format("DNS server '{}': bad port", server));
  }
  const std::string h(host);
  unsigned char buf[16];
  const bool v4 = ::inet_pton(AF_INET, h.c_str(), buf) == 1;
  const bool v6 = !v4 && ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
  if (!v4 && !v6) {
    return core::fail(core::errc::invalid,
                      fmt::format("DNS server '{}': not an IP address (resolvers are given by address)",
                                  server));
  }
  if (v4 && server.starts_with('[')) {
    return core::fail(core::errc::invalid, fmt::format("DNS server '{}': brackets are for IPv6", server));
  }
  return fmt::format("{}@{}", h, port_number);
}

}  // namespace letterhead::dns
