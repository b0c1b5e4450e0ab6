// Response helpers and sequence sets: what untagged responses are built from.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "imap/proto/response.hpp"
#include "imap/proto/sequence_set.hpp"

namespace letterhead::imap::proto {
namespace {

TEST(ProtoResponse, QuotedOrLiteral) {
  EXPECT_EQ(quoted_or_literal("", false), "\"\"");
  EXPECT_EQ(quoted_or_literal("hello world", false), "\"hello world\"");
  EXPECT_EQ(quoted_or_literal("say \"hi\" \\o/", false), R"("say \"hi\" \\o/")");
  EXPECT_EQ(quoted_or_literal("two\r\nlines", false), "{10}\r\ntwo\r\nlines");
  EXPECT_EQ(quoted_or_literal("lf\n", false), "{3}\r\nlf\n");
  EXPECT_EQ(quoted_or_literal(std::string("a\0b", 3), false), std::string("{3}\r\na\0b", 8));
  // 8-bit: quoted only with UTF8=ACCEPT / IMAP4rev2, and only when it is UTF-8.
  EXPECT_EQ(quoted_or_literal("收件箱", false), "{9}\r\n收件箱");
  EXPECT_EQ(quoted_or_literal("收件箱", true), "\"收件箱\"");
  EXPECT_EQ(quoted_or_literal("caf\xe9", true), "{4}\r\ncaf\xe9");
}

TEST(ProtoResponse, NstringAndAstring) {
  EXPECT_EQ(nstring(std::optional<std::string>{}, false), "NIL");
  EXPECT_EQ(nstring(std::optional<std::string>{"x"}, false), "\"x\"");
  EXPECT_EQ(nstring(std::optional<std::string_view>{}, false), "NIL");
  EXPECT_EQ(nstring(std::optional<std::string_view>{"NIL"}, false), "\"NIL\"");
  EXPECT_EQ(astring("INBOX", false), "INBOX");
  EXPECT_EQ(astring("a]b", false), "a]b");  // resp-specials are ASTRING-CHARs
  EXPECT_EQ(astring("", false), "\"\"");
  EXPECT_EQ(astring("nil", false), "\"nil\"");
  EXPECT_EQ(astring("a b", false), "\"a b\"");
  EXPECT_EQ(astring("a(b", false), "\"a(b\"");
  EXPECT_EQ(astring("50%", false), "\"50%\"");
  EXPECT_EQ(astring("a{b", false), "\"a{b\"");
}

TEST(ProtoResponse, MailboxNames) {
  EXPECT_EQ(mailbox_name("INBOX", false), "INBOX");
  EXPECT_EQ(mailbox_name("收件箱", false), "&ZTZO9nux-");
  EXPECT_EQ(mailbox_name("收件箱", true), "\"收件箱\"");
  EXPECT_EQ(mailbox_name("Sent Items", false), "\"Sent Items\"");
  EXPECT_EQ(mailbox_name("日本語/Sent Items", false), "\"&ZeVnLIqe-/Sent Items\"");
  EXPECT_EQ(mailbox_name("A&B", false), "A&-B");
  EXPECT_EQ(mailbox_name("A&B", true), "A&B");
  EXPECT_EQ(mailbox_name("*", false), "\"*\"");
}

TEST(ProtoResponse, FlagList) {
  const std::vector<std::string> flags = {"\\Seen", "\\Answered", "$Forwarded"};
  EXPECT_EQ(flag_list(flags), "(\\Seen \\Answered $Forwarded)");
  EXPECT_EQ(flag_list({}), "()");
}

TEST(ProtoSequenceSet, FormatCompressesRuns) {
  const auto fmt = [](std::vector<std::uint32_t> v) { return format_sequence_set(v); };
  EXPECT_EQ(fmt({}), "");
  EXPECT_EQ(fmt({7}), "7");
  EXPECT_EQ(fmt({1, 2, 3, 5, 7, 8, 9}), "1:3,5,7:9");
  EXPECT_EQ(fmt({1, 1, 2, 2, 4}), "1:2,4");
  EXPECT_EQ(fmt({4294967294u, 4294967295u}), "4294967294:4294967295");
  EXPECT_EQ(fmt({1, 3, 5}), "1,3,5");
}

TEST(ProtoSequenceSet, ParseAndWriteBack) {
  struct row {
    std::string text;
    std::vector<seq_range> ranges;
    bool saved = false;
  };
  const std::vector<row> rows = {
      {"1", {{1, 1}}},
      {"1:*", {{1, 0}}},
      {"*:1", {{0, 1}}},
      {"*", {{0, 0}}},
      {"4294967295", {{4294967295u, 4294967295u}}},
      {"1:*,*:1,4294967295", {{1, 0}, {0, 1}, {4294967295u, 4294967295u}}},
      {"5:3,7", {{5, 3}, {7, 7}}},  // order as written
      {"$", {}, true},               // RFC 5182
  };
  for (const auto& r : rows) {
    auto set = parse_sequence_set(r.text);
    ASSERT_TRUE(set.has_value()) << r.text;
    ASSERT_EQ(set->ranges.size(), r.ranges.size()) << r.text;
    for (std::size_t i = 0; i < r.ranges.size(); ++i) {
      EXPECT_EQ(set->ranges[i].first, r.ranges[i].first) << r.text;
      EXPECT_EQ(set->ranges[i].last, r.ranges[i].last) << r.text;
    }
    EXPECT_EQ(set->saved, r.saved);
    EXPECT_EQ(to_string(*set), r.text);
  }
  for (std::string bad : {"", "0", "0:5", "1:0", "01", "4294967296", "99999999999999999999", "1,", ",1", "1::2",
                          "1:", ":1", "1,,2", "-1", "1 2", "$,1", "1,$", "**", "a", "1:2:3"}) {
    EXPECT_FALSE(parse_sequence_set(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace letterhead::imap::proto
