#include "mime/address.hpp"

#include <gtest/gtest.h>

namespace letterhead::mime {
namespace {

struct expected_mailbox {
  std::string display;
  std::string local;
  std::string domain;
};

struct address_case {
  std::string raw;
  std::vector<expected_mailbox> mailboxes;
};

// Cases from RFC 5322 Appendix A and real mail; cross-checked with Python's
// email.headerregistry where it agrees with the RFC. Where they differ on purpose:
// Python keeps the space between two encoded-words in a phrase (RFC 2047 §6.2 drops
// it), ignores "addr (Name)" comments, and reads "Name addr@host" as one local part.
TEST(address, parses_lists) {
  const address_case cases[] = {
      {"a@example.com", {{"", "a", "example.com"}}},
      {"John Smith <john@example.com>", {{"John Smith", "john", "example.com"}}},
      {"\"Smith, John\" <john@example.com>, jane@example.com",
       {{"Smith, John", "john", "example.com"}, {"", "jane", "example.com"}}},
      {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",  // RFC 5322 A.1.2
       {{"Mary Smith", "mary", "x.test"}, {"", "jdoe", "example.org"}, {"Who?", "one", "y.test"}}},
      {"\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
       {{"Giant; \"Big\" Box", "sysservices", "example.net"}}},
      {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",  // RFC 5322 A.5
       {{"Pete", "pete", "silly.test"}}},
      {"\"Joe Q. Public\" <john.q.public@example.com>",
       {{"Joe Q. Public", "john.q.public", "example.com"}}},
      {"Joe.Q.Public <joe@x>", {{"Joe.Q.Public", "joe", "x"}}},  // obs-phrase
      {"<@route1,@route2:user@example.com>", {{"", "user", "example.com"}}},  // §4.4
      {"user@[192.0.2.1]", {{"", "user", "[192.0.2.1]"}}},
      {"user @ example . com", {{"", "user", "example.com"}}},
      {"\"john smith\"@example.com", {{"", "john smith", "example.com"}}},
      {"a@b,\r\n c@d", {{"", "a", "b"}, {"", "c", "d"}}},
      {"john@example.com (John Doe)", {{"John Doe", "john", "example.com"}}},
      {"John Smith john@example.com", {{"John Smith", "john", "example.com"}}},
      {"Bob", {{"", "Bob", ""}}},
      // RFC 2047 display names, RFC 6532 UTF-8.
      {"=?utf-8?B?5byg5LiJ?= <zhangsan@example.com>", {{"张三", "zhangsan", "example.com"}}},
      {"=?utf-8?B?5byg?= =?utf-8?B?5LiJ?= <z@x>", {{"张三", "z", "x"}}},
      {"\"=?utf-8?B?5byg5LiJ?=\" <zhangsan@example.com>", {{"张三", "zhangsan", "example.com"}}},
      {"=?utf-8?Q?Smith,_John?= <j@x>", {{"Smith, John", "j", "x"}}},
      {"=?gb2312?B?ytCzobK/?= <news@example.cn>", {{"市场部", "news", "example.cn"}}},
      {"张三 <zhangsan@例子.中国>", {{"张三", "zhangsan", "例子.中国"}}},
      {"\"李四\" <李四@example.com>", {{"李四", "李四", "example.com"}}},
      {"\xd5\xc5\xc8\xfd <z@x>", {{"张三", "z", "x"}}},  // raw GBK: fallback charset
      // Recovery from garbage.
      {"", {}},
      {",,, ,", {}},
      {"<>", {}},
      {"Name <>", {{"Name", "", ""}}},
      {"<a@b", {{"", "a", "b"}}},
      {"a@b>", {{"", "a", "b"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.raw);
    auto list = parse_address_list(c.raw);
    ASSERT_EQ(list.mailboxes.size(), c.mailboxes.size());
    for (std::size_t i = 0; i < c.mailboxes.size(); ++i) {
      EXPECT_EQ(list.mailboxes[i].display_name, c.mailboxes[i].display);
      EXPECT_EQ(list.mailboxes[i].local, c.mailboxes[i].local);
      EXPECT_EQ(list.mailboxes[i].domain, c.mailboxes[i].domain);
    }
  }
}

TEST(address, groups) {
  // RFC 5322 A.1.3
  auto list = parse_address_list(
      "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Mary Smith <mary@x.test>");
  ASSERT_EQ(list.mailboxes.size(), 4u);
  ASSERT_EQ(list.groups.size(), 1u);
  EXPECT_EQ(list.groups[0].name, "A Group");
  EXPECT_EQ(list.groups[0].first, 0u);
  EXPECT_EQ(list.groups[0].count, 3u);
  EXPECT_EQ(list.mailboxes[0].group.value_or(""), "A Group");
  EXPECT_EQ(list.mailboxes[2].group.value_or(""), "A Group");
  EXPECT_FALSE(list.mailboxes[3].group.has_value());
  EXPECT_EQ(list.mailboxes[0].display_name, "Ed Jones");

  auto empty = parse_address_list("undisclosed-recipients:;");
  EXPECT_TRUE(empty.mailboxes.empty());
  ASSERT_EQ(empty.groups.size(), 1u);
  EXPECT_EQ(empty.groups[0].name, "undisclosed-recipients");
  EXPECT_EQ(empty.groups[0].count, 0u);

  auto positioned = parse_address_list("a@x, Empty:;, b@y");
  ASSERT_EQ(positioned.mailboxes.size(), 2u);
  EXPECT_EQ(positioned.groups[0].first, 1u);  // between a@x and b@y

  auto unterminated = parse_address_list("G: a@b, c@d");
  ASSERT_EQ(unterminated.groups.size(), 1u);
  EXPECT_EQ(unterminated.groups[0].count, 2u);

  auto encoded = parse_address_list("=?utf-8?Q?Team_A?=: a@b;");
  EXPECT_EQ(encoded.groups[0].name, "Team A");
  EXPECT_EQ(encoded.groups[0].name_raw, "=?utf-8?Q?Team_A?=");
}

TEST(address, raw_display_name_for_envelope) {
  auto list = parse_address_list(
      "John   Smith <j@x>, \"Smith, John\" <s@x>, =?utf-8?B?5byg5LiJ?= <z@x>, \"\\\"q\\\"\" <q@x>");
  ASSERT_EQ(list.mailboxes.size(), 4u);
  EXPECT_EQ(list.mailboxes[0].display_name_raw, "John Smith");
  EXPECT_EQ(list.mailboxes[1].display_name_raw, "Smith, John");
  EXPECT_EQ(list.mailboxes[2].display_name_raw, "=?utf-8?B?5byg5LiJ?=");
  EXPECT_EQ(list.mailboxes[3].display_name_raw, "\"q\"");
}

TEST(address, addr_spec_quotes_when_needed) {
  mailbox_address a;
  a.local = "john.smith";
  a.domain = "example.com";
  EXPECT_EQ(a.addr_spec(), "john.smith@example.com");
  a.local = "john smith";
  EXPECT_EQ(a.addr_spec(), "\"john smith\"@example.com");
  a.local = "a\"b";
  EXPECT_EQ(a.addr_spec(), "\"a\\\"b\"@example.com");
  a.local = "李四";
  EXPECT_EQ(a.addr_spec(), "李四@example.com");  // RFC 6532
  a.local = ".dot";
  EXPECT_EQ(a.addr_spec(), "\".dot\"@example.com");
  a.local = "bob";
  a.domain = "";
  EXPECT_EQ(a.addr_spec(), "bob");
}

TEST(address, decode_phrase) {
  EXPECT_EQ(decode_phrase("=?utf-8?Q?J=C3=B6rg?= (comment) \"M\\\"x\""), "Jörg M\"x");
  EXPECT_EQ(decode_phrase(""), "");
}

TEST(address, never_crashes_on_garbage) {
  const std::string garbage[] = {
      "\"", "(", "<", ">", ":", ";", "@", "\\", "[", "a:b:c:;;;", "<<<>>>", "@@@", "(((",
      "\"\\", "a@", "@b", "<@a,@b:>", ":;:;", std::string("a\0b@c", 5), "=?", "=?x?Q?",
      "\xff\xfe <\xff@\xfe>", "[unterminated", "a <b@c> d <e@f>",
  };
  for (const auto& g : garbage) {
    auto list = parse_address_list(g);
    for (const auto& mb : list.mailboxes) {
      EXPECT_EQ(mb.display_name.find('\0'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace letterhead::mime
