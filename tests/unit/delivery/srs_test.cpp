// SRS (delivery/srs.hpp): forward and reverse, case folding, forged and expired
// addresses, SRS1 for another forwarder's SRS0/SRS1 addresses, hostile input.
#include "delivery/srs.hpp"

#include <openssl/hmac.h>

#include <cctype>

#include <gtest/gtest.h>

namespace letterhead::delivery {
namespace {

constexpr std::int64_t day = 86400;
constexpr std::int64_t now = 1800000000;

// An HMAC-SHA256 in base32 as directory::capability_token gives one; tests need no
// directory.
srs_codec codec(std::string key = "test key") {
  srs_codec c;
  c.mac = [key](std::string_view data) {
    unsigned char out[32];
    unsigned len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::string text;
    for (unsigned i = 0; i < 10; ++i) text += alphabet[out[i] & 31];
    return text;
  };
  c.max_age_days = 21;
  return c;
}

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

TEST(Srs, Srs0RoundTrip) {
  const auto a = srs_forward(codec(), "Alice.Smith@Example.org", "fwd.test", now);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->starts_with("SRS0=")) << *a;
  EXPECT_TRUE(a->ends_with("=Example.org=Alice.Smith@fwd.test")) << *a;
  EXPECT_EQ(a->size(), std::string("SRS0=12345678=TT=Example.org=Alice.Smith@fwd.test").size());
  const auto r = srs_reverse(codec(), *a, now);
  EXPECT_EQ(r.status, srs_status::valid);
  EXPECT_EQ(r.address, "Alice.Smith@Example.org");
}

TEST(Srs, CaseFoldedByARelayStillValid) {
  const auto a = *srs_forward(codec(), "alice@example.org", "fwd.test", now);
  const auto r = srs_reverse(codec(), upper(a), now);
  EXPECT_EQ(r.status, srs_status::valid);
  EXPECT_EQ(r.address, "ALICE@EXAMPLE.ORG");
  EXPECT_EQ(srs_reverse(codec(), "srs0" + a.substr(4), now).status, srs_status::valid);
}

TEST(Srs, LocalPartWithEqualsSign) {
  const auto a = *srs_forward(codec(), "a=b=c@example.org", "fwd.test", now);
  const auto r = srs_reverse(codec(), a, now);
  EXPECT_EQ(r.status, srs_status::valid);
  EXPECT_EQ(r.address, "a=b=c@example.org");
}

TEST(Srs, ForgedHashOrKeyOrFields) {
  const auto a = *srs_forward(codec(), "alice@example.org", "fwd.test", now);
  // Another key.
  EXPECT_EQ(srs_reverse(codec("other key"), a, now).status, srs_status::forged);
  // Changed hash, changed target, changed timestamp.
  auto hash = a;
  hash[5] = hash[5] == 'a' ? 'b' : 'a';
  EXPECT_EQ(srs_reverse(codec(), hash, now).status, srs_status::forged);
  auto target = a;
  target.replace(target.find("=alice@"), 7, "=mallory@");
  EXPECT_EQ(srs_reverse(codec(), target, now).status, srs_status::forged);
  auto domain = a;
  domain.replace(domain.find("example.org"), 11, "evil.test");
  EXPECT_EQ(srs_reverse(codec(), domain, now).status, srs_status::forged);
  auto tt = a;
  tt[14] = tt[14] == 'A' ? 'B' : 'A';
  EXPECT_EQ(srs_reverse(codec(), tt, now).status, srs_status::forged);
  // Made up, truncated, malformed.
  for (const char* s : {"SRS0=aaaaaaaa=AB=example.org=alice@fwd.test", "SRS0=@fwd.test", "SRS0=x@fwd.test",
                        "SRS0==AB=example.org=alice@fwd.test", "SRS0=aaaaaaaa=AB==alice@fwd.test",
                        "SRS0=aaaaaaaa=AB=example.org=@fwd.test", "SRS1=aaaaaaaa=hop.test==x@fwd.test",
                        "SRS1=aaaaaaaa=hop.test=@fwd.test", "SRS0+aaaaaaaa=AB=example.org=alice@fwd.test"}) {
    EXPECT_EQ(srs_reverse(codec(), s, now).status, srs_status::forged) << s;
  }
  EXPECT_EQ(srs_reverse(codec(), std::string(400, 'a').insert(0, "SRS0=") + "@fwd.test", now).status,
            srs_status::forged);
}

TEST(Srs, NotSrs) {
  for (const char* s : {"alice@fwd.test", "srs@fwd.test", "SRS2=x=y@fwd.test", "SRS0@fwd.test", "", "@", "SRS0"}) {
    EXPECT_EQ(srs_reverse(codec(), s, now).status, srs_status::not_srs) << s;
  }
}

TEST(Srs, ExpiresAfterMaxAge) {
  const auto a = *srs_forward(codec(), "alice@example.org", "fwd.test", now);
  EXPECT_EQ(srs_reverse(codec(), a, now + 21 * day).status, srs_status::valid);
  EXPECT_EQ(srs_reverse(codec(), a, now + 22 * day).status, srs_status::expired);
  // A timestamp from the future (yesterday's address checked the day before) is not
  // young: it is as old as the wrap-around makes it.
  EXPECT_EQ(srs_reverse(codec(), a, now - day).status, srs_status::expired);
  // The day counter wraps after 1024 days (as libsrs2's does): the same address is
  // young again then; its MAC still ties it to the one sender it was made for.
  EXPECT_EQ(srs_reverse(codec(), a, now + 1024 * day).status, srs_status::valid);
}

TEST(Srs, NullOrBrokenSenderIsNotRewritten) {
  EXPECT_FALSE(srs_forward(codec(), "", "fwd.test", now));
  EXPECT_FALSE(srs_forward(codec(), "no-domain", "fwd.test", now));
  EXPECT_FALSE(srs_forward(codec(), "@example.org", "fwd.test", now));
  EXPECT_FALSE(srs_forward(codec(), "alice@", "fwd.test", now));
}

TEST(Srs, Srs1ForAnotherForwardersSrs0) {
  // hop1.test forwarded alice@example.org; we forward again.
  const auto theirs = *srs_forward(codec("hop1 key"), "alice@example.org", "hop1.test", now);
  const auto ours = *srs_forward(codec(), theirs, "fwd.test", now);
  EXPECT_TRUE(ours.starts_with("SRS1=")) << ours;
  EXPECT_NE(ours.find("=hop1.test==") , std::string::npos) << ours;
  EXPECT_TRUE(ours.ends_with("=example.org=alice@fwd.test")) << ours;
  // A bounce to ours goes to hop1's SRS0 address, which hop1 undoes.
  const auto back = srs_reverse(codec(), ours, now);
  ASSERT_EQ(back.status, srs_status::valid);
  EXPECT_EQ(back.address, theirs);
  EXPECT_EQ(srs_reverse(codec("hop1 key"), back.address, now).address, "alice@example.org");
  // SRS1 carries no timestamp of ours: valid while hop1's SRS0 is.
  EXPECT_EQ(srs_reverse(codec(), ours, now + 400 * day).status, srs_status::valid);
  // Forged: our MAC wrong, or the first hop changed.
  auto forged = ours;
  forged.replace(forged.find("hop1.test"), 9, "evil.test");
  EXPECT_EQ(srs_reverse(codec(), forged, now).status, srs_status::forged);
  EXPECT_EQ(srs_reverse(codec("hop1 key"), ours, now).status, srs_status::forged);
  EXPECT_EQ(srs_reverse(codec(), upper(ours), now).status, srs_status::valid);
}

TEST(Srs, Srs1ChainKeepsTheFirstHop) {
  const auto hop1 = *srs_forward(codec("hop1 key"), "alice@example.org", "hop1.test", now);
  const auto hop2 = *srs_forward(codec("hop2 key"), hop1, "hop2.test", now);
  const auto ours = *srs_forward(codec(), hop2, "fwd.test", now);
  EXPECT_TRUE(ours.starts_with("SRS1=")) << ours;
  EXPECT_NE(ours.find("=hop1.test=="), std::string::npos) << ours;
  EXPECT_EQ(ours.find("hop2.test"), std::string::npos) << ours;
  const auto back = srs_reverse(codec(), ours, now);
  ASSERT_EQ(back.status, srs_status::valid);
  EXPECT_EQ(back.address, hop1);
}

}  // namespace
}  // namespace letterhead::delivery
