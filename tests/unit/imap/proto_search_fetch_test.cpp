// SEARCH keys (RFC 9051 §6.4.4 and extensions), FETCH attributes (§6.4.5), nesting
// bounds, and search_key written back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imap/proto/parser.hpp"
#include "imap/proto/search_key.hpp"
#include "imap/proto/sequence_set.hpp"

namespace letterhead::imap::proto {
namespace {

using namespace std::string_literals;
using core::errc;
using sk = search_key::kind;
using fk = fetch_att::kind;

search_args search(std::string_view text) {
  auto cmd = parse_command(text);
  EXPECT_TRUE(cmd.has_value()) << text << ": " << (cmd ? "" : cmd.error().message);
  if (!cmd || !std::holds_alternative<search_args>(cmd->args)) return {};
  return std::get<search_args>(cmd->args);
}

fetch_args fetch(std::string_view text) {
  auto cmd = parse_command(text);
  EXPECT_TRUE(cmd.has_value()) << text << ": " << (cmd ? "" : cmd.error().message);
  if (!cmd || !std::holds_alternative<fetch_args>(cmd->args)) return {};
  return std::get<fetch_args>(cmd->args);
}

errc error_of(std::string_view text) {
  auto cmd = parse_command(text);
  EXPECT_FALSE(cmd.has_value()) << text;
  return cmd ? errc::internal : cmd.error().code;
}

TEST(ProtoSearch, KeysOneByOne) {
  struct row {
    std::string keys;
    sk k;
  };
  const std::vector<row> rows = {
      {"ALL", sk::all},           {"answered", sk::answered},     {"DELETED", sk::deleted},
      {"DRAFT", sk::draft},       {"FLAGGED", sk::flagged},       {"SEEN", sk::seen},
      {"RECENT", sk::recent},     {"NEW", sk::new_},              {"OLD", sk::old},
      {"UNANSWERED", sk::unanswered}, {"UNDELETED", sk::undeleted}, {"UNDRAFT", sk::undraft},
      {"UNFLAGGED", sk::unflagged}, {"UNSEEN", sk::unseen},       {"KEYWORD $Junk", sk::keyword},
      {"UNKEYWORD x", sk::unkeyword}, {"BCC a", sk::bcc},         {"BODY \"hello world\"", sk::body},
      {"CC a", sk::cc},           {"FROM smith", sk::from},       {"SUBJECT {6}\r\n你好", sk::subject},
      {"TEXT x", sk::text},       {"TO x", sk::to},               {"HEADER Message-ID <a@b>", sk::header},
      {"BEFORE 1-Feb-1994", sk::before}, {"ON \"01-feb-1994\"", sk::on}, {"SINCE 29-Feb-2024", sk::since},
      {"SENTBEFORE 1-Jan-2000", sk::sentbefore}, {"SENTON 1-Jan-2000", sk::senton},
      {"SENTSINCE 1-Jan-2000", sk::sentsince}, {"LARGER 10000", sk::larger}, {"SMALLER 9223372036854775807", sk::smaller},
      {"UID 1:*", sk::uid},       {"2,4:7", sk::sequence},        {"*", sk::sequence},
      {"$", sk::sequence},        {"MODSEQ 620162338", sk::modseq},
      {"MODSEQ \"/flags/\\\\draft\" all 620162338", sk::modseq},  // RFC 7162 §3.1.5
      {"OLDER 3600", sk::older},  {"YOUNGER 60", sk::younger},    // RFC 5032
      {"EMAILID M6d99ac3275bb4e", sk::emailid}, {"THREADID T64b478a75b7ea9", sk::threadid},  // RFC 8474
      {"NOT SEEN", sk::not_},     {"OR SEEN FLAGGED", sk::or_},   {"(SEEN FLAGGED)", sk::and_},
  };
  for (const auto& r : rows) {
    const auto a = search("t SEARCH " + r.keys);
    ASSERT_EQ(a.key.k, sk::and_) << r.keys;
    ASSERT_EQ(a.key.children.size(), 1u) << r.keys;
    EXPECT_EQ(a.key.children[0].k, r.k) << r.keys;
  }
}

TEST(ProtoSearch, KeyValues) {
  auto a = search("t SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");  // RFC 9051 §6.4.4 example
  ASSERT_EQ(a.key.children.size(), 3u);
  EXPECT_EQ(a.key.children[1].day.day, 1);
  EXPECT_EQ(a.key.children[1].day.month, 2);
  EXPECT_EQ(a.key.children[1].day.year, 1994);
  ASSERT_EQ(a.key.children[2].children.size(), 1u);
  EXPECT_EQ(a.key.children[2].children[0].k, sk::from);
  EXPECT_EQ(a.key.children[2].children[0].text, "Smith");
  EXPECT_FALSE(a.charset);
  EXPECT_FALSE(a.ret.present);
  a = search("t SEARCH CHARSET utf-8 SUBJECT {6}\r\n邮件 HEADER x-spam \"\"");
  EXPECT_EQ(a.charset, "UTF-8");
  EXPECT_EQ(a.key.children[0].text, "邮件");
  EXPECT_EQ(a.key.children[1].field, "x-spam");
  EXPECT_EQ(a.key.children[1].text, "");
  a = search("t SEARCH LARGER 4294967296 UID 5,7:* KEYWORD $Forwarded");
  EXPECT_EQ(a.key.children[0].number, 4294967296u);
  EXPECT_EQ(to_string(a.key.children[1].set), "5,7:*");
  EXPECT_EQ(a.key.children[2].text, "$Forwarded");
  a = search("t SEARCH OR (SEEN UNDELETED) NOT 1:5");
  ASSERT_EQ(a.key.children.size(), 1u);
  const auto& o = a.key.children[0];
  ASSERT_EQ(o.children.size(), 2u);
  EXPECT_EQ(o.children[0].k, sk::and_);
  EXPECT_EQ(o.children[0].children.size(), 2u);
  EXPECT_EQ(o.children[1].k, sk::not_);
  EXPECT_EQ(to_string(o.children[1].children[0].set), "1:5");
  EXPECT_TRUE(search("t SEARCH $").key.children[0].set.saved);  // RFC 5182
}

TEST(ProtoSearch, ReturnOptions) {
  // RFC 9051 §6.4.4 / RFC 4731 ESEARCH.
  auto a = search("t SEARCH RETURN (MIN MAX COUNT) UNSEEN");
  EXPECT_TRUE(a.ret.present && a.ret.min && a.ret.max && a.ret.count);
  EXPECT_FALSE(a.ret.all || a.ret.save);
  a = search("t SEARCH RETURN () CHARSET US-ASCII ALL");
  EXPECT_TRUE(a.ret.present);
  EXPECT_FALSE(a.ret.min || a.ret.max || a.ret.all || a.ret.count);
  EXPECT_EQ(a.charset, "US-ASCII");
  a = search("t SEARCH RETURN (SAVE ALL) FLAGGED");
  EXPECT_TRUE(a.ret.save && a.ret.all);
  auto cmd = parse_command("t UID SEARCH RETURN (COUNT) 1:*");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_TRUE(cmd->uid);
  EXPECT_EQ(cmd->name, "SEARCH");
}

TEST(ProtoSearch, Invalid) {
  for (const std::string& b : std::vector<std::string>{
           "t SEARCH", "t SEARCH ", "t SEARCH BOGUS", "t SEARCH FROM", "t SEARCH FROM ", "t SEARCH SINCE 1-Foo-1994",
           "t SEARCH SINCE 30-Feb-2024", "t SEARCH SINCE 1-Feb-94", "t SEARCH SINCE 123-Feb-1994",
           "t SEARCH SINCE \"1-Feb-1994", "t SEARCH LARGER x", "t SEARCH LARGER 9223372036854775808",
           "t SEARCH UID", "t SEARCH UID 0", "t SEARCH 0", "t SEARCH OR SEEN", "t SEARCH NOT", "t SEARCH ()",
           "t SEARCH (SEEN", "t SEARCH SEEN)", "t SEARCH SEEN  FLAGGED", "t SEARCH HEADER \"a:b\" x",
           "t SEARCH HEADER \"\" x", "t SEARCH KEYWORD \\Seen", "t SEARCH EMAILID a.b", "t SEARCH OLDER 0",
           "t SEARCH MODSEQ \"/flags/x\" bogus 1", "t SEARCH MODSEQ \"x\" all 1", "t SEARCH RETURN (FOO) ALL",
           "t SEARCH RETURN ALL", "t SEARCH CHARSET", "t SEARCH CHARSET UTF-8", "t SEARCH SUBJECT {2}\r\n\xc3\x28",
           "t SEARCH SUBJECT \"a\0\""s, "t SEARCH CHARSET UTF-8 RETURN (ALL) SEEN", "t SEARCH $x"}) {
    EXPECT_EQ(error_of(b), errc::invalid) << b;
  }
  // RFC 9051 §6.4.4: NO [BADCHARSET (US-ASCII UTF-8)].
  EXPECT_EQ(error_of("t SEARCH CHARSET ISO-8859-1 FROM x"), errc::denied);
  auto r = parse_command("t SEARCH CHARSET GB2312 ALL");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, badcharset_text);
}

TEST(ProtoSearch, DeepNestingIsRefusedNotOverflowed) {
  const auto nested = [](std::size_t n, std::string_view open, std::string_view close) {
    std::string s = "t SEARCH ";
    for (std::size_t i = 0; i < n; ++i) s += open;
    s += "SEEN";
    for (std::size_t i = 0; i < n; ++i) s += close;
    return s;
  };
  // 100 levels in all (the key itself counts as one).
  EXPECT_TRUE(parse_command(nested(99, "(", ")")).has_value());
  EXPECT_TRUE(parse_command(nested(99, "NOT ", "")).has_value());
  EXPECT_EQ(error_of(nested(100, "(", ")")), errc::invalid);
  EXPECT_EQ(error_of(nested(100, "NOT ", "")), errc::invalid);
  EXPECT_EQ(error_of(nested(100000, "(", ")")), errc::invalid);
  EXPECT_EQ(error_of(nested(100000, "NOT ", "")), errc::invalid);
  EXPECT_EQ(error_of(nested(100000, "OR ALL ", "")), errc::invalid);
  std::string ors = "t SEARCH ";
  for (int i = 0; i < 100000; ++i) ors += "OR ";
  EXPECT_EQ(error_of(ors + "ALL"), errc::invalid);
  // A configured bound.
  EXPECT_FALSE(parse_command(nested(5, "(", ")"), parse_options{.max_depth = 5}).has_value());
  EXPECT_TRUE(parse_command(nested(4, "(", ")"), parse_options{.max_depth = 5}).has_value());
  // Wide is fine.
  std::string wide = "t SEARCH";
  for (int i = 0; i < 10000; ++i) wide += " SEEN";
  auto w = parse_command(wide);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(std::get<search_args>(w->args).key.children.size(), 10000u);
}

TEST(ProtoSearch, WrittenBackParsesTheSame) {
  for (const std::string& keys : std::vector<std::string>{
           "FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", "OR (SEEN UNDELETED) NOT 1:5,7:*",
           "SUBJECT {7}\r\n\"q\"\r\n\\x HEADER X-A \"b c\" UID $ LARGER 5 MODSEQ 7 OLDER 9 KEYWORD $a EMAILID e1",
           "SUBJECT \"收件箱\" TO \"\" ON 9-Sep-2009"}) {
    const auto a = search("t SEARCH " + keys);
    const std::string written = to_search_program(a.key);
    const auto b = search("t SEARCH " + written);
    EXPECT_EQ(to_search_program(b.key), written) << keys;
    EXPECT_EQ(depth(a.key), depth(b.key));
  }
  EXPECT_EQ(to_search_program(search("t SEARCH or seen (flagged 1:*)").key), "OR SEEN (FLAGGED 1:*)");
}

TEST(ProtoFetch, MacrosAreExpanded) {
  const auto kinds = [](const fetch_args& a) {
    std::vector<fk> out;
    for (const auto& att : a.atts) out.push_back(att.k);
    return out;
  };
  EXPECT_EQ(kinds(fetch("t FETCH 1 ALL")), (std::vector<fk>{fk::flags, fk::internaldate, fk::rfc822_size, fk::envelope}));
  EXPECT_EQ(kinds(fetch("t FETCH 1 fast")), (std::vector<fk>{fk::flags, fk::internaldate, fk::rfc822_size}));
  EXPECT_EQ(kinds(fetch("t FETCH 1 FULL")),
            (std::vector<fk>{fk::flags, fk::internaldate, fk::rfc822_size, fk::envelope, fk::body}));
  EXPECT_EQ(kinds(fetch("t FETCH 2:4 (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY "
                        "BODYSTRUCTURE UID MODSEQ EMAILID THREADID SAVEDATE)")),
            (std::vector<fk>{fk::envelope, fk::flags, fk::internaldate, fk::rfc822, fk::rfc822_header, fk::rfc822_size,
                             fk::rfc822_text, fk::body, fk::bodystructure, fk::uid, fk::modseq, fk::emailid,
                             fk::threadid, fk::savedate}));
  EXPECT_EQ(kinds(fetch("t FETCH * uid")), std::vector<fk>{fk::uid});
}

TEST(ProtoFetch, Sections) {
  auto a = fetch("t FETCH 1 (BODY[] BODY.PEEK[HEADER] BODY[1.2.TEXT] BODY[3.MIME] BODY[4.1] BODY[TEXT]<0.2048>)");
  ASSERT_EQ(a.atts.size(), 6u);
  EXPECT_EQ(a.atts[0].k, fk::body_section);
  EXPECT_FALSE(a.atts[0].peek);
  EXPECT_EQ(a.atts[0].section_text, "");
  EXPECT_TRUE(a.atts[0].part.empty());
  EXPECT_TRUE(a.atts[1].peek);
  EXPECT_EQ(a.atts[1].k, fk::body_section);
  EXPECT_EQ(a.atts[1].section_text, "HEADER");
  EXPECT_EQ(a.atts[2].part, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(a.atts[2].section_text, "TEXT");
  EXPECT_EQ(a.atts[3].section_text, "MIME");
  EXPECT_EQ(a.atts[4].part, (std::vector<std::uint32_t>{4, 1}));
  EXPECT_EQ(a.atts[4].section_text, "");
  EXPECT_EQ(a.atts[5].partial_offset, 0u);
  EXPECT_EQ(a.atts[5].partial_count, 2048u);
  a = fetch("t FETCH 1 BODY.PEEK[HEADER.FIELDS (From To \"Subject\" x-mailer)]");
  ASSERT_EQ(a.atts.size(), 1u);
  EXPECT_EQ(a.atts[0].section_text, "HEADER.FIELDS");
  EXPECT_EQ(a.atts[0].fields, (std::vector<std::string>{"FROM", "TO", "SUBJECT", "X-MAILER"}));
  a = fetch("t FETCH 1 (body[2.header.fields.not (Received)]<10.20> FLAGS)");
  EXPECT_EQ(a.atts[0].section_text, "HEADER.FIELDS.NOT");
  EXPECT_EQ(a.atts[0].part, std::vector<std::uint32_t>{2});
  EXPECT_EQ(a.atts[0].partial_offset, 10u);
  EXPECT_EQ(a.atts[1].k, fk::flags);
  // RFC 3516 BINARY.
  a = fetch("t FETCH 1 (BINARY[1] BINARY.PEEK[1.2]<0.100> BINARY.SIZE[] BINARY[])");
  EXPECT_EQ(a.atts[0].k, fk::binary);
  EXPECT_FALSE(a.atts[0].peek);
  EXPECT_TRUE(a.atts[1].peek);
  EXPECT_EQ(a.atts[1].partial_count, 100u);
  EXPECT_EQ(a.atts[2].k, fk::binary_size);
  EXPECT_TRUE(a.atts[3].part.empty());
}

TEST(ProtoFetch, Modifiers) {
  auto a = fetch("t FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)");  // RFC 7162 §3.1.4.1
  EXPECT_EQ(a.changedsince, 12345u);
  EXPECT_FALSE(a.vanished);
  auto cmd = parse_command("t UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)");  // §3.2.6
  ASSERT_TRUE(cmd.has_value());
  EXPECT_TRUE(std::get<fetch_args>(cmd->args).vanished);
  EXPECT_TRUE(cmd->uid);
  EXPECT_TRUE(fetch("t FETCH $ FLAGS").set.saved);
}

TEST(ProtoFetch, Invalid) {
  for (const std::string& b : std::vector<std::string>{
           "t FETCH", "t FETCH 1", "t FETCH 1 ", "t FETCH 1 BOGUS", "t FETCH 1 (FLAGS", "t FETCH 1 ()",
           "t FETCH 1 (ALL)", "t FETCH 1 (FLAGS  UID)", "t FETCH 1 BODY[", "t FETCH 1 BODY[HEADER",
           "t FETCH 1 BODY[MIME]", "t FETCH 1 BODY[1.]", "t FETCH 1 BODY[0]", "t FETCH 1 BODY[1.0]",
           "t FETCH 1 BODY[HEADER.FIELDS]", "t FETCH 1 BODY[HEADER.FIELDS ()]", "t FETCH 1 BODY[FOO]",
           "t FETCH 1 BODY.PEEK", "t FETCH 1 BODY[]<0>", "t FETCH 1 BODY[]<0.0>", "t FETCH 1 BODY[]<a.1>",
           "t FETCH 1 BINARY", "t FETCH 1 BINARY[TEXT]", "t FETCH 1 BINARY[1.MIME]", "t FETCH 1 BINARY.SIZE[1]<0.1>",
           "t FETCH 1 RFC822.SIZE[]", "t FETCH 1 FLAGS[]", "t FETCH 1 UIDX", "t FETCH 1 (FLAGS) (FOO)",
           "t FETCH 1 (FLAGS) (CHANGEDSINCE)", "t FETCH 1 (FLAGS) (VANISHED)",
           "t FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)",  // VANISHED only in UID FETCH
           "t UID FETCH 1 (FLAGS) (VANISHED)", "t FETCH 0 FLAGS", "t FETCH 1:0 FLAGS", "t FETCH 1,,2 FLAGS",
           "t FETCH 1 BODY[HEADER.FIELDS (a:b)]"}) {
    EXPECT_EQ(error_of(b), errc::invalid) << b;
  }
}

}  // namespace
}  // namespace letterhead::imap::proto
