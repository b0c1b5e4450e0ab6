// RDATA parsers on hand-built wire bytes (RFC 1035 §3.3, RFC 6698 §2.1), including
// every truncation of valid input, which must be refused.
#include "dns/rdata.hpp"

#include <gtest/gtest.h>

namespace letterhead::dns {
namespace {

using namespace std::string_literals;

const std::string mx_wire = "\x00\x0a\x04mail\x07" "Example\x03org\x00"s;

TEST(rdata, mx) {
  auto mx = parse_mx(mx_wire);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->host, "mail.example.org");
}

TEST(rdata, null_mx_host_is_empty) {
  auto mx = parse_mx("\x00\x00\x00"s);  // RFC 7505: preference 0, host "."
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 0);
  EXPECT_EQ(mx->host, "");
}

TEST(rdata, mx_preference_is_big_endian) {
  auto mx = parse_mx("\xff\xfe\x01x\x00"s);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 65534);
  EXPECT_EQ(mx->host, "x");
}

TEST(rdata, every_truncation_and_extension_is_refused) {
  for (std::size_t n = 0; n < mx_wire.size(); ++n) EXPECT_FALSE(parse_mx(mx_wire.substr(0, n))) << n;
  EXPECT_FALSE(parse_mx(mx_wire + "x"));
  const std::string ptr = "\x03www\x07" "example\x03" "com\x00"s;
  for (std::size_t n = 0; n < ptr.size(); ++n) EXPECT_FALSE(parse_ptr(ptr.substr(0, n))) << n;
  EXPECT_FALSE(parse_ptr(ptr + "\x00"s));
  EXPECT_EQ(parse_ptr(ptr), "www.example.com");
}

TEST(rdata, compression_and_extended_labels_are_refused) {
  EXPECT_FALSE(parse_ptr("\x03www\xc0\x0c"s));
  EXPECT_FALSE(parse_ptr("\x41x\x00"s));
  EXPECT_FALSE(parse_ptr("\x80x\x00"s));
}

TEST(rdata, name_length_limit) {
  // 4 labels of 63 bytes = 4 * 64 + 1 = 257 bytes > 255.
  std::string label = "\x3f"s + std::string(63, 'a');
  std::string too_long = label + label + label + label + "\x00"s;
  EXPECT_FALSE(parse_ptr(too_long));
  // 3 labels of 63 and one of 61: 3 * 64 + 62 + 1 = 255 bytes, the maximum.
  std::string longest = label + label + label + "\x3d"s + std::string(61, 'b') + "\x00"s;
  auto name = parse_ptr(longest);
  ASSERT_TRUE(name);
  EXPECT_EQ(name->size(), 253u);
}

TEST(rdata, odd_bytes_are_escaped) {
  auto name = parse_ptr("\x05" "a.b c\x03" "\x00\xff_\x00"s);
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "a\\046b\\032c.\\000\\255_");
  EXPECT_EQ(parse_ptr("\x00"s), "");
}

TEST(rdata, parse_name_advances) {
  const std::string two = "\x01" "a\x00\x01" "b\x00"s;
  std::size_t pos = 0;
  EXPECT_EQ(parse_name(two, pos), "a");
  EXPECT_EQ(pos, 3u);
  EXPECT_EQ(parse_name(two, pos), "b");
  EXPECT_EQ(pos, two.size());
  EXPECT_FALSE(parse_name(two, pos));
  EXPECT_EQ(pos, two.size());  // unchanged on failure
}

TEST(rdata, txt) {
  EXPECT_EQ(parse_txt("\x07v=spf1 \x04-all"s), "v=spf1 -all");
  EXPECT_EQ(parse_txt("\x00"s), "");
  EXPECT_EQ(parse_txt("\x00\x02hi\x00"s), "hi");
  EXPECT_EQ(parse_txt("\x03\x00\x01\xff"s), "\x00\x01\xff"s);  // binary is kept
  EXPECT_FALSE(parse_txt(""));
  EXPECT_FALSE(parse_txt("\x05" "abcd"s));
  EXPECT_FALSE(parse_txt("\x02" "ab\x01"s));
  std::string big;
  for (int i = 0; i < 4; ++i) big += "\xff"s + std::string(255, static_cast<char>('a' + i));
  auto t = parse_txt(big);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->size(), 1020u);
}

TEST(rdata, tlsa) {
  auto t = parse_tlsa("\x03\x01\x01\xde\xad\xbe\xef"s);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->usage, 3);
  EXPECT_EQ(t->selector, 1);
  EXPECT_EQ(t->matching_type, 1);
  EXPECT_EQ(t->data, "\xde\xad\xbe\xef"s);
  EXPECT_FALSE(parse_tlsa("\x03\x01"s));
}

TEST(rdata, addresses) {
  EXPECT_EQ(parse_a("\xc0\x00\x02\x01"s), "192.0.2.1");
  EXPECT_FALSE(parse_a("\xc0\x00\x02"s));
  EXPECT_FALSE(parse_a("\xc0\x00\x02\x01\x00"s));
  EXPECT_EQ(parse_aaaa("\x20\x01\x0d\xb8" + std::string(11, '\0') + "\x01"), "2001:db8::1");
  EXPECT_FALSE(parse_aaaa(std::string(15, '\0')));
}

}  // namespace
}  // namespace letterhead::dns
