#include "mime/transfer_encoding.hpp"

#include <gtest/gtest.h>

namespace letterhead::mime {
namespace {

TEST(transfer_encoding, parses_names) {
  EXPECT_EQ(parse_transfer_encoding(""), transfer_encoding::seven_bit);
  EXPECT_EQ(parse_transfer_encoding(" 7BIT "), transfer_encoding::seven_bit);
  EXPECT_EQ(parse_transfer_encoding("8bit"), transfer_encoding::eight_bit);
  EXPECT_EQ(parse_transfer_encoding("Binary"), transfer_encoding::binary);
  EXPECT_EQ(parse_transfer_encoding(" Quoted-Printable\r\n"), transfer_encoding::quoted_printable);
  EXPECT_EQ(parse_transfer_encoding("BASE64 (comment)"), transfer_encoding::base64);
  EXPECT_EQ(parse_transfer_encoding("x-uuencode"), transfer_encoding::other);
}

struct decode_case {
  const char* in;
  std::string out;
};

TEST(transfer_encoding, base64) {
  const decode_case cases[] = {
      {"", ""},
      {"aGVsbG8=", "hello"},
      {"aGVsbG8", "hello"},                     // missing padding
      {"aGVs\r\nbG8h\r\n", "hell" "o!"},         // line breaks
      {"aGV sbG8 h", "hello!"},                 // whitespace
      {"a*GV!sb#G8", "hello"},                  // garbage ignored (RFC 2045 §6.8)
      {"aGk=aGk=", "hihi"},                     // concatenated padded chunks
      {"YQ==YmM=", "abc"},
      {"5L2g5aW9", "你好"},
      {"AAEC/w==", std::string("\x00\x01\x02\xff", 4)},
      {"Y", ""},                                // a lone character carries no byte
      {"====", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_base64(c.in), c.out) << c.in;
}

TEST(transfer_encoding, quoted_printable) {
  const decode_case cases[] = {
      {"", ""},
      {"plain text", "plain text"},
      {"caf=C3=A9", "café"},
      {"caf=c3=a9", "café"},                         // lower-case hex accepted
      {"soft=\r\nbreak", "softbreak"},               // RFC 2045 §6.7 rule 5
      {"soft=\nbreak", "softbreak"},                 // LF-only
      {"soft= \t\r\nbreak", "softbreak"},            // padding after the "="
      {"hard\r\nbreak", "hard\r\nbreak"},
      {"trailing   \r\nspace", "trailing\r\nspace"},  // rule 3
      {"a=XYb", "a=XYb"},                            // malformed kept
      {"a=4", "a=4"},
      {"end=", "end"},
      {"=", ""},
      {"=3D=3d", "=="},
      {"emoji =F0=9F=98=\r\n=80", "emoji \xf0\x9f\x98\x80"},
      {"last line", "last line"},
      {"x=0D=0Ay", "x\r\ny"},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_quoted_printable(c.in), c.out) << c.in;
}

TEST(transfer_encoding, q_encoding) {
  EXPECT_EQ(decode_q("Caf=E9_ok"), "Caf\xe9 ok");
  EXPECT_EQ(decode_q("a=3"), "a=3");
  EXPECT_EQ(decode_q("=5F_"), "_ ");
}

TEST(transfer_encoding, decode_transfer_dispatches) {
  EXPECT_EQ(decode_transfer("aGk=", transfer_encoding::base64), "hi");
  EXPECT_EQ(decode_transfer("h=69", transfer_encoding::quoted_printable), "hi");
  EXPECT_EQ(decode_transfer("h=69", transfer_encoding::seven_bit), "h=69");
  EXPECT_EQ(decode_transfer("begin 644 x", transfer_encoding::other), "begin 644 x");
}

}  // namespace
}  // namespace letterhead::mime
