// The libunbound resolver against a real authoritative server (Knot DNS, started by
// dns_server.hpp on a loopback port) with signed and unsigned zones; never against
// the machine's resolv.conf.
#include "dns/resolver.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "dns_server.hpp"

namespace letterhead::dns {
namespace {

using test::dns_test_server;
using test::dns_test_zone;

const std::string tlsa_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::vector<dns_test_zone> test_zones() {
  return {
      {"example.test",
       "@ MX 10 mx1\n"
       "@ MX 10 mx2\n"
       "@ MX 20 MX3.Example.Test.\n"
       "mx1 A 192.0.2.1\n"
       "mx2 A 192.0.2.2\n"
       "mx2 AAAA 2001:db8::2\n"
       "@ TXT \"v=spf1 \" \"ip4:192.0.2.0/24\" \" -all\"\n"
       "@ TXT \"second record\"\n"
       "_25._tcp.mx1 TLSA 3 1 1 " + tlsa_hex + "\n"
       "nullmx MX 0 .\n"
       "implicit A 192.0.2.7\n"
       "implicit AAAA 2001:db8::7\n"
       "v6only AAAA 2001:db8::8\n"
       "nomail TXT \"no mail here\"\n"
       "alias CNAME mx2\n"
       "odd MX 5 Caps\\.Dot.example.test.\n",
       true},
      {"unsigned.test",
       "@ MX 10 mx.unsigned.test.\n"
       "mx A 192.0.2.9\n",
       false},
      {"2.0.192.in-addr.arpa",
       "1 PTR mx1.example.test.\n"
       "7 PTR implicit.example.test.\n"
       "7 PTR other.example.test.\n",
       false},
      {"8.b.d.0.1.0.0.2.ip6.arpa",
       "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR implicit.example.test.\n",
       false},
  };
}

class resolver_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new dns_test_server(test_zones());
    if (!server_->start()) {
      start_error_ = server_->error();
      return;
    }
    auto r = make_resolver(
        options{{server_->address()}, server_->trust_anchor_file(), std::chrono::seconds(5)});
    if (!r) {
      start_error_ = r.error().message;
      return;
    }
    resolver_ = r->release();
  }
  static void TearDownTestSuite() {
    delete resolver_;
    resolver_ = nullptr;
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(resolver_ != nullptr) << start_error_; }

  static resolver& r() { return *resolver_; }

  static dns_test_server* server_;
  static resolver* resolver_;
  static std::string start_error_;
};

dns_test_server* resolver_test::server_ = nullptr;
resolver* resolver_test::resolver_ = nullptr;
std::string resolver_test::start_error_;

TEST_F(resolver_test, mx_sorted_by_preference_with_ties_shuffled) {
  std::set<std::string> firsts;
  for (int i = 0; i < 40; ++i) {
    auto a = r().mx("example.test");
    ASSERT_EQ(a.result, status::ok) << a.why;
    EXPECT_TRUE(a.secure);
    ASSERT_EQ(a.records.size(), 3u);
    EXPECT_EQ(a.records[0].preference, 10);
    EXPECT_EQ(a.records[1].preference, 10);
    EXPECT_EQ(a.records[2].preference, 20);
    EXPECT_EQ(a.records[2].host, "mx3.example.test");  // lower-cased
    firsts.insert(a.records[0].host);
  }
  EXPECT_EQ(firsts, (std::set<std::string>{"mx1.example.test", "mx2.example.test"}));
}

TEST_F(resolver_test, trailing_dot_and_case_do_not_matter) {
  auto a = r().mx("EXAMPLE.test.");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_EQ(a.records.size(), 3u);
}

TEST_F(resolver_test, odd_bytes_in_names_are_escaped) {
  auto a = r().mx("odd.example.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].host, "caps\\046dot.example.test");
  // Such a name cannot be asked for: it is refused before reaching the network.
  EXPECT_EQ(r().addresses(a.records[0].host).result, status::nxdomain);
}

TEST_F(resolver_test, nxdomain_and_nodata) {
  auto nx = r().mx("nope.example.test");
  EXPECT_EQ(nx.result, status::nxdomain);
  EXPECT_TRUE(nx.secure);  // proven by NSEC
  auto nodata = r().mx("mx1.example.test");
  EXPECT_EQ(nodata.result, status::nodata);
  EXPECT_EQ(nodata.why, "no MX records");
  EXPECT_TRUE(nodata.secure);
}

TEST_F(resolver_test, addresses_a_and_aaaa) {
  auto a = r().addresses("mx2.example.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_TRUE(a.secure);
  EXPECT_EQ(a.records, (std::vector<std::string>{"192.0.2.2", "2001:db8::2"}));
  auto v6 = r().addresses("v6only.example.test");
  ASSERT_EQ(v6.result, status::ok) << v6.why;
  EXPECT_EQ(v6.records, (std::vector<std::string>{"2001:db8::8"}));
  auto none = r().addresses("nomail.example.test");
  EXPECT_EQ(none.result, status::nodata);
  EXPECT_EQ(r().addresses("nope.example.test").result, status::nxdomain);
}

TEST_F(resolver_test, ipv4_many_answers_each_name_in_order) {
  const std::vector<std::string> names{"mx2.example.test", "nope.example.test", "v6only.example.test",
                                       "empty..label.example.test", "mx1.example.test"};
  const auto a = r().ipv4_many(names);
  ASSERT_EQ(a.size(), names.size());
  EXPECT_EQ(a[0].result, status::ok) << a[0].why;
  EXPECT_EQ(a[0].records, (std::vector<std::string>{"192.0.2.2"}));  // A only
  EXPECT_EQ(a[1].result, status::nxdomain);
  EXPECT_EQ(a[2].result, status::nodata);  // has AAAA only
  EXPECT_EQ(a[3].result, status::nxdomain);  // refused before the network
  EXPECT_EQ(a[4].records, (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_TRUE(r().ipv4_many({}).empty());
}

TEST_F(resolver_test, cname_is_followed) {
  auto a = r().addresses("alias.example.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_EQ(a.records, (std::vector<std::string>{"192.0.2.2", "2001:db8::2"}));
}

TEST_F(resolver_test, txt_strings_are_concatenated_per_record) {
  auto a = r().txt("example.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_TRUE(a.secure);
  std::vector<std::string> got = a.records;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"second record", "v=spf1 ip4:192.0.2.0/24 -all"}));
}

TEST_F(resolver_test, tlsa) {
  auto a = r().tlsa("_25._tcp.mx1.example.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_TRUE(a.secure);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].usage, 3);
  EXPECT_EQ(a.records[0].selector, 1);
  EXPECT_EQ(a.records[0].matching_type, 1);
  EXPECT_EQ(a.records[0].data, unhex(tlsa_hex));
  EXPECT_EQ(r().tlsa("_25._tcp.mx2.example.test").result, status::nxdomain);
}

TEST_F(resolver_test, ptr_ipv4_and_ipv6) {
  auto a = r().ptr("192.0.2.1");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_FALSE(a.secure);  // the reverse zone is not signed
  EXPECT_EQ(a.records, (std::vector<std::string>{"mx1.example.test"}));
  auto two = r().ptr("192.0.2.7");
  ASSERT_EQ(two.result, status::ok) << two.why;
  std::sort(two.records.begin(), two.records.end());
  EXPECT_EQ(two.records, (std::vector<std::string>{"implicit.example.test", "other.example.test"}));
  auto mapped = r().ptr("::ffff:192.0.2.1");
  ASSERT_EQ(mapped.result, status::ok) << mapped.why;
  EXPECT_EQ(mapped.records, (std::vector<std::string>{"mx1.example.test"}));
  auto v6 = r().ptr("2001:db8::7");
  ASSERT_EQ(v6.result, status::ok) << v6.why;
  EXPECT_EQ(v6.records, (std::vector<std::string>{"implicit.example.test"}));
  EXPECT_EQ(r().ptr("192.0.2.99").result, status::nxdomain);
  auto bad = r().ptr("not an ip");
  EXPECT_EQ(bad.result, status::nxdomain);
  EXPECT_EQ(bad.why, "not an IP address");
}

TEST_F(resolver_test, unsigned_zone_is_not_secure) {
  auto a = r().mx("unsigned.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_FALSE(a.secure);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].host, "mx.unsigned.test");
}

TEST_F(resolver_test, refused_by_the_server_is_temporary) {
  auto a = r().mx("not-served.example");
  EXPECT_EQ(a.result, status::temporary);
  EXPECT_EQ(a.why, "SERVFAIL");
}

TEST_F(resolver_test, invalid_names_never_reach_the_network) {
  for (std::string bad : {std::string(), std::string("."), std::string("a..b"), std::string("sp ace.test"),
                          std::string("back\\slash.test"), std::string("semi;colon.test"),
                          "toolong" + std::string(60, 'x') + ".test"}) {
    auto a = r().txt(bad);
    EXPECT_EQ(a.result, status::nxdomain) << bad;
    EXPECT_EQ(a.why, "invalid domain name") << bad;
  }
}

TEST_F(resolver_test, mail_exchangers_by_preference) {
  auto a = mail_exchangers(r(), "example.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_TRUE(a.secure);
  ASSERT_EQ(a.records.size(), 3u);
  EXPECT_EQ(a.records[2].host, "mx3.example.test");
}

TEST_F(resolver_test, mail_exchangers_null_mx) {
  auto a = mail_exchangers(r(), "nullmx.example.test");
  EXPECT_EQ(a.result, status::nodata);
  EXPECT_EQ(a.why, "null MX");
  EXPECT_TRUE(a.records.empty());
  EXPECT_TRUE(a.secure);
  auto raw = r().mx("nullmx.example.test");
  ASSERT_EQ(raw.records.size(), 1u);
  EXPECT_EQ(raw.records[0].host, "");
}

TEST_F(resolver_test, mail_exchangers_implicit_mx) {
  auto a = mail_exchangers(r(), "Implicit.Example.Test.");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_TRUE(a.secure);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].preference, 0);
  EXPECT_EQ(a.records[0].host, "implicit.example.test");
  auto none = mail_exchangers(r(), "nomail.example.test");
  EXPECT_EQ(none.result, status::nodata);
  EXPECT_EQ(none.why, "no MX, A or AAAA records");
}

TEST_F(resolver_test, mail_exchangers_nxdomain_and_failure_pass_through) {
  EXPECT_EQ(mail_exchangers(r(), "nope.example.test").result, status::nxdomain);
  EXPECT_EQ(mail_exchangers(r(), "not-served.example").result, status::temporary);
}

TEST_F(resolver_test, many_threads_share_one_resolver) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        switch ((t + i) % 4) {
          case 0: wrong += r().mx("example.test").records.size() != 3; break;
          case 1:
            wrong += r().addresses("mx1.example.test").records != std::vector<std::string>{"192.0.2.1"};
            break;
          case 2: wrong += r().txt("example.test").records.size() != 2; break;
          case 3: wrong += r().mx("nope.example.test").result != status::nxdomain; break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, 0);
}

// Deadlines as short as an answer's round trip: each query is either answered or
// cancelled while libunbound may be delivering it (ASan/LSan and TSan check the
// ticket handover in resolver.cpp).
TEST_F(resolver_test, deadlines_racing_answers) {
  auto res = make_resolver(options{{server_->address()}, "", std::chrono::milliseconds(1)});
  ASSERT_TRUE(res) << res.error().message;
  std::atomic<int> wrong{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto a = (*res)->addresses(i % 2 ? "mx2.example.test" : "mx" + std::to_string(t) + ".example.test");
        if (a.result == status::ok) {
          ++answered;
        } else if (a.result != status::temporary && a.result != status::nxdomain) {
          ++wrong;
        } else if (a.result == status::temporary && a.why != "timeout") {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, 0);
}

TEST_F(resolver_test, wrong_trust_anchor_makes_answers_bogus) {
  const auto path = server_->dir() / "wrong-anchor";
  // A well-formed P-256 DNSKEY that did not sign the zone.
  std::ofstream(path) << "example.test. IN DNSKEY 257 3 13 "
                         "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n";
  auto res = make_resolver(options{{server_->address()}, path.string(), std::chrono::seconds(5)});
  ASSERT_TRUE(res) << res.error().message;
  auto a = (*res)->mx("example.test");
  EXPECT_EQ(a.result, status::bogus);
  EXPECT_FALSE(a.why.empty());
  EXPECT_TRUE(a.records.empty());
  EXPECT_EQ(mail_exchangers(**res, "example.test").result, status::bogus);
  // A zone outside the anchor is merely insecure.
  auto u = (*res)->mx("unsigned.test");
  EXPECT_EQ(u.result, status::ok);
  EXPECT_FALSE(u.secure);
}

TEST_F(resolver_test, without_trust_anchor_nothing_is_secure) {
  auto res = make_resolver(options{{server_->address()}, "", std::chrono::seconds(5)});
  ASSERT_TRUE(res) << res.error().message;
  auto a = (*res)->mx("example.test");
  ASSERT_EQ(a.result, status::ok) << a.why;
  EXPECT_FALSE(a.secure);
}

TEST(resolver_timeout, silent_server_times_out_within_the_bound) {
  test::silent_dns_server silent;
  auto res = make_resolver(options{{silent.address()}, "", std::chrono::milliseconds(300)});
  ASSERT_TRUE(res) << res.error().message;
  const auto start = std::chrono::steady_clock::now();
  auto a = (*res)->mx("example.test");
  auto b = (*res)->addresses("example.test");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.result, status::temporary);
  EXPECT_EQ(a.why, "timeout");
  EXPECT_EQ(b.result, status::temporary);
  EXPECT_EQ(b.why, "timeout");
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_GE(took, std::chrono::milliseconds(550));
  EXPECT_EQ(mail_exchangers(**res, "example.test").why, "timeout");
}

TEST(make_resolver, rejects_bad_servers_and_anchors) {
  for (std::string bad : {"example.com", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "[127.0.0.1]:53", "::1]:53",
                          "1.2.3.4:x"}) {
    auto r = make_resolver(options{{bad}, "", std::chrono::seconds(1)});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::errc::invalid) << bad;
  }
  for (std::string good : {"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353", "[2001:db8::1]"}) {
    EXPECT_TRUE(make_resolver(options{{good}, "", std::chrono::seconds(1)})) << good;
  }
  auto missing = make_resolver(options{{"127.0.0.1"}, "/nonexistent/root.key", std::chrono::seconds(1)});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::errc::invalid);

  const auto garbage =
      std::filesystem::temp_directory_path() / ("letterhead-bad-anchor-" + std::to_string(::getpid()));
  std::ofstream(garbage) << "this is not a trust anchor\n";
  auto bad_anchor = make_resolver(options{{"127.0.0.1"}, garbage.string(), std::chrono::seconds(1)});
  std::filesystem::remove(garbage);
  ASSERT_FALSE(bad_anchor);
  EXPECT_EQ(bad_anchor.error().code, core::errc::invalid);
}

TEST(status, names) {
  EXPECT_STREQ(to_string(status::ok), "ok");
  EXPECT_STREQ(to_string(status::bogus), "bogus");
}

}  // namespace
}  // namespace letterhead::dns
