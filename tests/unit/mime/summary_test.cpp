// The cached summary must say exactly what the direct computations say, and survive
// its serialised form; damaged bytes are refused, never misread.
#include <gtest/gtest.h>

#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/parser.hpp"
#include "mime/search_text.hpp"
#include "mime/sort_keys.hpp"
#include "mime/summary.hpp"
#include "mime/thread.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

const char* const corpus[] = {"apple_mail.eml", "big5.eml", "digest.eml", "forwarded_rfc822.eml",
                              "gb2312_newsletter.eml", "gbk_quoted_printable.eml", "iso2022jp.eml",
                              "latin1.eml", "lf_only.eml", "mixed_attachments.eml", "nul_bytes.eml",
                              "outlook.eml", "shift_jis.eml", "unterminated_boundary.eml",
                              "utf8_raw_headers.eml", "windows1252.eml"};

void expect_equal(const summary& a, const summary& b) {
  EXPECT_EQ(a.envelope, b.envelope);
  EXPECT_EQ(a.envelope_utf8, b.envelope_utf8);
  EXPECT_EQ(a.bodystructure, b.bodystructure);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.header, b.header);
  EXPECT_EQ(a.header_complete, b.header_complete);
  EXPECT_EQ(a.header_size, b.header_size);
  EXPECT_EQ(a.subject, b.subject);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.cc, b.cc);
  EXPECT_EQ(a.bcc, b.bcc);
  EXPECT_EQ(a.sent_date, b.sent_date);
  EXPECT_EQ(a.sort_from, b.sort_from);
  EXPECT_EQ(a.sort_subject, b.sort_subject);
  EXPECT_EQ(a.display_from, b.display_from);
  EXPECT_EQ(a.display_to, b.display_to);
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(a.references, b.references);
  EXPECT_EQ(a.reply_or_forward, b.reply_or_forward);
}

TEST(Summary, AgreesWithDirectComputationOnCorpus) {
  for (const char* name : corpus) {
    SCOPED_TRACE(name);
    const auto bytes = test::read_corpus(name);
    ASSERT_FALSE(bytes.empty());
    const auto m = parse(bytes);
    const auto s = summarize(bytes, m);
    EXPECT_EQ(s.envelope, imap_envelope(bytes, m, 0, false));
    const auto utf8 = imap_envelope(bytes, m, 0, true);
    EXPECT_EQ(s.envelope_utf8.empty() ? s.envelope : s.envelope_utf8, utf8);
    EXPECT_EQ(s.bodystructure, imap_bodystructure(bytes, m, true));
    EXPECT_EQ(s.body, imap_bodystructure(bytes, m, false));
    EXPECT_EQ(s.subject, decoded_header_text(bytes, m, 0, "Subject"));
    EXPECT_EQ(s.from, decoded_header_text(bytes, m, 0, "From"));
    const auto keys = sort_key_values(bytes, m, 1234);
    EXPECT_EQ(s.sent_date.value_or(1234), keys.date);
    EXPECT_EQ(s.sort_from, keys.from);
    EXPECT_EQ(s.sort_subject, keys.subject);
    EXPECT_EQ(s.display_to, keys.display_to);
    const auto t = make_thread_input(bytes, m, 7, 1234);
    EXPECT_EQ(s.message_id, t.message_id);
    EXPECT_EQ(s.references, t.references);
    EXPECT_EQ(s.sort_subject, t.base_subject);
    EXPECT_EQ(std::string(slice(bytes, m.root().header)).substr(0, max_summary_header), s.header);

    const auto round = deserialize_summary(serialize(s));
    ASSERT_TRUE(round.has_value());
    expect_equal(s, *round);

    // The keys alone: every key field, nothing of the envelope, structure or header.
    const auto keys_only = deserialize_keys(serialize_keys(s));
    ASSERT_TRUE(keys_only.has_value());
    auto expected = s;
    expected.envelope.clear();
    expected.envelope_utf8.clear();
    expected.bodystructure.clear();
    expected.body.clear();
    expected.header.clear();
    expected.header_complete = false;
    expected.header_size = 0;
    expect_equal(expected, *keys_only);
    EXPECT_FALSE(deserialize_summary(serialize_keys(s)).has_value()) << "keys are not a whole summary";
    EXPECT_FALSE(deserialize_keys(serialize(s)).has_value()) << "a whole summary is not keys";
  }
}

TEST(Summary, DateAbsentLeavesSentDateEmpty) {
  const auto bytes = test::crlf("Subject: Re: hello\nFrom: A <a@x.test>\n\nbody\n");
  const auto s = summarize(bytes, parse(bytes));
  EXPECT_FALSE(s.sent_date.has_value());
  EXPECT_TRUE(s.reply_or_forward);
  EXPECT_EQ(s.sort_subject, "HELLO");  // base subject, upper-cased for comparison
}

TEST(Summary, LongHeaderIsCutAndMarked) {
  std::string text = "Subject: x\n";
  for (int i = 0; i < 2000; ++i) text += "X-Filler: 0123456789\n";
  text += "\nbody\n";
  const auto bytes = test::crlf(text);
  const auto s = summarize(bytes, parse(bytes));
  EXPECT_FALSE(s.header_complete);
  EXPECT_EQ(s.header.size(), max_summary_header);
  EXPECT_GT(s.header_size, max_summary_header);
}

TEST(Summary, DamagedBytesAreRefused) {
  const auto bytes = test::read_corpus("outlook.eml");
  const auto blob = serialize(summarize(bytes, parse(bytes)));
  EXPECT_FALSE(deserialize_summary("").has_value());
  EXPECT_FALSE(deserialize_summary("garbage").has_value());
  for (std::size_t cut = 0; cut < blob.size(); cut += 7) {
    EXPECT_FALSE(deserialize_summary(std::string_view(blob).substr(0, cut)).has_value()) << cut;
  }
  auto other_version = blob;
  other_version[3] = static_cast<char>(summary_version + 1);
  EXPECT_FALSE(deserialize_summary(other_version).has_value());
  EXPECT_FALSE(deserialize_summary(blob + "x").has_value());

  const auto keys = serialize_keys(summarize(bytes, parse(bytes)));
  for (std::size_t cut = 0; cut < keys.size(); cut += 3) {
    EXPECT_FALSE(deserialize_keys(std::string_view(keys).substr(0, cut)).has_value()) << cut;
  }
  EXPECT_FALSE(deserialize_keys(keys + "x").has_value());
}

}  // namespace
}  // namespace letterhead::mime
