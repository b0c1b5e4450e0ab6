// The POP3 grammar: command lines, line reading, responses, dot-stuffing, TOP, SASL.
#include <gtest/gtest.h>

#include "pop3/proto/command.hpp"
#include "pop3/proto/line_reader.hpp"
#include "pop3/proto/response.hpp"
#include "pop3/proto/sasl.hpp"

namespace letterhead::pop3::proto {
namespace {

TEST(pop3_command, verbs_are_case_insensitive) {
  for (const auto* line : {"stat", "Stat", "STAT", "STAT "}) {
    auto c = parse_command(line);
    ASSERT_TRUE(c) << line;
    EXPECT_EQ(c->v, verb::stat);
  }
  EXPECT_EQ(parse_command("XTND foo")->v, verb::unknown);
  EXPECT_EQ(parse_command("")->v, verb::unknown);
  EXPECT_EQ(parse_command("STATS")->v, verb::unknown);
}

TEST(pop3_command, arguments) {
  auto list = parse_command("LIST");
  ASSERT_TRUE(list);
  EXPECT_FALSE(list->message);
  EXPECT_EQ(*parse_command("LIST 7")->message, 7u);
  EXPECT_EQ(*parse_command("uidl 12")->message, 12u);
  auto top = parse_command("TOP 3 0");
  ASSERT_TRUE(top);
  EXPECT_EQ(*top->message, 3u);
  EXPECT_EQ(top->lines, 0u);
  EXPECT_EQ(*parse_command("RETR 4294967295")->message, 4294967295u);
  EXPECT_EQ(parse_command("USER alice@example.com")->argument, "alice@example.com");
  // RFC 1939 §7: spaces belong to the password.
  EXPECT_EQ(parse_command("PASS  two words ")->argument, " two words ");
  auto auth = parse_command("auth plain AGEAYg==");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->mechanism, "PLAIN");
  EXPECT_EQ(*auth->initial_response, "AGEAYg==");
  EXPECT_TRUE(parse_command("AUTH")->mechanism.empty());
  EXPECT_EQ(parse_command("APOP mrose c4c9334bac560ecc979e58001b3e22fb")->v, verb::apop);
}

TEST(pop3_command, syntax_errors) {
  for (const auto* line : {"RETR", "RETR x", "RETR -1", "RETR +1", "RETR 4294967296", "RETR 1 2", "DELE",
                           "TOP 1", "TOP 1 x", "LIST 1 2", "STAT 1", "QUIT now", "USER", "USER a b", "PASS",
                           "PASS ", "AUTH PL@IN", "AUTH PLAIN a b", "AUTH ABCDEFGHIJKLMNOPQRSTU", "STLS x",
                           "NOOP\x01", "USER a\tb"}) {
    auto c = parse_command(line);
    ASSERT_FALSE(c) << line;
    EXPECT_EQ(c.error().code, core::errc::invalid);
    EXPECT_EQ(c.error().message.find(line), std::string::npos);
  }
}

TEST(pop3_line_reader, lines_and_limits) {
  line_reader r;
  r.feed("CAPA\r\nNOOP\nST");
  EXPECT_EQ(r.next()->text, "CAPA");
  EXPECT_EQ(r.next()->text, "NOOP");
  EXPECT_FALSE(r.next());
  r.feed("AT\r\n");
  EXPECT_EQ(r.next()->text, "STAT");
  // 253 octets + CRLF fit, 254 do not (RFC 2449 §4).
  r.feed(std::string(253, 'a') + "\r\n" + std::string(254, 'b') + "\r\nQUIT\r\n");
  EXPECT_EQ(r.next()->text.size(), 253u);
  EXPECT_TRUE(r.next()->too_long);
  EXPECT_EQ(r.next()->text, "QUIT");
  EXPECT_FALSE(r.has_buffered());
}

TEST(pop3_line_reader, overlong_line_is_bounded_and_split_independent) {
  const std::string input = "NOOP\r\n" + std::string(100000, 'x') + "\r\nQUIT\r\n" + std::string(253, 'y') + "\r\n";
  auto events = [](const std::string& in, std::size_t step) {
    line_reader r;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < in.size(); i += step) {
      r.feed(std::string_view(in).substr(i, step));
      while (auto ev = r.next()) out.push_back(ev->too_long ? "<long>" : ev->text);
      EXPECT_LE(r.buffered_size(), max_command_length + step);
    }
    return out;
  };
  const auto whole = events(input, input.size());
  EXPECT_EQ(whole, (std::vector<std::string>{"NOOP", "<long>", "QUIT", std::string(253, 'y')}));
  for (std::size_t step : {1u, 2u, 3u, 7u, 254u, 255u, 256u, 4096u}) EXPECT_EQ(events(input, step), whole);
}

TEST(pop3_response, single_lines) {
  EXPECT_EQ(ok("2 320"), "+OK 2 320\r\n");
  EXPECT_EQ(ok(""), "+OK\r\n");
  EXPECT_EQ(err("no such message"), "-ERR no such message\r\n");
  EXPECT_EQ(err("Authentication failed", resp_code::auth), "-ERR [AUTH] Authentication failed\r\n");
  EXPECT_EQ(err("later", resp_code::sys_temp), "-ERR [SYS/TEMP] later\r\n");
  EXPECT_EQ(err("x", resp_code::in_use), "-ERR [IN-USE] x\r\n");
  EXPECT_EQ(err("x", resp_code::login_delay), "-ERR [LOGIN-DELAY] x\r\n");
  // Injection: control bytes cannot make a second line; length is bounded.
  EXPECT_EQ(ok("a\r\n+OK b"), "+OK a??+OK b\r\n");
  EXPECT_EQ(ok(std::string(1000, 'z')).size(), max_response_length);
}

TEST(pop3_response, dot_stuffing) {
  EXPECT_EQ(multiline(""), ".\r\n");
  EXPECT_EQ(multiline("a\r\n"), "a\r\n.\r\n");
  EXPECT_EQ(multiline("a"), "a\r\n.\r\n");
  EXPECT_EQ(multiline(".\r\n..x\r\n.a.\r\n"), "..\r\n...x\r\n..a.\r\n.\r\n");
  // A bare LF in a stored message ends a line and gains its CR: the terminating
  // "." can only be ours.
  EXPECT_EQ(multiline("a\n.\nb\r"), "a\r\n..\r\nb\r\n.\r\n");
  EXPECT_EQ(multiline("a\rb\r\n"), "a\rb\r\n.\r\n");
  // Split anywhere, the same bytes.
  const std::string msg = "Subject: x\r\n\r\n.\r\n..\n\r\n.end\r\r\n";
  for (std::size_t cut = 0; cut <= msg.size(); ++cut) {
    std::string out;
    multiline_writer w;
    w.append(std::string_view(msg).substr(0, cut), out);
    w.append(std::string_view(msg).substr(cut), out);
    w.finish(out);
    EXPECT_EQ(out, multiline(msg)) << cut;
  }
}

TEST(pop3_response, top_length) {
  const std::string m = "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3";
  EXPECT_EQ(top_length(m, 0), std::string("A: 1\r\nB: 2\r\n\r\n").size());
  EXPECT_EQ(top_length(m, 1), std::string("A: 1\r\nB: 2\r\n\r\nl1\r\n").size());
  EXPECT_EQ(top_length(m, 3), m.size());
  EXPECT_EQ(top_length(m, 1000000), m.size());
  EXPECT_EQ(top_length("A: 1\r\nB: 2\r\n", 0), 12u);  // no body: all header
  EXPECT_EQ(top_length("A: 1\n\nbody\n", 0), 6u);
  EXPECT_EQ(top_length("", 5), 0u);
}

TEST(pop3_sasl, base64_round_trip_and_strictness) {
  for (const std::string& s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"), std::string("abcd"),
                                std::string("\0\xff\x10", 3)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  for (const auto* bad : {"a", "aGVsbG8", "aGVs bG8=", "aGVsbG9=", "aG==bG8=", "aGVsbA=x", "====", "aGVsbG8=="}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

TEST(pop3_sasl, plain) {
  auto c = decode_plain(base64_encode(std::string("\0alice@example.com\0pw", 21)));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "");
  EXPECT_EQ(c->authcid, "alice@example.com");
  EXPECT_EQ(c->password, "pw");
  auto z = decode_plain(base64_encode(std::string("admin\0alice\0pw", 14)));
  ASSERT_TRUE(z);
  EXPECT_EQ(z->authzid, "admin");
  for (const auto& bad : {std::string("alice\0pw", 8), std::string("\0\0pw", 4), std::string("\0alice\0", 7),
                          std::string("\0alice\0p\0w", 10), std::string("\0al\xffice\0pw", 10)}) {
    EXPECT_FALSE(decode_plain(base64_encode(bad)));
  }
  EXPECT_FALSE(decode_plain("not base64!"));
}

}  // namespace
}  // namespace letterhead::pop3::proto
