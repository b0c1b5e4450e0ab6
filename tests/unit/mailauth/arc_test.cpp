// ARC chain validation (RFC 8617 §5.2) against a chain sealed by dkimpy (Debian
// python3-dkim, tests/data/arc/make_arc_vectors.py): two hops verify; any change to the
// message, a seal or the chain's structure makes it fail.
#include "mailauth/arc_verify.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

namespace letterhead::mailauth {
namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(LETTERHEAD_TEST_DATA) + "/arc/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

txt_lookup keys() {
  std::string record = read("key.txt");
  while (!record.empty() && (record.back() == '\n' || record.back() == '\r')) record.pop_back();
  return [record](std::string_view name) {
    if (name == "arc._domainkey.hop1.test" || name == "arc._domainkey.hop2.test") {
      return txt_answer{txt_answer::status::ok, {record}, ""};
    }
    return txt_answer{txt_answer::status::not_found, {}, "nxdomain"};
  };
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(Arc, DkimpyChainPasses) {
  const auto msg = read("two-hops.eml");
  ASSERT_FALSE(msg.empty());
  const auto v = verify_arc(msg, keys());
  EXPECT_EQ(v.result, arc_result::pass) << v.reason;
  EXPECT_EQ(v.instances, 2u);
  EXPECT_EQ(format_result(v), "arc=pass (i=2)");
}

TEST(Arc, NoChainIsNone) {
  EXPECT_EQ(verify_arc("From: a@b.test\r\n\r\nbody\r\n", keys()).result, arc_result::none);
}

TEST(Arc, TamperingFails) {
  const auto msg = read("two-hops.eml");
  // The body: the newest AMS no longer verifies.
  auto body = verify_arc(replace(msg, "Hello through two hops.", "Hello through three hops."), keys());
  EXPECT_EQ(body.result, arc_result::fail);
  EXPECT_NE(body.reason.find("body hash"), std::string::npos) << body.reason;
  // A signed header.
  EXPECT_EQ(verify_arc(replace(msg, "Subject: ARC vector", "Subject: ARC vectors"), keys()).result,
            arc_result::fail);
  // The oldest ARC-Authentication-Results: covered by both seals.
  auto aar = verify_arc(replace(msg, "i=1; hop1.test; spf=pass", "i=1; hop1.test; spf=fail"), keys());
  EXPECT_EQ(aar.result, arc_result::fail);
  EXPECT_NE(aar.reason.find("ARC-Seal"), std::string::npos) << aar.reason;
  // No keys: fail.
  const txt_lookup none = [](std::string_view) { return txt_answer{txt_answer::status::not_found, {}, ""}; };
  EXPECT_EQ(verify_arc(msg, none).result, arc_result::fail);
  // A temporary DNS failure is marked as such.
  const txt_lookup down = [](std::string_view) { return txt_answer{txt_answer::status::temporary, {}, "timeout"}; };
  auto t = verify_arc(msg, down);
  EXPECT_EQ(t.result, arc_result::fail);
  EXPECT_TRUE(t.temporary);
}

TEST(Arc, StructureRules) {
  const auto msg = read("two-hops.eml");
  // cv= of i=2 must be pass, of i=1 none; cv=fail anywhere ends the chain.
  EXPECT_EQ(verify_arc(replace(msg, "i=2; cv=pass", "i=2; cv=none"), keys()).result, arc_result::fail);
  EXPECT_EQ(verify_arc(replace(msg, "i=1; cv=none", "i=1; cv=pass"), keys()).result, arc_result::fail);
  EXPECT_EQ(verify_arc(replace(msg, "i=2; cv=pass", "i=2; cv=fail"), keys()).result, arc_result::fail);
  // A missing set member, a duplicate instance, an instance out of range.
  const auto seal1 = msg.find("ARC-Seal: i=1");
  ASSERT_NE(seal1, std::string::npos);
  auto no_seal = msg;
  const auto end = no_seal.find("ARC-Message-Signature: i=1");
  no_seal.erase(seal1, end - seal1);
  auto v = verify_arc(no_seal, keys());
  EXPECT_EQ(v.result, arc_result::fail);
  EXPECT_NE(v.reason.find("incomplete"), std::string::npos) << v.reason;
  EXPECT_EQ(verify_arc("ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x.test; s=s; b=AA==\r\n"
                       "ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x.test; s=s; b=AA==\r\n\r\n",
                       keys()).result,
            arc_result::fail);
  EXPECT_EQ(verify_arc("ARC-Seal: i=51; cv=none; a=rsa-sha256; d=x.test; s=s; b=AA==\r\n\r\n", keys()).result,
            arc_result::fail);
}

}  // namespace
}  // namespace letterhead::mailauth
