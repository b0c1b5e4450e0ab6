#include "mime/header.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace letterhead::mime {
namespace {

using test::crlf;

std::string name_of(std::string_view bytes, const header_field& f) {
  return std::string(slice(bytes, f.name));
}
std::string value_of(std::string_view bytes, const header_field& f) {
  return std::string(slice(bytes, f.value));
}
std::string whole_of(std::string_view bytes, const header_field& f) {
  return std::string(slice(bytes, f.whole));
}

TEST(header_block, records_exact_ranges) {
  const std::string m = crlf("From: a@example.com\nSubject: hi\n\nbody\n");
  auto hb = parse_header_block(m);
  ASSERT_EQ(hb.fields.size(), 2u);
  EXPECT_EQ(name_of(m, hb.fields[0]), "From");
  EXPECT_EQ(value_of(m, hb.fields[0]), " a@example.com");
  EXPECT_EQ(whole_of(m, hb.fields[0]), "From: a@example.com\r\n");
  EXPECT_EQ(name_of(m, hb.fields[1]), "Subject");
  EXPECT_EQ(whole_of(m, hb.fields[1]), "Subject: hi\r\n");
  EXPECT_TRUE(hb.has_separator);
  EXPECT_EQ(slice(m, hb.range), crlf("From: a@example.com\nSubject: hi\n\n"));
  EXPECT_EQ(m.substr(hb.range.end), crlf("body\n"));
  EXPECT_EQ(hb.malformed_lines, 0u);
  EXPECT_FALSE(hb.truncated);
}

TEST(header_block, folding_stays_in_the_value) {
  const std::string m = crlf("Subject: a\n b\n\tc\nX: y\n\n");
  auto hb = parse_header_block(m);
  ASSERT_EQ(hb.fields.size(), 2u);
  EXPECT_EQ(value_of(m, hb.fields[0]), " a\r\n b\r\n\tc");
  EXPECT_EQ(whole_of(m, hb.fields[0]), "Subject: a\r\n b\r\n\tc\r\n");
  EXPECT_EQ(unfold(value_of(m, hb.fields[0])), " a b\tc");
}

TEST(header_block, lf_only_line_ends) {
  const std::string m = "A: 1\nB: 2\n continued\n\nbody";
  auto hb = parse_header_block(m);
  ASSERT_EQ(hb.fields.size(), 2u);
  EXPECT_EQ(value_of(m, hb.fields[1]), " 2\n continued");
  EXPECT_EQ(whole_of(m, hb.fields[1]), "B: 2\n continued\n");
  EXPECT_EQ(m.substr(hb.range.end), "body");
}

TEST(header_block, tolerates_malformed_lines) {
  const std::string m = crlf(
      "From: x\n"
      "this line has no colon\n"
      " and a continuation of it\n"
      "Subject : obsolete space before colon\n"
      "X-8bit: \xe4\xbd\xa0\xff\n"
      "\xe4\xbd\xa0: 8-bit name is not a field\n"
      "\n");
  auto hb = parse_header_block(m);
  ASSERT_EQ(hb.fields.size(), 3u);
  EXPECT_EQ(hb.malformed_lines, 2u);
  EXPECT_EQ(name_of(m, hb.fields[1]), "Subject");  // RFC 5322 §4.5.8
  EXPECT_EQ(value_of(m, hb.fields[1]), " obsolete space before colon");
  EXPECT_EQ(value_of(m, hb.fields[2]), " \xe4\xbd\xa0\xff");
}

TEST(header_block, nul_bytes_in_values) {
  const std::string m("A: x\0y\r\nB: \0\r\n\r\n", 16);
  auto hb = parse_header_block(m);
  ASSERT_EQ(hb.fields.size(), 2u);
  EXPECT_EQ(value_of(m, hb.fields[0]), std::string(" x\0y", 4));
}

TEST(header_block, without_empty_line_everything_is_header) {
  const std::string m = crlf("A: 1\nB: 2\n");
  auto hb = parse_header_block(m);
  EXPECT_EQ(hb.fields.size(), 2u);
  EXPECT_FALSE(hb.has_separator);
  EXPECT_EQ(hb.range.end, m.size());
  const std::string no_final_break = "A: 1\r\nB: 2";
  auto hb2 = parse_header_block(no_final_break);
  ASSERT_EQ(hb2.fields.size(), 2u);
  EXPECT_EQ(whole_of(no_final_break, hb2.fields[1]), "B: 2");
}

TEST(header_block, headerless_text_is_all_body) {
  const std::string m = crlf("Hello there,\nthis has no header.\n");
  auto hb = parse_header_block(m);
  EXPECT_TRUE(hb.fields.empty());
  EXPECT_TRUE(hb.range.empty());
  EXPECT_EQ(hb.range.end, 0u);
}

TEST(header_block, empty_header) {
  const std::string m = crlf("\nbody\n");
  auto hb = parse_header_block(m);
  EXPECT_TRUE(hb.fields.empty());
  EXPECT_TRUE(hb.has_separator);
  EXPECT_EQ(hb.range.end, 2u);
  auto empty = parse_header_block("");
  EXPECT_TRUE(empty.range.empty());
}

TEST(header_block, leading_continuation_is_malformed) {
  const std::string m = crlf(" orphan\nA: 1\n\n");
  auto hb = parse_header_block(m);
  EXPECT_EQ(hb.malformed_lines, 1u);
  ASSERT_EQ(hb.fields.size(), 1u);
}

TEST(header_block, bare_cr_is_an_ordinary_byte) {
  const std::string m = "A: 1\rB: 2\r\n\r\n";
  auto hb = parse_header_block(m);
  ASSERT_EQ(hb.fields.size(), 1u);
  EXPECT_EQ(value_of(m, hb.fields[0]), " 1\rB: 2");
}

TEST(header_block, starts_at_offset) {
  const std::string m = crlf("junk\nA: 1\n\nbody");
  auto hb = parse_header_block(m, 6);
  ASSERT_EQ(hb.fields.size(), 1u);
  EXPECT_EQ(hb.fields[0].name.begin, 6u);
  EXPECT_EQ(m.substr(hb.range.end), "body");
}

TEST(header_block, limits_stop_recording_but_not_scanning) {
  std::string m;
  for (int i = 0; i < 10; ++i) m += "X-" + std::to_string(i) + ": v\r\n";
  m += "\r\nbody";
  header_limits few{.max_fields = 3};
  auto hb = parse_header_block(m, 0, few);
  EXPECT_EQ(hb.fields.size(), 3u);
  EXPECT_TRUE(hb.truncated);
  EXPECT_EQ(m.substr(hb.range.end), "body");

  header_limits small{.max_size = 20};
  auto hb2 = parse_header_block(m, 0, small);
  EXPECT_EQ(hb2.fields.size(), 3u);  // fields starting in the first 20 bytes
  EXPECT_TRUE(hb2.truncated);
  EXPECT_EQ(m.substr(hb2.range.end), "body");
}

struct unstructured_case {
  std::string raw;
  std::string decoded;
};

// Expected values cross-checked with Python's email.header.decode_header + make_header.
TEST(decode_unstructured, rfc2047) {
  const unstructured_case cases[] = {
      {"", ""},
      {" plain text ", "plain text"},
      {"=?utf-8?B?5L2g5aW9?=", "你好"},
      {"=?utf-8?b?5L2g5aW9?=", "你好"},
      {"=?UTF-8?Q?caf=C3=A9?=", "café"},
      {"=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"},             // RFC 2047 §6.2
      {"=?utf-8?Q?a?=  \r\n\t=?utf-8?Q?b?=", "ab"},        // across folding
      {"a =?utf-8?Q?b?= c", "a b c"},
      {"=?utf-8?Q?a_b?=", "a b"},
      {"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"},  // RFC 2047 §8
      {"=?utf-8?Q?a?= =?iso-8859-1?Q?=E9?=", "aé"},
      {"=?utf-8?Q?what=3F?=", "what?"},
      {"Re: =?gbk?B?xOO6ww==?=", "Re: 你好"},
      {"=?gb2312?B?vL62yLGouOY=?=", "季度报告"},
      // A character split across two words in the same charset (§5 forbids it,
      // Chinese mailers do it): the bytes are joined before conversion.
      {"=?utf-8?B?5L0=?= =?utf-8?B?oA==?=", "你"},
      {"=?gbk?B?xA==?= =?gbk?B?4w==?=", "你"},
      {"=?GBK?Q?=D6=EC=E9?=\r\n =?GBK?Q?=46?=", "朱镕"},
      {"=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?= =?ISO-2022-JP?B?GyRCJE4kKhsoQg==?=", "会議のお"},
      {"=?utf-8*en?Q?hello?=", "hello"},                  // RFC 2231 §5 language
      {"=?utf-8*?Q?x?=", "x"},
      {"Re:=?utf-8?B?5L2g5aW9?=", "Re:你好"},             // glued to text
      {"=?x-unknown?B?5L2g?=", "你"},                     // unknown charset: raw policy
      // Malformed words stay as written (RFC 2047 §6.3).
      {"=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
      {"=?utf-8?B?***?=", "=?utf-8?B?***?="},
      {"=?utf-8?Q?a b?=", "=?utf-8?Q?a b?="},
      {"=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated"},
      {"=??Q?x?=", "=??Q?x?="},
      {"=?*en?Q?x?=", "=?*en?Q?x?="},
      {"==?utf-8?Q?x?=", "=x"},
      // Raw 8-bit: UTF-8 (RFC 6532), else the fallback (GB18030).
      {"你好 world", "你好 world"},
      {"\xc4\xe3\xba\xc3", "你好"},
      {"a\r\n\tb", "a\tb"},
      // Never CR, LF or NUL in a decoded value.
      {"=?utf-8?Q?a=0D=0Ab?=", "a  b"},
      {"=?utf-8?Q?a=00b?=", "a\xef\xbf\xbd" "b"},
  };
  for (const auto& c : cases) EXPECT_EQ(decode_unstructured(c.raw), c.decoded) << c.raw;
}

TEST(decode_unstructured, charset_hint_applies_to_raw_bytes_only) {
  decode_options big5;
  big5.charset_hint = "big5";
  EXPECT_EQ(decode_unstructured("\xa7\x41\xa6\x6e", big5), "你好");
  EXPECT_EQ(decode_unstructured("=?gbk?B?xOO6ww==?=", big5), "你好");
}

TEST(header_lookup, by_name_case_insensitive) {
  const std::string m = crlf(
      "Received: one\nsubject: =?utf-8?Q?first?=\nReceived: two\nSUBJECT: second\n\n");
  auto hb = parse_header_block(m);
  const header_field* f = find_field(m, hb.fields, "Subject");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(value_of(m, *f), " =?utf-8?Q?first?=");
  EXPECT_EQ(find_fields(m, hb.fields, "received").size(), 2u);
  EXPECT_EQ(find_field(m, hb.fields, "Missing"), nullptr);
  EXPECT_EQ(raw_value(m, hb.fields, "RECEIVED").value_or(""), " one");
  EXPECT_EQ(header_value(m, hb.fields, "subject").value_or(""), "first");
  EXPECT_FALSE(header_value(m, hb.fields, "To").has_value());
  auto all = header_values(m, hb.fields, "Subject");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1], "second");
}

}  // namespace
}  // namespace letterhead::mime
