#include "core/ip_network.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

namespace letterhead::core {

std::optional<ip_address> parse_ip_address(std::string_view text) {
  // inet_pton needs a terminated string; longer text is no address.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  ip_address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static constexpr std::array<std::uint8_t, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(mapped.begin(), mapped.end(), a.bytes.begin())) {
    ip_address v4;
    std::copy_n(a.bytes.begin() + 12, 4, v4.bytes.begin());
    return v4;
  }
  a.v6 = true;
  return a;
}

result<ip_network> parse_ip_network(std::string_view text) {
  const auto slash = text.find('/');
  auto address = parse_ip_address(text.substr(0, slash));
  if (!address) return fail(errc::invalid, fmt::format("'{}' is not an IP address or network", text));
  // A literal "::ffff:a.b.c.d/n" would need its prefix shifted: not worth the surprise.
  if (!address->v6 && text.substr(0, slash).find(':') != std::string_view::npos) {
    return fail(errc::invalid, fmt::format("'{}': write IPv4 networks in IPv4 notation", text));
  }
  const unsigned max = address->v6 ? 128 : 32;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || digits.size() > 3 || ec != std::errc() || end != digits.data() + digits.size() ||
        prefix > max) {
      return fail(errc::invalid, fmt::format("'{}': the prefix length must be 0 to {}", text, max));
    }
  }
  ip_network n{*address, prefix};
  ip_network base_only = n;
  for (unsigned bit = prefix; bit < max; ++bit) {
    base_only.base.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  }
  if (base_only.base.bytes != n.base.bytes) {
    return fail(errc::invalid, fmt::format("'{}' has host bits set after the prefix", text));
  }
  return n;
}

bool contains(const ip_network& network, const ip_address& address) {
  if (network.base.v6 != address.v6) return false;
  const unsigned whole = network.prefix / 8;
  const auto* a = address.bytes.data();
  if (!std::equal(a, a + whole, network.base.bytes.data())) return false;
  const unsigned rest = network.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF00U >> rest);
  return (address.bytes[whole] & mask) == network.base.bytes[whole];
}

}  // namespace letterhead::core
