// The in-memory sliding-window counter behind the abuse limits.
#include "core/rate_counter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace letterhead::core {
namespace {

using namespace std::chrono_literals;

TEST(RateCounter, CountsPerKeyWithinTheWindow) {
  auto c = make_memory_rate_counter(std::chrono::seconds(60));
  const auto t0 = rate_counter::clock::time_point{} + 1000s;
  EXPECT_EQ(c->count("a", t0), 0u);
  EXPECT_EQ(c->hit("a", t0), 1u);
  EXPECT_EQ(c->hit("a", t0 + 1s), 2u);
  EXPECT_EQ(c->hit("b", t0 + 1s), 1u);
  EXPECT_EQ(c->count("a", t0 + 59s), 2u);
  // Half a window later, half of the previous bucket still counts.
  EXPECT_EQ(c->count("a", t0 + 90s), 1u);
  EXPECT_EQ(c->hit("a", t0 + 90s), 2u);
  // Two windows of silence: clean again.
  EXPECT_EQ(c->count("a", t0 + 300s), 0u);
}

TEST(RateCounter, BoundedInKeys) {
  auto c = make_memory_rate_counter(std::chrono::seconds(60), 100);
  const auto t0 = rate_counter::clock::time_point{} + 1000s;
  for (int i = 0; i < 10000; ++i) (void)c->hit(std::to_string(i), t0);
  // The newest key is kept; most old ones are gone.
  EXPECT_EQ(c->count("9999", t0), 1u);
  int kept = 0;
  for (int i = 0; i < 10000; ++i) kept += c->count(std::to_string(i), t0) != 0 ? 1 : 0;
  EXPECT_LE(kept, 100);
}

TEST(RateCounter, ClientKeyIsTheIpv4AddressOrTheIpv6Slash64) {
  EXPECT_EQ(client_rate_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_rate_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_rate_key("2001:db8:1:2::1"), client_rate_key("2001:db8:1:2:ffff::9"))
      << "rotating through one /64 is one client";
  EXPECT_NE(client_rate_key("2001:db8:1:2::1"), client_rate_key("2001:db8:1:3::1"));
  EXPECT_EQ(client_rate_key("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_rate_key("not an address"), "not an address");
}

}  // namespace
}  // namespace letterhead::core
