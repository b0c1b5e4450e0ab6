// data_reader: RFC 5321 §4.1.1.4 end of data, §4.5.2 transparency, and the SMTP
// smuggling variants (CVE-2023-51764/51765/51766) that must not end a message.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "smtp/proto/data_reader.hpp"

namespace letterhead::smtp::proto {
namespace {

using namespace std::string_literals;

struct outcome {
  bool done = false;
  std::size_t consumed = 0;
  std::string message;
  bool too_large = false;
  bool bare = false;
  bool long_lines = false;
  bool eight_bit = false;
  bool nul = false;
  std::uint64_t size = 0;

  bool operator==(const outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o) {
  return os << "{done=" << o.done << " consumed=" << o.consumed << " size=" << o.size
            << " too_large=" << o.too_large << " bare=" << o.bare << " long=" << o.long_lines
            << " 8bit=" << o.eight_bit << " nul=" << o.nul << " message=" << testing::PrintToString(o.message)
            << "}";
}

// Feeds `input` cut at `cuts`, stopping at the end like a session does.
outcome read(std::string_view input, const std::vector<std::size_t>& cuts = {},
             std::uint64_t max_size = 1 << 20) {
  data_reader r(max_size);
  outcome o;
  std::size_t prev = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t cut : ends) {
    std::size_t consumed = 0;
    auto piece = input.substr(prev, cut - prev);
    auto st = r.feed(piece, consumed);
    EXPECT_LE(consumed, piece.size());
    o.consumed += consumed;
    o.message += r.take_message();  // streaming: taking early changes nothing
    if (st == data_status::done) {
      o.done = true;
      break;
    }
    EXPECT_EQ(consumed, piece.size());
    prev = cut;
  }
  EXPECT_EQ(r.done(), o.done);
  if (r.too_large()) o.message.clear();  // what was taken before the limit is dropped too
  o.too_large = r.too_large();
  o.bare = r.bare_line_ending();
  o.long_lines = r.long_lines();
  o.eight_bit = r.has_8bit();
  o.nul = r.has_nul();
  o.size = r.size();
  return o;
}

// An independent model of RFC 5321 §4.1.1.4 / §4.5.2 over the whole input: the end is
// the first <CRLF>.<CRLF>, counting the start of the body as a CRLF; the message is
// what precedes it with one leading dot removed from every line.
outcome reference(std::string_view input, std::uint64_t max_size = 1 << 20) {
  outcome o;
  const std::string prefixed = "\r\n" + std::string(input);
  std::size_t end = prefixed.find("\r\n.\r\n");
  std::string_view raw = input;
  if (end != std::string::npos) {
    o.done = true;
    o.consumed = end + 3;
    raw = input.substr(0, end);
  } else {
    o.consumed = input.size();
    // A CR at the end of an unfinished body is pending: the next byte may be its LF.
    if (raw.ends_with('\r')) raw.remove_suffix(1);
  }
  std::string message;
  std::size_t start = 0;
  while (true) {
    std::size_t crlf = raw.find("\r\n", start);
    std::string_view line = raw.substr(start, crlf == std::string_view::npos ? raw.npos : crlf - start);
    if (line.starts_with('.')) line.remove_prefix(1);
    if (line.size() > 998) o.long_lines = true;
    message += line;
    if (crlf == std::string_view::npos) break;
    message += "\r\n";
    start = crlf + 2;
  }
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && (i + 1 == raw.size() || raw[i + 1] != '\n')) o.bare = true;
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) o.bare = true;
  }
  for (char c : message) {
    if (static_cast<unsigned char>(c) >= 0x80) o.eight_bit = true;
    if (c == '\0') o.nul = true;
  }
  o.size = message.size();
  o.too_large = o.size > max_size;
  o.message = o.too_large ? "" : message;
  return o;
}

TEST(ProtoDataReader, SimpleMessage) {
  const std::string msg = "Subject: hi\r\n\r\nHello.\r\n";
  auto o = read(msg + ".\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, msg);  // the CRLF before the dot is the last line's
  EXPECT_EQ(o.consumed, msg.size() + 3);
  EXPECT_FALSE(o.bare);
  EXPECT_FALSE(o.too_large);
  EXPECT_FALSE(o.long_lines);
  EXPECT_FALSE(o.eight_bit);
  EXPECT_EQ(o.size, msg.size());
}

TEST(ProtoDataReader, EmptyMessage) {
  // The body starts right after the 354 reply: a first line "." ends it.
  auto o = read(".\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, "");
  EXPECT_EQ(o.consumed, 3u);
  EXPECT_FALSE(o.bare);
}

TEST(ProtoDataReader, DotUnstuffing) {
  // RFC 5321 §4.5.2: a leading dot on any other line is removed.
  auto o = read("..hidden\r\n..\r\n.x\r\n...\r\nmid.dle\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.message, ".hidden\r\n.\r\nx\r\n..\r\nmid.dle\r\n");
  EXPECT_FALSE(o.bare);
}

TEST(ProtoDataReader, PipelinedBytesAfterTheEndAreLeft) {
  const std::string input = "a\r\n.\r\nQUIT\r\n";
  data_reader r;
  std::size_t consumed = 0;
  ASSERT_EQ(r.feed(input, consumed), data_status::done);
  EXPECT_EQ(consumed, 6u);
  EXPECT_EQ(input.substr(consumed), "QUIT\r\n");
  EXPECT_EQ(r.take_message(), "a\r\n");
  // Once done, stays done and consumes nothing.
  ASSERT_EQ(r.feed("more\r\n.\r\n", consumed), data_status::done);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.take_message(), "");
}

TEST(ProtoDataReader, SmugglingVariantsDoNotEndTheMessage) {
  // Each would end the message for some server (SEC Consult, December 2023).
  const std::vector<std::string> ends = {
      "\n.\n",      // <LF>.<LF>
      "\r.\r",      // <CR>.<CR>
      "\n.\r\n",    // <LF>.<CR><LF>
      "\r\n.\n",    // <CR><LF>.<LF>
      "\n.\r",      // <LF>.<CR>
      "\r.\n",      // <CR>.<LF>
      "\r.\r\n",    // <CR>.<CR><LF>
      "\r\n.\r",    // <CR><LF>.<CR>
      "\r\n.\r\r\n",
      "\r\n\x00.\r\n"s,
      "\r\n .\r\n",
  };
  const std::string smuggled = "MAIL FROM:<admin@victim.example>\r\nRCPT TO:<x@victim.example>\r\nDATA\r\n";
  for (const auto& end : ends) {
    SCOPED_TRACE(testing::PrintToString(end));
    const std::string head = "Subject: one\r\n\r\nbody" + end + smuggled;
    data_reader r;
    std::size_t consumed = 0;
    ASSERT_EQ(r.feed(head, consumed), data_status::need_more);
    EXPECT_EQ(consumed, head.size());
    // The real end, later: one message holding everything.
    ASSERT_EQ(r.feed("forged\r\n.\r\n", consumed), data_status::done);
    auto message = r.take_message();
    EXPECT_NE(message.find("MAIL FROM:<admin@victim.example>"), std::string::npos);
    EXPECT_TRUE(message.ends_with("forged\r\n"));
    if (end.find('\0') == std::string::npos && end != "\r\n .\r\n") {
      EXPECT_TRUE(r.bare_line_ending());
    }
    EXPECT_EQ(reference(head + "forged\r\n.\r\n").message, message);
  }
  // At the very start of the body too.
  for (const std::string& start : std::vector<std::string>{".\n", "\n.\n", ".\r", ".\rx\r\n", "\r.\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(start));
    auto o = read(start + "x\r\n");
    EXPECT_FALSE(o.done);
    EXPECT_TRUE(o.bare);
  }
}

TEST(ProtoDataReader, BareLineEndingsAreKeptAsReceived) {
  auto o = read("a\nb\rc\r\r\nd\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_TRUE(o.bare);
  EXPECT_EQ(o.message, "a\nb\rc\r\r\nd\r\n");
}

TEST(ProtoDataReader, EndMarkerSplitAtEveryByte) {
  const std::string input = "From: a@b.example\r\n\r\n..line\r\n.\r\r\n.\r\nQUIT\r\n";
  const std::size_t end = input.find("\r\n.\r\n", 1);
  ASSERT_NE(end, std::string::npos);
  const auto expected = read(input);
  ASSERT_TRUE(expected.done);
  EXPECT_EQ(expected.consumed, input.size() - 6);
  EXPECT_EQ(expected.message, "From: a@b.example\r\n\r\n.line\r\n\r\r\n");
  EXPECT_EQ(expected, reference(input));
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      ASSERT_EQ(read(input, {i, j}), expected) << "split at " << i << ", " << j;
    }
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(read(input, every_byte), expected);
}

TEST(ProtoDataReader, SizeLimit) {
  auto o = read("0123456\r\n.\r\n", {}, 9);  // exactly 9 bytes: fits
  EXPECT_FALSE(o.too_large);
  EXPECT_EQ(o.message, "0123456\r\n");

  o = read("01234567\r\n.\r\nNOOP\r\n", {}, 9);
  EXPECT_TRUE(o.done);
  EXPECT_TRUE(o.too_large);
  EXPECT_EQ(o.message, "");      // dropped: the message is refused
  EXPECT_EQ(o.consumed, 13u);    // but read to its end, in step with the client
  EXPECT_EQ(o.size, 10u);

  // A large body fed in pieces keeps memory at the limit.
  data_reader r(1000);
  std::size_t consumed = 0;
  const std::string chunk = std::string(4000, 'x') + "\r\n";
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(r.feed(chunk, consumed), data_status::need_more);
  }
  ASSERT_EQ(r.feed(".\r\n", consumed), data_status::done);
  EXPECT_TRUE(r.too_large());
  EXPECT_EQ(r.size(), 100u * chunk.size());
  EXPECT_TRUE(r.take_message().empty());

  o = read("x\r\n.\r\n", {}, 0);
  EXPECT_TRUE(o.too_large);
  o = read(".\r\n", {}, 0);
  EXPECT_FALSE(o.too_large);
}

TEST(ProtoDataReader, Flags) {
  auto o = read(std::string(998, 'a') + "\r\n.\r\n");
  EXPECT_FALSE(o.long_lines);
  o = read(std::string(999, 'a') + "\r\n.\r\n");
  EXPECT_TRUE(o.long_lines);  // RFC 5322 §2.1.1: recorded, accepted
  o = read("." + std::string(998, 'a') + "\r\n.\r\n");  // the stuffed dot does not count
  EXPECT_FALSE(o.long_lines);
  o = read("caf\xc3\xa9\r\n.\r\n");
  EXPECT_TRUE(o.eight_bit);
  EXPECT_FALSE(o.nul);
  o = read("a\0b\r\n.\r\n"s);
  EXPECT_TRUE(o.nul);
  EXPECT_FALSE(o.eight_bit);
}

TEST(ProtoDataReader, ResetForTheNextMessage) {
  data_reader r(5);
  std::size_t consumed = 0;
  ASSERT_EQ(r.feed("toolong\n\r\n.\r\n", consumed), data_status::done);
  EXPECT_TRUE(r.too_large());
  EXPECT_TRUE(r.bare_line_ending());
  r.reset();
  EXPECT_FALSE(r.done());
  EXPECT_FALSE(r.too_large());
  EXPECT_FALSE(r.bare_line_ending());
  EXPECT_EQ(r.size(), 0u);
  ASSERT_EQ(r.feed("ok\r\n.\r\n", consumed), data_status::done);
  EXPECT_EQ(r.take_message(), "ok\r\n");
}

TEST(ProtoDataReader, MatchesReferenceOnRandomInput) {
  std::mt19937 rng(3030);
  const std::string alphabet = "\r\n.\r\n.a\xff";
  for (int round = 0; round < 3000; ++round) {
    std::string input(rng() % 40, ' ');
    for (auto& c : input) c = alphabet[rng() % alphabet.size()];
    const std::uint64_t max_size = rng() % 30;
    const auto expected = reference(input, max_size);
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) {
      if (rng() % 3 == 0) cuts.push_back(i);
    }
    ASSERT_EQ(read(input, cuts, max_size), expected) << "round " << round << " input " << testing::PrintToString(input);
  }
}

}  // namespace
}  // namespace letterhead::smtp::proto
