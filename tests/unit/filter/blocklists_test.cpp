// DNS blocklists: name building (RFC 5782 §2.1, §2.4), what counts as a listing,
// link extraction, and the rule sources against a real Knot DNS server on loopback.
#include "filter/blocklists.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "../dns/dns_server.hpp"
#include "mime/parser.hpp"

namespace letterhead::filter {
namespace {

TEST(Blocklists, ReversedAddresses) {
  EXPECT_EQ(reversed_ip("192.0.2.99"), "99.2.0.192");
  EXPECT_EQ(reversed_ip("127.0.0.2"), "2.0.0.127");
  // RFC 5782 §2.4's example.
  EXPECT_EQ(reversed_ip("2001:db8:1:2:3:4:567:89ab"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2");
  EXPECT_FALSE(reversed_ip("not an ip"));
  EXPECT_FALSE(reversed_ip(""));
}

TEST(Blocklists, WhatIsAListing) {
  EXPECT_TRUE(is_listing("127.0.0.2"));
  EXPECT_TRUE(is_listing("127.0.0.10"));
  EXPECT_FALSE(is_listing("127.0.0.1"));        // RFC 5782 §5: never a listing
  EXPECT_FALSE(is_listing("127.255.255.254"));  // "you queried through a public resolver"
  EXPECT_FALSE(is_listing("192.0.2.1"));        // a wildcarded or hijacked answer
  EXPECT_FALSE(is_listing("::1"));
}

TEST(Blocklists, LinkHosts) {
  const auto hosts = link_hosts(
      "Click HTTPS://Evil.Example/login?x=1 or <a href=\"http://user:pw@shop.evil.example:8080/x\">here</a>, "
      "www.other.example. Not http://192.0.2.1/ nor http://localhost/, again https://evil.example/",
      10);
  const std::vector<std::string> want{"evil.example", "shop.evil.example", "www.other.example"};
  EXPECT_EQ(hosts, want);
  EXPECT_EQ(link_hosts("http://a.example http://b.example http://c.example", 2).size(), 2u);
  EXPECT_TRUE(link_hosts(std::string(100000, 'h'), 10).empty());
}

// The scan jumps between ':' and '.': links at either end of the text, a "www."
// glued to a word, schemes without "//", and long runs of the bytes it stops at.
TEST(Blocklists, LinkHostsAtTheEdges) {
  EXPECT_EQ(link_hosts("WWW.Start.Example/x and xwww.glued.example, http:/one.example, "
                       "ftp://two.example, 1.5 https://", 10),
            (std::vector<std::string>{"www.start.example"}));
  EXPECT_EQ(link_hosts("see:http://end.example", 10), (std::vector<std::string>{"end.example"}));
  EXPECT_EQ(link_hosts("mail www.a.example.www.b.example", 10), (std::vector<std::string>{"www.a.example.www.b.example"}));
  EXPECT_TRUE(link_hosts(std::string(100000, '.'), 10).empty());
  EXPECT_TRUE(link_hosts(std::string(100000, ':'), 10).empty());
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "w.:";
  EXPECT_TRUE(link_hosts(many, 10).empty());
}

TEST(Blocklists, UriblCandidates) {
  EXPECT_EQ(uribl_candidates("a.b.evil.example"), (std::vector<std::string>{"a.b.evil.example", "evil.example"}));
  EXPECT_EQ(uribl_candidates("www.evil.example"), (std::vector<std::string>{"evil.example"}));
  EXPECT_EQ(uribl_candidates("evil.example"), (std::vector<std::string>{"evil.example"}));
  EXPECT_TRUE(uribl_candidates("localhost").empty());
}

TEST(Blocklists, AgainstARealDnsServer) {
  test::dns_test_server dns({
      {"dnsbl.test", "2.0.0.127 A 127.0.0.2\n"
                     "99.2.0.192 A 127.0.0.4\n"
                     "98.2.0.192 A 127.255.255.254\n"},
      {"uribl.test", "evil.example A 127.0.0.2\n"},
  });
  ASSERT_TRUE(dns.start()) << dns.error();
  dns::options o;
  o.servers = {dns.address()};
  o.timeout = std::chrono::milliseconds(3000);
  auto resolver = dns::make_resolver(o);
  ASSERT_TRUE(resolver) << resolver.error().message;

  const std::string message =
      "From: a@example.org\r\nSubject: s\r\nContent-Type: text/html\r\n\r\n"
      "<a href=\"https://www.evil.example/x\">x</a> <a href=\"http://fine.example/\">y</a>\r\n";
  const auto parsed = mime::parse(message);
  auto dnsbl = make_dnsbl_rules(**resolver, {"dnsbl.test", "missing.test"});
  auto uribl = make_uribl_rules(**resolver, {"uribl.test"}, 10);

  auto run = [&](rule_source& s, std::string ip) {
    message_input in;
    in.bytes = message;
    in.parsed = &parsed;
    in.client_ip = std::move(ip);
    std::vector<finding> out;
    s.evaluate(in, out);
    return out;
  };
  auto listed = run(*dnsbl, "192.0.2.99");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].rule, "RCVD_IN_DNSBL");
  EXPECT_EQ(listed[0].detail, "dnsbl.test:192.0.2.99=127.0.0.4");
  EXPECT_EQ(run(*dnsbl, "127.0.0.2").size(), 1u);
  EXPECT_TRUE(run(*dnsbl, "192.0.2.98").empty());  // an error code, not a listing
  EXPECT_TRUE(run(*dnsbl, "192.0.2.1").empty());   // NXDOMAIN
  EXPECT_TRUE(run(*dnsbl, "").empty());

  auto uris = run(*uribl, "192.0.2.1");
  ASSERT_EQ(uris.size(), 1u);
  EXPECT_EQ(uris[0].rule, "URIBL_LISTED");
  EXPECT_EQ(uris[0].detail, "uribl.test:evil.example=127.0.0.2");
}

mailauth::public_suffix_list debian_psl() {
  auto psl = mailauth::public_suffix_list::load(std::string(mailauth::default_public_suffix_file));
  EXPECT_TRUE(psl) << "Debian's publicsuffix package";
  return psl ? std::move(*psl) : mailauth::public_suffix_list::parse("");
}

// The organisational domain, not the last two labels: "co.uk" or "com.cn" names
// everybody under them.
TEST(Blocklists, UriblCandidatesUseThePublicSuffixList) {
  const auto psl = debian_psl();
  EXPECT_EQ(uribl_candidates("a.b.evil.co.uk", &psl), (std::vector<std::string>{"a.b.evil.co.uk", "evil.co.uk"}));
  EXPECT_EQ(uribl_candidates("www.evil.com.cn", &psl), (std::vector<std::string>{"evil.com.cn"}));
  EXPECT_EQ(uribl_candidates("x.evil.example", &psl), (std::vector<std::string>{"x.evil.example", "evil.example"}));
  EXPECT_TRUE(uribl_candidates("co.uk", &psl).empty());
  EXPECT_TRUE(uribl_candidates("localhost", &psl).empty());
  // Without the list: the old two-label guess, which asks about "co.uk".
  EXPECT_EQ(uribl_candidates("a.evil.co.uk"), (std::vector<std::string>{"a.evil.co.uk", "co.uk"}));
}

TEST(Blocklists, UriblUnderMultiLabelSuffixesAgainstARealDnsServer) {
  test::dns_test_server dns({
      {"uribl.test", "evil.co.uk A 127.0.0.2\n"
                     "evil.com.cn A 127.0.0.3\n"},
  });
  ASSERT_TRUE(dns.start()) << dns.error();
  dns::options o;
  o.servers = {dns.address()};
  o.timeout = std::chrono::milliseconds(3000);
  auto resolver = dns::make_resolver(o);
  ASSERT_TRUE(resolver) << resolver.error().message;
  const auto psl = debian_psl();

  const auto judge = [&](const std::string& body, const mailauth::public_suffix_list* list) {
    const std::string message = "From: a@example.org\r\nSubject: s\r\n\r\n" + body + "\r\n";
    const auto parsed = mime::parse(message);
    auto uribl = make_uribl_rules(**resolver, {"uribl.test"}, 10, list);
    message_input in;
    in.bytes = message;
    in.parsed = &parsed;
    std::vector<finding> out;
    uribl->evaluate(in, out);
    return out;
  };
  auto uk = judge("see https://login.a.evil.co.uk/x", &psl);
  ASSERT_EQ(uk.size(), 1u);
  EXPECT_EQ(uk[0].detail, "uribl.test:evil.co.uk=127.0.0.2");
  auto cn = judge("see http://www.evil.com.cn/", &psl);
  ASSERT_EQ(cn.size(), 1u);
  EXPECT_EQ(cn[0].detail, "uribl.test:evil.com.cn=127.0.0.3");
  EXPECT_TRUE(judge("see https://login.a.evil.co.uk/x", nullptr).empty());  // asked "co.uk"
}

}  // namespace
}  // namespace letterhead::filter
