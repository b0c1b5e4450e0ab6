#pragma once
// The PROXY protocol, versions 1 and 2 (HAProxy, "The PROXY protocol, Versions 1 &
// 2"): the header a load balancer sends first on each connection it relays, naming
// the real client. Sans I/O: the caller feeds the bytes received so far and learns
// whether the header is complete, needs more, or is invalid. The listener side
// (which peers may send it, timeouts) is in tcp_server.cpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "core/ip_network.hpp"

namespace letterhead::core {

// Spec §2.1: a v1 line is at most 107 bytes with its CRLF.
inline constexpr std::size_t proxy_v1_max_size = 107;
// Spec §2.2: 16 fixed bytes, then the address block and TLVs. HAProxy's TLVs (ALPN,
// authority, unique id, SSL details) stay well below this; more is refused.
inline constexpr std::size_t proxy_v2_max_size = 4096;

struct proxy_endpoint {
  ip_address address;
  std::uint16_t port = 0;
};

struct proxy_header {
  int version = 0;  // 1 or 2
  // Absent for v2 LOCAL (the proxy's own health check), v1 UNKNOWN and v2 families
  // other than INET/INET6: the connection's real endpoints apply (spec §2.1, §2.2).
  std::optional<proxy_endpoint> source;
  std::optional<proxy_endpoint> destination;
  std::size_t size = 0;  // bytes of the header; what follows is the relayed stream
};

// Parses the start of `input`. nullopt: a valid prefix, more bytes needed (every
// byte given so far belongs to the header). errc::invalid: not a valid header,
// drop the connection (spec §2: never guess, never fall back to no header).
[[nodiscard]] result<std::optional<proxy_header>> parse_proxy_header(std::string_view input);

}  // namespace letterhead::core
