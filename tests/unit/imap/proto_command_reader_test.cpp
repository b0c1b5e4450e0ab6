// command_reader: commands, literals and limits out of a byte stream, whatever the
// packet boundaries (RFC 9051 §2.2, §4.3, §7.5; RFC 7888; RFC 3516).
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "imap/proto/command_reader.hpp"

namespace letterhead::imap::proto {
namespace {

using namespace std::string_literals;
using kind = reader_event::kind;

// What the session does with a literal request: true accepts it.
using literal_policy = std::function<bool(const reader_event&)>;
const literal_policy accept_all = [](const reader_event&) { return true; };

std::string describe(const reader_event& ev) {
  switch (ev.k) {
    case kind::command:
      return "cmd:" + ev.text;
    case kind::literal_request:
      return "lit:" + ev.tag + ":" + std::to_string(ev.literal_size) + (ev.synchronizing ? ":sync" : ":nonsync") +
             (ev.binary ? ":8" : "");
    case kind::error:
      return "err:" + ev.tag + ":" + ev.message + (ev.close ? ":close" : "");
    case kind::need_more:
      break;
  }
  return "need_more";
}

void drain(command_reader& r, std::vector<std::string>& out, const literal_policy& policy) {
  while (true) {
    const auto ev = r.next();
    if (ev.k == kind::need_more) return;
    out.push_back(describe(ev));
    if (ev.k == kind::literal_request) {
      if (policy(ev)) {
        r.accept_literal();
      } else {
        r.refuse_literal();
      }
    }
  }
}

std::vector<std::string> run(std::string_view input, const std::vector<std::size_t>& cuts,
                             const reader_limits& limits = {}, const literal_policy& policy = accept_all) {
  command_reader r(limits);
  std::vector<std::string> out;
  std::size_t prev = 0;
  for (std::size_t cut : cuts) {
    r.feed(input.substr(prev, cut - prev));
    drain(r, out, policy);
    prev = cut;
  }
  r.feed(input.substr(prev));
  drain(r, out, policy);
  return out;
}

std::vector<std::string> run(std::string_view input, const reader_limits& limits = {},
                             const literal_policy& policy = accept_all) {
  return run(input, {}, limits, policy);
}

// Beast habit: every split point, and byte-by-byte, give the same events.
void expect_split_independent(std::string_view input, const reader_limits& limits = {},
                              const literal_policy& policy = accept_all) {
  const auto whole = run(input, limits, policy);
  for (std::size_t cut = 1; cut < input.size(); ++cut) {
    ASSERT_EQ(run(input, {cut}, limits, policy), whole) << "cut at " << cut;
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  ASSERT_EQ(run(input, every, limits, policy), whole) << "byte by byte";
}

TEST(ProtoCommandReader, LinesWithoutLiterals) {
  EXPECT_EQ(run("a1 NOOP\r\na2 CAPABILITY\nA3 LOGOUT\r\n"),
            (std::vector<std::string>{"cmd:a1 NOOP", "cmd:a2 CAPABILITY", "cmd:A3 LOGOUT"}));
  // Empty lines between commands are ignored; a partial line waits.
  command_reader r;
  r.feed("\r\n\r\na1 NOOP\r\na2 NO");
  auto ev = r.next();
  ASSERT_EQ(ev.k, kind::command);
  EXPECT_EQ(ev.text, "a1 NOOP");
  EXPECT_EQ(ev.tag, "a1");
  EXPECT_EQ(r.next().k, kind::need_more);
  EXPECT_TRUE(r.has_buffered());
  r.feed("OP\r\n");
  ev = r.next();
  ASSERT_EQ(ev.k, kind::command);
  EXPECT_EQ(ev.text, "a2 NOOP");
  EXPECT_FALSE(r.has_buffered());
}

TEST(ProtoCommandReader, SynchronizingLiteralWaitsForTheSession) {
  command_reader r;
  r.feed("A1 LOGIN {5}\r\n");
  auto ev = r.next();
  ASSERT_EQ(ev.k, kind::literal_request);
  EXPECT_EQ(ev.tag, "A1");
  EXPECT_EQ(ev.literal_size, 5u);
  EXPECT_TRUE(ev.synchronizing);
  EXPECT_FALSE(ev.binary);
  EXPECT_TRUE(r.awaiting_decision());
  // Nothing moves until the session has sent "+ Ready" and says so.
  r.feed("alice {6}\r\n");
  EXPECT_EQ(r.next().k, kind::need_more);
  r.accept_literal();
  EXPECT_FALSE(r.awaiting_decision());
  ev = r.next();
  ASSERT_EQ(ev.k, kind::literal_request);
  EXPECT_EQ(ev.literal_size, 6u);
  r.accept_literal();
  EXPECT_EQ(r.next().k, kind::need_more);
  r.feed("s3cr\0t\r\nA2 NOOP\r\n"s);
  ev = r.next();
  ASSERT_EQ(ev.k, kind::command);
  EXPECT_EQ(ev.tag, "A1");
  // The bytes as received, literals inline (a NUL is the parser's to refuse).
  EXPECT_EQ(ev.text, "A1 LOGIN {5}\r\nalice {6}\r\ns3cr\0t"s);
  ev = r.next();
  ASSERT_EQ(ev.k, kind::command);
  EXPECT_EQ(ev.text, "A2 NOOP");
}

TEST(ProtoCommandReader, LiteralPlusAndLiteral8) {
  const std::string append = "A1 APPEND INBOX (\\Seen) {12+}\r\nhello\r\nworld ~{4}\r\n\0\x01\xff\n\r\nA2 NOOP\r\n"s;
  EXPECT_EQ(run(append), (std::vector<std::string>{
                             "lit:A1:12:nonsync",
                             "lit:A1:4:sync:8",
                             "cmd:A1 APPEND INBOX (\\Seen) {12+}\r\nhello\r\nworld ~{4}\r\n\0\x01\xff\n"s,
                             "cmd:A2 NOOP",
                         }));
  EXPECT_EQ(run("A1 X ~{2+}\r\nab\r\n"), (std::vector<std::string>{"lit:A1:2:nonsync:8", "cmd:A1 X ~{2+}\r\nab"}));
  // A zero-length literal, a bare LF after the marker, a literal holding CRLF and "{1}".
  EXPECT_EQ(run("A1 LOGIN {0}\n {4}\r\n{1}\n\r\n"),
            (std::vector<std::string>{"lit:A1:0:sync", "lit:A1:4:sync", "cmd:A1 LOGIN {0}\n {4}\r\n{1}\n"}));
}

TEST(ProtoCommandReader, RefusedSynchronizingLiteralEndsTheCommand) {
  // RFC 9051 §7.5: after a tagged NO/BAD the client does not send the literal.
  const auto refuse_big = [](const reader_event& ev) { return ev.literal_size < 100; };
  EXPECT_EQ(run("A1 APPEND INBOX {1000}\r\nA2 NOOP\r\nA3 LOGIN {1}\r\nx {1}\r\ny\r\n", {}, refuse_big),
            (std::vector<std::string>{"lit:A1:1000:sync", "cmd:A2 NOOP", "lit:A3:1:sync", "lit:A3:1:sync",
                                      "cmd:A3 LOGIN {1}\r\nx {1}\r\ny"}));
}

TEST(ProtoCommandReader, RefusedNonSynchronizingLiteralIsSkipped) {
  // The bytes come regardless (RFC 7888): skipped, with the rest of the command and any
  // further non-synchronizing literal in it.
  const auto refuse_first = [n = 0](const reader_event&) mutable { return n++ > 0; };
  EXPECT_EQ(run("A1 APPEND INBOX {5+}\r\nA9 X\r {3+}\r\nabc more\r\nA2 NOOP\r\n", {}, refuse_first),
            (std::vector<std::string>{"lit:A1:5:nonsync", "cmd:A2 NOOP"}));
}

TEST(ProtoCommandReader, OversizedLiterals) {
  const reader_limits limits{.max_literal = 10};
  // Synchronizing: an error instead of a request; the client sends nothing.
  EXPECT_EQ(run("A1 APPEND INBOX {11}\r\nA2 NOOP\r\n", limits),
            (std::vector<std::string>{"err:A1:literal too large", "cmd:A2 NOOP"}));
  // Non-synchronizing: RFC 7888 §4, the session should close; if it goes on, the bytes
  // are skipped and the next command is read in step.
  EXPECT_EQ(run("A1 APPEND INBOX {11+}\r\nA0 LOGOUT\r\n\r\nA2 NOOP\r\n", limits),
            (std::vector<std::string>{"err:A1:literal too large:close", "cmd:A2 NOOP"}));
  command_reader r(limits);
  r.feed("A1 APPEND INBOX ~{99+}\r\n");
  const auto ev = r.next();
  ASSERT_EQ(ev.k, kind::error);
  EXPECT_EQ(ev.code, core::errc::limit);
  EXPECT_EQ(ev.literal_size, 99u);
  EXPECT_FALSE(ev.synchronizing);
  EXPECT_TRUE(ev.binary);
  EXPECT_TRUE(ev.close);
  // A size no number64 holds: its bytes cannot be skipped.
  EXPECT_EQ(run("A1 X {99999999999999999999+}\r\nA2 NOOP\r\n"),
            (std::vector<std::string>{"err:A1:bad literal size:close", "cmd:A2 NOOP"}));
  EXPECT_EQ(run("A1 X {9223372036854775808}\r\nA2 NOOP\r\n"),
            (std::vector<std::string>{"err:A1:bad literal size", "cmd:A2 NOOP"}));
}

TEST(ProtoCommandReader, TooManyLiteralsAndTooLongCommands) {
  EXPECT_EQ(run("A1 X {1}\r\na {1}\r\nb {1}\r\nA2 NOOP\r\n", reader_limits{.max_literals = 2}),
            (std::vector<std::string>{"lit:A1:1:sync", "lit:A1:1:sync", "err:A1:too many literals", "cmd:A2 NOOP"}));
  EXPECT_EQ(run("A1 X {40+}\r\n" + std::string(40, 'x') + "\r\nA2 NOOP\r\n", reader_limits{.max_command = 30}),
            (std::vector<std::string>{"err:A1:command too long:close", "cmd:A2 NOOP"}));
  EXPECT_EQ(run("A1 X {5}\r\nxxxxx" + std::string(30, 'y') + "\r\nA2 NOOP\r\n", reader_limits{.max_command = 30}),
            (std::vector<std::string>{"lit:A1:5:sync", "err:A1:command too long", "cmd:A2 NOOP"}));
}

TEST(ProtoCommandReader, OverlongLinesAreReportedOnceWithTheirTag) {
  const reader_limits limits{.max_line = 40};
  const std::string long_line = "T1 SEARCH " + std::string(100, 'x') + "\r\n";
  EXPECT_EQ(run(long_line + "T2 NOOP\r\n", limits),
            (std::vector<std::string>{"err:T1:line too long", "cmd:T2 NOOP"}));
  // Exactly at the limit (CRLF counted) and one over.
  EXPECT_EQ(run("T1 " + std::string(35, 'n') + "\r\n", limits),
            (std::vector<std::string>{"cmd:T1 " + std::string(35, 'n')}));
  EXPECT_EQ(run("T1 " + std::string(36, 'n') + "\r\n", limits),
            (std::vector<std::string>{"err:T1:line too long"}));
  // No tag readable: the session answers "* BAD".
  EXPECT_EQ(run(std::string(100, 'x') + "\r\nT2 NOOP\r\n", limits),
            (std::vector<std::string>{"err::line too long", "cmd:T2 NOOP"}));
  // An overlong line ending in a non-synchronizing literal: the literal is skipped too.
  EXPECT_EQ(run(std::string("T1 APPEND ") + std::string(100, 'x') + " {7+}\r\nT0 BAD\r\n\r\nT2 NOOP\r\n", limits),
            (std::vector<std::string>{"err:T1:line too long", "cmd:T2 NOOP"}));
  // An overlong continuation line drops the whole command.
  EXPECT_EQ(run("T1 LOGIN {1}\r\na " + std::string(100, 'p') + "\r\nT2 NOOP\r\n", limits),
            (std::vector<std::string>{"lit:T1:1:sync", "err:T1:line too long", "cmd:T2 NOOP"}));
}

TEST(ProtoCommandReader, OverlongLineMemoryIsBounded) {
  command_reader r(reader_limits{.max_line = 1000});
  r.feed("T1 ");
  for (int i = 0; i < 1000; ++i) {
    r.feed(std::string(1000, 'x'));
    EXPECT_EQ(r.next().k, kind::need_more);
  }
  EXPECT_FALSE(r.has_buffered());  // discarded as it came
  r.feed("\r\nT2 NOOP\r\n");
  auto ev = r.next();
  ASSERT_EQ(ev.k, kind::error);
  EXPECT_EQ(ev.tag, "T1");
  ev = r.next();
  ASSERT_EQ(ev.k, kind::command);
  EXPECT_EQ(ev.text, "T2 NOOP");
}

TEST(ProtoCommandReader, SplitsAtEveryByteGiveTheSameEvents) {
  const std::string script =
      "a1 CAPABILITY\r\n"
      "\r\n"
      "a2 LOGIN {5}\r\nalice \"pw\"\r\n"
      "a3 APPEND INBOX (\\Seen) {13+}\r\nhi\r\n\r\nthere\r\n ~{3}\r\n\0\r\n\r\n"s +
      "a4 SELECT \"INBOX\"\n"
      "a5 FETCH 1:* (BODY[HEADER.FIELDS (SUBJECT)])\r\n"
      "a6 APPEND INBOX {99}\r\n"  // refused: too large
      "a7 APPEND INBOX {200+}\r\n" + std::string(200, 'z') + "\r\n"  // over the limit: skipped
      "a8 " + std::string(70, 'L') + " {4+}\r\nxxxx\r\n"  // overlong, literal skipped
      "a9 LOGOUT\r\n"s;
  const reader_limits limits{.max_line = 64, .max_literal = 50};
  const auto events = run(script, limits);
  EXPECT_EQ(events, (std::vector<std::string>{
                        "cmd:a1 CAPABILITY",
                        "lit:a2:5:sync",
                        "cmd:a2 LOGIN {5}\r\nalice \"pw\"",
                        "lit:a3:13:nonsync",
                        "lit:a3:3:sync:8",
                        "cmd:a3 APPEND INBOX (\\Seen) {13+}\r\nhi\r\n\r\nthere\r\n ~{3}\r\n\0\r\n"s,
                        "cmd:a4 SELECT \"INBOX\"",
                        "cmd:a5 FETCH 1:* (BODY[HEADER.FIELDS (SUBJECT)])",
                        "err:a6:literal too large",
                        "err:a7:literal too large:close",
                        "err:a8:line too long",
                        "cmd:a9 LOGOUT",
                    }));
  expect_split_independent(script, limits);
}

TEST(ProtoCommandReader, RandomSplitsGiveTheSameEvents) {
  std::string script;
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    const int n = static_cast<int>(rng() % 20);
    script += "t" + std::to_string(i) + " APPEND INBOX {" + std::to_string(n) + (i % 2 ? "+" : "") + "}\r\n" +
              std::string(static_cast<std::size_t>(n), static_cast<char>('a' + i % 26)) + "\r\n";
  }
  const auto whole = run(script);
  EXPECT_EQ(whole.size(), 400u);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t pos = rng() % 7 + 1; pos < script.size(); pos += rng() % 13 + 1) cuts.push_back(pos);
    ASSERT_EQ(run(script, cuts), whole);
  }
}

TEST(ProtoCommandReader, StartTlsDiscardsPipelinedPlaintext) {
  command_reader r;
  r.feed("s1 STARTTLS\r\ns2 LOGIN evil pw\r\n");
  auto ev = r.next();
  ASSERT_EQ(ev.k, kind::command);
  EXPECT_EQ(ev.text, "s1 STARTTLS");
  EXPECT_TRUE(r.has_buffered());
  r.clear();  // RFC 9051 §6.2.1: nothing sent before the handshake may run after it
  EXPECT_FALSE(r.has_buffered());
  EXPECT_EQ(r.next().k, kind::need_more);
  r.feed("s3 NOOP\r\n");
  EXPECT_EQ(r.next().text, "s3 NOOP");
}

TEST(ProtoCommandReader, TakeBufferedHandsOverBytesAfterCompress) {
  command_reader r;
  r.feed("c1 COMPRESS DEFLATE\r\n\x78\x9c\x01\x02"s);
  EXPECT_EQ(r.next().text, "c1 COMPRESS DEFLATE");
  EXPECT_EQ(r.take_buffered(), "\x78\x9c\x01\x02"s);
  EXPECT_FALSE(r.has_buffered());
}

TEST(ProtoCommandReader, TagsOnlyWhenReadable) {
  command_reader r(reader_limits{.max_line = 20});
  // A tag must be followed by a space (or end the line) and hold only tag characters.
  r.feed("+bad " + std::string(30, 'x') + "\r\n" + "tag\x01 " + std::string(30, 'x') + "\r\n");
  auto ev = r.next();
  ASSERT_EQ(ev.k, kind::error);
  EXPECT_EQ(ev.tag, "");
  ev = r.next();
  ASSERT_EQ(ev.k, kind::error);
  EXPECT_EQ(ev.tag, "");
}

}  // namespace
}  // namespace letterhead::imap::proto
