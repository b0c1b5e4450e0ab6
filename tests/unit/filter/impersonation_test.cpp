// Impersonation defence: name folding, pinyin, confusable skeletons, IDN decoding,
// edit distance, the guard's verdicts, the warning field and the banner wrap.
#include "filter/impersonation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "mime/header.hpp"
#include "mime/parser.hpp"

namespace letterhead::filter {
namespace {

mailauth::public_suffix_list debian_psl() {
  auto psl = mailauth::public_suffix_list::load(std::string(mailauth::default_public_suffix_file));
  EXPECT_TRUE(psl) << "Debian's publicsuffix package";
  return psl ? std::move(*psl) : mailauth::public_suffix_list::parse("");
}

TEST(Impersonation, FoldName) {
  EXPECT_EQ(fold_name("Zhang  Wei"), "zhangwei");
  EXPECT_EQ(fold_name("ＺＨＡＮＧ-wei."), "zhangwei");  // full-width letters (NFKC)
  EXPECT_EQ(fold_name("\"张 伟\""), "张伟");
  EXPECT_EQ(fold_name("Stra\xc3\x9f" "e"), "strasse");  // case folding ß → ss
  EXPECT_EQ(fold_name("Zh\xe2\x80\x8d" "ang"), "zhang");  // ZWJ is not part of a name
  EXPECT_EQ(fold_name("..."), "");
  // Invalid UTF-8 becomes U+FFFD, which is dropped; no crash, bounded output.
  EXPECT_EQ(fold_name("zh\xff\xfe" "ang\xc3"), "zhang");
  EXPECT_LE(fold_name(std::string(100000, 'a')).size(), max_name_bytes);
}

TEST(Impersonation, Keys) {
  const auto keys = name_match_keys("张伟");
  EXPECT_NE(std::ranges::find(keys, "张伟"), keys.end());
  EXPECT_NE(std::ranges::find(keys, "zhangwei"), keys.end());
  EXPECT_NE(std::ranges::find(keys, "weizhang"), keys.end());
  EXPECT_TRUE(name_match_keys("Li").empty());  // too short to mean anything
}

TEST(Impersonation, DomainsAndDistance) {
  EXPECT_EQ(domain_to_unicode("xn--80ak6aa92e.com"), "\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5.com");  // аррӏе
  EXPECT_EQ(domain_to_ascii("b\xc3\xbc" "cher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(domain_to_ascii(""), "");
  EXPECT_EQ(edit_distance("example", "example"), 0u);
  EXPECT_EQ(edit_distance("example", "examp1e"), 1u);
  EXPECT_EQ(edit_distance("example", "exmaple"), 1u);  // a transposition
  EXPECT_EQ(edit_distance("example", "exampl"), 1u);
  EXPECT_EQ(edit_distance("example", "xample2"), 2u);
  EXPECT_EQ(edit_distance("example", "totally-different"), 3u);  // capped
  EXPECT_EQ(skeleton("examp1e"), skeleton("example"));
  EXPECT_EQ(skeleton("ex\xd0\xb0mple"), skeleton("example"));  // Cyrillic а
}

class GuardTest : public ::testing::Test {
 protected:
  GuardTest()
      : psl_(debian_psl()),
        guard_(impersonation_people{{"张伟", "Alice Martin", "Li"}, {"example.com", "letterhead.com.cn"}}, psl_) {}

  std::vector<std::string> rules(std::string_view name, std::string_view domain) {
    std::vector<std::string> out;
    for (const auto& m : guard_.check(name, domain)) out.push_back(m.rule);
    return out;
  }

  mailauth::public_suffix_list psl_;
  impersonation_guard guard_;
};

TEST_F(GuardTest, EmployeeNames) {
  using v = std::vector<std::string>;
  EXPECT_EQ(rules("张伟", "evil.example"), v{"IMPERSONATION_NAME"});
  EXPECT_EQ(rules("Zhang Wei", "evil.example"), v{"IMPERSONATION_NAME"});
  EXPECT_EQ(rules("WEI ZHANG", "evil.example"), v{"IMPERSONATION_NAME"});
  EXPECT_EQ(rules("張偉", "evil.example"), v{"IMPERSONATION_NAME"});  // traditional characters
  EXPECT_EQ(rules("alice.martin", "evil.example"), v{"IMPERSONATION_NAME"});
  EXPECT_EQ(rules("\xd0\x90lice Martin", "evil.example"), v{"IMPERSONATION_NAME"});  // Cyrillic А
  EXPECT_EQ(guard_.check("张伟", "evil.example").front().employee, "张伟");
  EXPECT_TRUE(rules("Li", "evil.example").empty());  // a two-letter key is no evidence
  EXPECT_TRUE(rules("Bob Stone", "evil.example").empty());
  EXPECT_TRUE(rules("", "evil.example").empty());
  EXPECT_TRUE(rules(std::string(10000, '\xff'), "evil.example").empty());
}

TEST_F(GuardTest, LookalikeDomains) {
  using v = std::vector<std::string>;
  EXPECT_EQ(rules("", "examp1e.com"), v{"LOOKALIKE_DOMAIN"});
  EXPECT_EQ(rules("", "exmaple.com"), v{"LOOKALIKE_DOMAIN"});
  EXPECT_EQ(rules("", "example.net"), v{"LOOKALIKE_DOMAIN"});        // same label, other suffix
  EXPECT_EQ(rules("", "mail.examples.com"), v{"LOOKALIKE_DOMAIN"});  // one insertion, subdomain
  EXPECT_EQ(rules("", "ex\xd0\xb0mple.com"), v{"LOOKALIKE_DOMAIN"});  // Cyrillic а, U-label
  EXPECT_EQ(rules("", domain_to_ascii("ex\xd0\xb0mple.com")), v{"LOOKALIKE_DOMAIN"});  // xn-- form
  EXPECT_EQ(rules("", "LETTERHEAD.com.cn"), std::vector<std::string>{});   // ours, any case
  EXPECT_EQ(rules("", "letterhaed.com.cn"), v{"LOOKALIKE_DOMAIN"});
  EXPECT_EQ(rules("", "letterhead.cn"), v{"LOOKALIKE_DOMAIN"});
  EXPECT_EQ(guard_.check("", "examp1e.com").front().domain, "example.com");
  EXPECT_TRUE(rules("", "example.com").empty());
  EXPECT_TRUE(rules("", "mail.example.com").empty());  // ours
  EXPECT_TRUE(rules("", "unrelated.org").empty());
  EXPECT_TRUE(rules("", "co.uk").empty());
  EXPECT_TRUE(rules("", "[192.0.2.1]").empty());
  EXPECT_TRUE(rules("", std::string(5000, 'x') + ".com").empty());
  EXPECT_TRUE(guard_.is_our_domain("Example.COM"));
  EXPECT_FALSE(guard_.is_our_domain("examp1e.com"));
  EXPECT_EQ(rules("Zhang Wei", "examp1e.com"), (v{"IMPERSONATION_NAME", "LOOKALIKE_DOMAIN"}));
}

// Answers are remembered per name and domain: asked again, and asked with the same
// bytes split differently between name and domain, each gets its own answer.
TEST_F(GuardTest, RememberedAnswersStayPerNameAndDomain) {
  using v = std::vector<std::string>;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rules("张伟", "evil.example"), v{"IMPERSONATION_NAME"});
    EXPECT_EQ(rules("Bob", "examp1e.com"), v{"LOOKALIKE_DOMAIN"});
    EXPECT_EQ(rules("Bob", "partner.example"), v{});
  }
  EXPECT_EQ(rules("Zhang Wei", "examp1e.com"), (v{"IMPERSONATION_NAME", "LOOKALIKE_DOMAIN"}));
  EXPECT_EQ(rules("Zhang We", "iexamp1e.com"), v{});
  EXPECT_EQ(rules(std::string(2000, 'x'), "examp1e.com"), v{"LOOKALIKE_DOMAIN"});  // too long to keep
}

TEST(Impersonation, ShortLabelsCountCharactersNotBytes) {
  // 工商银 is three characters (nine bytes of UTF-8): too short for the edit-distance
  // test, like "abc"; one edit on a four-character label still counts.
  auto psl = debian_psl();
  impersonation_guard g(impersonation_people{{}, {"工商银.cn", "北京工商.cn"}}, psl);
  const auto rules = [&](std::string_view d) {
    std::vector<std::string> out;
    for (const auto& m : g.check("", d)) out.push_back(m.rule);
    return out;
  };
  EXPECT_TRUE(rules("工商行.cn").empty());
  EXPECT_EQ(rules("北京工商行.cn"), std::vector<std::string>{"LOOKALIKE_DOMAIN"});
  EXPECT_EQ(rules("北京工行.cn"), std::vector<std::string>{"LOOKALIKE_DOMAIN"});
}

TEST(Impersonation, WarningField) {
  const std::vector<impersonation_match> m{{"IMPERSONATION_NAME", "张伟", {}, "name"}};
  const auto field = warning_field(m);
  ASSERT_TRUE(field.starts_with("X-Letterhead-Warning: =?UTF-8?B?"));
  ASSERT_TRUE(field.ends_with("\r\n"));
  for (std::size_t i = 0, start = 0; i <= field.size(); ++i) {
    if (i == field.size() || field[i] == '\n') {
      EXPECT_LE(i - start, 77u);  // RFC 2047 §2: 76 characters and the CR
      start = i + 1;
    }
  }
  for (unsigned char c : field) EXPECT_LT(c, 0x80);
  // Our own decoder reads back both languages.
  const auto decoded = mime::decode_unstructured(field.substr(field.find(':') + 1));
  EXPECT_NE(decoded.find("张伟"), std::string::npos);
  EXPECT_NE(decoded.find("可能是冒充"), std::string::npos);
  EXPECT_NE(decoded.find("impersonation"), std::string::npos);
  EXPECT_TRUE(warning_field({}).empty());
}

TEST(Impersonation, BannerWrap) {
  const std::string original =
      "From: =?UTF-8?B?5byg5Lyf?= <zhangwei@evil.example>\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nPay now.\r\n";
  const auto wrapped = wrap_with_banner(original, "警告 / Warning\r\n", "b0und");
  const auto parsed = mime::parse(wrapped);
  ASSERT_FALSE(parsed.parts.empty());
  const auto& root = parsed.root();
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_NE(wrapped.find("Subject: hi\r\n"), std::string::npos);
  EXPECT_NE(wrapped.find("boundary=\"b0und\""), std::string::npos);
  EXPECT_EQ(wrapped.find("MIME-Version"), wrapped.rfind("MIME-Version"));  // one, on top
  EXPECT_NE(wrapped.find("--b0und\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
                         "8bit\r\n\r\nPay now.\r\n\r\n--b0und--\r\n"),
            std::string::npos);
  // A header the parser could not take apart is left alone.
  EXPECT_EQ(wrap_with_banner("no header at all", "x", "b"), "no header at all");
}

}  // namespace
}  // namespace letterhead::filter
