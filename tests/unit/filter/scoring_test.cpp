// The scoring engine with given authentication results, the content rules (header
// and MIME sanity, GTUBE in plain and encoded bodies), thresholds and the X-Spam
// fields.
#include "filter/scoring.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "mime/parser.hpp"

namespace letterhead::filter {
namespace {

constexpr std::string_view gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
constexpr std::int64_t now = 1'764'000'000;  // 2025-11-24

const std::string clean =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.com\r\n"
    "Subject: lunch\r\n"
    "Date: Mon, 24 Nov 2025 15:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "\r\n"
    "Shall we?\r\n";

struct judged {
  verdict v;
  bool has(std::string_view rule) const {
    return std::ranges::any_of(v.hits, [&](const rule_hit& h) { return h.rule == rule; });
  }
};

judged run(const std::string& message, auth_results auth = {}, scoring_options o = {}) {
  engine e(std::move(o));
  e.add_source(make_auth_rules());
  e.add_source(make_content_rules());
  const auto parsed = mime::parse(message);
  message_input in;
  in.bytes = message;
  in.parsed = &parsed;
  in.auth = std::move(auth);
  in.now = now;
  return judged{e.judge(in)};
}

TEST(Scoring, CleanMessageScoresNothing) {
  const auto r = run(clean);
  EXPECT_EQ(r.v.score, 0);
  EXPECT_TRUE(r.v.hits.empty());
  EXPECT_EQ(r.v.act, action::accept);
}

TEST(Scoring, AuthResultsGiveTheirWeights) {
  auth_results a;
  a.spf = "fail";
  a.dkim = "none";
  a.dmarc = "fail";
  const auto r = run(clean, a);
  EXPECT_TRUE(r.has("SPF_FAIL"));
  EXPECT_TRUE(r.has("DKIM_NONE"));
  EXPECT_TRUE(r.has("DMARC_FAIL"));
  EXPECT_DOUBLE_EQ(r.v.score, 2.0 + 0.5 + 3.0);
  EXPECT_EQ(r.v.act, action::accept);  // 5.5 < 6

  a.spf = "softfail";
  a.dkim = "fail";
  a.dmarc = "pass";
  const auto s = run(clean, a);
  EXPECT_TRUE(s.has("SPF_SOFTFAIL"));
  EXPECT_TRUE(s.has("DKIM_FAIL"));
  EXPECT_FALSE(s.has("DMARC_FAIL"));
  EXPECT_DOUBLE_EQ(s.v.score, 1.0 + 1.5);

  // Checks that did not run (empty results) score nothing.
  EXPECT_TRUE(run(clean, auth_results{}).v.hits.empty());
  auth_results pass{"pass", "pass", true, "pass", "pass", false};
  EXPECT_TRUE(run(clean, pass).v.hits.empty());
}

TEST(Scoring, ThresholdsDecideTheAction) {
  auth_results a;
  a.spf = "fail";
  a.dmarc = "fail";  // 5
  scoring_options o;
  o.junk_score = 5;
  o.reject_score = 5.5;
  EXPECT_EQ(run(clean, a, o).v.act, action::junk);
  o.reject_score = 5;
  EXPECT_EQ(run(clean, a, o).v.act, action::reject);
  o.reject_score = 0;  // never refuse
  o.weights["DMARC_FAIL"] = 100;
  EXPECT_EQ(run(clean, a, o).v.act, action::junk);
  o.weights["DMARC_FAIL"] = 0;  // off
  const auto off = run(clean, a, o);
  EXPECT_FALSE(off.has("DMARC_FAIL"));
  EXPECT_EQ(off.v.act, action::accept);
}

TEST(Scoring, GtubeInPlainAndEncodedBodies) {
  auto plain = clean;
  plain += std::string(gtube) + "\r\n";
  const auto r = run(plain);
  EXPECT_TRUE(r.has("GTUBE"));
  EXPECT_EQ(r.v.act, action::reject);

  // base64 inside a multipart: only decoding finds it.
  const std::string b64_gtube = "WEpTKkM0SkRCUUFETjEuTlNCTjMqMklETkVOKkdUVUJFLVNUQU5EQVJELUFOVEktVUJFLVRFU1QtRU1BSUwqQy4zNFg=";
  const std::string encoded =
      "From: a@example.org\r\nSubject: s\r\nDate: Mon, 24 Nov 2025 15:00:00 +0000\r\nMessage-ID: <2@x>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      b64_gtube + "\r\n--b--\r\n";
  EXPECT_EQ(encoded.find(gtube), std::string::npos);
  const auto e = run(encoded);
  EXPECT_TRUE(e.has("GTUBE"));
  scoring_options o;
  o.reject_score = 0;
  EXPECT_EQ(run(encoded, {}, o).v.act, action::junk);
}

TEST(Scoring, HeaderSanity) {
  const std::string bare = "To: x@example.com\r\n\r\nhi\r\n";
  const auto r = run(bare);
  for (const auto* rule : {"MISSING_DATE", "MISSING_MESSAGE_ID", "MISSING_FROM", "MISSING_SUBJECT"}) {
    EXPECT_TRUE(r.has(rule)) << rule;
  }
  EXPECT_DOUBLE_EQ(r.v.score, 1 + 1 + 2.5 + 0.5);

  const std::string odd =
      "From: alice\r\nFrom: b@example.org\r\nSubject: s\r\nMessage-ID: <3@x>\r\n"
      "Date: Fri, 01 Jan 2100 00:00:00 +0000\r\n\r\nhi\r\n";
  const auto o = run(odd);
  EXPECT_TRUE(o.has("FROM_NO_DOMAIN"));
  EXPECT_TRUE(o.has("MULTIPLE_FROM"));
  EXPECT_TRUE(o.has("DATE_IN_FUTURE"));

  const std::string old = "From: a@example.org\r\nSubject: s\r\nMessage-ID: <3@x>\r\nDate: 1 Jan 2001 00:00 +0000\r\n\r\n";
  EXPECT_TRUE(run(old).has("DATE_IN_PAST"));
  const std::string junk_date = "From: a@example.org\r\nSubject: s\r\nMessage-ID: <3@x>\r\nDate: yesterday\r\n\r\n";
  EXPECT_TRUE(run(junk_date).has("INVALID_DATE"));
}

TEST(Scoring, MimeSanity) {
  const std::string html_only =
      "From: a@example.org\r\nSubject: s\r\nDate: Mon, 24 Nov 2025 15:00:00 +0000\r\nMessage-ID: <4@x>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<p>Buy</p><div style=\"display: none\">lorem ipsum bayes poison</div>\r\n";
  const auto r = run(html_only);
  EXPECT_TRUE(r.has("MIME_HTML_ONLY"));
  EXPECT_TRUE(r.has("HTML_HIDDEN_TEXT"));

  const std::string broken =
      "From: a@example.org\r\nSubject: s\r\nDate: Mon, 24 Nov 2025 15:00:00 +0000\r\nMessage-ID: <5@x>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n";
  EXPECT_TRUE(run(broken).has("MIME_MALFORMED"));
}

class fixed_source final : public rule_source {
 public:
  void evaluate(const message_input&, std::vector<finding>& out) override {
    out.push_back({"BAYES_99", "p=0.99", 3.5});
  }
};

TEST(Scoring, SourcesMayGradeTheirOwnHits) {
  engine e({});
  e.add_source(std::make_unique<fixed_source>());
  const auto parsed = mime::parse(clean);
  message_input in;
  in.bytes = clean;
  in.parsed = &parsed;
  const auto v = e.judge(in);
  ASSERT_EQ(v.hits.size(), 1u);
  EXPECT_EQ(v.hits[0].rule, "BAYES_99");
  EXPECT_DOUBLE_EQ(v.score, 3.5);
}

TEST(Scoring, KnownRules) {
  EXPECT_TRUE(known_rule("GTUBE"));
  EXPECT_TRUE(known_rule("RCVD_IN_DNSBL"));
  EXPECT_FALSE(known_rule("NO_SUCH_RULE"));
}

TEST(SpamHeaders, ListEveryRuleAndFold) {
  verdict v;
  v.score = 7.3;
  v.act = action::junk;
  v.hits = {{"RCVD_IN_DNSBL", 4, "zen.example:192.0.2.1=127.0.0.2"}, {"SPF_FAIL", 2, ""}, {"DKIM_NONE", 0.5, ""},
            {"MISSING_MESSAGE_ID", 1, "bad,chars]"}};
  const auto h = spam_headers(v, scoring_options{});
  EXPECT_NE(h.find("X-Spam-Flag: YES\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("X-Spam-Score: 7.3\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("X-Spam-Status: Yes, score=7.3 required=6.0"), std::string::npos) << h;
  EXPECT_NE(h.find("RCVD_IN_DNSBL=4.0[zen.example:192.0.2.1=127.0.0.2]"), std::string::npos) << h;
  EXPECT_NE(h.find("MISSING_MESSAGE_ID=1.0[bad_chars_]"), std::string::npos) << h;
  // Every physical line is short and every continuation starts with whitespace.
  std::size_t start = 0;
  while (start < h.size()) {
    const auto end = h.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 78u) << h.substr(start, end - start);
    start = end + 2;
    if (start < h.size() && h.compare(start, 2, "X-") != 0) EXPECT_EQ(h[start], '\t');
  }
  // The result parses back as three fields.
  const auto block = mime::parse_header_block(h + "\r\n");
  EXPECT_EQ(block.fields.size(), 3u);

  verdict none;
  const auto n = spam_headers(none, scoring_options{});
  EXPECT_NE(n.find("X-Spam-Flag: NO\r\n"), std::string::npos);
  EXPECT_NE(n.find("tests=none"), std::string::npos);
}

TEST(RemoveFields, DropsForgedVerdicts) {
  std::string m =
      "X-Spam-Flag: NO\r\nFrom: a@example.org\r\nx-spam-status: No,\r\n score=-100\r\nSubject: s\r\n\r\n"
      "X-Spam-Flag: in the body stays\r\n";
  remove_fields(m, {"X-Spam-Flag", "X-Spam-Status"});
  EXPECT_EQ(m, "From: a@example.org\r\nSubject: s\r\n\r\nX-Spam-Flag: in the body stays\r\n");
}

}  // namespace
}  // namespace letterhead::filter
