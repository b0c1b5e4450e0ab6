#include "delivery/outbound/mta_sts.hpp"

#include <gtest/gtest.h>

namespace letterhead::delivery::outbound {
namespace {

TEST(MtaStsPolicy, ParsesTheRfcExample) {
  // RFC 8461 §3.2's example, with CRLF line ends and a trailing-dot mx.
  auto p = parse_sts_policy(
      "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
      "mx: backupmx.example.com.\r\nmax_age: 604800\r\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->mode, sts_mode::enforce);
  EXPECT_EQ(p->max_age, 604800);
  EXPECT_EQ(p->mx, (std::vector<std::string>{"mail.example.com", "*.example.net", "backupmx.example.com"}));
}

TEST(MtaStsPolicy, CapsMaxAgeIgnoresUnknownKeysAndKeepsFirstValue) {
  auto p = parse_sts_policy("version: STSv1\nmode: testing\nmode: enforce\nfuture: x\nmx: A.Example\n"
                            "max_age: 9999999999\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->mode, sts_mode::testing);
  EXPECT_EQ(p->max_age, max_sts_age);
  EXPECT_EQ(p->mx, std::vector<std::string>{"a.example"});
}

TEST(MtaStsPolicy, RefusesWhatTheGrammarDoesNotAllow) {
  const char* bad[] = {
      "mode: enforce\nmx: a.example\nmax_age: 1\n",                            // no version
      "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",            // wrong version
      "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",             // unknown mode
      "version: STSv1\nmode: enforce\nmx: a.example\n",                        // no max_age
      "version: STSv1\nmode: enforce\nmax_age: 1\n",                           // no mx
      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",           // not digits
      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",  // 11 digits
      "version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n",          // two wildcards
      "version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n",           // empty label
      "version: STSv1\nmode: enforce\nmx: a_b.example\nmax_age: 1\n",          // not LDH
      "version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n",             // no colon
  };
  for (const char* text : bad) EXPECT_FALSE(parse_sts_policy(text)) << text;
  EXPECT_TRUE(parse_sts_policy("version: STSv1\nmode: none\nmax_age: 1\n"));
  EXPECT_FALSE(parse_sts_policy(std::string(max_sts_policy_size + 1, '\n')));
}

TEST(MtaStsPolicy, MxPatterns) {
  EXPECT_TRUE(sts_mx_matches("mail.example.com", "MAIL.example.com."));
  EXPECT_TRUE(sts_mx_matches("*.example.com", "mx1.example.com"));
  EXPECT_FALSE(sts_mx_matches("*.example.com", "example.com"));
  EXPECT_FALSE(sts_mx_matches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(sts_mx_matches("*.example.com", "xexample.com"));
  EXPECT_FALSE(sts_mx_matches("mail.example.com", "mail.example.com.evil"));
  EXPECT_FALSE(sts_mx_matches("", ""));
  sts_policy p{sts_mode::enforce, {"mx.a.example", "*.b.example"}, 60};
  EXPECT_TRUE(sts_mx_allowed(p, "x.b.example"));
  EXPECT_FALSE(sts_mx_allowed(p, "mx.c.example"));
}

TEST(MtaStsTxt, OneRecordWithAnId) {
  EXPECT_EQ(parse_sts_txt({"v=STSv1; id=20160831085700Z;"}), "20160831085700Z");
  EXPECT_EQ(parse_sts_txt({"v=spf1 -all", "v=STSv1;id=abc; ext=1"}), "abc");
  EXPECT_FALSE(parse_sts_txt({}));
  EXPECT_FALSE(parse_sts_txt({"v=STSv1; id=a;", "v=STSv1; id=b;"}));  // two records
  EXPECT_FALSE(parse_sts_txt({"v=STSv1;"}));                          // no id
  EXPECT_FALSE(parse_sts_txt({"v=STSv1; id=a-b;"}));                  // not alphanumeric
  EXPECT_FALSE(parse_sts_txt({"v=STSv1; id=" + std::string(33, 'a')}));
  EXPECT_FALSE(parse_sts_txt({"v=STSv10; id=a"}));
}

TEST(MtaStsPolicy, OurPolicyRoundTripsAndItsIdFollowsTheText) {
  const auto text = sts_policy_text(sts_mode::testing, {"mail.example.com"}, 604800);
  auto p = parse_sts_policy(text);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->mode, sts_mode::testing);
  EXPECT_EQ(p->mx, std::vector<std::string>{"mail.example.com"});
  EXPECT_EQ(sts_policy_id(text).size(), 16u);
  EXPECT_NE(sts_policy_id(text), sts_policy_id(sts_policy_text(sts_mode::enforce, {"mail.example.com"}, 604800)));
}

}  // namespace
}  // namespace letterhead::delivery::outbound
