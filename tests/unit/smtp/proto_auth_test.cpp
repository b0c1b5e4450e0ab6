// AUTH PLAIN (RFC 4616), base64 (RFC 4648), xtext (RFC 3461 §4).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "smtp/proto/auth.hpp"
#include "smtp/proto/base64.hpp"
#include "smtp/proto/xtext.hpp"

namespace letterhead::smtp::proto {
namespace {

using namespace std::string_literals;

TEST(ProtoBase64, Rfc4648Vectors) {
  // RFC 4648 §10.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto d = base64_decode(encoded);
    ASSERT_TRUE(d.has_value()) << encoded;
    EXPECT_EQ(*d, plain);
  }
  EXPECT_EQ(base64_encode("Username:"), auth_login_username_prompt);
  EXPECT_EQ(base64_encode("Password:"), auth_login_password_prompt);
}

TEST(ProtoBase64, RoundTripAllByteValues) {
  std::mt19937 rng(5321);
  for (std::size_t len = 0; len < 70; ++len) {
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, s);
  }
}

TEST(ProtoBase64, RejectsInvalid) {
  for (const std::string& bad : std::vector<std::string>{"Zg", "Zg=", "Z===", "====", "Zm9v\r\n", "Zm9v ", " Zm9v", "Zm=v", "=Zm9",
                          "Zg==Zg==", "Zh==", "Zm9=", "Zm8-", "Zm8_", "Zm\0v"s, "Zm9vY", "Zm9vYg=\xff"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(ProtoAuthPlain, Decodes) {
  // RFC 4616 §4 example: "\0tim\0tanstaaftanstaaf".
  auto a = decode_auth_plain(base64_encode("\0tim\0tanstaaftanstaaf"s));
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->authzid, "");
  EXPECT_EQ(a->authcid, "tim");
  EXPECT_EQ(a->password, "tanstaaftanstaaf");

  a = decode_auth_plain(base64_encode("Ursel\0Kurt\0xipj3plmq"s));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->authzid, "Ursel");
  EXPECT_EQ(a->authcid, "Kurt");
  EXPECT_EQ(a->password, "xipj3plmq");

  a = decode_auth_plain(base64_encode("\0张三@例子.中国\0密码 with spaces"s));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->authcid, "张三@例子.中国");
  EXPECT_EQ(a->password, "密码 with spaces");

  // A Latin-1 password from a legacy client is passed on (see auth.hpp).
  a = decode_auth_plain(base64_encode("\0user\0p\xe4ss"s));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->password, "p\xe4ss");

  a = decode_auth_plain(base64_encode("\0"s + std::string(255, 'u') + "\0"s + std::string(1024, 'p')));
  EXPECT_TRUE(a.has_value());
}

TEST(ProtoAuthPlain, Rejects) {
  EXPECT_FALSE(decode_auth_plain("not base64!").has_value());
  EXPECT_FALSE(decode_auth_plain("").has_value());
  EXPECT_FALSE(decode_auth_plain("=").has_value());
  for (const std::string& bad : std::vector<std::string>{"user"s, "\0user"s, "\0user\0"s, "\0\0password"s, "a\0b\0c\0d"s,
                          "\0user\0pass\0"s, "\0\xff\0pass"s, "\xc0\xaf\0user\0pass"s,
                          "\0"s + std::string(256, 'u') + "\0p"s, "\0u\0"s + std::string(1025, 'p'),
                          std::string(256, 'z') + "\0u\0p"s}) {
    EXPECT_FALSE(decode_auth_plain(base64_encode(bad)).has_value()) << base64_encode(bad);
  }
  EXPECT_TRUE(is_auth_cancel("*"));
  EXPECT_FALSE(is_auth_cancel("* "));
}

TEST(ProtoXtext, Decode) {
  const std::vector<std::pair<std::string, std::string>> good = {
      {"", ""},
      {"QQ314159", "QQ314159"},
      {"a+2Bb", "a+b"},
      {"+3D", "="},
      {"+2b", "+"},  // lower-case hex accepted
      {"user@example.com", "user@example.com"},
      {"a+20b", "a b"},
      {"+E7+94+A8", "\xe7\x94\xa8"},
      {"!~", "!~"},
  };
  for (const auto& [in, out] : good) {
    auto d = xtext_decode(in);
    ASSERT_TRUE(d.has_value()) << in;
    EXPECT_EQ(*d, out);
  }
  for (const std::string& bad : std::vector<std::string>{"+", "+2", "+G0", "+ 0", "a=b", "a b", "+00", "+0D+0A", "+7F", "\x7f", "\xc3\xa4",
                          "a\tb"}) {
    EXPECT_FALSE(xtext_decode(bad).has_value()) << bad;
  }
}

TEST(ProtoXtext, EncodeRoundTrip) {
  EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(xtext_encode("用"), "+E7+94+A8");
  for (const std::string& s : std::vector<std::string>{"plain", "a+b", "x=y", "with space", "用户@例子.中国", "~!"}) {
    auto d = xtext_decode(xtext_encode(s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, s);
  }
}

TEST(ProtoXtext, Orcpt) {
  auto o = parse_orcpt("rfc822;user+2Btag@example.com");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->addr_type, "rfc822");
  EXPECT_EQ(o->address, "user+tag@example.com");
  for (const std::string& bad : std::vector<std::string>{"", "rfc822", "rfc822;", ";user@example.com", "rfc 822;x", "rfc822;a b",
                          "rfc822;+0A"}) {
    EXPECT_FALSE(parse_orcpt(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace letterhead::smtp::proto
