#include "smtp/client/requirements.hpp"

#include <gtest/gtest.h>

namespace letterhead::smtp::client {
namespace {

envelope env_to(std::string rcpt, bool smtputf8 = false) {
  envelope e;
  e.mail_from = "a@example.com";
  e.recipients.push_back(recipient{std::move(rcpt), "", ""});
  e.smtputf8 = smtputf8;
  return e;
}

TEST(ClientRequirements, EightBitBodyNeeds8BitMime) {
  const auto needs = analyse(env_to("b@example.net"), "Subject: x\r\n\r\nd\xc3\xa9j\xc3\xa0\r\n");
  EXPECT_TRUE(needs.eight_bit);
  EXPECT_FALSE(needs.smtputf8);
  proto::extensions ext;
  auto refused = check_peer(needs, ext, true, 100);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result, outcome::permanent);
  EXPECT_EQ(refused->enhanced, "5.6.3");
  ext.eightbitmime = true;
  EXPECT_FALSE(check_peer(needs, ext, true, 100));
  EXPECT_TRUE(check_peer(needs, ext, false, 100)) << "HELO servers have no extensions";
}

TEST(ClientRequirements, Utf8EnvelopeOrDeclaredUtf8HeadersNeedSmtputf8) {
  EXPECT_TRUE(analyse(env_to("\xe5\xbc\xa0@example.cn"), "a\r\n\r\nb\r\n").smtputf8);
  EXPECT_TRUE(analyse(env_to("b@example.net", true), "Subject: \xe4\xbd\xa0\r\n\r\nb\r\n").smtputf8);
  // Raw 8-bit headers without SMTPUTF8 at submission are legacy 8-bit mail.
  EXPECT_FALSE(analyse(env_to("b@example.net", false), "Subject: \xe4\xbd\xa0\r\n\r\nb\r\n").smtputf8);
  // Declared SMTPUTF8 with UTF-8 only in the body needs no SMTPUTF8 downstream.
  EXPECT_FALSE(analyse(env_to("b@example.net", true), "Subject: x\r\n\r\n\xe4\xbd\xa0\r\n").smtputf8);
  proto::extensions ext;
  ext.eightbitmime = true;
  auto refused = check_peer(analyse(env_to("\xe5\xbc\xa0@example.cn"), "x\r\n"), ext, true, 10);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->enhanced, "5.6.7");
}

TEST(ClientRequirements, SevenBitConversionWhenThePeerLacks8BitMimeOrBinaryMime) {
  const auto eight = analyse(env_to("b@example.net"), "Subject: x\r\n\r\nd\xc3\xa9j\xc3\xa0\r\n");
  proto::extensions ext;
  EXPECT_TRUE(needs_seven_bit(eight, ext, true));
  EXPECT_TRUE(needs_seven_bit(eight, ext, false));
  EXPECT_FALSE(needs_seven_bit(analyse(env_to("b@example.net"), "Subject: x\r\n\r\nascii\r\n"), ext, true));
  ext.eightbitmime = true;
  EXPECT_FALSE(needs_seven_bit(eight, ext, true));
  auto binary_env = env_to("b@example.net");
  binary_env.body_type = "BINARYMIME";
  const auto binary = analyse(binary_env, "x\r\n\r\n\x01\xff\r\n");
  EXPECT_TRUE(needs_seven_bit(binary, ext, true)) << "8BITMIME alone does not take binary";
  ext.binarymime = ext.chunking = true;
  EXPECT_FALSE(needs_seven_bit(binary, ext, true));
  // A server that cannot take the message at all gets check_peer's reason instead.
  const auto utf8 = analyse(env_to("\xe5\xbc\xa0@example.cn"), "x\r\n\r\n\xe4\xbd\xa0\r\n");
  EXPECT_FALSE(needs_seven_bit(utf8, proto::extensions{}, true));
}

TEST(ClientRequirements, SizeOverThePeersLimitIsPermanent) {
  proto::extensions ext;
  ext.size = 1000;
  auto refused = check_peer(message_needs{}, ext, true, 1001);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->enhanced, "5.3.4");
  EXPECT_FALSE(check_peer(message_needs{}, ext, true, 1000));
  ext.size = 0;  // no fixed limit
  EXPECT_FALSE(check_peer(message_needs{}, ext, true, 1u << 30));
}

TEST(ClientRequirements, RequireTlsNeedsVerifiedTlsThenTheExtension) {
  // RFC 8689 §4.2.1 steps 4-5.
  proto::extensions ext;
  auto no_tls = check_requiretls(ext, true, false, "mx[127.0.0.1]:25");
  ASSERT_TRUE(no_tls);
  EXPECT_EQ(no_tls->result, outcome::permanent);
  EXPECT_EQ(no_tls->enhanced, "5.7.10");
  auto no_ext = check_requiretls(ext, true, true, "mx[127.0.0.1]:25");
  ASSERT_TRUE(no_ext);
  EXPECT_EQ(no_ext->result, outcome::permanent);
  EXPECT_EQ(no_ext->enhanced, "5.7.30");
  EXPECT_NE(no_ext->text.find("mx[127.0.0.1]:25"), std::string::npos);
  ext.requiretls = true;
  EXPECT_FALSE(check_requiretls(ext, true, true, "mx"));
  EXPECT_TRUE(check_requiretls(ext, false, true, "mx")) << "HELO servers have no extensions";
}

TEST(ClientRequirements, RequireTlsParameterOnlyWhereOfferedOverTls) {
  auto e = env_to("b@example.net");
  proto::extensions ext;
  ext.requiretls = true;
  EXPECT_FALSE(send_requiretls(e, ext, true, true)) << "untagged message";
  e.requiretls = true;
  EXPECT_TRUE(send_requiretls(e, ext, true, true));
  EXPECT_FALSE(send_requiretls(e, ext, true, false));
  ext.requiretls = false;
  EXPECT_FALSE(send_requiretls(e, ext, true, true));
}

}  // namespace
}  // namespace letterhead::smtp::client
