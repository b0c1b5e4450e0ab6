#include "delivery/outbound/requiretls.hpp"

#include <gtest/gtest.h>

#include "delivery/outbound/dsn.hpp"
#include "mime/parser.hpp"

namespace letterhead::delivery::outbound {
namespace {

using smtp::client::outcome;
using smtp::client::status;

const mx_host mx{"mx.example.com", 25, false};

TEST(RequireTls, TlsRequiredNoHeaderField) {
  EXPECT_TRUE(has_tls_required_no("Subject: x\r\nTLS-Required: No\r\n\r\nbody\r\n"));
  EXPECT_TRUE(has_tls_required_no("tls-required:   no  \r\nSubject: x\r\n\r\nbody\r\n"));
  EXPECT_TRUE(has_tls_required_no("TLS-Required:\r\n No\r\n\r\n"));  // folded
  EXPECT_FALSE(has_tls_required_no("TLS-Required: Yes\r\n\r\n"));
  EXPECT_FALSE(has_tls_required_no("TLS-Required: Nope\r\n\r\n"));
  EXPECT_FALSE(has_tls_required_no("X-TLS-Required: No\r\n\r\n"));
  // Only the header section counts.
  EXPECT_FALSE(has_tls_required_no("Subject: x\r\n\r\nTLS-Required: No\r\n"));
}

TEST(RequireTls, DemandOfAnEntry) {
  store::queue_entry e;
  e.mail_from = "alice@a.test";
  const std::string plain = "Subject: x\r\n\r\nb\r\n";
  const std::string optional = "TLS-Required: No\r\n\r\nb\r\n";
  EXPECT_EQ(demand_of(e, plain), tls_demand::normal);
  EXPECT_EQ(demand_of(e, optional), tls_demand::optional);
  e.requiretls = true;
  EXPECT_EQ(demand_of(e, plain), tls_demand::required);
  // §4.2.2: with REQUIRETLS the header field is ignored.
  EXPECT_EQ(demand_of(e, optional), tls_demand::required);
  // §5: a bounce (null sender) asks for REQUIRETLS but is not held back.
  e.mail_from.clear();
  EXPECT_EQ(demand_of(e, plain), tls_demand::normal);
}

TEST(RequireTls, ConnectionsAreKeptApartByDemand) {
  EXPECT_EQ(connection_key("example.com", tls_demand::normal), "example.com");
  EXPECT_NE(connection_key("example.com", tls_demand::required), "example.com");
  EXPECT_NE(connection_key("example.com", tls_demand::optional), "example.com");
  EXPECT_NE(connection_key("example.com", tls_demand::optional), connection_key("example.com", tls_demand::required));
}

TEST(RequireTls, MxMustBeDnssecOrListedByMtaSts) {
  EXPECT_FALSE(requiretls_mx_check(true, std::nullopt, mx, "example.com"));
  auto no = requiretls_mx_check(false, std::nullopt, mx, "example.com");
  ASSERT_TRUE(no);
  EXPECT_EQ(no->result, outcome::permanent);
  EXPECT_EQ(no->enhanced, "5.7.30");
  EXPECT_NE(no->text.find("mx.example.com"), std::string::npos);
  sts_policy p;
  p.mode = sts_mode::enforce;
  p.mx = {"*.example.com"};
  EXPECT_FALSE(requiretls_mx_check(false, p, mx, "example.com"));
  p.mode = sts_mode::testing;
  EXPECT_FALSE(requiretls_mx_check(false, p, mx, "example.com"));
  p.mode = sts_mode::none;
  EXPECT_TRUE(requiretls_mx_check(false, p, mx, "example.com"));
  p.mode = sts_mode::enforce;
  p.mx = {"other.example.net"};
  EXPECT_TRUE(requiretls_mx_check(false, p, mx, "example.com"));
  // An address literal has no MX lookup to secure.
  EXPECT_FALSE(requiretls_mx_check(false, std::nullopt, mx_host{"192.0.2.1", 25, true}, "[192.0.2.1]"));
}

TEST(RequireTls, TlsTroubleBecomesPermanentOtherTroubleStays) {
  bool refusal = false;
  auto t = requiretls_session_failure(status{outcome::temporary, 0, "4.7.0", "mx does not offer STARTTLS"}, refusal);
  EXPECT_TRUE(refusal);
  EXPECT_EQ(t.result, outcome::permanent);
  EXPECT_EQ(t.enhanced, "5.7.10");
  EXPECT_NE(t.text.find("does not offer STARTTLS"), std::string::npos);
  t = requiretls_session_failure(status{outcome::temporary, 0, "4.7.5", "certificate verify failed"}, refusal);
  EXPECT_TRUE(refusal);
  EXPECT_EQ(t.enhanced, "5.7.10");
  // No connection, and a server's own reply, keep their meaning.
  const status lost{outcome::temporary, 0, "4.4.1", "connect: refused"};
  t = requiretls_session_failure(lost, refusal);
  EXPECT_FALSE(refusal);
  EXPECT_EQ(t.enhanced, "4.4.1");
  t = requiretls_session_failure(status{outcome::temporary, 454, "4.7.0", "TLS not available"}, refusal);
  EXPECT_FALSE(refusal);
  EXPECT_EQ(t.result, outcome::temporary);
}

TEST(RequireTls, BounceReturnsHeadersOnlyEvenWithRetFull) {
  // RFC 8689 §5: as if RET=HDRS.
  store::queue_entry e;
  e.id = 7;
  e.mail_from = "alice@a.test";
  e.dsn_ret = "FULL";
  e.requiretls = true;
  store::queue_recipient r;
  r.address = "bob@b.test";
  r.status = store::queue_recipient::state::failed;
  r.last_reply = "5.7.30 REQUIRETLS support required";
  e.recipients = {r};
  const std::string original = "Subject: secret\r\n\r\nThe secret body.\r\n";
  dsn_options o;
  o.hostname = "mx.a.test";
  const auto dsn = build_dsn(e, {0}, report_kind::failed, original, o, 1'700'000'000);
  auto m = mime::parse(dsn);
  ASSERT_EQ(m.root().children.size(), 3u);
  const auto& part = m.parts[m.root().children[2]];
  EXPECT_EQ(part.subtype, "rfc822-headers");
  EXPECT_NE(dsn.find("Subject: secret"), std::string::npos);
  EXPECT_EQ(dsn.find("The secret body."), std::string::npos);
  EXPECT_NE(dsn.find("Status: 5.7.30"), std::string::npos);
}

}  // namespace
}  // namespace letterhead::delivery::outbound
