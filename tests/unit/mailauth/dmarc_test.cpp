// DMARC (RFC 7489): the organisational domain from Debian's Public Suffix List,
// record parsing, alignment, discovery at the From domain then the organisational
// domain (sp=), pct= sampling with an injected draw, and the author domain rules of
// §6.6.1; records served by a real DNS server (Knot on loopback).
#include "mailauth/dmarc.hpp"

#include <gtest/gtest.h>

#include "../dns/dns_server.hpp"
#include "mailauth/authentication_results.hpp"
#include "mailauth/dns_txt.hpp"

namespace letterhead::mailauth {
namespace {

using test::dns_test_server;

const public_suffix_list& psl() {
  static const public_suffix_list list = [] {
    auto l = public_suffix_list::load(std::string(default_public_suffix_file));
    if (!l) std::abort();
    return std::move(*l);
  }();
  return list;
}

TEST(PublicSuffix, OrganisationalDomains) {
  EXPECT_GT(psl().size(), 5000u);
  EXPECT_EQ(psl().organizational_domain("mail.example.com"), "example.com");
  EXPECT_EQ(psl().organizational_domain("example.com"), "example.com");
  EXPECT_EQ(psl().organizational_domain("a.b.example.com.cn"), "example.com.cn");
  EXPECT_EQ(psl().organizational_domain("Mail.Example.CO.UK."), "example.co.uk");
  EXPECT_EQ(psl().organizational_domain("com.cn"), "com.cn");  // a public suffix itself
  // Wildcard "*.ck" and exception "!www.ck".
  EXPECT_EQ(psl().public_suffix("a.b.c.ck"), "c.ck");
  EXPECT_EQ(psl().organizational_domain("a.b.c.ck"), "b.c.ck");
  EXPECT_EQ(psl().organizational_domain("foo.www.ck"), "www.ck");
  // Not in the list: the default rule "*".
  EXPECT_EQ(psl().organizational_domain("x.y.unlisted-tld"), "y.unlisted-tld");
  // Unicode rules are stored as A-labels: "公司.cn" is xn--55qx5d.cn.
  EXPECT_EQ(psl().organizational_domain("mail.example.xn--55qx5d.cn"), "example.xn--55qx5d.cn");
}

TEST(PublicSuffix, ParsesRules) {
  const auto l = public_suffix_list::parse("// comment\n\ntest\n*.wild.test\n!keep.wild.test\nco.test  trailing\n");
  EXPECT_EQ(l.organizational_domain("a.b.test"), "b.test");
  EXPECT_EQ(l.organizational_domain("a.b.co.test"), "b.co.test");
  EXPECT_EQ(l.organizational_domain("a.b.x.wild.test"), "b.x.wild.test");
  EXPECT_EQ(l.organizational_domain("a.keep.wild.test"), "keep.wild.test");
}

TEST(DmarcRecord, Parses) {
  auto r = parse_dmarc_record("v=DMARC1; p=reject; sp=quarantine; pct=20; adkim=s; aspf=r; rua=mailto:x@example.com");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->p, dmarc_policy::reject);
  EXPECT_EQ(r->sp, dmarc_policy::quarantine);
  EXPECT_EQ(r->pct, 20u);
  EXPECT_TRUE(r->adkim_strict);
  EXPECT_FALSE(r->aspf_strict);
  EXPECT_FALSE(parse_dmarc_record("p=reject; v=DMARC1"));  // v= must come first
  EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=bogus"));
  auto rua_only = parse_dmarc_record("v=DMARC1; rua=mailto:d@example.com");  // §6.6.3 step 6
  ASSERT_TRUE(rua_only);
  EXPECT_EQ(rua_only->p, dmarc_policy::none);
  auto bad_pct = parse_dmarc_record("v=DMARC1; p=none; pct=500");
  ASSERT_TRUE(bad_pct);
  EXPECT_EQ(bad_pct->pct, 100u);
}

TEST(DmarcAlignment, RelaxedAndStrict) {
  EXPECT_TRUE(aligned(psl(), "mail.example.com", "example.com", false));
  EXPECT_FALSE(aligned(psl(), "mail.example.com", "example.com", true));
  EXPECT_TRUE(aligned(psl(), "EXAMPLE.com", "example.COM", true));
  EXPECT_FALSE(aligned(psl(), "example.com.cn", "other.com.cn", false));
  EXPECT_FALSE(aligned(psl(), "a.b.c.ck", "x.c.ck", false));  // b.c.ck vs x.c.ck
}

TEST(DmarcAuthor, FromRules) {
  auto one = find_author_domain("From: Alice <alice@Example.COM>\r\nTo: b@x.test\r\n\r\nbody\r\n");
  EXPECT_EQ(one.result, author_domain::status::ok);
  EXPECT_EQ(one.domain, "example.com");
  auto same = find_author_domain("From: a@example.com, b@example.com\r\n\r\n");
  EXPECT_EQ(same.result, author_domain::status::ok);
  EXPECT_EQ(find_author_domain("From: a@example.com, b@example.org\r\n\r\n").result, author_domain::status::several);
  EXPECT_EQ(find_author_domain("From: a@example.com\r\nFrom: a@example.com\r\n\r\n").result,
            author_domain::status::several);
  EXPECT_EQ(find_author_domain("To: a@example.com\r\n\r\n").result, author_domain::status::none_found);
  EXPECT_EQ(find_author_domain("From: undisclosed:;\r\n\r\n").result, author_domain::status::none_found);
}

TEST(DmarcAuthor, OnlyTheHeaderSectionCounts) {
  // A From line in the body, however the lines end, is not a second author.
  for (const std::string nl : {"\r\n", "\n"}) {
    const auto m = "From: a@example.com" + nl + "To: b@x.test" + nl + nl + "From: c@evil.test" + nl;
    const auto r = find_author_domain(m);
    EXPECT_EQ(r.result, author_domain::status::ok) << nl.size();
    EXPECT_EQ(r.domain, "example.com");
  }
  // Mixed line ends in the header: the empty line still ends it.
  EXPECT_EQ(find_author_domain("To: b@x.test\nFrom: a@example.com\r\n\nFrom: c@evil.test\r\n").domain, "example.com");
  EXPECT_EQ(find_author_domain("To: b@x.test\r\n\r\nFrom: a@example.com\r\n").result,
            author_domain::status::none_found);
  // No header section at all, and no empty line at all.
  EXPECT_EQ(find_author_domain("\r\nFrom: a@example.com\r\n").result, author_domain::status::none_found);
  EXPECT_EQ(find_author_domain("\nFrom: a@example.com\n").result, author_domain::status::none_found);
  EXPECT_EQ(find_author_domain("From: a@example.com\r\nTo: b@x.test\r\n").domain, "example.com");
}

class DmarcDns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new dns_test_server({
        {"example.com",
         "_dmarc TXT \"v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com\"\n"
         "_dmarc.own TXT \"v=DMARC1; p=none\"\n",
         false},
        {"strict.test", "_dmarc TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n", false},
        {"pct.test", "_dmarc TXT \"v=DMARC1; p=reject; pct=30\"\n", false},
        {"quarantine.test", "_dmarc TXT \"v=DMARC1; p=quarantine; pct=50\"\n", false},
        {"two.test", "_dmarc TXT \"v=DMARC1; p=reject\"\n_dmarc TXT \"v=DMARC1; p=none\"\n", false},
        {"none.test", "_dmarc TXT \"not dmarc\"\n", false},
        {"broken.test", "_dmarc TXT \"v=DMARC1; p=whatever\"\n", false},
    });
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
  }

  static dmarc_outcome evaluate(std::string from, spf_result spf, std::string spf_domain,
                                std::vector<std::string> dkim, unsigned draw = 0) {
    dmarc_input in;
    in.from_domain = std::move(from);
    in.spf = spf;
    in.spf_domain = std::move(spf_domain);
    in.dkim_pass_domains = std::move(dkim);
    dmarc_options o;
    o.percent = [draw] { return draw; };
    return evaluate_dmarc(dns_txt_lookup(*resolver_), psl(), in, o);
  }

  static inline dns_test_server* server_ = nullptr;
  static inline dns::resolver* resolver_ = nullptr;
};

TEST_F(DmarcDns, PassByAlignedSpfOrDkim) {
  auto spf = evaluate("example.com", spf_result::pass, "bounces.example.com", {});
  EXPECT_EQ(spf.result, dmarc_result::pass);
  EXPECT_TRUE(spf.spf_aligned);
  EXPECT_EQ(spf.disposition, dmarc_policy::none);
  auto dkim = evaluate("example.com", spf_result::fail, "example.com", {"other.org", "mail.example.com"});
  EXPECT_EQ(dkim.result, dmarc_result::pass);
  EXPECT_TRUE(dkim.dkim_aligned);
  EXPECT_FALSE(dkim.spf_aligned);
  EXPECT_NE(format_result(dkim).find("dmarc=pass (p=reject dis=none) header.from=example.com"), std::string::npos);
}

TEST_F(DmarcDns, FailAppliesPolicy) {
  auto f = evaluate("example.com", spf_result::pass, "evil.test", {"evil.test"});
  EXPECT_EQ(f.result, dmarc_result::fail);
  EXPECT_EQ(f.policy, dmarc_policy::reject);
  EXPECT_EQ(f.disposition, dmarc_policy::reject);
  EXPECT_EQ(f.record_domain, "example.com");
}

TEST_F(DmarcDns, SubdomainUsesOrganisationalRecordAndSp) {
  // No _dmarc.news.example.com: _dmarc.example.com applies, with sp=quarantine.
  auto sub = evaluate("news.example.com", spf_result::none, "", {});
  EXPECT_EQ(sub.result, dmarc_result::fail);
  EXPECT_EQ(sub.record_domain, "example.com");
  EXPECT_EQ(sub.policy, dmarc_policy::quarantine);
  // A subdomain with its own record uses its p=.
  auto own = evaluate("own.example.com", spf_result::none, "", {});
  EXPECT_EQ(own.record_domain, "own.example.com");
  EXPECT_EQ(own.policy, dmarc_policy::none);
  // Relaxed alignment across the organisational domain.
  EXPECT_EQ(evaluate("news.example.com", spf_result::none, "", {"example.com"}).result, dmarc_result::pass);
}

TEST_F(DmarcDns, StrictAlignment) {
  EXPECT_EQ(evaluate("strict.test", spf_result::pass, "mail.strict.test", {"dk.strict.test"}).result,
            dmarc_result::fail);
  EXPECT_EQ(evaluate("strict.test", spf_result::none, "", {"strict.test"}).result, dmarc_result::pass);
}

TEST_F(DmarcDns, PctSampling) {
  // pct=30: draws below 30 get the policy, the rest the next one down (§6.6.4).
  EXPECT_EQ(evaluate("pct.test", spf_result::fail, "pct.test", {}, 29).disposition, dmarc_policy::reject);
  EXPECT_EQ(evaluate("pct.test", spf_result::fail, "pct.test", {}, 30).disposition, dmarc_policy::quarantine);
  EXPECT_EQ(evaluate("quarantine.test", spf_result::fail, "x", {}, 10).disposition, dmarc_policy::quarantine);
  EXPECT_EQ(evaluate("quarantine.test", spf_result::fail, "x", {}, 60).disposition, dmarc_policy::none);
}

TEST_F(DmarcDns, NoRecordSeveralRecordsAndErrors) {
  EXPECT_EQ(evaluate("none.test", spf_result::fail, "x", {}).result, dmarc_result::none);
  EXPECT_EQ(evaluate("two.test", spf_result::fail, "x", {}).result, dmarc_result::none);  // §6.6.3 step 5
  EXPECT_EQ(evaluate("broken.test", spf_result::fail, "x", {}).result, dmarc_result::permerror);
  // REFUSED by the server (no such zone): a temporary failure, never a verdict.
  EXPECT_EQ(evaluate("unserved.example", spf_result::fail, "x", {}).result, dmarc_result::temperror);
}

TEST(AuthenticationResults, BuildsAndRemovesForgedFields) {
  const auto h = make_authentication_results("mx.example.com", {"spf=pass smtp.mailfrom=a@b.test", "dkim=none"});
  EXPECT_EQ(h, "Authentication-Results: mx.example.com;\r\n\tspf=pass smtp.mailfrom=a@b.test;\r\n\tdkim=none\r\n");
  EXPECT_EQ(make_authentication_results("mx.example.com", {}), "Authentication-Results: mx.example.com; none\r\n");
  EXPECT_EQ(authserv_id_of(" (comment (nested)) MX.Example.com 1; spf=pass"), "mx.example.com");
  EXPECT_EQ(authserv_id_of(" \"mx.example.com\"; none"), "mx.example.com");
  std::string msg =
      "Received: from x\r\n"
      "Authentication-Results: mx.example.com; dkim=pass\r\n"
      "Authentication-Results: other.example; spf=pass\r\n"
      "authentication-results:  MX.EXAMPLE.COM;\r\n\tdmarc=pass\r\n"
      "Subject: hi\r\n\r\nAuthentication-Results: mx.example.com; in the body\r\n";
  EXPECT_EQ(remove_authentication_results(msg, "mx.example.com"), 2u);
  EXPECT_EQ(msg,
            "Received: from x\r\n"
            "Authentication-Results: other.example; spf=pass\r\n"
            "Subject: hi\r\n\r\nAuthentication-Results: mx.example.com; in the body\r\n");
}

}  // namespace
}  // namespace letterhead::mailauth
