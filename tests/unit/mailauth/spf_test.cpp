// SPF (RFC 7208): the record parser, macro expansion with the examples of §7.4, and
// check_host() against a real DNS server (Knot on loopback, ../dns/dns_server.hpp):
// every mechanism, redirect and exp, the 10-lookup and 2-void-lookup limits, include
// and redirect loops, the MX limit and the HELO identity.
#include "mailauth/spf.hpp"

#include <memory>

#include <gtest/gtest.h>

#include "../dns/dns_server.hpp"

namespace letterhead::mailauth {
namespace {

using test::dns_test_server;
using test::dns_test_zone;

// ---------------------------------------------------------------- parser

TEST(SpfRecord, ParsesEveryMechanismAndModifier) {
  auto r = parse_spf_record(
      "v=spf1 +all -include:_spf.example.com ~a a:mail.example.com/24//64 mx/30 ?mx:example.org ptr "
      "ptr:example.net ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.bl.example.com "
      "redirect=_spf.example.com exp=explain.%{d} foo=bar");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->terms.size(), 11u);
  EXPECT_EQ(r->terms[0].mechanism, spf_mechanism::all);
  EXPECT_EQ(r->terms[1].qualifier, spf_qualifier::fail);
  EXPECT_EQ(r->terms[1].domain_spec, "_spf.example.com");
  EXPECT_EQ(r->terms[2].qualifier, spf_qualifier::softfail);
  EXPECT_EQ(r->terms[3].domain_spec, "mail.example.com");
  EXPECT_EQ(r->terms[3].cidr4, 24u);
  EXPECT_EQ(r->terms[3].cidr6, 64u);
  EXPECT_EQ(r->terms[4].cidr4, 30u);
  EXPECT_EQ(r->terms[5].qualifier, spf_qualifier::neutral);
  EXPECT_EQ(r->terms[8].cidr4, 24u);
  EXPECT_EQ(r->terms[9].cidr6, 32u);
  EXPECT_EQ(r->terms[10].mechanism, spf_mechanism::exists);
  EXPECT_EQ(r->redirect, "_spf.example.com");
  EXPECT_EQ(r->exp, "explain.%{d}");
}

TEST(SpfRecord, RefusesBadSyntax) {
  for (const char* bad : {
           "v=spf1 foo:bar",             // unknown mechanism (§5)
           "v=spf1 ip4:192.0.2.300",     // bad address
           "v=spf1 ip4:192.0.2.0/33",    // cidr too long
           "v=spf1 ip6:2001:db8::/129",  //
           "v=spf1 a:example.com/024",   // leading zero
           "v=spf1 include",             // include needs a domain
           "v=spf1 include:nodot",       // domain-end needs a toplabel
           "v=spf1 exists:%{x}.example.com",  // unknown macro letter
           "v=spf1 redirect=a.example.com redirect=b.example.com",  // §6: at most once
           "v=spf1 exp=a.example.com exp=b.example.com",
           "v=spf1 all:example.com",
           "v=spf1 -all\t",  // terms are separated by SP only
           "v=spf1 a/24/",
       }) {
    EXPECT_FALSE(parse_spf_record(bad)) << bad;
  }
  EXPECT_TRUE(parse_spf_record("v=spf1"));
  EXPECT_TRUE(parse_spf_record("V=SPF1 -ALL  "));
  EXPECT_FALSE(is_spf_record("v=spf10 -all"));
  EXPECT_FALSE(is_spf_record("v=spf"));
}

TEST(SpfRecord, NetworkMatching) {
  auto net = parse_ip("192.0.2.0");
  auto in = parse_ip("192.0.2.200");
  auto out = parse_ip("192.0.3.1");
  ASSERT_TRUE(net && in && out);
  EXPECT_TRUE(in_network(*in, *net, 24));
  EXPECT_FALSE(in_network(*out, *net, 24));
  EXPECT_TRUE(in_network(*out, *net, 23));
  EXPECT_TRUE(in_network(*out, *net, 0));
  auto mapped = parse_ip("::ffff:192.0.2.9");
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(mapped->v6);
  EXPECT_TRUE(in_network(*mapped, *net, 24));
  auto v6 = parse_ip("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(in_network(*v6, *net, 0));  // families never match
}

// ---------------------------------------------------------------- macros (§7.4)

std::string expand(std::string_view spec, std::string_view ip = "192.0.2.3", bool explanation = false) {
  spf_macro_context ctx;
  ctx.sender = "strong-bad@email.example.com";
  ctx.domain = "email.example.com";
  ctx.helo = "mx.example.org";
  ctx.receiver = "mx.example.net";
  ctx.ip = *parse_ip(ip);
  ctx.timestamp = 1700000000;
  auto r = expand_macros(spec, ctx, explanation);
  return r ? *r : "ERROR: " + r.error().message;
}

TEST(SpfMacros, Rfc7208Section7_4Examples) {
  EXPECT_EQ(expand("%{s}"), "strong-bad@email.example.com");
  EXPECT_EQ(expand("%{o}"), "email.example.com");
  EXPECT_EQ(expand("%{d}"), "email.example.com");
  EXPECT_EQ(expand("%{d4}"), "email.example.com");
  EXPECT_EQ(expand("%{d3}"), "email.example.com");
  EXPECT_EQ(expand("%{d2}"), "example.com");
  EXPECT_EQ(expand("%{d1}"), "com");
  EXPECT_EQ(expand("%{dr}"), "com.example.email");
  EXPECT_EQ(expand("%{d2r}"), "example.email");
  EXPECT_EQ(expand("%{l}"), "strong-bad");
  EXPECT_EQ(expand("%{l-}"), "strong.bad");
  EXPECT_EQ(expand("%{lr}"), "strong-bad");
  EXPECT_EQ(expand("%{lr-}"), "bad.strong");
  EXPECT_EQ(expand("%{l1r-}"), "strong");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"), "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"), "3.2.0.192.in-addr.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{d2}.trusted-domains.example.net"), "example.com.trusted-domains.example.net");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacros, EscapesAndExplanationLetters) {
  EXPECT_EQ(expand("%{S}"), "strong-bad%40email.example.com");  // §7.3 upper case: URL-escaped
  EXPECT_EQ(expand("a%%b%_c%-d"), "a%b c%20d");
  EXPECT_EQ(expand("%{h}"), "mx.example.org");
  EXPECT_EQ(expand("%{p}"), "unknown");
  EXPECT_EQ(expand("%{c} %{r} %{t}", "192.0.2.3", true), "192.0.2.3 mx.example.net 1700000000");
  // c, r, t only in explanations; 0 is not a transformer; a lone % is an error.
  EXPECT_TRUE(expand("%{c}").starts_with("ERROR"));
  EXPECT_TRUE(expand("%{d0}").starts_with("ERROR"));
  EXPECT_TRUE(expand("50%").starts_with("ERROR"));
  EXPECT_TRUE(expand("%{d").starts_with("ERROR"));
}

TEST(SpfMacros, LongNamesAreTruncatedFromTheLeft) {
  std::string name;
  for (int i = 0; i < 60; ++i) name += "label.";
  name += "example.com";
  const auto t = truncate_domain(name);
  EXPECT_LE(t.size(), 253u);
  EXPECT_TRUE(t.ends_with(".example.com"));
  EXPECT_TRUE(t.starts_with("label."));
}

// ---------------------------------------------------------------- check_host against DNS

std::string spf_zone() {
  std::string z =
      "@ TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
      "ip6 TXT \"v=spf1 ip6:2001:db8::/32 ~all\"\n"
      "a TXT \"v=spf1 a -all\"\n"
      "a A 192.0.2.10\n"
      "acidr TXT \"v=spf1 a:host.spf.test/24 -all\"\n"
      "host A 198.51.100.1\n"
      "mx TXT \"v=spf1 mx -all\"\n"
      "mx MX 10 mail.spf.test.\n"
      "mail A 203.0.113.5\n"
      "inc TXT \"v=spf1 include:spf.test -all\"\n"
      "incnone TXT \"v=spf1 include:nothing.spf.test ip4:192.0.2.0/24 -all\"\n"
      "exists TXT \"v=spf1 exists:%{i}._ip.spf.test -all\"\n"
      "192.0.2.77._ip A 127.0.0.2\n"
      "redir TXT \"v=spf1 redirect=spf.test\"\n"
      "redirall TXT \"v=spf1 ?all redirect=spf.test\"\n"
      "loop TXT \"v=spf1 include:loop.spf.test -all\"\n"
      "redirloop TXT \"v=spf1 redirect=redirloop.spf.test\"\n"
      "voidthree TXT \"v=spf1 a:nx1.spf.test a:nx2.spf.test a:nx3.spf.test ip4:192.0.2.0/24 -all\"\n"
      "voidtwo TXT \"v=spf1 a:nx1.spf.test a:nx2.spf.test ip4:192.0.2.0/24 -all\"\n"
      "two TXT \"v=spf1 -all\"\n"
      "two TXT \"v=spf1 +all\"\n"
      "bad TXT \"v=spf1 foo:bar -all\"\n"
      "neutral TXT \"v=spf1 ?all\"\n"
      "nomatch TXT \"v=spf1 ip4:10.0.0.1\"\n"
      "exp TXT \"v=spf1 -all exp=explain.spf.test\"\n"
      "explain TXT \"%{i} is not one of %{d}'s servers\"\n"
      "ptr TXT \"v=spf1 ptr:spf.test -all\"\n"
      "ptrother TXT \"v=spf1 ptr:other.test -all\"\n"
      "ptrhost A 192.0.2.10\n"
      "helo TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
      "mxmany TXT \"v=spf1 mx -all\"\n"
      "split TXT \"v=spf1 ip4:192.0.2.1\" \" -all\"\n"
      "local TXT \"v=spf1 exists:%{l}.users.spf.test -all\"\n"
      "alice.users A 127.0.0.2\n";
  for (int i = 0; i < 11; ++i) z += "mxmany MX 10 m" + std::to_string(i) + ".spf.test.\n";
  // Eleven DNS-querying terms: the eleventh is over the limit (§4.6.4).
  z += "many TXT \"v=spf1";
  for (int i = 0; i < 11; ++i) z += " a:h" + std::to_string(i) + ".spf.test";
  z += " ip4:192.0.2.0/24 -all\"\n";
  for (int i = 0; i < 11; ++i) z += "h" + std::to_string(i) + " A 198.51.100.9\n";
  z += "ten TXT \"v=spf1";
  for (int i = 0; i < 10; ++i) z += " a:h" + std::to_string(i) + ".spf.test";
  z += " ip4:192.0.2.0/24 -all\"\n";
  return z;
}

class SpfDns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new dns_test_server({{"spf.test", spf_zone(), false},
                                   {"2.0.192.in-addr.arpa", "10 PTR ptrhost.spf.test.\n", false}});
    ASSERT_TRUE(server_->start()) << server_->error();
    dns::options o;
    o.servers = {server_->address()};
    o.timeout = std::chrono::seconds(3);
    auto r = dns::make_resolver(o);
    ASSERT_TRUE(r) << r.error().message;
    resolver_ = r->release();
  }
  static void TearDownTestSuite() {
    delete resolver_;
    delete server_;
    resolver_ = nullptr;
    server_ = nullptr;
  }

  static spf_outcome check(std::string_view ip, std::string_view domain, std::string_view local = "user") {
    const std::string sender = std::string(local) + "@" + std::string(domain);
    return check_host(*resolver_, *parse_ip(ip), domain, sender, "helo.example", spf_options{});
  }

  static inline dns_test_server* server_ = nullptr;
  static inline dns::resolver* resolver_ = nullptr;
};

TEST_F(SpfDns, Ip4AndIp6) {
  EXPECT_EQ(check("192.0.2.1", "spf.test").result, spf_result::pass);
  EXPECT_EQ(check("192.0.3.1", "spf.test").result, spf_result::fail);
  EXPECT_EQ(check("2001:db8::5", "ip6.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("2001:db9::5", "ip6.spf.test").result, spf_result::softfail);
  EXPECT_EQ(check("192.0.2.1", "ip6.spf.test").result, spf_result::softfail);
  EXPECT_EQ(check("192.0.2.1", "split.spf.test").result, spf_result::pass);  // §3.3 strings joined
}

TEST_F(SpfDns, AAndMx) {
  EXPECT_EQ(check("192.0.2.10", "a.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("192.0.2.11", "a.spf.test").result, spf_result::fail);
  EXPECT_EQ(check("198.51.100.200", "acidr.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("198.51.101.1", "acidr.spf.test").result, spf_result::fail);
  EXPECT_EQ(check("203.0.113.5", "mx.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("203.0.113.6", "mx.spf.test").result, spf_result::fail);
  // §4.6.4: more than 10 MX names is a permerror.
  EXPECT_EQ(check("203.0.113.5", "mxmany.spf.test").result, spf_result::permerror);
}

TEST_F(SpfDns, IncludeExistsAndPtr) {
  EXPECT_EQ(check("192.0.2.1", "inc.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("192.0.3.1", "inc.spf.test").result, spf_result::fail);
  // §5.2: an include target without a record is a permerror.
  EXPECT_EQ(check("192.0.2.1", "incnone.spf.test").result, spf_result::permerror);
  EXPECT_EQ(check("192.0.2.77", "exists.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("192.0.2.78", "exists.spf.test").result, spf_result::fail);
  EXPECT_EQ(check("192.0.2.10", "local.spf.test", "alice").result, spf_result::pass);
  EXPECT_EQ(check("192.0.2.10", "local.spf.test", "mallory").result, spf_result::fail);
  // ptr: 192.0.2.10 has PTR ptrhost.spf.test, which has A 192.0.2.10.
  EXPECT_EQ(check("192.0.2.10", "ptr.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("192.0.2.10", "ptrother.spf.test").result, spf_result::fail);
  EXPECT_EQ(check("192.0.2.11", "ptr.spf.test").result, spf_result::fail);
}

TEST_F(SpfDns, RedirectAndExp) {
  EXPECT_EQ(check("192.0.2.1", "redir.spf.test").result, spf_result::pass);
  EXPECT_EQ(check("192.0.3.1", "redir.spf.test").result, spf_result::fail);
  // §6.1: redirect is ignored when the record has "all".
  EXPECT_EQ(check("192.0.3.1", "redirall.spf.test").result, spf_result::neutral);
  auto e = check("192.0.3.1", "exp.spf.test");
  EXPECT_EQ(e.result, spf_result::fail);
  EXPECT_EQ(e.explanation, "192.0.3.1 is not one of exp.spf.test's servers");
}

TEST_F(SpfDns, Loops) {
  auto i = check("192.0.2.1", "loop.spf.test");
  EXPECT_EQ(i.result, spf_result::permerror);
  EXPECT_EQ(i.dns_terms, 11u);
  EXPECT_EQ(check("192.0.2.1", "redirloop.spf.test").result, spf_result::permerror);
}

TEST_F(SpfDns, LookupLimits) {
  EXPECT_EQ(check("192.0.2.1", "ten.spf.test").result, spf_result::pass);
  auto many = check("192.0.2.1", "many.spf.test");
  EXPECT_EQ(many.result, spf_result::permerror);
  EXPECT_NE(many.reason.find("too many DNS lookups"), std::string::npos);
  EXPECT_EQ(check("192.0.2.1", "voidtwo.spf.test").result, spf_result::pass);
  auto voids = check("192.0.2.1", "voidthree.spf.test");
  EXPECT_EQ(voids.result, spf_result::permerror);
  EXPECT_NE(voids.reason.find("void"), std::string::npos);
}

TEST_F(SpfDns, NoneNeutralAndErrors) {
  EXPECT_EQ(check("192.0.2.1", "norecord.spf.test").result, spf_result::none);
  EXPECT_EQ(check("192.0.2.1", "neutral.spf.test").result, spf_result::neutral);
  EXPECT_EQ(check("192.0.2.1", "nomatch.spf.test").result, spf_result::neutral);
  EXPECT_EQ(check("192.0.2.1", "two.spf.test").result, spf_result::permerror);
  EXPECT_EQ(check("192.0.2.1", "bad.spf.test").result, spf_result::permerror);
  EXPECT_EQ(check("192.0.2.1", "localhostonly").result, spf_result::none);  // §4.3: not a FQDN
  // A zone the server does not serve answers REFUSED: a temporary error.
  EXPECT_EQ(check("192.0.2.1", "unserved.example").result, spf_result::temperror);
}

TEST_F(SpfDns, IdentityChoice) {
  auto m = verify_spf(*resolver_, "192.0.2.1", "alice@spf.test", "whatever.example");
  EXPECT_EQ(m.result, spf_result::pass);
  EXPECT_EQ(m.identity, "mailfrom");
  EXPECT_EQ(format_result(m).substr(0, 8), "spf=pass");
  EXPECT_NE(format_result(m).find("smtp.mailfrom=alice@spf.test"), std::string::npos);
  // §2.3: a null reverse-path checks postmaster@HELO.
  auto h = verify_spf(*resolver_, "192.0.3.1", "", "helo.spf.test");
  EXPECT_EQ(h.result, spf_result::fail);
  EXPECT_EQ(h.identity, "helo");
  EXPECT_EQ(h.sender, "postmaster@helo.spf.test");
  EXPECT_NE(format_result(h).find("smtp.helo=helo.spf.test"), std::string::npos);
  EXPECT_EQ(verify_spf(*resolver_, "192.0.2.1", "", "[192.0.2.1]").result, spf_result::none);
}

}  // namespace
}  // namespace letterhead::mailauth
