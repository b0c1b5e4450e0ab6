// RFC 6376 §3.2 tag lists.
#include "mailauth/tag_list.hpp"

#include <gtest/gtest.h>

namespace letterhead::mailauth {
namespace {

TEST(TagList, ParsesWithFoldingWhitespace) {
  const std::string_view text = " v=1;\r\n\ta = rsa-sha256 ;\r\n d=example.com; h=from : to;b=ab c\r\n d;";
  auto t = parse_tag_list(text);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->tags.size(), 5u);
  EXPECT_EQ(*t->value("v"), "1");
  EXPECT_EQ(*t->value("a"), "rsa-sha256");
  EXPECT_EQ(*t->value("h"), "from : to");
  EXPECT_EQ(*t->value("b"), "ab c\r\n d");
  EXPECT_FALSE(t->value("x"));
  // raw range of b= runs from after "=" to the ";".
  const tag* b = t->find("b");
  EXPECT_EQ(text.substr(b->raw_begin, b->raw_end - b->raw_begin), "ab c\r\n d");
}

TEST(TagList, EmptyValueAndEmptySpecs) {
  auto t = parse_tag_list("p=; ;n=;");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->tags.size(), 2u);
  EXPECT_EQ(*t->value("p"), "");
  EXPECT_TRUE(parse_tag_list(""));
  EXPECT_TRUE(parse_tag_list(" ; "));
}

TEST(TagList, TagNamesAreCaseSensitive) {
  auto t = parse_tag_list("V=1; v=2");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->value("v"), "2");
  EXPECT_EQ(*t->value("V"), "1");
}

TEST(TagList, RejectsMalformed) {
  EXPECT_FALSE(parse_tag_list("v=1; v=1"));           // duplicate (§3.2)
  EXPECT_FALSE(parse_tag_list("novalue"));            // no "="
  EXPECT_FALSE(parse_tag_list("1a=x"));               // name must start with ALPHA
  EXPECT_FALSE(parse_tag_list("a-b=x"));              // "-" not in ALNUMPUNC
  EXPECT_FALSE(parse_tag_list("=x"));                 // empty name
  EXPECT_FALSE(parse_tag_list(std::string("a=x\0y", 5)));  // NUL
  EXPECT_FALSE(parse_tag_list("a=x\x01"));            // control
  EXPECT_FALSE(parse_tag_list("a=x\x7f"));
  EXPECT_FALSE(parse_tag_list("a b=x"));              // space inside a name
}

TEST(TagList, BoundsTheNumberOfTags) {
  std::string many;
  for (std::size_t i = 0; i < max_tags; ++i) many += "t" + std::to_string(i) + "=x;";
  EXPECT_TRUE(parse_tag_list(many));
  many += "extra=x";
  auto t = parse_tag_list(many);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("too many"), std::string::npos);
}

TEST(TagList, Helpers) {
  EXPECT_EQ(strip_fws(" ab\r\n\tc d "), "abcd");
  auto l = split_colon_list(" from :To:\r\n subject");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0], "from");
  EXPECT_EQ(l[1], "To");
  EXPECT_EQ(l[2], "subject");
  auto e = split_colon_list("a::b");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[1], "");
}

}  // namespace
}  // namespace letterhead::mailauth
