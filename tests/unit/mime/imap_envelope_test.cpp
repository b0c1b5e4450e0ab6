// ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2). Expected strings written by hand from
// the RFC's rules and checked against the corpus files byte by byte; every output is
// also run through the RFC 9051 §9 grammar checker.

#include <gtest/gtest.h>

#include "imap_grammar.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/parser.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

std::string envelope_of(std::string_view bytes, std::size_t index = 0,
                        imap_output_options options = {}) {
  message m = parse(bytes);
  std::string out = imap_envelope(bytes, m, index, options);
  EXPECT_TRUE(test::valid_envelope(out)) << out;
  return out;
}

std::string corpus_envelope(std::string_view name, std::size_t index = 0,
                            imap_output_options options = {}) {
  const std::string bytes = test::read_corpus(name);
  EXPECT_FALSE(bytes.empty()) << name;
  return envelope_of(bytes, index, options);
}

TEST(imap_envelope, forwarded_message_and_its_nested_message) {
  EXPECT_EQ(corpus_envelope("forwarded_rfc822.eml"),
            R"(("Wed, 16 Oct 2024 12:00:00 +0000" "Fwd: Budget" )"
            R"((("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) )"
            R"((("Alice" NIL "alice" "example.org")) (("Bob" NIL "bob" "letterhead.test")) )"
            R"(NIL NIL NIL "<fwd-1@example.org>"))");
  // Part 2 is the message/rfc822 part: it stands for the message it carries, and so
  // does that message's root (index 3).
  const std::string carol =
      R"(("Tue, 15 Oct 2024 08:00:00 -0700" "=?utf-8?Q?Budget_2025_=E2=80=93_draft?=" )"
      R"((("Carol" NIL "carol" "example.net")) (("Carol" NIL "carol" "example.net")) )"
      R"((("Carol" NIL "carol" "example.net")) (("Alice" NIL "alice" "example.org")) )"
      R"(NIL NIL NIL "<budget-draft@example.net>"))";
  EXPECT_EQ(corpus_envelope("forwarded_rfc822.eml", 2), carol);
  EXPECT_EQ(corpus_envelope("forwarded_rfc822.eml", 3), carol);
}

TEST(imap_envelope, encoded_words_are_sent_as_written) {
  // Clients decode RFC 2047 themselves; folding is removed, the space kept.
  EXPECT_EQ(corpus_envelope("gbk_quoted_printable.eml"),
            R"(("Tue, 8 Oct 2024 14:05:33 +0800" )"
            R"("=?GBK?Q?=D6=EC=E9=46=BB?= =?GBK?Q?=F9=B7=C3=CC=B8=C2=BC?=" )"
            R"((("=?GBK?B?seC8rbK/?=" NIL "editor" "example.com.cn")) )"
            R"((("=?GBK?B?seC8rbK/?=" NIL "editor" "example.com.cn")) )"
            R"((("=?GBK?B?seC8rbK/?=" NIL "editor" "example.com.cn")) )"
            R"(((NIL NIL "reader" "letterhead.test")) NIL NIL NIL "<gbk-qp-1@example.com.cn>"))");
  EXPECT_EQ(corpus_envelope("gb2312_newsletter.eml"),
            R"(("Mon, 7 Oct 2024 09:30:00 +0800" "=?gb2312?B?vL62yLGouOY=?=" )"
            R"((("=?gb2312?B?ytCzobK/?=" NIL "news" "example.cn")) )"
            R"((("=?gb2312?B?ytCzobK/?=" NIL "news" "example.cn")) )"
            R"((("=?gb2312?B?ytCzobK/?=" NIL "news" "example.cn")) )"
            R"(((NIL NIL "staff" "letterhead.test")) NIL NIL NIL )"
            R"("<20241007093000.1234@example.cn>"))");
  EXPECT_EQ(corpus_envelope("big5.eml"),
            R"(("Wed, 9 Oct 2024 10:00:00 +0800" "=?big5?B?t3zEs7Nxqr4=?=" )"
            R"((("=?big5?B?pP2kcKn6?=" NIL "ming" "example.com.tw")) )"
            R"((("=?big5?B?pP2kcKn6?=" NIL "ming" "example.com.tw")) )"
            R"((("=?big5?B?pP2kcKn6?=" NIL "ming" "example.com.tw")) )"
            R"(((NIL NIL "team" "letterhead.test")) NIL NIL NIL "<big5-1@example.com.tw>"))");
  EXPECT_EQ(corpus_envelope("mixed_attachments.eml"),
            R"(("Tue, 15 Oct 2024 10:10:10 +0800" "=?UTF-8?B?5a2j5bqm5p2Q5paZ?=" )"
            R"((("Li Lei" NIL "lilei" "example.com")) (("Li Lei" NIL "lilei" "example.com")) )"
            R"((("Li Lei" NIL "lilei" "example.com")) )"
            R"((("Han Meimei" NIL "hanmeimei" "letterhead.test")) NIL NIL NIL )"
            R"("<mixed-1@example.com>"))");
}

TEST(imap_envelope, raw_utf8_is_a_literal_unless_utf8_accept) {
  const std::string subject = "你好，世界 — greetings";  // 29 bytes
  std::string plain = corpus_envelope("utf8_raw_headers.eml");
  EXPECT_NE(plain.find("{29}\r\n" + subject + " "), std::string::npos) << plain;
  EXPECT_NE(plain.find(R"((({6})" "\r\n" "张三 NIL \"zhangsan\" {13}\r\n例子.中国))"),
            std::string::npos)
      << plain;

  std::string utf8 = corpus_envelope("utf8_raw_headers.eml", 0, {.utf8 = true});
  {
    const std::string bytes = test::read_corpus("utf8_raw_headers.eml");
    const message m = parse(bytes);
    EXPECT_EQ(imap_envelope(bytes, m, 0, true), utf8);  // the bool shorthand
    EXPECT_EQ(imap_envelope(bytes, m, 0, false), plain);
  }
  EXPECT_EQ(utf8,
            "(\"Mon, 14 Oct 2024 09:00:00 +0800\" \"" + subject + "\" "
            "((\"张三\" NIL \"zhangsan\" \"例子.中国\")) "
            "((\"张三\" NIL \"zhangsan\" \"例子.中国\")) "
            "((\"张三\" NIL \"zhangsan\" \"例子.中国\")) "
            "((\"李四\" NIL \"李四\" \"example.com\")(\"王五\" NIL \"wangwu\" \"example.com\")) "
            "NIL NIL NIL \"<utf8-raw-1@example.com>\")");
}

TEST(imap_envelope, absent_empty_and_default_fields) {
  // RFC 3501 §7.4.2: absent is NIL, present but empty is ""; Sender and Reply-To
  // default to From, also when present without an address.
  EXPECT_EQ(envelope_of(test::crlf("From: a@example.com\nSubject:\nSender:\n\nbody\n")),
            R"((NIL "" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) )"
            R"(((NIL NIL "a" "example.com")) NIL NIL NIL NIL NIL))");
  EXPECT_EQ(envelope_of(test::crlf("\nno header at all\n")),
            "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  EXPECT_EQ(envelope_of(""), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  EXPECT_EQ(envelope_of(test::crlf(
                "From: A <a@example.com>\nSender: S <s@example.com>\n"
                "Reply-To: R <r@example.com>, r2@example.com\nCc: c@example.com\n"
                "Bcc: b@example.com\nIn-Reply-To: <x@y>\n <z@w>\nMessage-ID:  <id@h> \n\n")),
            R"((NIL NIL (("A" NIL "a" "example.com")) (("S" NIL "s" "example.com")) )"
            R"((("R" NIL "r" "example.com")(NIL NIL "r2" "example.com")) NIL )"
            R"(((NIL NIL "c" "example.com")) ((NIL NIL "b" "example.com")) )"
            R"("<x@y> <z@w>" "<id@h>"))");
}

TEST(imap_envelope, groups) {
  // RFC 3501 §7.4.2: (NIL NIL "name" NIL) starts a group, (NIL NIL NIL NIL) ends it.
  EXPECT_EQ(envelope_of(test::crlf("To: undisclosed-recipients:;\n\n")),
            R"((NIL NIL NIL NIL NIL ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) )"
            R"(NIL NIL NIL NIL))");
  EXPECT_EQ(
      envelope_of(test::crlf("Cc: x@a.example, Team: a@x.example, \"B\" <b@y.example>;, "
                             "c@z.example, Empty:;\n\n")),
      R"((NIL NIL NIL NIL NIL NIL ((NIL NIL "x" "a.example"))"
      R"((NIL NIL "Team" NIL)(NIL NIL "a" "x.example")("B" NIL "b" "y.example"))"
      R"((NIL NIL NIL NIL)(NIL NIL "c" "z.example")(NIL NIL "Empty" NIL)(NIL NIL NIL NIL)) )"
      R"(NIL NIL NIL))");
}

TEST(imap_envelope, many_groups_stay_linear_and_well_formed) {
  std::string to = "To: ";
  for (int i = 0; i < 5000; ++i) to += "g" + std::to_string(i) + ": m@x.example;, ";
  to += "last@x.example\r\n\r\n";
  const std::string e = envelope_of(to);
  EXPECT_TRUE(e.starts_with(
      R"((NIL NIL NIL NIL NIL ((NIL NIL "g0" NIL)(NIL NIL "m" "x.example")(NIL NIL NIL NIL))"
      R"((NIL NIL "g1" NIL))"))
      << e.substr(0, 200);
  EXPECT_NE(e.find(R"((NIL NIL "last" "x.example")) NIL NIL NIL NIL))"), std::string::npos);
}

TEST(imap_envelope, quoting_and_literals) {
  // Quoted-specials are escaped (RFC 9051 §9 quoted-specials); a NUL cannot be sent.
  EXPECT_EQ(envelope_of(test::crlf("Subject: say \"hi\" \\o/\n\n")),
            R"((NIL "say \"hi\" \\o/" NIL NIL NIL NIL NIL NIL NIL NIL))");
  EXPECT_EQ(envelope_of(test::crlf("From: \"Doe, \\\"J\\\"\" <j@example.com>\n\n")),
            R"((NIL NIL (("Doe, \"J\"" NIL "j" "example.com")) )"
            R"((("Doe, \"J\"" NIL "j" "example.com")) (("Doe, \"J\"" NIL "j" "example.com")) )"
            R"(NIL NIL NIL NIL NIL))");
  // 8-bit that is not UTF-8 stays a literal even under UTF8=ACCEPT.
  const std::string gbk_subject = "Subject: \xB1\xA8\xB8\xE6\r\n\r\n";
  EXPECT_EQ(envelope_of(gbk_subject, 0, {.utf8 = true}),
            "(NIL {4}\r\n\xB1\xA8\xB8\xE6 NIL NIL NIL NIL NIL NIL NIL NIL)");
  EXPECT_EQ(envelope_of(std::string("Subject: a\0b\r\n\r\n", 16)),
            "(NIL {5}\r\na\xEF\xBF\xBD" "b NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(imap_envelope, odd_addresses) {
  // No domain: host "" (NIL would read as a group); route dropped; RFC 822 comment name.
  EXPECT_EQ(envelope_of(test::crlf("From: root\nTo: <@relay.example:u@h.example>, "
                                   "v@h.example (Vee Name)\n\n")),
            R"((NIL NIL ((NIL NIL "root" "")) ((NIL NIL "root" "")) ((NIL NIL "root" "")) )"
            R"(((NIL NIL "u" "h.example")("Vee Name" NIL "v" "h.example")) NIL NIL NIL NIL))");
  // A From without any address is NIL, and so are the defaults taken from it.
  EXPECT_EQ(envelope_of(test::crlf("From: ,,,\n\n")),
            "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(imap_envelope, first_field_wins_and_index_out_of_range) {
  EXPECT_EQ(envelope_of(test::crlf("Subject: one\nSubject: two\n\n")),
            R"((NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL))");
  EXPECT_EQ(envelope_of(test::crlf("Subject: one\n\n"), 7),
            "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(imap_envelope, every_corpus_file_and_part_is_well_formed) {
  for (const char* name :
       {"apple_mail.eml", "big5.eml", "digest.eml", "forwarded_rfc822.eml",
        "gb2312_newsletter.eml", "gbk_quoted_printable.eml", "iso2022jp.eml", "latin1.eml",
        "lf_only.eml", "mixed_attachments.eml", "nul_bytes.eml", "outlook.eml",
        "shift_jis.eml", "unterminated_boundary.eml", "utf8_raw_headers.eml",
        "windows1252.eml"}) {
    const std::string bytes = test::read_corpus(name);
    const message m = parse(bytes);
    for (std::size_t i = 0; i < m.parts.size(); ++i) {
      for (bool utf8 : {false, true}) {
        const std::string e = imap_envelope(bytes, m, i, {.utf8 = utf8});
        EXPECT_TRUE(test::valid_envelope(e)) << name << " part " << i << ": " << e;
      }
    }
  }
}

}  // namespace
}  // namespace letterhead::mime
