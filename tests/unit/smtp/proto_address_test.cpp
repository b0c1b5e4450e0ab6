// Address syntax: RFC 5321 §4.1.2 Mailbox, §4.1.3 address literals, RFC 6531 UTF-8.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/proto/address.hpp"

namespace letterhead::smtp::proto {
namespace {

TEST(ProtoAddress, SplitPath) {
  struct row {
    std::string in, local, domain;
  };
  const std::vector<row> rows = {
      {"user@example.com", "user", "example.com"},
      {"First.Last@Example.COM", "First.Last", "Example.COM"},  // domain as written
      {"\"john doe\"@example.com", "john doe", "example.com"},  // quotes removed
      {"\"a\\\"b\\\\c\"@example.com", "a\"b\\c", "example.com"},
      {"\"\"@example.com", "", "example.com"},  // Quoted-string may be empty
      {"\"a@b\"@example.com", "a@b", "example.com"},
      {"user@[192.0.2.1]", "user", "[192.0.2.1]"},
      {"user@[IPv6:2001:db8::1]", "user", "[IPv6:2001:db8::1]"},
      {"用户@例子.中国", "用户", "例子.中国"},
      {"Postmaster", "Postmaster", ""},  // RFC 5321 §4.5.1
      {"POSTMASTER", "POSTMASTER", ""},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.in);
    auto p = split_path(r.in);
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(p->local, r.local);
    EXPECT_EQ(p->domain, r.domain);
  }
  for (const std::string& bad : std::vector<std::string>{"", "@", "user", "user@", "@example.com", "a b@example.com", "a@b@c.example",
                          "<a@b.example>", "a@b.example ", "a@-b.example", "\"a@b.example", "a@[1.2.3.256]",
                          "user@例子.中国 "}) {
    EXPECT_FALSE(split_path(bad).has_value()) << bad;
  }
  EXPECT_FALSE(split_path("用户@example.com", {.smtputf8 = false}).has_value());
  EXPECT_FALSE(split_path(std::string(65, 'a') + "@example.com").has_value());
  EXPECT_TRUE(split_path(std::string(64, 'a') + "@example.com").has_value());
}

TEST(ProtoAddress, ToPathQuotesWhenNeeded) {
  EXPECT_EQ(to_path({"user", "example.com"}), "user@example.com");
  EXPECT_EQ(to_path({"john doe", "example.com"}), "\"john doe\"@example.com");
  EXPECT_EQ(to_path({"a\"b\\c", "example.com"}), "\"a\\\"b\\\\c\"@example.com");
  EXPECT_EQ(to_path({"", "example.com"}), "\"\"@example.com");
  EXPECT_EQ(to_path({"a..b", "example.com"}), "\"a..b\"@example.com");
  EXPECT_EQ(to_path({"用户", "例子.中国"}), "用户@例子.中国");
  EXPECT_EQ(to_path({"Postmaster", ""}), "Postmaster");
  // Round trip through split_path.
  for (const std::string& s : std::vector<std::string>{"\"john doe\"@example.com", "\"a\\\"b\"@example.com", "x.y+z@example.com"}) {
    auto p = split_path(s);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(to_path(*p), s);
  }
}

TEST(ProtoAddress, ParsePathConsumed) {
  std::size_t consumed = 0;
  auto p = parse_path("<a@b.example> SIZE=1", consumed, {});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->mailbox, "a@b.example");
  EXPECT_EQ(consumed, 13u);

  p = parse_path("<> BODY=7BIT", consumed, {.allow_null = true});
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->null_path);
  EXPECT_EQ(consumed, 2u);
  EXPECT_FALSE(parse_path("<>", consumed, {}).has_value());
  EXPECT_FALSE(parse_path("<Postmaster>", consumed, {}).has_value());
  EXPECT_TRUE(parse_path("<Postmaster>", consumed, {.allow_postmaster = true}).has_value());

  p = parse_path("<@a.example,@[192.0.2.1]:x@c.example>", consumed, {});
  EXPECT_FALSE(p.has_value());  // At-domain = "@" Domain: no literal in a source route
  p = parse_path("<@a.example,@b.example:x@c.example>", consumed, {});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->mailbox, "x@c.example");
}

TEST(ProtoAddress, Domains) {
  for (const std::string& good : std::vector<std::string>{"example.com", "a", "a-b.c", "xn--fiqs8s", "1.2.3.4", "a1", "1a",
                           std::string(63, 'x') + ".com", "例子.中国", "例子-1.中国"}) {
    EXPECT_TRUE(is_domain(good)) << good;
  }
  std::string d255;
  while (d255.size() < 255) d255 += d255.empty() ? "x" : ".x";
  EXPECT_EQ(d255.size(), 255u);
  EXPECT_TRUE(is_domain(d255));
  EXPECT_FALSE(is_domain(d255 + "x"));
  for (const std::string& bad : std::vector<std::string>{"", ".", "a.", ".a", "a..b", "-a", "a-", "a.-b", "a_b", "a b", "a@b", "[1.2.3.4]",
                          std::string(64, 'x') + ".com", "例子.\xff"}) {
    EXPECT_FALSE(is_domain(bad)) << bad;
  }
  EXPECT_FALSE(is_domain("例子.中国", {.smtputf8 = false}));
}

TEST(ProtoAddress, AddressLiterals) {
  for (const std::string& good : std::vector<std::string>{
           "[192.0.2.1]", "[0.0.0.0]", "[255.255.255.255]", "[001.02.3.4]",
           "[IPv6:2001:db8::1]", "[ipv6:2001:DB8::1]", "[IPv6:::]", "[IPv6:::1]", "[IPv6:1::]",
           "[IPv6:1:2:3:4:5:6:7:8]", "[IPv6:1:2:3:4:5:6::]", "[IPv6:1::2:3:4:5:6]",
           "[IPv6:::ffff:192.0.2.1]", "[IPv6:1:2:3:4:5:6:192.0.2.1]", "[IPv6:1:2:3:4::192.0.2.1]",
           "[IPv6:::192.0.2.1]", "[x-tag:content]", "[tag:a!~Z]"}) {
    EXPECT_TRUE(is_address_literal(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{
           "", "[]", "192.0.2.1", "[192.0.2.1", "192.0.2.1]", "[256.0.0.1]", "[1.2.3]", "[1.2.3.4.5]",
           "[1..2.3]", "[1.2.3.4.]", "[0001.2.3.4]", "[ 1.2.3.4]",
           "[IPv6:]", "[IPv6:1:2:3:4:5:6:7]", "[IPv6:1:2:3:4:5:6:7:8:9]", "[IPv6:1::2::3]",
           "[IPv6:1:::2]", "[IPv6::1:2]", "[IPv6:1:2:]", "[IPv6:12345::]", "[IPv6:g::]",
           "[IPv6:1:2:3:4:5:6:7::]",  // RFC 5321: at most 6 groups besides "::"
           "[IPv6:1:2:3:4:5::1.2.3.4]", "[IPv6:1:2:3:4:5:1.2.3.4]", "[IPv6:1.2.3.4::]",
           "[IPv6:::1.2.3]", "[IPv6:::256.1.1.1]", "[tag-:x]", "[-:x]", "[:x]", "[tag:]", "[tag:a]b]",
           "[tag:a\\b]", "[tag:a b]"}) {
    EXPECT_FALSE(is_address_literal(bad)) << bad;
  }
}

TEST(ProtoAddress, DotString) {
  EXPECT_TRUE(is_dot_string("a.b.c"));
  EXPECT_TRUE(is_dot_string("!#$%&'*+-/=?^_`{|}~"));
  EXPECT_TRUE(is_dot_string("用户"));
  EXPECT_FALSE(is_dot_string("用户", {.smtputf8 = false}));
  EXPECT_FALSE(is_dot_string(""));
  EXPECT_FALSE(is_dot_string("a..b"));
  EXPECT_FALSE(is_dot_string("\"a\""));
  EXPECT_FALSE(is_dot_string("a b"));
}

TEST(ProtoAddress, NormalizeAndAscii) {
  EXPECT_EQ(normalize_domain("Example.COM"), "example.com");
  EXPECT_EQ(normalize_domain("例子.CN"), "例子.cn");
  EXPECT_EQ(normalize_domain("[IPv6:2001:DB8::1]"), "[ipv6:2001:db8::1]");
  EXPECT_TRUE(is_ascii("plain@example.com"));
  EXPECT_TRUE(is_ascii(""));
  EXPECT_FALSE(is_ascii("用户@example.com"));
  EXPECT_FALSE(is_ascii("\x80"));
}

}  // namespace
}  // namespace letterhead::smtp::proto
