// Query names, reverse names and resolver addresses; and the [dns] config keys.
#include "dns/names.hpp"

#include <gtest/gtest.h>

#include "core/config.hpp"

namespace letterhead::dns {
namespace {

TEST(names, query_name) {
  EXPECT_EQ(query_name("Example.COM."), "example.com");
  EXPECT_EQ(query_name("sel._domainkey.example.com"), "sel._domainkey.example.com");
  EXPECT_EQ(query_name("xn--fsq.example"), "xn--fsq.example");
  EXPECT_EQ(query_name(std::string(63, 'a') + ".b"), std::string(63, 'a') + ".b");
  EXPECT_FALSE(query_name(std::string(64, 'a') + ".b"));
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(62, 'a') + ".";
  long_name += "b";  // 4 * 63 + 1 = 253 bytes
  EXPECT_TRUE(query_name(long_name));
  EXPECT_FALSE(query_name(long_name + "c"));
  for (std::string_view bad : {"", ".", "..", "a..b", ".a", "a b", "a\\.b", "a\"b", "例子.com", "a;b", "a\nb",
                               "*.example.com"}) {
    EXPECT_FALSE(query_name(bad)) << bad;
  }
}

TEST(names, reverse_name) {
  EXPECT_EQ(reverse_name("192.0.2.1"), "1.2.0.192.in-addr.arpa");
  EXPECT_EQ(reverse_name("2001:db8::567:89ab"),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");  // RFC 3596 §2.5
  EXPECT_EQ(reverse_name("::ffff:198.51.100.7"), "7.100.51.198.in-addr.arpa");
  EXPECT_FALSE(reverse_name("192.0.2"));
  EXPECT_FALSE(reverse_name("192.0.2.1.example.com"));
  EXPECT_FALSE(reverse_name(""));
  EXPECT_FALSE(reverse_name("[::1]"));
}

TEST(names, unbound_server) {
  EXPECT_EQ(unbound_server("192.0.2.53"), "192.0.2.53@53");
  EXPECT_EQ(unbound_server("127.0.0.1:5353"), "127.0.0.1@5353");
  EXPECT_EQ(unbound_server("::1"), "::1@53");
  EXPECT_EQ(unbound_server("[2001:db8::1]:5353"), "2001:db8::1@5353");
  EXPECT_EQ(unbound_server("[::1]"), "::1@53");
  for (std::string_view bad : {"", "dns.example.com", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "[::1]5353",
                               "[1.2.3.4]:53", "1.2.3.4@53", " 1.2.3.4"}) {
    auto r = unbound_server(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::errc::invalid);
  }
}

TEST(names, dns_config_keys) {
  auto c = core::parse_config(
      "[dns]\nservers = [\"127.0.0.1:5353\"]\n"
      "trust_anchor = \"/usr/share/dns/root.key\"\ntimeout = 3\n",
      "test");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->dns.trust_anchor, "/usr/share/dns/root.key");
  EXPECT_EQ(c->dns.timeout, std::chrono::seconds(3));
  auto d = core::parse_config("", "test");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->dns.trust_anchor, "");
  EXPECT_EQ(d->dns.timeout, std::chrono::seconds(10));
  EXPECT_FALSE(core::parse_config("[dns]\ntimeout = 0\n", "test"));
  EXPECT_FALSE(core::parse_config("[dns]\ntimeout = 121\n", "test"));
}

}  // namespace
}  // namespace letterhead::dns
