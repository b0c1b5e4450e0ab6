#include "delivery/outbound/tls_policy.hpp"

#include <gtest/gtest.h>

namespace letterhead::delivery::outbound {
namespace {

// Answers every TLSA question with one answer (STYLE.md: fakes, not mocks).
class tlsa_resolver final : public dns::resolver {
 public:
  dns::answer<dns::tlsa_record> answer;
  std::string asked;

  dns::answer<dns::mx_record> mx(std::string_view) override { return {}; }
  dns::answer<std::string> addresses(std::string_view) override { return {}; }
  dns::answer<std::string> txt(std::string_view) override { return {}; }
  dns::answer<std::string> ptr(std::string_view) override { return {}; }
  dns::answer<dns::tlsa_record> tlsa(std::string_view name) override {
    asked = std::string(name);
    return answer;
  }
};

const mx_host host{"mx.example.com", 2525, false};

TEST(Dane, OnlySecureAnswersCountAndPkixUsagesAreDropped) {
  tlsa_resolver r;
  r.answer = {dns::status::ok, true, {{3, 1, 1, std::string(32, 'a')}, {1, 1, 1, std::string(32, 'b')},
                                      {2, 0, 1, std::string(32, 'c')}, {3, 2, 1, "x"}}, ""};
  auto t = dane_for_host(r, host, true, true);
  EXPECT_EQ(r.asked, "_2525._tcp.mx.example.com");
  ASSERT_TRUE(t.dane);
  ASSERT_EQ(t.dane->records.size(), 2u);  // PKIX-EE(1) and selector 2 are unusable
  EXPECT_EQ(t.dane->records[0].usage, 3);
  EXPECT_EQ(t.dane->records[1].usage, 2);
  EXPECT_EQ(t.dane->host, "mx.example.com");

  r.answer.secure = false;
  EXPECT_FALSE(dane_for_host(r, host, true, true).dane);
  r.answer.secure = true;
  r.asked.clear();
  EXPECT_FALSE(dane_for_host(r, host, false, true).dane);  // insecure MX: not even asked
  EXPECT_FALSE(dane_for_host(r, host, true, false).dane);  // insecure address
  EXPECT_TRUE(r.asked.empty());
}

TEST(Dane, BogusOrFailedLookupMakesTheHostUnusableButNoDataDoesNot) {
  tlsa_resolver r;
  r.answer = {dns::status::bogus, false, {}, "signature expired"};
  auto t = dane_for_host(r, host, true, true);
  ASSERT_TRUE(t.failure);
  EXPECT_EQ(t.failure->result, smtp::client::outcome::temporary);
  EXPECT_EQ(t.failure->enhanced, "4.7.5");
  r.answer = {dns::status::temporary, false, {}, "timeout"};
  EXPECT_TRUE(dane_for_host(r, host, true, true).failure);
  r.answer = {dns::status::nodata, true, {}, ""};
  auto none = dane_for_host(r, host, true, true);
  EXPECT_FALSE(none.failure);
  EXPECT_FALSE(none.dane);
}

TEST(MtaStsHost, EnforceTestingAndDanePrecedence) {
  const sts_policy enforce{sts_mode::enforce, {"*.example.com"}, 60};
  host_tls t;
  apply_sts(t, enforce, host, "example.com");
  EXPECT_TRUE(t.sts_enforce);
  EXPECT_FALSE(t.failure);

  host_tls other;
  apply_sts(other, enforce, mx_host{"mx.elsewhere.net", 25, false}, "example.com");
  ASSERT_TRUE(other.failure);
  EXPECT_EQ(other.failure->result, smtp::client::outcome::temporary);

  host_tls testing;
  apply_sts(testing, sts_policy{sts_mode::testing, {"mail.example.com"}, 60}, host, "example.com");
  EXPECT_TRUE(testing.sts_testing);
  EXPECT_FALSE(testing.failure);
  EXPECT_NE(testing.sts_warning.find("mx.example.com"), std::string::npos);

  host_tls dane;
  dane.dane = smtp::client::dane_policy{{{3, 1, 1, std::string(32, 'a')}}, "mx.elsewhere.net"};
  apply_sts(dane, enforce, mx_host{"mx.elsewhere.net", 25, false}, "example.com");
  EXPECT_FALSE(dane.failure);  // RFC 8461 §2: DANE wins
  EXPECT_FALSE(dane.sts_enforce);
  ASSERT_TRUE(dane.dane);
}

TEST(MtaStsHost, UnusableTlsaRecordsLeaveTheCertificateToAnEnforcedPolicy) {
  // Only PKIX usages: DANE makes TLS mandatory but authenticates nothing (RFC 7672
  // §2.2), so MTA-STS enforce must still refuse an unlisted host and verify a listed one.
  const sts_policy enforce{sts_mode::enforce, {"*.example.com"}, 60};
  tlsa_resolver r;
  r.answer = {dns::status::ok, true, {{1, 1, 1, std::string(32, 'b')}, {0, 0, 1, std::string(32, 'c')}}, ""};
  auto listed = dane_for_host(r, host, true, true);
  ASSERT_TRUE(listed.dane);
  EXPECT_TRUE(listed.dane->records.empty());
  apply_sts(listed, enforce, host, "example.com");
  EXPECT_TRUE(listed.sts_enforce);
  EXPECT_FALSE(listed.dane);  // PKIX verification, not unauthenticated DANE TLS
  EXPECT_FALSE(listed.failure);

  auto unlisted = dane_for_host(r, mx_host{"mx.elsewhere.net", 25, false}, true, true);
  apply_sts(unlisted, enforce, mx_host{"mx.elsewhere.net", 25, false}, "example.com");
  ASSERT_TRUE(unlisted.failure);
  EXPECT_EQ(unlisted.failure->enhanced, "4.7.5");

  // A testing policy changes nothing: TLS stays mandatory under the TLSA records.
  auto testing = dane_for_host(r, host, true, true);
  apply_sts(testing, sts_policy{sts_mode::testing, {"mx.example.com"}, 60}, host, "example.com");
  EXPECT_TRUE(testing.dane);
  EXPECT_FALSE(testing.sts_testing);
}

}  // namespace
}  // namespace letterhead::delivery::outbound
