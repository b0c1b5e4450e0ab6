#include "mime/content_type.hpp"

#include <gtest/gtest.h>

namespace letterhead::mime {
namespace {

std::string param(const std::vector<parameter>& ps, std::string_view name) {
  const parameter* p = find_parameter(ps, name);
  return p ? p->value : std::string("<none>");
}

TEST(content_type, basic_forms) {
  auto ct = parse_content_type("text/plain; charset=us-ascii");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->type, "text");
  EXPECT_EQ(ct->subtype, "plain");
  EXPECT_EQ(param(ct->params, "charset"), "us-ascii");

  ct = parse_content_type(" TEXT / HTML ; CHARSET=\"UTF-8\" ");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->type, "text");
  EXPECT_EQ(ct->subtype, "html");
  ASSERT_EQ(ct->params.size(), 1u);
  EXPECT_EQ(ct->params[0].name, "charset");
  EXPECT_EQ(ct->params[0].value, "UTF-8");

  ct = parse_content_type("multipart/mixed;\r\n\tboundary=\"----=_Part_1_2.3\"");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->params[0].raw, "----=_Part_1_2.3");
}

TEST(content_type, comments_and_junk) {
  // RFC 2045 §5.1 allows comments; RFC 2045's own example.
  auto ct = parse_content_type("text/plain; charset=us-ascii (Plain text)");
  ASSERT_TRUE(ct);
  EXPECT_EQ(param(ct->params, "charset"), "us-ascii");
  ct = parse_content_type("(comment) text/plain (another); charset=\"us-ascii\" (x)");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->subtype, "plain");
  EXPECT_EQ(param(ct->params, "charset"), "us-ascii");
  // Unquoted values with tspecials and spaces; missing ";".
  ct = parse_content_type("multipart/alternative; boundary=----=_NextPart_000_0001");
  EXPECT_EQ(param(ct->params, "boundary"), "----=_NextPart_000_0001");
  ct = parse_content_type("application/pdf; name=annual report (1).pdf");
  EXPECT_EQ(param(ct->params, "name"), "annual report (1).pdf");
  ct = parse_content_type("text/html charset=utf-8");
  EXPECT_EQ(param(ct->params, "charset"), "utf-8");
  ct = parse_content_type("text/plain; ; novalue; =x; charset=utf-8;");
  EXPECT_EQ(param(ct->params, "charset"), "utf-8");
  ct = parse_content_type("text/plain; name=\"a \\\"quoted\\\" name\"");
  EXPECT_EQ(param(ct->params, "name"), "a \"quoted\" name");
  ct = parse_content_type("text/plain; name=\"unterminated");
  EXPECT_EQ(param(ct->params, "name"), "unterminated");
  ct = parse_content_type("text/plain; a=1; A=2");
  EXPECT_EQ(param(ct->params, "a"), "1");  // the first wins
}

TEST(content_type, invalid_is_nullopt) {
  EXPECT_FALSE(parse_content_type(""));
  EXPECT_FALSE(parse_content_type("text"));
  EXPECT_FALSE(parse_content_type("text/"));
  EXPECT_FALSE(parse_content_type("/plain"));
  EXPECT_FALSE(parse_content_type("; charset=utf-8"));
}

// Expected values cross-checked with Python's email.utils.collapse_rfc2231_value.
TEST(rfc2231, charset_and_continuations) {
  auto ps = parse_parameters("; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].name, "filename");
  EXPECT_EQ(ps[0].value, "报告.pdf");
  EXPECT_EQ(ps[0].charset, "UTF-8");
  EXPECT_EQ(ps[0].language, "");
  EXPECT_EQ(ps[0].raw, "\xe6\x8a\xa5\xe5\x91\x8a.pdf");

  ps = parse_parameters("; name*0*=UTF-8''%E6%8A%A5;\r\n name*1*=%E5%91%8A;\r\n name*2=\".pdf\"");
  EXPECT_EQ(param(ps, "name"), "报告.pdf");

  // Sections out of order are put in order; RFC 2231 §3.
  ps = parse_parameters("; name*1=\"b\"; name*0=\"a\"; name*2=\"c\"");
  EXPECT_EQ(param(ps, "name"), "abc");
  // A gap ends the value.
  ps = parse_parameters("; name*0=a; name*2=c");
  EXPECT_EQ(param(ps, "name"), "a");

  ps = parse_parameters("; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].value, "This is ***fun***");
  EXPECT_EQ(ps[0].language, "en-us");

  ps = parse_parameters("; filename*=gb2312''%C4%E3%BA%C3.txt");
  EXPECT_EQ(param(ps, "filename"), "你好.txt");
  ps = parse_parameters("; filename*=''%E4%BD%A0");  // no charset: raw policy, UTF-8 valid
  EXPECT_EQ(param(ps, "filename"), "你");
  ps = parse_parameters("; filename*=utf-8''100%25%zz");  // bad escape kept
  EXPECT_EQ(param(ps, "filename"), "100%%zz");
  ps = parse_parameters("; filename*=no-quotes-here");
  EXPECT_EQ(param(ps, "filename"), "no-quotes-here");
}

TEST(rfc2231, extended_form_wins_over_plain) {
  auto ps = parse_parameters("; filename=\"fallback.pdf\"; filename*=UTF-8''%E6%8A%A5.pdf");
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].value, "报.pdf");
  // Only plain: used. Sections without section 0: ignored, plain used.
  ps = parse_parameters("; filename=\"plain.pdf\"; filename*1=\"x\"");
  EXPECT_EQ(param(ps, "filename"), "plain.pdf");
}

TEST(rfc2231, hostile_section_numbers) {
  auto ps = parse_parameters("; a*99999999999999=x; a*0=y; b*1x=z; c*=");
  EXPECT_EQ(param(ps, "a"), "y");
  EXPECT_EQ(param(ps, "b*1x"), "z");  // not RFC 2231: an ordinary name
  EXPECT_EQ(param(ps, "c"), "");
}

TEST(parameters, rfc2047_words_in_values) {
  // Outlook and many Chinese mailers: encoded-words inside quoted values.
  auto ps = parse_parameters("; name=\"=?gb2312?B?us/NrLLdsLguZG9j?=\"");
  EXPECT_EQ(param(ps, "name"), "合同草案.doc");
  EXPECT_EQ(ps[0].raw, "=?gb2312?B?us/NrLLdsLguZG9j?=");
  ps = parse_parameters("; name=\"=?utf-8?B?5oql?= =?utf-8?B?5ZGK?=.pdf\"");
  EXPECT_EQ(param(ps, "name"), "报告.pdf");
}

TEST(parameters, raw_8bit_values) {
  auto ps = parse_parameters("; filename=\"\xe6\x8a\xa5\xe5\x91\x8a.pdf\"");
  EXPECT_EQ(param(ps, "filename"), "报告.pdf");
  ps = parse_parameters("; filename=\"\xc4\xe3\xba\xc3.txt\"");  // raw GBK
  EXPECT_EQ(param(ps, "filename"), "你好.txt");
  decode_options big5;
  big5.charset_hint = "big5";
  ps = parse_parameters("; filename=\"\xa7\x41\xa6\x6e.txt\"", big5);
  EXPECT_EQ(param(ps, "filename"), "你好.txt");
}

TEST(content_disposition, forms) {
  auto cd = parse_content_disposition("Attachment; filename=\"a.txt\"; size=43");
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->type, "attachment");
  EXPECT_EQ(param(cd->params, "filename"), "a.txt");
  EXPECT_EQ(param(cd->params, "size"), "43");
  cd = parse_content_disposition("inline");
  ASSERT_TRUE(cd);
  EXPECT_TRUE(cd->params.empty());
  EXPECT_FALSE(parse_content_disposition("  ; filename=x"));
}

TEST(content_language, tags) {
  EXPECT_EQ(parse_content_language(" zh-CN"), (std::vector<std::string>{"zh-CN"}));
  EXPECT_EQ(parse_content_language("en (English), fr,\r\n de"),
            (std::vector<std::string>{"en", "fr", "de"}));
  EXPECT_TRUE(parse_content_language("").empty());
  EXPECT_TRUE(parse_content_language(" , ,").empty());
}

}  // namespace
}  // namespace letterhead::mime
