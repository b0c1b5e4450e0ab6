#include "mime/seven_bit.hpp"

#include <gtest/gtest.h>

#include "mime/detail/ascii.hpp"
#include "mime/header.hpp"
#include "mime/transfer_encoding.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

using test::crlf;

// Every line of `s` (CRLF-separated) is at most `max` characters.
bool lines_within(std::string_view s, std::size_t max) {
  std::size_t start = 0;
  while (start < s.size()) {
    auto end = s.find("\r\n", start);
    if (end == std::string_view::npos) end = s.size();
    if (end - start > max) return false;
    start = end + 2;
  }
  return true;
}

// The decoded body of part `index` after parsing `bytes`.
std::string decoded_body(std::string_view bytes, std::size_t index) {
  const auto m = parse(bytes);
  const auto& p = m.parts.at(index);
  return decode_transfer(slice(bytes, p.body), p.encoding);
}

std::string field(std::string_view bytes, std::size_t index, std::string_view name) {
  const auto m = parse(bytes);
  const auto v = raw_value(bytes, m.parts.at(index).fields, name);
  return v ? std::string(detail::trim(*v)) : std::string("(none)");
}

TEST(seven_bit, quoted_printable_encoder) {
  EXPECT_EQ(encode_quoted_printable(""), "");
  EXPECT_EQ(encode_quoted_printable("caf\xc3\xa9\r\n"), "caf=C3=A9\r\n");
  EXPECT_EQ(encode_quoted_printable("a=b\tc \r\nend \t"), "a=3Db\tc=20\r\nend =09");
  EXPECT_EQ(encode_quoted_printable("lf\nonly\rcr"), "lf\r\nonly=0Dcr");
  EXPECT_EQ(encode_quoted_printable(std::string("nul\0", 4)), "nul=00");
  // Long lines are cut with soft breaks; every line at most 76 characters; decoding
  // gives the text back.
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += i % 7 == 0 ? "\xe4\xbd\xa0" : "x ";
  long_text += "\r\n.\r\n";
  const auto qp = encode_quoted_printable(long_text);
  EXPECT_TRUE(lines_within(qp, 76)) << qp;
  EXPECT_TRUE(is_seven_bit(qp));
  EXPECT_EQ(decode_quoted_printable(qp), long_text);
}

TEST(seven_bit, base64_encoder) {
  EXPECT_EQ(encode_base64(""), "");
  EXPECT_EQ(encode_base64("hello"), "aGVsbG8=\r\n");
  EXPECT_EQ(encode_base64("hell"), "aGVsbA==\r\n");
  EXPECT_EQ(encode_base64("hel"), "aGVs\r\n");
  std::string all;
  for (int i = 0; i < 1000; ++i) all += static_cast<char>(i % 256);
  const auto b64 = encode_base64(all);
  EXPECT_TRUE(lines_within(b64, 76));
  EXPECT_EQ(b64.substr(0, 78).size(), 78u);
  EXPECT_EQ(b64.substr(76, 2), "\r\n");
  EXPECT_EQ(decode_base64(b64), all);
}

TEST(seven_bit, encoded_words_keep_characters_whole) {
  EXPECT_EQ(utf8_encoded_words("caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
  std::string chinese;
  for (int i = 0; i < 40; ++i) chinese += "\xe4\xbd\xa0";  // 40 x U+4F60
  const auto words = utf8_encoded_words(chinese);
  EXPECT_TRUE(lines_within(words, 76)) << words;
  EXPECT_EQ(decode_unstructured(words), chinese);
}

TEST(seven_bit, seven_bit_message_is_unchanged) {
  const auto msg = crlf("Subject: hi\n\nbody\n");
  EXPECT_EQ(to_seven_bit(msg).value(), msg);
}

TEST(seven_bit, text_part_becomes_quoted_printable) {
  const auto msg = crlf(
      "From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\nX-After: kept\n\ncaf\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd\n.dot line\n");
  const auto out = to_seven_bit(msg).value();
  EXPECT_TRUE(is_seven_bit(out));
  EXPECT_EQ(out, crlf("From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                      "X-After: kept\nContent-Transfer-Encoding: quoted-printable\n\n"
                      "caf=C3=A9 =E4=BD=A0=E5=A5=BD\n.dot line\n"));
  EXPECT_EQ(decoded_body(out, 0), decoded_body(msg, 0));
}

TEST(seven_bit, message_without_mime_header_gets_mime_version) {
  const auto msg = crlf("Subject: plain\n\ncaf\xc3\xa9\n");
  const auto out = to_seven_bit(msg).value();
  EXPECT_EQ(out, crlf("Subject: plain\nMIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n"
                      "caf=C3=A9\n"));
}

TEST(seven_bit, multipart_parts_and_attachment) {
  const auto msg = crlf(
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: 8bit\n\n"
      "preamble\n--b\nContent-Type: text/html; charset=utf-8\n\n<p>\xc3\xa9</p>\n"
      "--b\n\nno header \xc3\xa9\n"
      "--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: 8bit\n\n\x01\xff\xfe\n"
      "--b\nContent-Type: text/plain\n\nascii only\n--b--\n");
  const auto out = to_seven_bit(msg).value();
  EXPECT_TRUE(is_seven_bit(out)) << out;
  const auto before = parse(msg);
  const auto after = parse(out);
  ASSERT_EQ(after.parts.size(), before.parts.size());
  EXPECT_EQ(field(out, 0, "Content-Transfer-Encoding"), "7bit");
  EXPECT_EQ(field(out, 1, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(field(out, 2, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(field(out, 3, "Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(field(out, 4, "Content-Transfer-Encoding"), "(none)");
  EXPECT_EQ(after.parts[2].type, "text");
  EXPECT_EQ(after.parts[3].subtype, "octet-stream");
  for (std::size_t i = 1; i < before.parts.size(); ++i) {
    EXPECT_EQ(decoded_body(out, i), decoded_body(msg, i)) << i;
  }
}

TEST(seven_bit, binary_part_becomes_base64) {
  const auto msg = crlf("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: binary\n\n") +
                   std::string("bare\rcr \xc3\xa9\0\r\n", 13);
  const auto out = to_seven_bit(msg).value();
  EXPECT_EQ(field(out, 0, "Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(decoded_body(out, 0), decoded_body(msg, 0));
}

TEST(seven_bit, message_rfc822_is_converted_inside_not_encoded) {
  const auto msg = crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n"
      "Content-Transfer-Encoding: 8bit\n\nSubject: inner \xc3\xa9t\xc3\xa9\nContent-Type: text/plain; charset=utf-8\n\n"
      "inner \xc3\xa9\n--b--\n");
  const auto out = to_seven_bit(msg).value();
  EXPECT_TRUE(is_seven_bit(out)) << out;
  const auto m = parse(out);
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.parts[1].encoding_name, "7bit");
  ASSERT_TRUE(m.parts[1].embedded);
  const auto inner = *m.parts[1].embedded;
  EXPECT_EQ(m.parts[inner].encoding_name, "quoted-printable");
  EXPECT_EQ(decoded_body(out, inner), "inner \xc3\xa9");
  EXPECT_EQ(header_value(out, m.parts[inner].fields, "Subject").value(), "inner \xc3\xa9t\xc3\xa9");
  EXPECT_NE(out.find("MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable"), std::string::npos);
}

TEST(seven_bit, message_global_is_base64) {
  const auto msg = crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/global\n\n"
      "From: \xe7\x94\xa8\xe6\x88\xb7@example.com\n\nbody\n--b--\n");
  const auto out = to_seven_bit(msg).value();
  EXPECT_TRUE(is_seven_bit(out));
  EXPECT_EQ(field(out, 1, "Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(decoded_body(out, 1), crlf("From: \xe7\x94\xa8\xe6\x88\xb7@example.com\n\nbody"));
}

TEST(seven_bit, header_text_becomes_encoded_words) {
  const auto msg = crlf("From: a@example.com\nSubject: Re: [list] caf\xc3\xa9 cr\xc3\xa8me  done\n\nbody\n");
  const auto out = to_seven_bit(msg).value();
  EXPECT_EQ(out, crlf("From: a@example.com\nSubject: Re: [list] =?UTF-8?B?Y2Fmw6kgY3LDqG1l?=  done\n\nbody\n"));
  const auto m = parse(out);
  EXPECT_EQ(header_value(out, m.root().fields, "Subject").value(), "Re: [list] caf\xc3\xa9 cr\xc3\xa8me  done");
}

TEST(seven_bit, refuses_what_cannot_be_converted) {
  const char* cases[] = {
      "From: J\xc3\xb6rg <j@example.com>\n\nbody\n",               // address field
      "To: \xe7\x94\xa8@example.com\n\nbody\n",                     // address
      "Subject: latin1 caf\xe9\n\nbody\n",                          // not UTF-8
      "Content-Type: text/plain; name=\"\xc3\xa9.txt\"\n\nx\n",      // parameter
      "Content-Type: message/partial; id=x\n\n\xc3\xa9\n",           // must be 7bit
      "Content-Transfer-Encoding: x-uuencode\n\n\xc3\xa9\n",         // unknown encoding
      "Content-Type: multipart/mixed; boundary=b\n\npre \xc3\xa9\n--b\n\nx\n--b--\n",  // preamble
      "Content-Type: multipart/mixed; boundary=b\n\nno delimiter \xc3\xa9\n",
  };
  for (const char* c : cases) {
    const auto r = to_seven_bit(crlf(c));
    ASSERT_FALSE(r.has_value()) << c << "\n" << *r;
    EXPECT_EQ(r.error().code, core::errc::invalid);
    EXPECT_FALSE(r.error().message.empty());
  }
  EXPECT_NE(to_seven_bit(crlf(cases[0])).error().message.find("From header field"), std::string::npos);
}

TEST(seven_bit, deep_nesting_is_bounded) {
  // 10,000 nested message/rfc822 levels: the parser stops at its depth limit, the
  // 8-bit body below it cannot be reached, and nothing recurses that deep.
  std::string msg;
  for (int i = 0; i < 10000; ++i) msg += "Content-Type: message/rfc822\r\n\r\n";
  msg += "Subject: deep\r\n\r\n\xc3\xa9\r\n";
  parse_limits limits;
  limits.max_depth = 20;
  const auto r = to_seven_bit(msg, limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("message/rfc822"), std::string::npos) << r.error().message;
  // Within the limit it converts.
  std::string shallow;
  for (int i = 0; i < 10; ++i) shallow += "Content-Type: message/rfc822\r\n\r\n";
  shallow += "Subject: deep\r\n\r\n\xc3\xa9\r\n";
  const auto ok = to_seven_bit(shallow, limits);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_TRUE(is_seven_bit(*ok));
}

TEST(seven_bit, every_prefix_is_handled) {
  const auto msg = crlf(
      "Subject: s \xc3\xa9\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n"
      "Subject: inner\n\n\xc3\xa9\n--b\nContent-Type: image/png\n\n\x89PNG\n--b--\n");
  for (std::size_t n = 0; n <= msg.size(); ++n) {
    const auto r = to_seven_bit(std::string_view(msg).substr(0, n));
    if (r) EXPECT_TRUE(is_seven_bit(*r)) << n;
  }
  EXPECT_TRUE(to_seven_bit(msg).has_value());
}

}  // namespace
}  // namespace letterhead::mime
