// Replies: RFC 5321 §4.2 format, RFC 2034 enhanced codes, and reading them back.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "smtp/proto/reply.hpp"

namespace letterhead::smtp::proto {
namespace {

using namespace std::string_literals;

TEST(ProtoReply, SingleLine) {
  EXPECT_EQ(format_reply(250, "2.1.0", "Sender OK"), "250 2.1.0 Sender OK\r\n");
  EXPECT_EQ(format_reply(354, "", "End data with <CR><LF>.<CR><LF>"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(format_reply(250, "", ""), "250\r\n");
  EXPECT_EQ(format_reply(250, "2.0.0", ""), "250 2.0.0\r\n");
  EXPECT_EQ(format_reply(550, "5.1.1", "No such user\n"), "550 5.1.1 No such user\r\n");
  EXPECT_EQ(format_reply(221, "2.0.0", "Bye\r\n"), "221 2.0.0 Bye\r\n");
}

TEST(ProtoReply, MultiLine) {
  // RFC 5321 §4.2.1: "-" after the code on all lines but the last.
  EXPECT_EQ(format_reply(250, "2.0.0", "first\nsecond\nthird"),
            "250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 third\r\n");
  EXPECT_EQ(format_reply(214, "", "a\n\nb"), "214-a\r\n214-\r\n214 b\r\n");
  EXPECT_EQ(format_reply(250, "", "a\r\nb"), "250-a\r\n250 b\r\n");
}

TEST(ProtoReply, ClientTextIsSanitised) {
  EXPECT_EQ(format_reply(501, "5.5.4", "bad\rthing\x00here\x7f\xe4\tx"s),
            "501 5.5.4 bad?thing?here?? x\r\n");
  // Whatever the text, the output is exactly one well-formed reply.
  std::mt19937 rng(821);
  for (int round = 0; round < 500; ++round) {
    std::string text(rng() % 100, ' ');
    for (auto& c : text) c = static_cast<char>(rng() % 4 == 0 ? "\r\n\0\x85"[rng() % 4] : rng() & 0xff);
    const auto wire = format_reply(550, "5.7.1", text);
    reply_reader r;
    r.feed(wire);
    auto rep = r.next();
    ASSERT_TRUE(rep.has_value()) << rep.error().message;
    ASSERT_TRUE(rep->has_value());
    EXPECT_EQ((*rep)->code, 550);
    EXPECT_FALSE(r.has_buffered());
    for (char c : wire.substr(0, wire.size() - 2)) {
      if (c == '\r' || c == '\n') continue;
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
    }
  }
}

TEST(ProtoReply, LongLinesAreCut) {
  const auto wire = format_reply(550, "5.0.0", std::string(2000, 'x') + "\nshort");
  const auto first = wire.substr(0, wire.find("\r\n") + 2);
  EXPECT_EQ(first.size(), max_reply_line_length);
  EXPECT_TRUE(wire.ends_with("550 5.0.0 short\r\n"));
}

TEST(ProtoReply, Ehlo) {
  EXPECT_EQ(ehlo_reply("mx.example.com", "client.example", {"PIPELINING", "SIZE 52428800", "8BITMIME"}),
            "250-mx.example.com Hello client.example\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250 8BITMIME\r\n");
  EXPECT_EQ(ehlo_reply("mx.example.com", "", {}), "250 mx.example.com\r\n");
  EXPECT_EQ(ehlo_reply("mx.example.com", "x\r\n250 fake", {"STARTTLS"}),
            "250-mx.example.com Hello x??250 fake\r\n250 STARTTLS\r\n");
}

TEST(ProtoReply, EnhancedCodeSyntax) {
  for (const std::string& good : std::vector<std::string>{"2.0.0", "5.1.1", "4.7.0", "5.123.456", "2.0.12"}) {
    EXPECT_TRUE(is_enhanced_code(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{"", "2", "2.0", "2.0.", "3.0.0", "1.0.0", "2.1234.0", "2.0.0 ", "2..0", "x.0.0",
                          "2.0.0.0"}) {
    EXPECT_FALSE(is_enhanced_code(bad)) << bad;
  }
}

std::vector<std::string> replies_as_text(reply_reader& r) {
  std::vector<std::string> out;
  while (true) {
    auto rep = r.next();
    if (!rep) {
      out.push_back("error: " + rep.error().message);
      return out;
    }
    if (!rep->has_value()) return out;
    const auto& x = **rep;
    out.push_back(std::to_string(x.code) + "|" + x.enhanced + "|" + x.text());
  }
}

TEST(ProtoReplyReader, Reads) {
  reply_reader r;
  r.feed("220 mx.example.com ESMTP\r\n"
         "250-mx.example.com Hello\r\n250-PIPELINING\r\n250 SIZE 100\r\n"
         "250 2.1.0 Sender OK\r\n"
         "550-5.1.1 No such\r\n550-5.1.1 user\r\n550 5.1.1 here\r\n"
         "354 go\n"  // bare LF tolerated
         "221\r\n"
         "451 4.3.0\r\n"
         "250 5.0.0 class differs: text\r\n"
         "250 ");
  EXPECT_EQ(replies_as_text(r), (std::vector<std::string>{
                                    "220||mx.example.com ESMTP",
                                    "250||mx.example.com Hello\nPIPELINING\nSIZE 100",
                                    "250|2.1.0|Sender OK",
                                    "550|5.1.1|No such\nuser\nhere",
                                    "354||go",
                                    "221||",
                                    "451|4.3.0|",
                                    "250||5.0.0 class differs: text",
                                }));
  EXPECT_TRUE(r.has_buffered());
  r.feed("ok\r\n");
  EXPECT_EQ(replies_as_text(r), std::vector<std::string>{"250||ok"});
}

TEST(ProtoReplyReader, SameRepliesAtEverySplit) {
  const std::string input = "220 ready\r\n250-a\r\n250-2.0.0 b\r\n250 c\r\n250 2.0.0 x\r\n250-2.0.0 y\r\n"
                            "250 2.0.0 z\n554 5.7.1 no\r\n";
  reply_reader whole;
  whole.feed(input);
  const auto expected = replies_as_text(whole);
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(expected[3], "250|2.0.0|y\nz");
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      reply_reader r;
      std::vector<std::string> got;
      for (auto piece : {input.substr(0, i), input.substr(i, j - i), input.substr(j)}) {
        r.feed(piece);
        for (auto& x : replies_as_text(r)) got.push_back(std::move(x));
      }
      ASSERT_EQ(got, expected) << "split at " << i << ", " << j;
    }
  }
}

TEST(ProtoReplyReader, Errors) {
  for (const std::string& bad : std::vector<std::string>{"25 x\r\n", "abc\r\n", "250x\r\n", "250-a\r\n251 b\r\n", "650 x\r\n", "150 x\r\n",
                          "\r\n", "2500 x\r\n", "25a x\r\n"}) {
    reply_reader r;
    r.feed(bad);
    auto rep = r.next();
    EXPECT_FALSE(rep.has_value()) << bad;
    // Failed stays failed.
    r.feed("250 ok\r\n");
    EXPECT_FALSE(r.next().has_value());
    r.clear();
    r.feed("250 ok\r\n");
    auto ok = r.next();
    ASSERT_TRUE(ok.has_value());
    EXPECT_TRUE(ok->has_value());
  }
}

TEST(ProtoReplyReader, Limits) {
  reply_reader r(reply_reader_options{.max_line_length = 100, .max_lines = 3});
  r.feed("250 " + std::string(200, 'x') + "\r\n");
  EXPECT_FALSE(r.next().has_value());

  reply_reader lines(reply_reader_options{.max_line_length = 100, .max_lines = 3});
  lines.feed("250-a\r\n250-b\r\n250 c\r\n");
  auto ok = lines.next();
  ASSERT_TRUE(ok.has_value());
  ASSERT_TRUE(ok->has_value());
  EXPECT_EQ((*ok)->lines.size(), 3u);
  lines.feed("250-a\r\n250-b\r\n250-c\r\n250 d\r\n");
  EXPECT_FALSE(lines.next().has_value());
}

TEST(ProtoReplyReader, ReadsWhatFormatWrites) {
  const auto wire = format_reply(250, "2.0.0", "one\ntwo") + ehlo_reply("mx", "c", {"A", "B"});
  reply_reader r;
  r.feed(wire);
  auto a = r.next();
  ASSERT_TRUE(a.has_value() && a->has_value());
  EXPECT_EQ((*a)->code, 250);
  EXPECT_EQ((*a)->enhanced, "2.0.0");
  EXPECT_EQ((*a)->lines, (std::vector<std::string>{"one", "two"}));
  auto b = r.next();
  ASSERT_TRUE(b.has_value() && b->has_value());
  EXPECT_EQ((*b)->lines, (std::vector<std::string>{"mx Hello c", "A", "B"}));
}

}  // namespace
}  // namespace letterhead::smtp::proto
