// Table tests of parse_command: RFC 5321 §4.1.1 and §4.1.2 rules, RFC 3030 BDAT,
// RFC 4954 AUTH, one row per rule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/proto/command.hpp"

namespace letterhead::smtp::proto {
namespace {

using namespace std::string_literals;

struct valid_case {
  std::string line;
  verb v;
  std::string domain;
  std::string path;
  bool null_path = false;
  std::string params;  // "KEY=VALUE KEY" in order, values as written
  std::string argument;
};

std::string join_params(const command& cmd) {
  std::string out;
  for (const auto& p : cmd.params) {
    if (!out.empty()) out += ' ';
    out += p.keyword;
    if (p.value) out += '=' + *p.value;
  }
  return out;
}

TEST(ProtoCommand, ValidCommands) {
  const std::vector<valid_case> cases = {
      // RFC 5321 §4.1.1.1 HELO/EHLO; verbs are case-insensitive (§2.4).
      {"HELO example.com", verb::helo, "example.com", "", false, "", ""},
      {"helo example.com", verb::helo, "example.com", "", false, "", ""},
      {"HELO [192.0.2.1]", verb::helo, "[192.0.2.1]", "", false, "", ""},
      {"EHLO mail.example.com", verb::ehlo, "mail.example.com", "", false, "", ""},
      {"EhLo mail.example.com   ", verb::ehlo, "mail.example.com", "", false, "", ""},
      {"EHLO [192.0.2.1]", verb::ehlo, "[192.0.2.1]", "", false, "", ""},
      {"EHLO [IPv6:2001:db8::1]", verb::ehlo, "[IPv6:2001:db8::1]", "", false, "", ""},
      {"EHLO my_pc", verb::ehlo, "my_pc", "", false, "", ""},  // liberal: real clients
      {"EHLO  localhost", verb::ehlo, "localhost", "", false, "", ""},
      {"LHLO lmtp.example", verb::lhlo, "lmtp.example", "", false, "", ""},  // RFC 2033
      // RFC 5321 §4.1.1.2 MAIL, §4.1.2 Path.
      {"MAIL FROM:<a@b.example>", verb::mail, "", "a@b.example", false, "", ""},
      {"mail from:<a@b.example>", verb::mail, "", "a@b.example", false, "", ""},
      {"MAIL FROM: <a@b.example>", verb::mail, "", "a@b.example", false, "", ""},  // liberal
      {"MAIL  FROM:<a@b.example>  ", verb::mail, "", "a@b.example", false, "", ""},
      {"MAIL FROM:<>", verb::mail, "", "", true, "", ""},  // §4.5.5 null reverse-path
      {"MAIL FROM:<> BODY=8BITMIME SIZE=1000", verb::mail, "", "", true, "BODY=8BITMIME SIZE=1000", ""},
      {"MAIL FROM:<a@b.example> body=8bitmime", verb::mail, "", "a@b.example", false, "BODY=8bitmime", ""},
      {"MAIL FROM:<a@b.example> SMTPUTF8", verb::mail, "", "a@b.example", false, "SMTPUTF8", ""},
      {"MAIL FROM:<a@b.example>  SIZE=1  RET=HDRS ", verb::mail, "", "a@b.example", false, "SIZE=1 RET=HDRS", ""},
      {"MAIL FROM:<a@b.example> ENVID=QQ314159 AUTH=<>", verb::mail, "", "a@b.example", false,
       "ENVID=QQ314159 AUTH=<>", ""},
      // §4.1.1.3 and appendix C: a source route is accepted and dropped.
      {"MAIL FROM:<@a.example,@b.example:user@c.example>", verb::mail, "", "user@c.example", false, "", ""},
      {"RCPT TO:<@hosta.int:jones@hostb.example>", verb::rcpt, "", "jones@hostb.example", false, "", ""},
      // RFC 5321 §4.1.1.3 RCPT; <Postmaster> without domain (§4.5.1).
      {"RCPT TO:<Postmaster>", verb::rcpt, "", "Postmaster", false, "", ""},
      {"RCPT TO:<postmaster>", verb::rcpt, "", "postmaster", false, "", ""},
      {"RCPT TO:<Postmaster@example.com>", verb::rcpt, "", "Postmaster@example.com", false, "", ""},
      {"rcpt to:<x@example.com>", verb::rcpt, "", "x@example.com", false, "", ""},
      {"RCPT TO: <x@example.com>", verb::rcpt, "", "x@example.com", false, "", ""},
      {"RCPT TO:<\"john doe\"@example.com>", verb::rcpt, "", "\"john doe\"@example.com", false, "", ""},
      {"RCPT TO:<\"a>b\"@example.com>", verb::rcpt, "", "\"a>b\"@example.com", false, "", ""},
      {"RCPT TO:<\"a\\\"b\"@example.com>", verb::rcpt, "", "\"a\\\"b\"@example.com", false, "", ""},
      {"RCPT TO:<user@[192.0.2.1]>", verb::rcpt, "", "user@[192.0.2.1]", false, "", ""},
      {"RCPT TO:<user@[IPv6:::1]>", verb::rcpt, "", "user@[IPv6:::1]", false, "", ""},
      {"RCPT TO:<user+tag@example.com>", verb::rcpt, "", "user+tag@example.com", false, "", ""},
      {"RCPT TO:<!#$%&'*+-/=?^_`{|}~@example.com>", verb::rcpt, "", "!#$%&'*+-/=?^_`{|}~@example.com", false, "", ""},
      {"RCPT TO:<用户@例子.中国>", verb::rcpt, "", "用户@例子.中国", false, "", ""},  // RFC 6531 §3.3
      {"RCPT TO:<zhang.san@xn--fsqu00a.xn--fiqs8s>", verb::rcpt, "", "zhang.san@xn--fsqu00a.xn--fiqs8s", false, "", ""},
      {"RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@b.example", verb::rcpt, "",
       "a@b.example", false, "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bb@b.example", ""},
      // No-argument commands; trailing spaces tolerated.
      {"DATA", verb::data, "", "", false, "", ""},
      {"data ", verb::data, "", "", false, "", ""},
      {"RSET", verb::rset, "", "", false, "", ""},
      {"QUIT", verb::quit, "", "", false, "", ""},
      {"STARTTLS", verb::starttls, "", "", false, "", ""},
      {"NOOP", verb::noop, "", "", false, "", ""},
      {"NOOP hello world", verb::noop, "", "", false, "", "hello world"},
      {"HELP", verb::help, "", "", false, "", ""},
      {"HELP MAIL", verb::help, "", "", false, "", "MAIL"},
      {"VRFY postmaster", verb::vrfy, "", "", false, "", "postmaster"},
      {"EXPN staff", verb::expn, "", "", false, "", "staff"},
      {"AUTH PLAIN", verb::auth, "", "", false, "", "PLAIN"},
      {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", verb::auth, "", "", false, "", "PLAIN AGFsaWNlAHNlY3JldA=="},
      {"auth login =", verb::auth, "", "", false, "", "login ="},
      // Unknown verbs are not errors (the server answers 500 5.5.1).
      {"FOO bar", verb::unknown, "", "", false, "", "FOO bar"},
      {"MAILFROM:<a@b.example>", verb::unknown, "", "", false, "", "MAILFROM:<a@b.example>"},
      {"QUITX", verb::unknown, "", "", false, "", "QUITX"},
      {"", verb::unknown, "", "", false, "", ""},
      {" QUIT", verb::unknown, "", "", false, "", " QUIT"},
      {"XCLIENT ADDR=192.0.2.1", verb::unknown, "", "", false, "", "XCLIENT ADDR=192.0.2.1"},
      {"GET / HTTP/1.1", verb::unknown, "", "", false, "", "GET / HTTP/1.1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto cmd = parse_command(c.line);
    ASSERT_TRUE(cmd.has_value()) << cmd.error().message;
    EXPECT_EQ(cmd->v, c.v);
    EXPECT_EQ(cmd->domain, c.domain);
    EXPECT_EQ(cmd->path, c.path);
    EXPECT_EQ(cmd->null_path, c.null_path);
    EXPECT_EQ(join_params(*cmd), c.params);
    EXPECT_EQ(cmd->argument, c.argument);
  }
}

TEST(ProtoCommand, InvalidCommands) {
  const std::vector<std::string> cases = {
      // HELO/EHLO need a domain or address literal.
      "HELO", "HELO ", "EHLO", "EHLO   ", "LHLO", "EHLO a b", "EHLO [1.2.3]", "EHLO [300.0.0.1]",
      "EHLO exa$mple.com", "EHLO <x>", "EHLO ...", "EHLO [IPv6:zz::1]",
      // MAIL/RCPT syntax.
      "MAIL", "MAIL ", "MAIL <a@b.example>", "MAIL FROM<a@b.example>", "MAIL FROM :<a@b.example>",
      "MAIL TO:<a@b.example>", "RCPT FROM:<a@b.example>", "MAIL FROM:", "MAIL FROM: ",
      "MAIL FROM:a@b.example",          // strict: brackets required
      "MAIL FROM:<a@b.example",         // unterminated
      "MAIL FROM:<a@b.example>>",
      "MAIL FROM:<a@b.example>SIZE=1",  // parameters need a space
      "MAIL FROM:<a>",                  // no domain
      "MAIL FROM:<Postmaster>",         // only RCPT may omit the domain
      "MAIL FROM:<<a@b.example>>",
      "MAIL FROM:< a@b.example>",
      "MAIL FROM:<a@b.example >",
      "RCPT TO:<>",                     // the null path is for MAIL only
      "RCPT TO:<@a.example:Postmaster>",
      "RCPT TO:<@a.example>",
      "RCPT TO:<@a.example,b.example:x@c.example>",
      "RCPT TO:<@:x@c.example>",
      "RCPT TO:<@-a.example:x@c.example>",
      // Local part: RFC 5321 §4.1.2 Dot-string / Quoted-string.
      "RCPT TO:<a..b@example.com>", "RCPT TO:<.a@example.com>", "RCPT TO:<a.@example.com>",
      "RCPT TO:<a b@example.com>", "RCPT TO:<a(b)@example.com>", "RCPT TO:<a,b@example.com>",
      "RCPT TO:<a[b]@example.com>", "RCPT TO:<a\\b@example.com>", "RCPT TO:<@example.com>",
      "RCPT TO:<\"unterminated@example.com>", "RCPT TO:<\"a\"b@example.com>", "RCPT TO:<a\"b\"@example.com>",
      "RCPT TO:<\"a\\\"@example.com>",
      // Domain: sub-domain = Let-dig [Ldh-str].
      "RCPT TO:<a@-b.example>", "RCPT TO:<a@b-.example>", "RCPT TO:<a@b..example>",
      "RCPT TO:<a@.example>", "RCPT TO:<a@example.>", "RCPT TO:<a@b_c.example>", "RCPT TO:<a@>",
      "RCPT TO:<a@b@c.example>", "RCPT TO:<a@exa mple.com>",
      // Address literals, RFC 5321 §4.1.3.
      "RCPT TO:<a@[300.1.1.1]>", "RCPT TO:<a@[1.2.3]>", "RCPT TO:<a@[1.2.3.4.5]>", "RCPT TO:<a@[1.2.3.4>",
      "RCPT TO:<a@[IPv6:1::2::3]>", "RCPT TO:<a@[IPv6:12345::1]>", "RCPT TO:<a@[IPv6:1.2.3.4]>",
      "RCPT TO:<a@[]>", "RCPT TO:<a@[x]>", "RCPT TO:<a@[tag-:x]>", "RCPT TO:<a@[tag:]>",
      // ESMTP parameters, RFC 5321 §4.1.2.
      "MAIL FROM:<a@b.example> =x", "MAIL FROM:<a@b.example> SIZE=", "MAIL FROM:<a@b.example> SIZE=a=b",
      "MAIL FROM:<a@b.example> -SIZE=1", "MAIL FROM:<a@b.example> SI_ZE=1", "MAIL FROM:<a@b.example> SIZE==1",
      "MAIL FROM:<a@b.example> SIZE=1 SIZE=2", "MAIL FROM:<a@b.example> SIZE=1 size=2",
      "RCPT TO:<a@b.example> NOTIFY=NEVER notify=SUCCESS",
      // Control characters anywhere, NUL included.
      "NOOP\0"s, "NOOP\0x"s, "MAIL FROM:<a@b.example>\r", "RSET\t", "MAIL FROM:<a\0@b.example>"s,
      "EHLO a\x7f", "\x16\x03\x01\x02\x00"s, "QUIT\n",
      // No-parameter commands (RFC 5321 §4.1.1.4, .5, .10; RFC 3207 §4).
      "DATA x", "RSET x", "QUIT now", "STARTTLS x",
      // VRFY/EXPN need an argument.
      "VRFY", "VRFY ", "EXPN", "EXPN  ",
      // BDAT, RFC 3030 §2.
      "BDAT", "BDAT ", "BDAT x", "BDAT -1", "BDAT +1", "BDAT 1.5", "BDAT 10 FIRST", "BDAT 10 LAST x",
      "BDAT 10LAST", "BDAT 18446744073709551616", "BDAT 99999999999999999999999",
      // AUTH, RFC 4954 §4.
      "AUTH", "AUTH ", "AUTH PL@IN", "AUTH PLAIN abc", "AUTH PLAIN a b", "AUTH ABCDEFGHIJKLMNOPQRSTU",
      "AUTH PLAIN AGFsaWNlAHNlY3JldA=", "AUTH PLAIN =AAA", "AUTH PLAIN A=AA",
  };
  for (const auto& line : cases) {
    SCOPED_TRACE(line);
    auto cmd = parse_command(line);
    ASSERT_FALSE(cmd.has_value()) << "verb " << to_string(cmd->v);
    EXPECT_EQ(cmd.error().code, core::errc::invalid);
    EXPECT_FALSE(cmd.error().message.empty());
  }
}

TEST(ProtoCommand, ErrorMessagesDoNotEchoClientText) {
  for (const std::string& line : std::vector<std::string>{"MAIL FROM:<secret\"@example.com>", "RCPT TO:<a@bad_domain_XYZ>",
                           "MAIL FROM:<a@b.example> XYZZY==1", "EHLO bad$name"}) {
    auto cmd = parse_command(line);
    ASSERT_FALSE(cmd.has_value()) << line;
    EXPECT_EQ(cmd.error().message.find("XYZ"), std::string::npos);
    EXPECT_EQ(cmd.error().message.find("secret"), std::string::npos);
    EXPECT_EQ(cmd.error().message.find("bad"), std::string::npos);
  }
}

TEST(ProtoCommand, VerbNames) {
  EXPECT_EQ(to_string(verb::mail), "MAIL");
  EXPECT_EQ(to_string(verb::starttls), "STARTTLS");
  EXPECT_EQ(to_string(verb::unknown), "");
  for (verb v : {verb::helo, verb::ehlo, verb::lhlo, verb::mail, verb::rcpt, verb::data, verb::bdat,
                 verb::rset, verb::noop, verb::quit, verb::help, verb::vrfy, verb::expn, verb::starttls,
                 verb::auth}) {
    EXPECT_FALSE(to_string(v).empty());
  }
}

TEST(ProtoCommand, Smtputf8Option) {
  // RFC 6531 §3.3: UTF-8 in paths only when the server offers SMTPUTF8.
  const parse_options ascii{.smtputf8 = false};
  EXPECT_FALSE(parse_command("RCPT TO:<用户@例子.中国>", ascii).has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<用户@example.com>", ascii).has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<user@例子.中国>", ascii).has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<\"用户\"@example.com>", ascii).has_value());
  EXPECT_FALSE(parse_command("EHLO 例子.中国", ascii).has_value());
  EXPECT_TRUE(parse_command("RCPT TO:<user@example.com>", ascii).has_value());
  EXPECT_TRUE(parse_command("RCPT TO:<\"用户\"@example.com>").has_value());
  EXPECT_TRUE(parse_command("EHLO 例子.中国").has_value());
  // Malformed UTF-8 is refused even with SMTPUTF8 (RFC 6530 §4.2; RFC 3629).
  EXPECT_FALSE(parse_command("RCPT TO:<\xff@example.com>").has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<\xc0\xaf@example.com>").has_value());        // overlong "/"
  EXPECT_FALSE(parse_command("RCPT TO:<\xed\xa0\x80@example.com>").has_value());    // surrogate
  EXPECT_FALSE(parse_command("RCPT TO:<a\xe4\xb8@example.com>").has_value());        // truncated
  EXPECT_FALSE(parse_command("RCPT TO:<a@\xe4\xb8.example>").has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<\xf4\x90\x80\x80@example.com>").has_value());  // > U+10FFFF
}

TEST(ProtoCommand, EsmtpValueUtf8) {
  // RFC 6531 §3.3 esmtp-value =/ UTF8-non-ascii; the keyword stays ASCII.
  auto cmd = parse_command("RCPT TO:<a@b.example> ORCPT=utf-8;用户@例子.中国");
  ASSERT_TRUE(cmd.has_value());
  ASSERT_EQ(cmd->params.size(), 1u);
  EXPECT_EQ(cmd->params[0].value, "utf-8;用户@例子.中国");
  EXPECT_FALSE(parse_command("RCPT TO:<a@b.example> ORCPT=utf-8;用户@例子.中国", {.smtputf8 = false}).has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<a@b.example> X-ÜBER=wert").has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<a@b.example> X=\xff").has_value());
}

TEST(ProtoCommand, ParamsAreBoundedAndFindable) {
  std::string line = "MAIL FROM:<a@b.example>";
  for (std::size_t i = 0; i < max_esmtp_params; ++i) line += " X" + std::to_string(i) + "=v";
  auto ok = parse_command(line);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->params.size(), max_esmtp_params);
  ASSERT_NE(find_param(*ok, "X3"), nullptr);
  EXPECT_EQ(find_param(*ok, "x3")->value, "v");
  EXPECT_EQ(find_param(*ok, "X99"), nullptr);
  EXPECT_FALSE(parse_command(line + " ONE=MORE").has_value());
}

TEST(ProtoCommand, PathLengthLimits) {
  // RFC 5321 §4.5.3.1.1: local part 64 octets.
  const std::string local64(64, 'l');
  EXPECT_TRUE(parse_command("RCPT TO:<" + local64 + "@example.com>").has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<" + local64 + "l@example.com>").has_value());
  // Quoted local parts count as written.
  EXPECT_FALSE(parse_command("RCPT TO:<\"" + std::string(63, 'q') + "\"@example.com>").has_value());
  EXPECT_TRUE(parse_command("RCPT TO:<\"" + std::string(62, 'q') + "\"@example.com>").has_value());

  // RFC 5321 §4.5.3.1.3: the path, "<" and ">" included, 256 octets.
  auto domain_of = [](std::size_t n) {
    std::string d;
    while (d.size() < n) {
      if (!d.empty()) d += '.';
      d += std::string(std::min<std::size_t>(63, n - d.size()), 'd');
    }
    return d;
  };
  // "<" + 64 + "@" + domain + ">" = 256 -> domain 189
  EXPECT_TRUE(parse_command("RCPT TO:<" + local64 + "@" + domain_of(189) + ">").has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<" + local64 + "@" + domain_of(190) + ">").has_value());
  // A source route counts too.
  EXPECT_FALSE(parse_command("RCPT TO:<@" + domain_of(100) + ":" + local64 + "@" + domain_of(100) + ">").has_value());

  // Labels of an ASCII domain: 63 octets (RFC 1035 §2.3.4).
  EXPECT_TRUE(parse_command("RCPT TO:<a@" + std::string(63, 'x') + ".example>").has_value());
  EXPECT_FALSE(parse_command("RCPT TO:<a@" + std::string(64, 'x') + ".example>").has_value());
}

TEST(ProtoCommand, Bdat) {
  auto cmd = parse_command("BDAT 1000");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->v, verb::bdat);
  EXPECT_EQ(cmd->chunk_size, 1000u);
  EXPECT_FALSE(cmd->last_chunk);

  cmd = parse_command("bdat 0 last");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->chunk_size, 0u);
  EXPECT_TRUE(cmd->last_chunk);

  cmd = parse_command("BDAT 18446744073709551615 LAST ");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->chunk_size, 18446744073709551615ull);

  cmd = parse_command("BDAT 000000000000000000000000042");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->chunk_size, 42u);
}

TEST(ProtoCommand, Auth) {
  auto cmd = parse_command("AUTH plain AGFsaWNlAHNlY3JldA==");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->auth_mechanism, "PLAIN");
  EXPECT_EQ(cmd->auth_initial_response, "AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(cmd->argument, "plain AGFsaWNlAHNlY3JldA==");

  cmd = parse_command("AUTH LOGIN");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->auth_mechanism, "LOGIN");
  EXPECT_FALSE(cmd->auth_initial_response.has_value());

  cmd = parse_command("AUTH PLAIN =");  // RFC 4954 §4: "=" is an empty initial response
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->auth_initial_response, "=");

  cmd = parse_command("AUTH SCRAM-SHA-256");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_EQ(cmd->auth_mechanism, "SCRAM-SHA-256");
}

TEST(ProtoCommand, MailFieldsAreResetPerCommand) {
  auto cmd = parse_command("MAIL FROM:<> SIZE=10");
  ASSERT_TRUE(cmd.has_value());
  EXPECT_TRUE(cmd->null_path);
  EXPECT_TRUE(cmd->domain.empty());
  EXPECT_TRUE(cmd->argument.empty());
  EXPECT_EQ(cmd->chunk_size, 0u);
  ASSERT_EQ(cmd->params.size(), 1u);
  EXPECT_EQ(cmd->params[0].keyword, "SIZE");
  EXPECT_EQ(cmd->params[0].value, "10");
}

}  // namespace
}  // namespace letterhead::smtp::proto
