#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "filter/virus_scope.hpp"
#include "mime/parser.hpp"

namespace letterhead::filter {
namespace {

using scope = virus_scan_plan::scope;

virus_scan_plan plan(const std::string& msg) { return plan_virus_scan(msg, mime::parse(msg)); }
bool scan(const std::string& msg) { return plan(msg).what != scope::skip; }

const std::string head = "From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n";

TEST(virus_scope, plain_text_alone_is_not_sent) {
  EXPECT_FALSE(scan(head + "\r\nHello, the report is attached tomorrow.\r\n"));
  EXPECT_FALSE(scan(head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                           "5L2g5aW9\r\n"));  // 你好
  EXPECT_FALSE(scan(head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                           "--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n"));
  // "begin" alone, or not at the start of a line, is just a word.
  EXPECT_FALSE(scan(head + "\r\nbegin at 9, uuencode writes \"begin 644 name\"\r\nlet us begin 644 now\r\n"));
}

TEST(virus_scope, anything_that_can_carry_a_file_is_sent) {
  const std::string mixed = head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                                   "--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--b\r\n";
  EXPECT_TRUE(scan(mixed + "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                           "JVBERi0=\r\n--b--\r\n"));
  EXPECT_TRUE(scan(mixed + "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n"
                           "x\r\n--b--\r\n"));
  EXPECT_TRUE(scan(mixed + "Content-Type: text/plain; name=\"run.js\"\r\n\r\nx\r\n--b--\r\n"));
  EXPECT_TRUE(scan(mixed + "Content-Type: image/png\r\n\r\nx\r\n--b--\r\n"));
  EXPECT_TRUE(scan(head + "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n"));
  EXPECT_TRUE(scan(head + "\r\nhere it is\r\nbegin 644 invoice.exe\r\nM35J0``,`\r\n`\r\nend\r\n"));
  // uuencoded inside a base64 text part: found after decoding.
  EXPECT_TRUE(scan(head + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                          "YmVnaW4gNjQ0IGEuZXhlCk0zNUowYGAKYAplbmQK\r\n"));
  // An embedded message is judged by its parts.
  EXPECT_FALSE(scan(head + "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + head + "\r\nfwd\r\n"));
  EXPECT_TRUE(scan(head + "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + head +
                   "Content-Type: application/zip\r\n\r\nPK\r\n"));
}

TEST(virus_scope, every_way_of_hiding_a_file_in_text_is_sent) {
  // uuencode with non-octal mode digits, or as base64 (uuencode -m).
  EXPECT_TRUE(scan(head + "\r\nbegin 999 a.exe\r\nM35J0``,`\r\n`\r\nend\r\n"));
  EXPECT_TRUE(scan(head + "\r\nbegin 7 a.exe\r\nM35J0``,`\r\n`\r\nend\r\n"));
  EXPECT_TRUE(scan(head + "\r\nbegin-base64 644 a.exe\r\nTVqQAAMAAAAEAAAA\r\n====\r\n"));
  // yEnc and BinHex 4.0 (RFC 1741).
  EXPECT_TRUE(scan(head + "\r\n=ybegin line=128 size=3 name=a.exe\r\nabc\r\n=yend size=3\r\n"));
  EXPECT_TRUE(scan(head + "\r\n(This file must be converted with BinHex 4.0)\r\n:$f*TEQKPH#jdCA0d,R0TG!\r\n"));
  // In a multipart's preamble or epilogue, which belong to no part.
  const std::string open = head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  const std::string uu = "begin 644 a.exe\r\nM35J0``,`\r\n`\r\nend\r\n";
  EXPECT_TRUE(scan(open + uu + "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"));
  EXPECT_TRUE(scan(open + "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n" + uu));
  // Words that only look like it stay plain.
  EXPECT_FALSE(scan(head + "\r\nbegin here\r\n=ybeginner\r\nbegin-base64 now\r\n"));
}

TEST(virus_scope, what_the_parser_could_not_read_is_sent) {
  // No close delimiter (a defect): clamd's own parser may see more than ours.
  EXPECT_TRUE(scan(head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                          "--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"));
  std::string deep = head + "MIME-Version: 1.0\r\n";
  for (int i = 0; i < 200; ++i) deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  EXPECT_TRUE(scan(deep));
}

const std::string text_then = head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                                 "--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--b\r\n";

TEST(virus_scope, a_clean_structure_sends_each_file_decoded_and_not_the_text) {
  auto p = plan(text_then + "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        "JVBERi0x\r\nLjQK\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        "iVBORw==\r\n--b\r\nContent-Type: text/plain; name=notes.txt\r\n\r\nnotes\r\n--b--\r\n");
  EXPECT_EQ(p.what, scope::parts);
  EXPECT_EQ(p.parts, (std::vector<std::size_t>{2, 3, 4}));  // 0 multipart, 1 the inline text
  // Inside a forwarded message too.
  p = plan(head + "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + head +
           "Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n");
  EXPECT_EQ(p.what, scope::parts);
  EXPECT_EQ(p.parts, (std::vector<std::size_t>{1}));
  // Base64 that ends without padding, in lines with trailing blanks, is regular.
  EXPECT_EQ(plan(text_then + "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                         "JVBERi0x \r\nLjQ\r\n--b--\r\n").what,
            scope::parts);
}

TEST(virus_scope, what_readers_may_decode_differently_goes_whole) {
  const std::string pdf = "Content-Type: application/pdf\r\nContent-Transfer-Encoding: ";
  EXPECT_EQ(plan(text_then + pdf + "base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n").what, scope::parts);
  // Padding in the middle: some decoders stop there, ours and others go on.
  EXPECT_EQ(plan(text_then + pdf + "base64\r\n\r\nJVBERg==TVqQAA==\r\n--b--\r\n").what, scope::whole);
  // Characters outside the alphabet, a lone last character, too much padding.
  EXPECT_EQ(plan(text_then + pdf + "base64\r\n\r\nJVBE*Ri0x\r\n--b--\r\n").what, scope::whole);
  EXPECT_EQ(plan(text_then + pdf + "base64\r\n\r\nJVBERi0xL\r\n--b--\r\n").what, scope::whole);
  EXPECT_EQ(plan(text_then + pdf + "base64\r\n\r\nJVBERi0===\r\n--b--\r\n").what, scope::whole);
  // Quoted-printable and unknown encodings.
  EXPECT_EQ(plan(text_then + pdf + "quoted-printable\r\n\r\n%PDF=2D1\r\n--b--\r\n").what, scope::whole);
  EXPECT_EQ(plan(text_then + pdf + "x-uuencode\r\n\r\nbegin\r\n--b--\r\n").what, scope::whole);
  // 7bit, 8bit and binary files are sent as they are.
  EXPECT_EQ(plan(text_then + pdf + "8bit\r\n\r\n%PDF-1.4\r\n--b--\r\n").what, scope::parts);
}

TEST(virus_scope, html_and_everything_unusual_goes_whole) {
  // HTML: ClamAV checks its links against phishing signatures only in mail it parses.
  EXPECT_EQ(plan(head + "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n").what, scope::whole);
  EXPECT_EQ(plan(text_then + "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n--b\r\n"
                         "Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--b--\r\n")
                .what,
            scope::whole);
  // A file marker in the text with a clean attachment beside it.
  EXPECT_EQ(plan(head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                        "--b\r\nContent-Type: text/plain\r\n\r\nbegin 644 a.exe\r\nM35J0\r\n`\r\nend\r\n--b\r\n"
                        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--b--\r\n")
                .what,
            scope::whole);
  // A defect: no close delimiter.
  EXPECT_EQ(plan(text_then + "Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n").what, scope::whole);
  EXPECT_EQ(plan(head + "\r\nhello\r\n").what, scope::skip);
}

TEST(virus_scope, fields_readers_may_pick_differently_go_whole) {
  const std::string pdf = "Content-Type: application/pdf\r\n";
  EXPECT_EQ(plan(text_then + pdf + "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b--\r\n").what,
            scope::parts);
  // Two encodings: we read the first, ClamAV decodes with both, a reader may take the last.
  EXPECT_EQ(plan(text_then + pdf + "Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                                   "TVqQAAMA\r\n--b--\r\n")
                .what,
            scope::whole);
  EXPECT_EQ(plan(text_then + pdf + "Content-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n").what, scope::whole);
  EXPECT_EQ(plan(text_then + pdf + "Content-Disposition: inline\r\nContent-Disposition: attachment; filename=a\r\n"
                                   "\r\n%PDF\r\n--b--\r\n")
                .what,
            scope::whole);
  // A multipart with a transfer encoding of its own.
  EXPECT_EQ(plan(head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n--b\r\n" + pdf + "\r\n%PDF\r\n--b--\r\n")
                .what,
            scope::whole);
}

TEST(virus_scope, many_parts_go_whole_and_plain_says_what_may_be_split) {
  std::string many = head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (std::size_t i = 0; i < max_virus_scan_streams; ++i) many += "--b\r\nContent-Type: image/png\r\n\r\nx\r\n";
  EXPECT_EQ(plan(many + "--b--\r\n").what, scope::parts);
  EXPECT_EQ(plan(many + "--b\r\nContent-Type: image/png\r\n\r\nx\r\n--b--\r\n").what, scope::whole);
  EXPECT_FALSE(plan(many + "--b\r\nContent-Type: image/png\r\n\r\nx\r\n--b--\r\n").plain);
  // HTML alone makes a plain message go whole.
  const auto html = plan(text_then + "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n--b--\r\n");
  EXPECT_EQ(html.what, scope::whole);
  EXPECT_TRUE(html.plain);
  EXPECT_TRUE(html.parts.empty());
  // Defects, markers and odd encodings are not plain.
  EXPECT_FALSE(plan(text_then + "Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n").plain);
  EXPECT_FALSE(plan(head + "\r\nbegin 644 a.exe\r\nM35J0\r\n`\r\nend\r\n").plain);
  EXPECT_FALSE(plan(text_then + "Content-Type: application/pdf\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                                "%PDF\r\n--b--\r\n")
                   .plain);
  EXPECT_TRUE(plan(text_then + "Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--b--\r\n").plain);
}

TEST(virus_scope, leaf_parts_are_every_part_but_containers) {
  const std::string m = head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                               "--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b\r\n"
                               "Content-Type: message/rfc822\r\n\r\n" + head + "\r\nfwd\r\n--b--\r\n";
  // 0 multipart, 1 html, 2 message/rfc822, 3 the forwarded message's text.
  EXPECT_EQ(leaf_parts(mime::parse(m)), (std::vector<std::size_t>{1, 3}));
}

}  // namespace
}  // namespace letterhead::filter
