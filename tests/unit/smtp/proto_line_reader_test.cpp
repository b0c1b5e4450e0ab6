// line_reader: command lines out of a byte stream, whatever the packet boundaries.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "smtp/proto/line_reader.hpp"

namespace letterhead::smtp::proto {
namespace {

using namespace std::string_literals;

// Events as text: the line, or "<too long>".
std::vector<std::string> drain(line_reader& r) {
  std::vector<std::string> out;
  std::string line;
  while (true) {
    auto st = r.next(line);
    if (st == line_status::need_more) return out;
    out.push_back(st == line_status::too_long ? "<too long>" : line);
  }
}

std::vector<std::string> feed_in_pieces(std::string_view input, const std::vector<std::size_t>& cuts,
                                        const line_reader_options& options) {
  line_reader r(options);
  std::vector<std::string> out;
  std::size_t prev = 0;
  for (std::size_t cut : cuts) {
    r.feed(input.substr(prev, cut - prev));
    for (auto& e : drain(r)) out.push_back(std::move(e));
    prev = cut;
  }
  r.feed(input.substr(prev));
  for (auto& e : drain(r)) out.push_back(std::move(e));
  return out;
}

TEST(ProtoLineReader, CrlfAndBareLf) {
  line_reader r;
  r.feed("EHLO a.example\r\nMAIL FROM:<a@b.example>\nRCPT TO:<c@d.example>\r\r\n\r\nDATA");
  EXPECT_EQ(drain(r), (std::vector<std::string>{"EHLO a.example", "MAIL FROM:<a@b.example>",
                                                 "RCPT TO:<c@d.example>\r", ""}));
  EXPECT_TRUE(r.has_buffered());
  EXPECT_EQ(r.buffered(), "DATA");
  r.feed("\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"DATA"});
  EXPECT_FALSE(r.has_buffered());
}

TEST(ProtoLineReader, OptionalForm) {
  line_reader r(20);
  r.feed("NOOP\r\n" + std::string(30, 'x') + "\r\nQUIT");
  auto ev = r.next();
  ASSERT_TRUE(ev.has_value());
  EXPECT_FALSE(ev->too_long);
  EXPECT_EQ(ev->text, "NOOP");
  ev = r.next();
  ASSERT_TRUE(ev.has_value());
  EXPECT_TRUE(ev->too_long);
  EXPECT_FALSE(r.next().has_value());
}

TEST(ProtoLineReader, LimitCountsCrlf) {
  // RFC 5321 §4.5.3.1.4: the limit includes CRLF.
  line_reader r(20);
  r.feed(std::string(18, 'a') + "\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{std::string(18, 'a')});
  r.feed(std::string(19, 'a') + "\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"<too long>"});
  r.feed(std::string(18, 'a') + "\n");  // the same limit without CR
  EXPECT_EQ(drain(r), std::vector<std::string>{std::string(18, 'a')});
  r.feed(std::string(19, 'a') + "\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"<too long>"});
  r.feed("QUIT\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"QUIT"});
}

TEST(ProtoLineReader, OverlongLineIsDiscardedWithBoundedMemory) {
  line_reader r(100);
  for (int i = 0; i < 1000; ++i) {
    r.feed(std::string(1000, 'x'));
    EXPECT_TRUE(drain(r).empty());
    EXPECT_TRUE(r.discarding());
    EXPECT_LE(r.buffered().size(), 100u);
  }
  // Reported once, when the line ends; the session answers 500 5.5.2 and goes on.
  r.feed("xx\r\nNOOP\r\n");
  EXPECT_EQ(drain(r), (std::vector<std::string>{"<too long>", "NOOP"}));
  EXPECT_FALSE(r.discarding());
}

TEST(ProtoLineReader, AuthLinesMayBeLonger) {
  // RFC 4954 §4: AUTH command lines up to 12288 octets.
  line_reader r(line_reader_options{.max_length = 100, .max_auth_length = 12288});
  const std::string ir(5000, 'A');
  r.feed("AUTH PLAIN " + ir + "\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"AUTH PLAIN " + ir});
  r.feed("auth plain " + std::string(12277, 'A') + "\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"<too long>"});
  r.feed("NOOP " + ir + "\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"<too long>"});
  // Base64 responses in an AUTH exchange: the session raises the limit.
  r.set_max_length(12288);
  r.feed(ir + "\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{ir});
}

TEST(ProtoLineReader, StartTlsInjectionIsDetectable) {
  // CVE-2011-0411: the plaintext pipelined after STARTTLS must not run after TLS.
  line_reader r;
  r.feed("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@attacker.example>\r\n");
  std::string line;
  ASSERT_EQ(r.next(line), line_status::line);
  EXPECT_EQ(line, "STARTTLS");
  EXPECT_TRUE(r.has_buffered());
  r.clear();
  EXPECT_FALSE(r.has_buffered());
  EXPECT_EQ(r.next(line), line_status::need_more);
}

TEST(ProtoLineReader, TakeAndConsumeBufferedBytes) {
  line_reader r;
  r.feed("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  std::string line;
  ASSERT_EQ(r.next(line), line_status::line);
  EXPECT_EQ(line, "DATA");
  EXPECT_EQ(r.buffered(), "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  r.consume(std::string_view("Subject: x\r\n\r\nbody\r\n.\r\n").size());  // what a data_reader used
  EXPECT_EQ(r.buffered(), "QUIT\r\n");
  ASSERT_EQ(r.next(line), line_status::line);
  EXPECT_EQ(line, "QUIT");

  r.feed("BDAT 4\r\nabcdNOOP\r\n");
  ASSERT_EQ(r.next(line), line_status::line);
  EXPECT_EQ(r.take_buffered(), "abcdNOOP\r\n");
  EXPECT_FALSE(r.has_buffered());
  r.feed("NOOP\r\n");
  EXPECT_EQ(drain(r), std::vector<std::string>{"NOOP"});
  r.consume(1000);  // more than buffered: harmless
  EXPECT_FALSE(r.has_buffered());
}

TEST(ProtoLineReader, NulAndControlsPassThroughToTheParser) {
  line_reader r;
  r.feed("NO\0OP\r\n\x01\r\n"s);
  EXPECT_EQ(drain(r), (std::vector<std::string>{"NO\0OP"s, "\x01"}));
}

// The Beast habit: splitting the input anywhere must not change what comes out.
TEST(ProtoLineReader, SameEventsAtEverySplit) {
  const line_reader_options options{.max_length = 24, .max_auth_length = 40};
  const std::string input = "EHLO client.example\r\n"
                            "MAIL FROM:<ab@c.examp>\r\n"      // 22 + CRLF: at the limit
                            "RCPT TO:<someone@example.org>\r\n"  // too long
                            "NOOP\n"
                            "\r\n"
                            "AUTH PLAIN AAAAAAAAAAAAAAAAAAAA\r\n"  // longer, but AUTH
                            + std::string(80, 'z') + "\r\n"      // too long, discarded
                            "AUTH\r\n"
                            "AUT" + std::string(40, 'h') + "\r\n"  // too long
                            "x\r\r\n"
                            "QUIT\r\n"
                            "partial";
  const auto expected = feed_in_pieces(input, {}, options);
  ASSERT_EQ(expected, (std::vector<std::string>{"EHLO client.example", "MAIL FROM:<ab@c.examp>",
                                                 "<too long>", "NOOP", "", "AUTH PLAIN AAAAAAAAAAAAAAAAAAAA",
                                                 "<too long>", "AUTH", "<too long>", "x\r", "QUIT"}));
  for (std::size_t i = 0; i <= input.size(); ++i) {
    ASSERT_EQ(feed_in_pieces(input, {i}, options), expected) << "split at " << i;
    for (std::size_t j = i; j <= input.size(); j += 7) {
      ASSERT_EQ(feed_in_pieces(input, {i, j}, options), expected) << "split at " << i << ", " << j;
    }
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(feed_in_pieces(input, every_byte, options), expected);
}

TEST(ProtoLineReader, RandomInputsSameEventsAtRandomSplits) {
  std::mt19937 rng(2920);
  const std::string alphabet = "ab\r\n AUTH";
  for (int round = 0; round < 300; ++round) {
    std::string input(rng() % 200, ' ');
    for (auto& c : input) c = alphabet[rng() % alphabet.size()];
    const line_reader_options options{.max_length = 1 + rng() % 20, .max_auth_length = rng() % 30};
    const auto expected = feed_in_pieces(input, {}, options);
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) {
      if (rng() % 4 == 0) cuts.push_back(i);
    }
    ASSERT_EQ(feed_in_pieces(input, cuts, options), expected)
        << "round " << round << " input " << testing::PrintToString(input) << " max " << options.max_length
        << " auth " << options.max_auth_length << " cuts " << testing::PrintToString(cuts);
  }
}

}  // namespace
}  // namespace letterhead::smtp::proto
