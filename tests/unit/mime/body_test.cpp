#include "mime/body.hpp"

#include <gtest/gtest.h>

#include "mime/parser.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

using test::crlf;

TEST(body, decodes_transfer_and_charset) {
  const std::string m = crlf(
      "Content-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: base64\n\nxOO6ww==\n");
  auto msg = parse(m);
  EXPECT_EQ(decoded_body(m, msg.root()), "\xc4\xe3\xba\xc3");
  EXPECT_EQ(text_body_utf8(m, msg.root()).value_or(""), "你好");
}

TEST(body, unlabelled_8bit_text_uses_the_raw_policy) {
  const std::string utf8 = crlf("Subject: x\n\n你好\n");
  auto msg = parse(utf8);
  EXPECT_EQ(text_body_utf8(utf8, msg.root()).value_or(""), "你好\r\n");
  const std::string gbk = crlf("Subject: x\n\n\xc4\xe3\xba\xc3\n");
  auto msg2 = parse(gbk);
  EXPECT_EQ(text_body_utf8(gbk, msg2.root()).value_or(""), "你好\r\n");
  decode_options western;
  western.fallback_charset = "windows-1252";
  const std::string latin = crlf("Subject: x\n\ncaf\xe9\n");
  auto msg3 = parse(latin);
  EXPECT_EQ(text_body_utf8(latin, msg3.root(), western).value_or(""), "café\r\n");
}

TEST(body, us_ascii_label_with_8bit_text_is_treated_as_unlabelled) {
  const std::string m = crlf("Content-Type: text/plain; charset=US-ASCII\n\n\xc4\xe3\xba\xc3\n");
  auto msg = parse(m);
  EXPECT_EQ(text_body_utf8(m, msg.root()).value_or(""), "你好\r\n");
}

TEST(body, unknown_charset_does_not_fail) {
  const std::string m = crlf("Content-Type: text/plain; charset=x-unknown\n\n\xc4\xe3\n");
  auto msg = parse(m);
  auto text = text_body_utf8(m, msg.root());
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "你\r\n");
}

TEST(body, non_text_parts_are_refused) {
  const std::string m = crlf("Content-Type: image/png\nContent-Transfer-Encoding: base64\n\naGk=\n");
  auto msg = parse(m);
  auto text = text_body_utf8(m, msg.root());
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::errc::invalid);
  EXPECT_EQ(decoded_body(m, msg.root()), "hi");
}

TEST(body, unknown_transfer_encoding_passes_bytes) {
  const std::string m = crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n");
  auto msg = parse(m);
  EXPECT_EQ(msg.root().encoding, transfer_encoding::other);
  EXPECT_EQ(msg.root().encoding_name, "x-uuencode");
  EXPECT_EQ(decoded_body(m, msg.root()), "begin 644 x\r\n");
}

TEST(body, header_hint_from_the_text_part_charset) {
  // Raw Big5 in a header, no encoded-word: the text part's charset says how to read it.
  const std::string m = crlf(
      "Subject: \xa7\x41\xa6\x6e\n"
      "Content-Type: multipart/alternative; boundary=b\n\n"
      "--b\nContent-Type: text/plain; charset=us-ascii\n\nx\n"
      "--b\nContent-Type: text/html; charset=big5\n\nx\n--b--\n");
  auto msg = parse(m);
  auto options = decode_options_for(msg, 0);
  EXPECT_EQ(options.charset_hint, "big5");
  EXPECT_EQ(header_value(m, msg.root().fields, "Subject", options).value_or(""), "你好");
  EXPECT_NE(header_value(m, msg.root().fields, "Subject").value_or(""), "你好");
  EXPECT_EQ(decode_options_for(msg, 1).charset_hint, "");  // us-ascii gives no hint
  EXPECT_EQ(decode_options_for(msg, 99).charset_hint, "");
}

}  // namespace
}  // namespace letterhead::mime
