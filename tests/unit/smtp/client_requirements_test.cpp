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

}  // namespace
}  // namespace letterhead::smtp::client
