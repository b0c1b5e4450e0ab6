// libFuzzer target for the PROXY protocol parser (core/proxy_protocol.hpp): what a
// trusted load balancer, or anyone who reaches a PROXY listener through one, sends
// first on a connection.
//
// Input: the bytes of the connection's start.
// Checks: a complete header never claims more bytes than given nor more than the
// limits; feeding any prefix of the input gives "need more" or the same verdict
// (the listener feeds what has arrived so far); "need more" never comes for input
// already past the limits.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/proxy_protocol.hpp"

namespace {

using namespace letterhead::core;

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto whole = parse_proxy_header(input);
  if (whole && *whole) {
    const auto& h = **whole;
    require(h.size <= input.size());
    require(h.size <= (h.version == 1 ? proxy_v1_max_size : proxy_v2_max_size));
    require(h.version == 1 || h.version == 2);
    require(h.source.has_value() == h.destination.has_value());
    // The header alone parses to the same header.
    const auto alone = parse_proxy_header(input.substr(0, h.size));
    require(alone && *alone && (*alone)->size == h.size);
  }
  if (!whole || !*whole) require(!whole || input.size() < proxy_v2_max_size);
  // Every prefix: need more, or the same verdict as the whole input.
  for (std::size_t n = 0; n < input.size(); n += 1 + n / 8) {
    const auto part = parse_proxy_header(input.substr(0, n));
    if (part && !*part) continue;
    if (!part) {
      require(!whole);
    } else {
      require(whole && *whole && (**part).size == (**whole).size);
    }
  }
  return 0;
}
