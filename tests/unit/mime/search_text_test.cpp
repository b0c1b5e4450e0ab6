// SEARCH text: decoded bodies and headers in UTF-8, and the case-insensitive match.
// Chinese bodies were encoded independently (Python's gbk, gb18030 and big5 codecs,
// base64 and quopri modules).

#include <gtest/gtest.h>

#include "mime/parser.hpp"
#include "mime/search_text.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

struct loaded {
  std::string bytes;
  message msg;
};

loaded from_text(std::string_view text) {
  loaded l{test::crlf(text), {}};
  l.msg = parse(l.bytes);
  return l;
}

loaded from_corpus(std::string_view name) {
  loaded l{test::read_corpus(name), {}};
  l.msg = parse(l.bytes);
  return l;
}

std::string body(const loaded& l) { return searchable_body_text(l.bytes, l.msg); }

TEST(text_contains, case_folding) {
  EXPECT_TRUE(text_contains("第三季度报告", "季度"));
  EXPECT_FALSE(text_contains("第三季度报告", "年度"));
  EXPECT_TRUE(text_contains("Hello World", "WORLD"));
  EXPECT_TRUE(text_contains("Grüße", "GRÜSSE"));     // full case folding: ß = ss
  EXPECT_TRUE(text_contains("STRASSE", "straße"));
  EXPECT_TRUE(text_contains("ΟΔΟΣ", "οδος"));         // final sigma
  EXPECT_TRUE(text_contains("ＡＢＣ会议", "abc"));     // full-width letters (NFKC)
  EXPECT_TRUE(text_contains("cafe\xCC\x81", "CAFÉ"));  // decomposed and composed
  EXPECT_TRUE(text_contains("anything", ""));
  EXPECT_FALSE(text_contains("", "x"));
  EXPECT_TRUE(text_contains("bad \xFF utf-8 here", "HERE"));
  const std::string folded = search_fold("Quarterly REPORT");
  EXPECT_TRUE(folded_contains(folded, search_fold("report")));
  EXPECT_FALSE(folded_contains(folded, search_fold("annual")));
}

TEST(searchable_body_text, gbk_gb18030_big5_in_base64_and_quoted_printable) {
  auto gbk_b64 = from_text(
      "Content-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: base64\n\n"
      "tdrI/by+tsixqLjmo7rP+srbtu7U9rOkoaMNCg==\n");
  EXPECT_EQ(body(gbk_b64), "第三季度报告：销售额增长。\r\n");
  EXPECT_TRUE(text_contains(body(gbk_b64), "季度"));

  auto gbk_qp = from_text(
      "Content-Type: text/plain; charset=GB2312\nContent-Transfer-Encoding: quoted-printable\n\n"
      "=BB=E1=D2=E9=BC=CD=D2=AA=A3=BA=D6=EC=E9F=BB=F9=B7=C3=CC=B8=A1=A3\n");
  EXPECT_EQ(body(gbk_qp), "会议纪要：朱镕基访谈。\r\n");  // GBK's 镕 under a GB2312 label

  auto gb18030 = from_text(
      "Content-Type: text/plain; charset=gb18030\nContent-Transfer-Encoding: base64\n\n"
      "yfrGp9fW/p+6zZUygja2vNTaR0IxODAzMMDvoaMNCg==\n");
  EXPECT_EQ(body(gb18030), "生僻字䶮和𠀀都在GB18030里。\r\n");  // four-byte sequences
  EXPECT_TRUE(text_contains(body(gb18030), "䶮"));

  auto big5_qp = from_text(
      "Content-Type: text/plain; charset=big5\nContent-Transfer-Encoding: quoted-printable\n\n"
      "=A9=FA=A4=D1=A4U=A4=C8=A4T=C2I=B6}=B7|=A1A=BD=D0=B7=C7=AE=C9=A5X=AEu=A1C\n");
  EXPECT_TRUE(text_contains(body(big5_qp), "三點開會"));
  auto big5_b64 = from_text(
      "Content-Type: text/plain; charset=big5\nContent-Transfer-Encoding: base64\n\n"
      "qfqk0aRVpMikVMJJtn23fKFBvdC3x67JpViudaFDDQo=\n");
  EXPECT_EQ(body(big5_b64), "明天下午三點開會，請準時出席。\r\n");
}

TEST(searchable_body_text, html_is_stripped) {
  auto html = from_text(
      "Content-Type: text/html; charset=gb18030\nContent-Transfer-Encoding: base64\n\n"
      "PGh0bWw+PGJvZHk+PHA+z+7EvzxiPr34tsg8L2I+JmFtcDvUpMvjPC9wPjxzdHlsZT5we2NvbG9yOnJlZH08"
      "L3N0eWxlPjxwPiYjMjAwMTM7JiN4NjU4Nzs8L3A+PC9ib2R5PjwvaHRtbD4=\n");
  EXPECT_EQ(body(html), "\n项目进度&预算\n\n中文\n");
  EXPECT_TRUE(text_contains(body(html), "项目进度"));  // an inline tag does not split words
  EXPECT_FALSE(text_contains(body(html), "color"));
}

TEST(html_to_text, table) {
  EXPECT_EQ(html_to_text("a<br>b"), "a\nb");
  EXPECT_EQ(html_to_text("<b>bo</b>ld"), "bold");
  EXPECT_EQ(html_to_text("x<!-- <p>hidden</p> -->y"), "xy");
  EXPECT_EQ(html_to_text("<script type=\"x\">if (a < b) alert()</SCRIPT>after"), "after");
  EXPECT_EQ(html_to_text("1 < 2 &lt; 3 &amp;&amp; &nbsp;&#x4E2D;&#25991;&bogus; &"),
            "1 < 2 < 3 &&  中文&bogus; &");
  EXPECT_EQ(html_to_text("&#0;&#xD800;&#99999999;"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(html_to_text("text <unterminated"), "text ");
  EXPECT_EQ(html_to_text("<style>p{}"), "");
}

TEST(searchable_body_text, corpus_messages) {
  EXPECT_TRUE(text_contains(body(from_corpus("gb2312_newsletter.eml")), "第三季度销售额"));
  EXPECT_TRUE(text_contains(body(from_corpus("big5.eml")), "開會"));
  EXPECT_TRUE(text_contains(body(from_corpus("gbk_quoted_printable.eml")), "镕字"));
  EXPECT_TRUE(text_contains(body(from_corpus("mixed_attachments.eml")), "请查收附件"));
  EXPECT_TRUE(text_contains(body(from_corpus("iso2022jp.eml")), "会議"));
  EXPECT_TRUE(text_contains(body(from_corpus("latin1.eml")), "GRÜSSE"));
  // Text of an attached message is searched; attachments that are not text are not.
  auto fwd = from_corpus("forwarded_rfc822.eml");
  EXPECT_EQ(body(fwd), "See the forwarded message below.\r\n\nDraft numbers attached.\r\n\n"
                       "\nDraft numbers attached.\n\r\n");
  EXPECT_FALSE(text_contains(body(from_corpus("mixed_attachments.eml")), "PDF"));
}

TEST(searchable_body_text, bounded_at_a_character_boundary) {
  auto l = from_text("Content-Type: text/plain; charset=utf-8\n\n季度报告");
  EXPECT_EQ(searchable_body_text(l.bytes, l.msg, {.max_bytes = 4}), "季");
  EXPECT_EQ(searchable_body_text(l.bytes, l.msg, {.max_bytes = 6}), "季度");
  EXPECT_EQ(searchable_body_text(l.bytes, l.msg, {.max_bytes = 0}), "");
}

TEST(decoded_header_text, rfc2047_subjects_and_names) {
  auto gb = from_corpus("gb2312_newsletter.eml");
  EXPECT_EQ(decoded_header_text(gb.bytes, gb.msg, 0, "Subject"), "季度报告");
  EXPECT_EQ(decoded_header_text(gb.bytes, gb.msg, 0, "from"), "\"市场部\" <news@example.cn>");
  EXPECT_EQ(decoded_header_text(gb.bytes, gb.msg, 0, "X-Absent"), "");
  EXPECT_EQ(decoded_header_text(gb.bytes, gb.msg, 99, "Subject"), "");
  auto gbk = from_corpus("gbk_quoted_printable.eml");
  EXPECT_TRUE(text_contains(decoded_header_text(gbk.bytes, gbk.msg, 0, "Subject"), "朱镕基"));
  auto big5 = from_corpus("big5.eml");
  EXPECT_EQ(decoded_header_text(big5.bytes, big5.msg, 0, "Subject"), "會議通知");
  // Every occurrence, one per line; raw GBK decoded by the body's charset.
  auto two = from_text("Content-Type: text/plain; charset=gbk\nX-Tag: one\n"
                       "X-Tag: =?utf-8?B?5a2j5bqm?=\n\n\xBC\xBE\xB6\xC8");
  EXPECT_EQ(decoded_header_text(two.bytes, two.msg, 0, "X-Tag"), "one\n季度");
}

TEST(searchable_full_text, headers_then_bodies) {
  auto gb = from_corpus("gb2312_newsletter.eml");
  const std::string text = searchable_full_text(gb.bytes, gb.msg);
  EXPECT_TRUE(text_contains(text, "季度报告"));      // Subject
  EXPECT_TRUE(text_contains(text, "市场部"));        // From display name
  EXPECT_TRUE(text_contains(text, "第三季度销售额"));  // body
  EXPECT_TRUE(text_contains(text, "x-mailer: foxmail"));
  EXPECT_EQ(text.find("Return-Path: <news@example.cn>\n"), 0u);
  auto fwd = from_corpus("forwarded_rfc822.eml");
  EXPECT_TRUE(text_contains(searchable_full_text(fwd.bytes, fwd.msg), "Budget 2025 – draft"));
  EXPECT_EQ(searchable_full_text(gb.bytes, gb.msg, {.max_bytes = 10}), "Return-Pat");
}

}  // namespace
}  // namespace letterhead::mime
