// What FETCH, SEARCH, SORT and THREAD answer from a cached summary must be byte for
// byte what they answer from the parsed message: every corpus file and some made-up
// hard cases go through both paths and through the serialised form.
#include <gtest/gtest.h>

#include "../mime/test_util.hpp"
#include "imap/server/summaries.hpp"
#include "mime/date.hpp"
#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/header.hpp"
#include "mime/search_text.hpp"

namespace letterhead::imap::server {
namespace {

using mime::test::crlf;

std::vector<std::pair<std::string, std::string>> messages() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* name : {"apple_mail.eml", "big5.eml", "digest.eml", "forwarded_rfc822.eml",
                           "gb2312_newsletter.eml", "gbk_quoted_printable.eml", "iso2022jp.eml", "latin1.eml",
                           "lf_only.eml", "mixed_attachments.eml", "nul_bytes.eml", "outlook.eml", "shift_jis.eml",
                           "unterminated_boundary.eml", "utf8_raw_headers.eml", "windows1252.eml"}) {
    out.emplace_back(name, mime::test::read_corpus(name));
  }
  // RFC 2047 GB18030 and Big5 words; raw GBK 8-bit in the Subject with a charset hint.
  out.emplace_back("rfc2047-gb18030", crlf("From: =?GB18030?B?1cXI/Q==?= <zhang@example.cn>\n"
                                          "To: =?big5?B?pP2k5Q==?= <li@example.tw>, Bob <b@example.com>\n"
                                          "Cc: undisclosed:;\nSubject: =?gb18030?B?u+HS6c2o1qo=?= Re: x\n"
                                          "Date: Sun, 29 Nov 2026 10:00:00 +0800\nMessage-ID: <a1@example.cn>\n"
                                          "References: <r0@example.cn> <r1@example.cn>\n\nbody\n"));
  out.emplace_back("raw-gbk", crlf("From: \xd5\xc5\xc8\xfd <zhang@example.cn>\nSubject: \xbb\xe1\xd2\xe9 Fwd: "
                                   "plan\nContent-Type: text/plain; charset=gbk\nX-Note: \xb1\xa8\xb8\xe6\n\n"
                                   "\xd5\xfd\xce\xc4\n"));
  out.emplace_back("big5-raw", crlf("From: a@example.tw\nSubject: \xb7\x7c\xc4\xb3\nContent-Type: text/plain; "
                                    "charset=big5\nIn-Reply-To: <p@example.tw>\n\nx\n"));
  out.emplace_back("multipart-broken", crlf("From: a@example.com\nSubject: broken\nMIME-Version: 1.0\n"
                                            "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
                                            "Content-Type: text/plain\n\nhi\n--b\nContent-Type: multipart/"
                                            "alternative; boundary=c\n\n--c\nno end\n"));
  out.emplace_back("header-only", "Subject: only a header\r\nFrom: x@example.com");
  out.emplace_back("no-header", "\r\njust a body\r\n");
  out.emplace_back("folded", crlf("Subject: a\n very\n\tlong =?utf-8?q?f=C3=BCr?=\n =?utf-8?q?_sie?=\n"
                                  "X-Empty:\nDate: 31 Feb 2026 99:00 +0000\n\nb\n"));
  std::string huge = "Subject: big header\r\n";
  for (int i = 0; i < 500; ++i) huge += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'x') + "\r\n";
  out.emplace_back("huge-header", huge + "\r\nbody\r\n");
  return out;
}

TEST(Summaries, CachedAnswersEqualParsedAnswers) {
  const mime::parse_limits limits;
  const std::vector<std::vector<std::string>> field_lists = {
      {"FROM", "SUBJECT", "DATE"}, {"TO", "CC", "X-NOTE"}, {"CONTENT-TYPE"}, {"NO-SUCH-FIELD"}, {}};
  for (const auto& [name, bytes] : messages()) {
    SCOPED_TRACE(name);
    const auto m = mime::parse(bytes, limits);
    ASSERT_FALSE(m.parts.empty());
    // Through the stored form, as the cache gives it back.
    const auto s = mime::deserialize_summary(mime::serialize(mime::summarize(bytes, m)));
    ASSERT_TRUE(s);
    const auto& root = m.parts.front();

    // FETCH ENVELOPE (both forms), BODYSTRUCTURE, BODY.
    EXPECT_EQ(s->envelope, mime::imap_envelope(bytes, m, 0, mime::imap_output_options{.utf8 = false}));
    EXPECT_EQ(s->envelope_utf8.empty() ? s->envelope : s->envelope_utf8,
              mime::imap_envelope(bytes, m, 0, mime::imap_output_options{.utf8 = true}));
    EXPECT_EQ(s->bodystructure, mime::imap_bodystructure(bytes, m, true));
    EXPECT_EQ(s->body, mime::imap_bodystructure(bytes, m, false));

    // RFC822.HEADER, BODY[HEADER], BODY[HEADER.FIELDS (...)], BODY[HEADER.FIELDS.NOT (...)].
    const auto header = summary_header_section(*s, "HEADER", {}, limits);
    if (name == "huge-header") {
      EXPECT_FALSE(s->header_complete);
      EXPECT_FALSE(header);
    } else {
      ASSERT_TRUE(header);
      EXPECT_EQ(*header, mime::slice(bytes, root.header));
      for (const auto& fields : field_lists) {
        EXPECT_EQ(summary_header_section(*s, "HEADER.FIELDS", fields, limits),
                  filtered_header(bytes, root, fields, false));
        EXPECT_EQ(summary_header_section(*s, "HEADER.FIELDS.NOT", fields, limits),
                  filtered_header(bytes, root, fields, true));
      }
      // SEARCH HEADER of any field and SENT*: the header parsed alone.
      const auto alone = mime::parse(s->header, limits);
      ASSERT_FALSE(alone.parts.empty());
      for (const char* field : {"Subject", "From", "X-Note", "Content-Type", "Date", "X-Empty", "Nope"}) {
        SCOPED_TRACE(field);
        EXPECT_EQ(mime::decoded_header_text(s->header, alone, 0, field),
                  mime::decoded_header_text(bytes, m, 0, field));
        EXPECT_EQ(mime::find_field(s->header, alone.parts.front().fields, field) != nullptr,
                  mime::find_field(bytes, root.fields, field) != nullptr);
        EXPECT_EQ(mime::raw_value(s->header, alone.parts.front().fields, field),
                  mime::raw_value(bytes, root.fields, field));
      }
    }

    // SEARCH FROM/TO/CC/BCC/SUBJECT.
    EXPECT_EQ(s->subject, mime::decoded_header_text(bytes, m, 0, "Subject"));
    EXPECT_EQ(s->from, mime::decoded_header_text(bytes, m, 0, "From"));
    EXPECT_EQ(s->to, mime::decoded_header_text(bytes, m, 0, "To"));
    EXPECT_EQ(s->cc, mime::decoded_header_text(bytes, m, 0, "Cc"));
    EXPECT_EQ(s->bcc, mime::decoded_header_text(bytes, m, 0, "Bcc"));

    // SORT keys and THREAD input.
    constexpr std::int64_t internal = 1'700'000'000;
    auto direct = mime::sort_key_values(bytes, m, internal);
    direct.size = 4321;
    const auto cached = sort_keys_from(*s, internal, 4321);
    EXPECT_EQ(cached.arrival, direct.arrival);
    EXPECT_EQ(cached.size, direct.size);
    EXPECT_EQ(cached.date, direct.date);
    EXPECT_EQ(cached.from, direct.from);
    EXPECT_EQ(cached.to, direct.to);
    EXPECT_EQ(cached.cc, direct.cc);
    EXPECT_EQ(cached.subject, direct.subject);
    EXPECT_EQ(cached.display_from, direct.display_from);
    EXPECT_EQ(cached.display_to, direct.display_to);
    const auto in_direct = mime::make_thread_input(bytes, m, 7, internal);
    const auto in_cached = thread_input_from(*s, 7, internal);
    EXPECT_EQ(in_cached.id, in_direct.id);
    EXPECT_EQ(in_cached.message_id, in_direct.message_id);
    EXPECT_EQ(in_cached.references, in_direct.references);
    EXPECT_EQ(in_cached.base_subject, in_direct.base_subject);
    EXPECT_EQ(in_cached.reply_or_forward, in_direct.reply_or_forward);
    EXPECT_EQ(in_cached.sent_date, in_direct.sent_date);
  }
}

TEST(Summaries, CacheVersionDependsOnLimits) {
  mime::parse_limits a;
  mime::parse_limits b;
  b.max_parts = a.max_parts - 1;
  EXPECT_EQ(mime::summary_cache_version(a), mime::summary_cache_version(a));
  EXPECT_NE(mime::summary_cache_version(a), mime::summary_cache_version(b));
  EXPECT_GT(mime::summary_cache_version(a), 0);
  EXPECT_EQ(mime::summary_cache_version(a) & 0xff, mime::summary_version);
}

TEST(Summaries, ThreadIdIsSharedByAReplyAndItsStart) {
  auto summary_of = [](std::string text) {
    const auto bytes = crlf(text);
    return mime::summarize(bytes, mime::parse(bytes));
  };
  const auto start = summary_of("Message-ID: <s@x>\nSubject: hi\n\nx\n");
  const auto reply = summary_of("Message-ID: <r@x>\nIn-Reply-To: <s@x>\nSubject: Re: hi\n\nx\n");
  const auto deeper = summary_of("Message-ID: <d@x>\nReferences: <s@x> <r@x>\nSubject: Re: hi\n\nx\n");
  const auto other = summary_of("Message-ID: <o@x>\nSubject: hi\n\nx\n");
  const auto none = summary_of("Subject: hi\n\nx\n");
  const std::string blob(64, 'a');
  EXPECT_EQ(thread_objectid(start, blob), thread_objectid(reply, "b"));
  EXPECT_EQ(thread_objectid(start, blob), thread_objectid(deeper, "c"));
  EXPECT_NE(thread_objectid(start, blob), thread_objectid(other, blob));
  // Without ids, the message is a thread of its own, the same for all its copies.
  EXPECT_EQ(thread_objectid(none, blob), thread_objectid(none, blob));
  EXPECT_NE(thread_objectid(none, blob), thread_objectid(none, std::string(64, 'b')));
  // RFC 8474 §5.2: objectid = 1*255(ALPHA / DIGIT / "_" / "-").
  for (const auto& id : {thread_objectid(start, blob), thread_objectid(none, blob)}) {
    EXPECT_FALSE(id.empty());
    for (const char c : id) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  }
}

}  // namespace
}  // namespace letterhead::imap::server
