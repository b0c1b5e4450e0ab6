// BODYSTRUCTURE / BODY (RFC 9051 §7.5.2) and BINARY (RFC 3516). Expected strings
// written by hand from the RFC grammar and the corpus bytes (sizes and line counts
// counted on the files), in the upper-case style of the RFC's examples and Cyrus;
// every output also passes the RFC 9051 §9 grammar checker.

#include <gtest/gtest.h>

#include "imap_grammar.hpp"
#include "mime/imap_bodystructure.hpp"
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
  return l;
}

std::string structure(const loaded& l, bool extensible, std::size_t index = 0,
                      imap_output_options options = {}) {
  std::string out = imap_bodystructure(l.bytes, l.msg, extensible, index, options);
  EXPECT_TRUE(test::valid_body(out)) << out;
  return out;
}

std::string structure_of(std::string_view bytes, bool extensible = true) {
  return structure(loaded{std::string(bytes), parse(bytes)}, extensible);
}

TEST(imap_bodystructure, simple_text) {
  auto l = load("big5.eml");
  EXPECT_EQ(structure(l, true),
            R"(("TEXT" "PLAIN" ("CHARSET" "big5") NIL NIL "8BIT" 32 1 NIL NIL NIL NIL))");
  EXPECT_EQ(structure(l, false), R"(("TEXT" "PLAIN" ("CHARSET" "big5") NIL NIL "8BIT" 32 1))");
  auto q = load("gbk_quoted_printable.eml");
  EXPECT_EQ(structure(q, false),
            R"(("TEXT" "PLAIN" ("CHARSET" "GBK") NIL NIL "QUOTED-PRINTABLE" 122 2))");
}

TEST(imap_bodystructure, gb2312_alternative) {
  auto l = load("gb2312_newsletter.eml");
  EXPECT_EQ(structure(l, true),
            R"((("TEXT" "PLAIN" ("CHARSET" "gb2312") NIL NIL "BASE64" 62 1 NIL NIL NIL NIL))"
            R"(("TEXT" "HTML" ("CHARSET" "gb2312") NIL NIL "BASE64" 116 2 NIL NIL NIL NIL) )"
            R"("ALTERNATIVE" ("BOUNDARY" "----=_NextPart_000_0001_01DB1858.5C2E3A40") NIL NIL NIL))");
  EXPECT_EQ(structure(l, false),
            R"((("TEXT" "PLAIN" ("CHARSET" "gb2312") NIL NIL "BASE64" 62 1))"
            R"(("TEXT" "HTML" ("CHARSET" "gb2312") NIL NIL "BASE64" 116 2) "ALTERNATIVE"))");
}

TEST(imap_bodystructure, mixed_with_alternative_and_rfc2231_attachments) {
  auto l = load("mixed_attachments.eml");
  const std::string alternative =
      R"((("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "BASE64" 30 1 NIL NIL NIL NIL))"
      R"(("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 63 1 NIL NIL NIL NIL) )"
      R"("ALTERNATIVE" ("BOUNDARY" "inner-boundary-2") NIL NIL NIL))";
  // RFC 2231 names keep their extended form, continuations joined (as Dovecot does);
  // RFC 2047 words inside quotes are passed through.
  const std::string pdf =
      R"(("APPLICATION" "PDF" NIL NIL NIL "BASE64" 88 NIL )"
      R"(("ATTACHMENT" ("FILENAME*" "UTF-8''%E6%8A%A5%E5%91%8A.pdf")) NIL NIL))";
  const std::string xlsx =
      R"(("APPLICATION" "VND.OPENXMLFORMATS-OFFICEDOCUMENT.SPREADSHEETML.SHEET" NIL NIL NIL )"
      R"("BASE64" 34 NIL ("ATTACHMENT" ("FILENAME*" "UTF-8''%E7%AC%AC%E4%B8%89%E5%AD%A3%E5%BA)"
      R"(%A6%E9%94%80%E5%94%AE%E6%95%B0%E6%8D%AE%E6%B1%87%E6%80%BB%E8%A1%A8.xlsx")) NIL NIL))";
  const std::string doc =
      R"(("APPLICATION" "MSWORD" ("NAME" "=?gb2312?B?us/NrLLdsLguZG9j?=") NIL NIL "BASE64" 18 )"
      R"(NIL ("ATTACHMENT" ("FILENAME" "=?gb2312?B?us/NrLLdsLguZG9j?=")) NIL NIL))";
  EXPECT_EQ(structure(l, true), "(" + alternative + pdf + xlsx + doc +
                                    R"( "MIXED" ("BOUNDARY" "outer-boundary-1") NIL NIL NIL))");
  EXPECT_EQ(structure(l, false),
            R"(((("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "BASE64" 30 1))"
            R"(("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 63 1) "ALTERNATIVE"))"
            R"(("APPLICATION" "PDF" NIL NIL NIL "BASE64" 88))"
            R"(("APPLICATION" "VND.OPENXMLFORMATS-OFFICEDOCUMENT.SPREADSHEETML.SHEET" NIL NIL NIL )"
            R"("BASE64" 34))"
            R"(("APPLICATION" "MSWORD" ("NAME" "=?gb2312?B?us/NrLLdsLguZG9j?=") NIL NIL "BASE64" 18))"
            R"( "MIXED"))");
  // Nested part indexes: section 1 (the alternative) and 2 (the PDF).
  EXPECT_EQ(structure(l, true, *find_section(l.msg, section_path{1})), alternative);
  EXPECT_EQ(structure(l, true, *find_section(l.msg, section_path{2})), pdf);
}

TEST(imap_bodystructure, forwarded_message_rfc822) {
  auto l = load("forwarded_rfc822.eml");
  const std::string envelope =
      R"(("Tue, 15 Oct 2024 08:00:00 -0700" "=?utf-8?Q?Budget_2025_=E2=80=93_draft?=" )"
      R"((("Carol" NIL "carol" "example.net")) (("Carol" NIL "carol" "example.net")) )"
      R"((("Carol" NIL "carol" "example.net")) (("Alice" NIL "alice" "example.org")) )"
      R"(NIL NIL NIL "<budget-draft@example.net>"))";
  const std::string inner =
      R"((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 25 1 NIL NIL NIL NIL))"
      R"(("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 32 1 NIL NIL NIL NIL) )"
      R"("ALTERNATIVE" ("BOUNDARY" "inner-alt") NIL NIL NIL))";
  const std::string rfc822 = R"(("MESSAGE" "RFC822" NIL NIL "Forwarded message" "7BIT" 460 )" +
                             envelope + " " + inner + " 19 NIL NIL NIL NIL)";
  EXPECT_EQ(structure(l, true),
            R"((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 34 1 NIL NIL NIL NIL))" +
                rfc822 + R"( "MIXED" ("BOUNDARY" "fwd-outer") NIL NIL NIL))");
  EXPECT_EQ(structure(l, false),
            R"((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 34 1))"
            R"(("MESSAGE" "RFC822" NIL NIL "Forwarded message" "7BIT" 460 )" +
                envelope +
                R"( (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 25 1))"
                R"(("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 32 1) "ALTERNATIVE") 19))"
                R"( "MIXED"))");
  // FETCH BODYSTRUCTURE of the attached message: the message/rfc822 part, or the
  // encapsulated message itself (its root, the inner multipart).
  const std::size_t part2 = *find_section(l.msg, section_path{2});
  EXPECT_EQ(structure(l, true, part2), rfc822);
  ASSERT_TRUE(l.msg.parts[part2].embedded.has_value());
  EXPECT_EQ(structure(l, true, *l.msg.parts[part2].embedded), inner);
  EXPECT_EQ(structure(l, true, *find_section(l.msg, section_path{2, 2})),
            R"(("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 32 1 NIL NIL NIL NIL))");
}

TEST(imap_bodystructure, digest_defaults_and_outlook_extension_data) {
  auto d = load("digest.eml");
  EXPECT_EQ(
      structure(d, false),
      R"((("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 113 ("Mon, 14 Oct 2024 10:00:00 +0000" )"
      R"("First post" ((NIL NIL "one" "example.org")) ((NIL NIL "one" "example.org")) )"
      R"(((NIL NIL "one" "example.org")) NIL NIL NIL NIL NIL) )"
      R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 28 1) 5))"
      R"(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 115 ("Tue, 15 Oct 2024 10:00:00 +0000" )"
      R"("Second post" ((NIL NIL "two" "example.org")) ((NIL NIL "two" "example.org")) )"
      R"(((NIL NIL "two" "example.org")) NIL NIL NIL NIL NIL) )"
      R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 29 1) 5))"
      R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 37 1) "DIGEST"))");

  auto o = load("outlook.eml");
  EXPECT_EQ(
      structure(o, true),
      R"((("TEXT" "HTML" ("CHARSET" "ks_c_5601-1987") NIL NIL "BASE64" 148 2 NIL NIL NIL NIL))"
      R"(("IMAGE" "GIF" ("NAME" "image001.gif") "<image001.gif@01DB2100.ABCDEF10>" )"
      R"("image001.gif" "BASE64" 50 NIL ("INLINE" ("FILENAME" "image001.gif" "SIZE" "35" )"
      R"("CREATION-DATE" "Fri, 18 Oct 2024 01:02:03 GMT" )"
      R"("MODIFICATION-DATE" "Fri, 18 Oct 2024 01:02:03 GMT")) NIL NIL) )"
      R"("RELATED" ("BOUNDARY" "_004_SEYPR01MB1234567890ABCDEF_" "TYPE" "text/html") NIL )"
      R"(("ko-KR") NIL))");
}

TEST(imap_bodystructure, defaults_language_location_and_description) {
  // No Content-Type: text/plain; charset=us-ascii (RFC 2045 §5.2).
  EXPECT_EQ(structure_of(test::crlf("Subject: x\n\nhello\nworld")),
            R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 12 2 NIL NIL NIL NIL))");
  // Parameters without charset get it first; other fields as written, unfolded.
  EXPECT_EQ(structure_of(test::crlf("Content-Type: text/plain; format=flowed\n"
                                    "Content-Description: a\n b\n"
                                    "Content-Language: zh-CN, en\n"
                                    "Content-Location: http://example.com/\n a.txt\n"
                                    "Content-Disposition: inline\n\nx\n")),
            R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "FORMAT" "flowed") NIL "a b" "7BIT" 3 1 )"
            R"(NIL ("INLINE" NIL) ("zh-CN" "en") "http://example.com/a.txt"))");
  // A basic type has no line count; quoted-specials in values are escaped.
  EXPECT_EQ(structure_of(test::crlf("Content-Type: application/x-thing; name=\"a\\\"b\"\n"
                                    "Content-Transfer-Encoding: x-uuencode\n\nbegin\n"),
                         false),
            R"(("APPLICATION" "X-THING" ("NAME" "a\"b") NIL NIL "X-UUENCODE" 7))");
}

TEST(imap_bodystructure, eight_bit_parameter_values) {
  // A raw GBK file name: a literal; under UTF8=ACCEPT still a literal (not UTF-8),
  // while a raw UTF-8 name is quoted there.
  const std::string gbk = "Content-Type: application/pdf; name=\"\xB1\xA8.pdf\"\r\n\r\nx";
  loaded g{gbk, parse(gbk)};
  EXPECT_EQ(structure(g, false),
            "(\"APPLICATION\" \"PDF\" (\"NAME\" {6}\r\n\xB1\xA8.pdf) NIL NIL \"7BIT\" 1)");
  const std::string utf8 = "Content-Type: application/pdf; name=\"报告.pdf\"\r\n\r\nx";
  loaded u{utf8, parse(utf8)};
  EXPECT_EQ(structure(u, false, 0, {.utf8 = true}),
            "(\"APPLICATION\" \"PDF\" (\"NAME\" \"报告.pdf\") NIL NIL \"7BIT\" 1)");
  EXPECT_EQ(structure(u, false),
            "(\"APPLICATION\" \"PDF\" (\"NAME\" {10}\r\n报告.pdf) NIL NIL \"7BIT\" 1)");
}

TEST(imap_bodystructure, multipart_without_children_gets_an_empty_text_part) {
  // RFC 9051 §9: body-type-mpart = 1*body SP media-subtype.
  const std::string no_parts = test::crlf(
      "Content-Type: multipart/mixed; boundary=b\n\nno delimiter here\n");
  EXPECT_EQ(structure_of(no_parts),
            R"((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL) )"
            R"("MIXED" ("BOUNDARY" "b") NIL NIL NIL))");
  EXPECT_EQ(structure_of(no_parts, false),
            R"((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) "MIXED"))");
  // Beyond the depth limit a multipart has no parsed children either.
  const std::string nested = test::crlf(
      "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
      "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n--a--\n");
  parse_limits limits;
  limits.max_depth = 1;
  loaded l{nested, parse(nested, limits)};
  EXPECT_EQ(structure(l, false),
            R"(((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) "MIXED") "MIXED"))");
}

TEST(imap_bodystructure, message_rfc822_not_descended_into) {
  // Base64 message/rfc822 is forbidden (RFC 2046 §5.2.1) and not parsed: NIL envelope
  // and the content as one text part, so the response still parses.
  const std::string encoded = test::crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
      "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
      "U3ViamVjdDogaGkNCg0KYm9keQ0K\n--b--\n");
  EXPECT_EQ(structure_of(encoded, false),
            R"((("MESSAGE" "RFC822" NIL NIL NIL "BASE64" 28 )"
            R"((NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) )"
            R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 28 1) 1) "MIXED"))");
  // At the depth limit, the header at the start of the body still gives the envelope.
  const std::string deep = test::crlf(
      "Content-Type: message/rfc822\n\nSubject: inner\nFrom: a@b.example\n\nbody\n");
  parse_limits limits;
  limits.max_depth = 0;
  loaded l{deep, parse(deep, limits)};
  EXPECT_EQ(structure(l, false),
            R"(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 43 (NIL "inner" )"
            R"(((NIL NIL "a" "b.example")) ((NIL NIL "a" "b.example")) ((NIL NIL "a" "b.example")) )"
            R"(NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 6 1) 4))");
}

TEST(imap_bodystructure, index_out_of_range) {
  auto l = load("big5.eml");
  EXPECT_EQ(structure(l, false, 99),
            R"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0))");
}

TEST(imap_bodystructure, every_corpus_file_part_and_prefix_is_well_formed) {
  for (const char* name :
       {"apple_mail.eml", "big5.eml", "digest.eml", "forwarded_rfc822.eml",
        "gb2312_newsletter.eml", "gbk_quoted_printable.eml", "iso2022jp.eml", "latin1.eml",
        "lf_only.eml", "mixed_attachments.eml", "nul_bytes.eml", "outlook.eml",
        "shift_jis.eml", "unterminated_boundary.eml", "utf8_raw_headers.eml",
        "windows1252.eml"}) {
    const std::string bytes = test::read_corpus(name);
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      const std::string_view prefix(bytes.data(), cut);
      const message m = parse(prefix);
      const std::size_t last = cut == bytes.size() ? m.parts.size() : 1;
      for (std::size_t i = 0; i < last; ++i) {
        for (bool extensible : {true, false}) {
          const std::string s = imap_bodystructure(prefix, m, extensible, i);
          ASSERT_TRUE(test::valid_body(s)) << name << " cut " << cut << " part " << i << ": " << s;
        }
      }
    }
  }
}

TEST(imap_binary, decodes_transfer_encoding_only) {
  auto l = load("gb2312_newsletter.eml");
  auto text = imap_binary(l.bytes, l.msg, 1);
  ASSERT_TRUE(text.has_value());
  // GB2312 bytes, not UTF-8: BINARY undoes the transfer encoding and nothing else.
  EXPECT_EQ(*text, "\xB8\xF7\xCE\xBB\xCD\xAC\xCA\xC2\xA3\xBA\r\n"
                   "\xB5\xDA\xC8\xFD\xBC\xBE\xB6\xC8\xCF\xFA\xCA\xDB\xB6\xEE\xD4\xF6"
                   "\xB3\xA4\xB0\xD9\xB7\xD6\xD6\xAE\xCA\xAE\xB6\xFE\xA1\xA3\r\n");
  EXPECT_EQ(imap_binary_size(l.bytes, l.msg, 1), text->size());

  auto q = load("windows1252.eml");
  auto qp = imap_binary(q.bytes, q.msg, 0);
  ASSERT_TRUE(qp.has_value());
  EXPECT_EQ(*qp, "Price: 20\x80 \x96 \x93special\x94 offer\r\nCaf\xE9 ready.\r\n");
  EXPECT_EQ(imap_binary_size(q.bytes, q.msg, 0), qp->size());

  auto b = load("big5.eml");  // 8bit: as stored
  EXPECT_EQ(imap_binary(b.bytes, b.msg, 0).value(), std::string(slice(b.bytes, b.msg.root().body)));
  EXPECT_EQ(imap_binary_size(b.bytes, b.msg, 0), 32u);
}

TEST(imap_binary, unknown_encoding_and_bad_index) {
  const std::string bytes = test::crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n");
  const message m = parse(bytes);
  EXPECT_FALSE(imap_binary_decodable(m, 0));
  auto r = imap_binary(bytes, m, 0);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::errc::invalid);
  EXPECT_EQ(r.error().message, "UNKNOWN-CTE");
  EXPECT_EQ(imap_binary_size(bytes, m, 0), 0u);
  auto missing = imap_binary(bytes, m, 5);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::errc::not_found);
  EXPECT_FALSE(imap_binary_decodable(m, 5));
  EXPECT_TRUE(imap_binary_decodable(parse("\r\nx"), 0));
}

TEST(imap_binary, by_section_path) {
  auto l = load("mixed_attachments.eml");
  // BINARY[2] is the PDF attachment, base64-decoded.
  auto pdf = imap_binary(l.bytes, l.msg, section_path{2});
  ASSERT_TRUE(pdf.has_value());
  EXPECT_EQ(pdf->substr(0, 8), "%PDF-1.4");
  EXPECT_EQ(imap_binary_size(l.bytes, l.msg, section_path{2}), pdf->size());
  auto text = imap_binary(l.bytes, l.msg, section_path{1, 1});
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "请查收附件。\r\n");
  // BINARY[] is the whole message as stored; a missing section is not found.
  EXPECT_EQ(imap_binary(l.bytes, l.msg, section_path{}).value(), l.bytes);
  EXPECT_EQ(imap_binary_size(l.bytes, l.msg, section_path{}), l.bytes.size());
  auto missing = imap_binary(l.bytes, l.msg, section_path{9});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::errc::not_found);
  EXPECT_EQ(imap_binary_size(l.bytes, l.msg, section_path{9}), 0u);
}

}  // namespace
}  // namespace letterhead::mime
