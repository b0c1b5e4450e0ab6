// ARC sealing (RFC 8617 §5.1), checked with our verifier (arc_verify, itself checked
// against dkimpy's chains in arc_test.cpp): a first seal (cv=none) verifies, a seal
// on dkimpy's two-hop chain makes a three-hop chain that verifies (cv=pass), changes
// afterwards fail, a failed chain is sealed with cv=fail, and a 51st set is refused.
// tests/integration/test_forwarding.py checks our seals with dkimpy itself.
#include "mailauth/arc_seal.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "mailauth/dkim_key_record.hpp"
#include "mailauth/tag_list.hpp"

namespace letterhead::mailauth {
namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(LETTERHEAD_TEST_DATA) + "/arc/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct test_keys {
  generated_key rsa = *generate_key(key_type::rsa);
  generated_key ed = *generate_key(key_type::ed25519);
};

const test_keys& keys() {
  static const test_keys k;
  return k;
}

dkim_signer forwarder_signer() {
  auto s = dkim_signer::create({{"fwd.test", "e1", keys().ed.private_key_pem},
                                {"fwd.test", "r1", keys().rsa.private_key_pem}});
  EXPECT_TRUE(s);
  return std::move(*s);
}

txt_lookup lookup() {
  std::string hop = read("key.txt");
  while (!hop.empty() && (hop.back() == '\n' || hop.back() == '\r')) hop.pop_back();
  const auto rsa = format_dkim_key_record(key_type::rsa, keys().rsa.public_key);
  return [hop, rsa](std::string_view name) {
    if (name == "arc._domainkey.hop1.test" || name == "arc._domainkey.hop2.test") {
      return txt_answer{txt_answer::status::ok, {hop}, ""};
    }
    if (name == "r1._domainkey.fwd.test") return txt_answer{txt_answer::status::ok, {rsa}, ""};
    return txt_answer{txt_answer::status::not_found, {}, "nxdomain"};
  };
}

const std::string plain =
    "Authentication-Results: mx.fwd.test;\r\n\tspf=pass smtp.mailfrom=a.test;\r\n\tdkim=none;\r\n\tarc=none\r\n"
    "From: Alice <alice@a.test>\r\nTo: list@fwd.test\r\nSubject: sealed\r\n"
    "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <s1@a.test>\r\n\r\nHello,   world.\r\n";

std::string seal_of(const std::string& msg, arc_result chain) {
  auto set = arc_seal(forwarder_signer(), msg, {"mx.fwd.test; spf=pass smtp.mailfrom=a.test", chain}, 1800000000);
  EXPECT_TRUE(set) << set.error().message;
  return set ? *set : std::string();
}

std::string tag(std::string_view field, std::string_view name) {
  const auto colon = field.find(':');
  auto tags = parse_tag_list(field.substr(colon + 1, field.find("\r\nARC-") - colon - 1));
  if (!tags) return "?";
  return std::string(tags->value(name).value_or("-"));
}

TEST(ArcSeal, FirstHopVerifiesAndSaysCvNone) {
  const auto set = seal_of(plain, arc_result::none);
  ASSERT_TRUE(set.starts_with("ARC-Seal: i=1;")) << set;
  EXPECT_NE(set.find("\r\nARC-Message-Signature: i=1;"), std::string::npos);
  EXPECT_NE(set.find("\r\nARC-Authentication-Results: i=1; mx.fwd.test; spf=pass"), std::string::npos);
  EXPECT_EQ(tag(set, "cv"), "none");
  EXPECT_EQ(tag(set, "a"), "rsa-sha256");  // the RSA key, though Ed25519 comes first
  EXPECT_EQ(tag(set, "d"), "fwd.test");
  const auto v = verify_arc(set + plain, lookup());
  EXPECT_EQ(v.result, arc_result::pass) << v.reason;
  EXPECT_EQ(v.instances, 1u);
}

TEST(ArcSeal, ChangesAfterSealingFail) {
  const auto sealed = seal_of(plain, arc_result::none) + plain;
  auto body = sealed;
  body.replace(body.find("Hello"), 5, "Howdy");
  EXPECT_EQ(verify_arc(body, lookup()).result, arc_result::fail);
  auto subject = sealed;
  subject.replace(subject.find("Subject: sealed"), 15, "Subject: Sealed!");
  EXPECT_EQ(verify_arc(subject, lookup()).result, arc_result::fail);
  auto aar = sealed;
  aar.replace(aar.find("i=1; mx.fwd.test; spf=pass"), 26, "i=1; mx.fwd.test; spf=fail");
  EXPECT_EQ(verify_arc(aar, lookup()).result, arc_result::fail);
  // Relaxed canonicalization: whitespace changes inside the body line are fine.
  auto spaces = sealed;
  spaces.replace(spaces.find("Hello,   world."), 15, "Hello, world.  ");
  EXPECT_EQ(verify_arc(spaces, lookup()).result, arc_result::pass);
}

TEST(ArcSeal, ExtendsADkimpyChain) {
  const auto two = read("two-hops.eml");
  ASSERT_EQ(verify_arc(two, lookup()).result, arc_result::pass);
  const auto set = seal_of(two, arc_result::pass);
  ASSERT_TRUE(set.starts_with("ARC-Seal: i=3;")) << set;
  EXPECT_EQ(tag(set, "cv"), "pass");
  const auto v = verify_arc(set + two, lookup());
  EXPECT_EQ(v.result, arc_result::pass) << v.reason;
  EXPECT_EQ(v.instances, 3u);
}

TEST(ArcSeal, FailedChainIsSealedWithCvFail) {
  auto two = read("two-hops.eml");
  two.replace(two.find("Hello through two hops."), 5, "Howdy");
  const auto set = seal_of(two, arc_result::fail);
  ASSERT_TRUE(set.starts_with("ARC-Seal: i=3;")) << set;
  EXPECT_EQ(tag(set, "cv"), "fail");
  EXPECT_EQ(verify_arc(set + two, lookup()).result, arc_result::fail);
  // A "pass" claimed for malformed sets is not believed.
  const auto broken = "ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x.test; s=s; b=AA==\r\n" + plain;
  EXPECT_EQ(tag(seal_of(broken, arc_result::pass), "cv"), "fail");
}

TEST(ArcSeal, NoSetAfterFifty) {
  std::string msg = plain;
  for (unsigned i = 1; i <= max_arc_instances; ++i) {
    msg = seal_of(msg, i == 1 ? arc_result::none : arc_result::pass) + msg;
  }
  EXPECT_EQ(verify_arc(msg, lookup()).instances, max_arc_instances);
  auto more = arc_seal(forwarder_signer(), msg, {"mx.fwd.test; none", arc_result::pass}, 1800000000);
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, core::errc::limit);
}

TEST(ArcSeal, RequestFromOurAuthenticationResults) {
  const std::string msg = "Authentication-Results: other.test; arc=pass\r\n" + plain;
  auto ours = seal_request_from(msg, "MX.fwd.test");
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->chain, arc_result::none);
  EXPECT_TRUE(ours->results.starts_with("mx.fwd.test;\r\n\tspf=pass")) << ours->results;
  auto pass = seal_request_from("Authentication-Results: mx.fwd.test; dkim=pass;\r\n arc=pass (i=2)\r\n\r\n",
                                "mx.fwd.test");
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->chain, arc_result::pass);
  auto failed = seal_request_from("Authentication-Results: mx.fwd.test; arc=fail (bad)\r\n\r\n", "mx.fwd.test");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->chain, arc_result::fail);
  EXPECT_FALSE(seal_request_from(msg, "nobody.test"));
}

}  // namespace
}  // namespace letterhead::mailauth
