// Real-world shaped messages in tests/data/mime/. Every expected string was produced
// independently by Python's email package (make_header/decode_header, get_payload,
// get_filename, parsedate_tz) from the same files.

#include <gtest/gtest.h>

#include "invariants.hpp"
#include "mime/address.hpp"
#include "mime/body.hpp"
#include "mime/date.hpp"
#include "mime/msg_id.hpp"
#include "mime/parser.hpp"
#include "mime/section.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

struct loaded {
  std::string bytes;
  message msg;
};

loaded load(std::string_view name) {
  loaded l{test::read_corpus(name), {}};
  EXPECT_FALSE(l.bytes.empty()) << name;
  l.msg = parse(l.bytes);
  test::check_invariants(l.bytes, l.msg);
  return l;
}

std::string subject(const loaded& l) {
  return header_value(l.bytes, l.msg.root().fields, "Subject").value_or("<none>");
}

mailbox_address from(const loaded& l) {
  auto raw = raw_value(l.bytes, l.msg.root().fields, "From");
  auto list = parse_address_list(raw.value_or(""));
  return list.mailboxes.empty() ? mailbox_address{} : list.mailboxes.front();
}

std::string text(const loaded& l, std::size_t index) {
  return text_body_utf8(l.bytes, l.msg.parts.at(index)).value_or("<error>");
}

std::int64_t date(const loaded& l) {
  auto raw = raw_value(l.bytes, l.msg.root().fields, "Date");
  auto d = parse_date(raw.value_or(""));
  return d ? d->unix_seconds : -1;
}

std::string types(const loaded& l) {
  std::string out;
  for (const auto& p : l.msg.parts) out += p.type + "/" + p.subtype + " ";
  return out;
}

TEST(corpus, gb2312_newsletter) {
  auto l = load("gb2312_newsletter.eml");
  EXPECT_EQ(subject(l), "季度报告");
  EXPECT_EQ(from(l).display_name, "市场部");
  EXPECT_EQ(from(l).addr_spec(), "news@example.cn");
  EXPECT_EQ(date(l), 1728264600);
  EXPECT_EQ(types(l), "multipart/alternative text/plain text/html ");
  EXPECT_EQ(text(l, 1), "各位同事：\r\n第三季度销售额增长百分之十二。\r\n");
  EXPECT_EQ(text(l, 2),
            "<html><body><p>各位同事：</p><p>第三季度销售额增长百分之十二。</p></body></html>\r\n");
  EXPECT_EQ(l.msg.parts[1].charset(), "gb2312");
  EXPECT_EQ(parse_msg_id(raw_value(l.bytes, l.msg.root().fields, "Message-ID").value_or(""))
                .value_or(""),
            "20241007093000.1234@example.cn");
  // The preamble is not a part.
  EXPECT_EQ(l.msg.root().children.size(), 2u);
}

TEST(corpus, gbk_quoted_printable_with_split_subject) {
  auto l = load("gbk_quoted_printable.eml");
  EXPECT_EQ(subject(l), "朱镕基访谈录");  // a character split across two Q words
  EXPECT_EQ(from(l).display_name, "编辑部");
  EXPECT_EQ(text(l, 0), "镕字不在GB2312里，但在GBK里。\r\n第二行：温度 25℃。\r\n");
  EXPECT_EQ(date(l), 1728367533);
}

TEST(corpus, big5) {
  auto l = load("big5.eml");
  EXPECT_EQ(subject(l), "會議通知");
  EXPECT_EQ(from(l).display_name, "王小明");
  EXPECT_EQ(text(l, 0), "明天下午三點開會，請準時出席。\r\n");
  EXPECT_EQ(l.msg.root().encoding, transfer_encoding::eight_bit);
}

TEST(corpus, iso_2022_jp) {
  auto l = load("iso2022jp.eml");
  EXPECT_EQ(subject(l), "会議のお知らせ");
  EXPECT_EQ(from(l).display_name, "山田太郎");
  EXPECT_EQ(text(l, 0), "会議のお知らせです。\r\nよろしくお願いします。\r\n");
  EXPECT_EQ(date(l), 1728526953);
}

TEST(corpus, shift_jis_with_nec_extensions) {
  auto l = load("shift_jis.eml");
  EXPECT_EQ(subject(l), "売上報告");
  EXPECT_EQ(text(l, 0), "①売上報告\r\n②来期計画\r\n");
}

TEST(corpus, windows_1252) {
  auto l = load("windows1252.eml");
  EXPECT_EQ(subject(l), "Café “special” offer");
  EXPECT_EQ(from(l).display_name, "Renée Müller");
  EXPECT_EQ(text(l, 0), "Price: 20€ – “special” offer\r\nCafé ready.\r\n");
}

TEST(corpus, iso_8859_1) {
  auto l = load("latin1.eml");
  EXPECT_EQ(subject(l), "Grüße aus Köln");
  EXPECT_EQ(from(l).display_name, "Jörg");
  EXPECT_EQ(text(l, 0), "Viele Grüße aus Köln, bis bald!\r\n");
}

TEST(corpus, utf8_raw_headers) {
  auto l = load("utf8_raw_headers.eml");
  EXPECT_EQ(subject(l), "你好，世界 — greetings");
  auto f = from(l);
  EXPECT_EQ(f.display_name, "张三");
  EXPECT_EQ(f.local, "zhangsan");
  EXPECT_EQ(f.domain, "例子.中国");
  auto to = parse_address_list(raw_value(l.bytes, l.msg.root().fields, "To").value_or(""));
  ASSERT_EQ(to.mailboxes.size(), 2u);
  EXPECT_EQ(to.mailboxes[0].display_name, "李四");
  EXPECT_EQ(to.mailboxes[0].local, "李四");
  EXPECT_EQ(to.mailboxes[1].display_name, "王五");
  EXPECT_EQ(text(l, 0), "这是一封使用原始 UTF-8 头部的邮件。\r\n");
}

TEST(corpus, mixed_alternative_and_attachments) {
  auto l = load("mixed_attachments.eml");
  EXPECT_EQ(subject(l), "季度材料");
  EXPECT_EQ(types(l),
            "multipart/mixed multipart/alternative text/plain text/html application/pdf "
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet "
            "application/msword ");
  EXPECT_EQ(text(l, 2), "请查收附件。\r\n");
  EXPECT_EQ(text(l, 3), "<p>请查收附件。</p>\r\n");
  EXPECT_EQ(l.msg.parts[4].filename(), "报告.pdf");
  EXPECT_EQ(l.msg.parts[4].disposition, "attachment");
  EXPECT_EQ(l.msg.parts[5].filename(), "第三季度销售数据汇总表.xlsx");
  EXPECT_EQ(l.msg.parts[6].filename(), "合同草案.doc");
  EXPECT_EQ(decoded_body(l.bytes, l.msg.parts[4]),
            "%PDF-1.4\n% fake pdf\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n");
  EXPECT_EQ(decoded_body(l.bytes, l.msg.parts[5]),
            std::string("PK\x03\x04" "fake-xlsx-content\x00\x01\x02", 24));
  // IMAP numbering: 1 is the alternative, 1.2 its HTML, 2..4 the attachments.
  EXPECT_EQ(find_section(l.msg, section_path{1, 2}), 3u);
  EXPECT_EQ(find_section(l.msg, section_path{3}), 5u);
  EXPECT_EQ(to_string(section_of(l.msg, 6)), "4");
}

TEST(corpus, forwarded_message_rfc822) {
  auto l = load("forwarded_rfc822.eml");
  EXPECT_EQ(types(l),
            "multipart/mixed text/plain message/rfc822 multipart/alternative text/plain "
            "text/html ");
  const part& fwd = l.msg.parts[2];
  EXPECT_EQ(fwd.content_description, "Forwarded message");
  ASSERT_TRUE(fwd.embedded);
  const part& inner = l.msg.parts[*fwd.embedded];
  EXPECT_EQ(header_value(l.bytes, inner.fields, "Subject").value_or(""), "Budget 2025 – draft");
  auto d = parse_date(raw_value(l.bytes, inner.fields, "Date").value_or(""));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->zone_minutes, -420);
  EXPECT_EQ(text(l, 1), "See the forwarded message below.\r\n");
  EXPECT_EQ(text(l, 4), "Draft numbers attached.\r\n");
  EXPECT_EQ(text(l, 5), "<p>Draft numbers attached.</p>\r\n");
  EXPECT_EQ(to_string(section_of(l.msg, 5)), "2.2");
  EXPECT_EQ(find_section_message(l.msg, section_path{2}), *fwd.embedded);
}

TEST(corpus, digest) {
  auto l = load("digest.eml");
  EXPECT_EQ(types(l),
            "multipart/digest message/rfc822 text/plain message/rfc822 text/plain text/plain ");
  EXPECT_EQ(text(l, 2), "Hello from the first post.\r\n");
  EXPECT_EQ(text(l, 4), "Hello from the second post.\r\n");
  EXPECT_EQ(text(l, 5), "This part is explicitly text/plain.\r\n");
}

TEST(corpus, outlook_related_with_korean) {
  auto l = load("outlook.eml");
  EXPECT_EQ(subject(l), "회의 자료");
  EXPECT_EQ(from(l).display_name, "김철수");
  EXPECT_EQ(types(l), "multipart/related text/html image/gif ");
  EXPECT_EQ(text(l, 1),
            "<html><body><p>첨부 자료를 확인해 주세요.</p><img "
            "src=\"cid:image001.gif@01DB2100.ABCDEF10\"></body></html>\r\n");
  const part& img = l.msg.parts[2];
  EXPECT_EQ(img.content_id, "<image001.gif@01DB2100.ABCDEF10>");
  EXPECT_EQ(img.filename(), "image001.gif");
  EXPECT_EQ(img.disposition, "inline");
  EXPECT_EQ(find_parameter(img.disposition_params, "creation-date")->value,
            "Fri, 18 Oct 2024 01:02:03 GMT");
  EXPECT_EQ(decoded_body(l.bytes, img).size(), 35u);
  EXPECT_EQ(l.msg.root().content_language, (std::vector<std::string>{"ko-KR"}));
  EXPECT_EQ(find_parameter(l.msg.root().type_params, "type")->value, "text/html");
}

TEST(corpus, apple_mail) {
  auto l = load("apple_mail.eml");
  EXPECT_EQ(subject(l), "Café tomorrow?");
  EXPECT_EQ(date(l), 1729394100);
  EXPECT_EQ(text(l, 1), "Shall we meet at the café tomorrow at 10? It’s on me 😀\r\n");
  EXPECT_EQ(text(l, 2), "<html><head></head><body>Shall we meet tomorrow at 10?</body></html>");
}

TEST(corpus, nul_bytes) {
  auto l = load("nul_bytes.eml");
  EXPECT_EQ(subject(l), "has \xef\xbf\xbd a NUL");
  EXPECT_EQ(text(l, 0), std::string("body\0with NUL\r\nand \xef\xbf\xbd invalid utf-8\r\n", 38));
}

TEST(corpus, every_part_and_header_decodes) {
  for (const char* name :
       {"gb2312_newsletter.eml", "gbk_quoted_printable.eml", "big5.eml", "iso2022jp.eml",
        "shift_jis.eml", "windows1252.eml", "latin1.eml", "utf8_raw_headers.eml",
        "mixed_attachments.eml", "forwarded_rfc822.eml", "digest.eml", "outlook.eml",
        "apple_mail.eml", "unterminated_boundary.eml", "nul_bytes.eml", "lf_only.eml"}) {
    SCOPED_TRACE(name);
    auto l = load(name);
    for (const auto& p : l.msg.parts) {
      for (const auto& f : p.fields) {
        std::string v = decode_unstructured(slice(l.bytes, f.value));
        EXPECT_EQ(v.find('\n'), std::string::npos);
      }
      if (p.is_text()) {
        auto t = text_body_utf8(l.bytes, p);
        ASSERT_TRUE(t);
        EXPECT_TRUE(is_valid_utf8(*t));
      }
    }
  }
}

}  // namespace
}  // namespace letterhead::mime
