// Sealing secrets at rest (directory/secret_box.hpp).

#include "directory/secret_box.hpp"

#include <gtest/gtest.h>

namespace letterhead::directory {
namespace {

TEST(secret_box, round_trip_and_fresh_nonces) {
  const auto key = make_secret_key();
  ASSERT_EQ(key.size(), secret_key_bytes);
  const std::string secret = "12345678901234567890";
  const auto a = seal_secret(key, secret);
  const auto b = seal_secret(key, secret);
  EXPECT_NE(a, b);                               // a new nonce each time
  EXPECT_EQ(a.find(secret), std::string::npos);  // the seed is not in the stored form
  EXPECT_TRUE(a.starts_with("lhs1"));
  EXPECT_EQ(open_secret(key, a).value(), secret);
  EXPECT_EQ(open_secret(key, b).value(), secret);
}

TEST(secret_box, tampering_and_the_wrong_key_are_refused) {
  const auto key = make_secret_key();
  auto sealed = seal_secret(key, "seed-seed-seed-seed!");
  EXPECT_FALSE(open_secret(make_secret_key(), sealed));
  EXPECT_FALSE(open_secret("", sealed));
  sealed.back() = static_cast<char>(sealed.back() ^ 1);
  EXPECT_FALSE(open_secret(key, sealed));
  EXPECT_FALSE(open_secret(key, "lhs1short"));
}

TEST(secret_box, legacy_plain_secrets_and_no_key) {
  const auto key = make_secret_key();
  EXPECT_EQ(open_secret(key, "legacy-raw-seed").value(), "legacy-raw-seed");
  EXPECT_EQ(seal_secret("", "plain"), "plain");  // no key file: stored as it is
  EXPECT_EQ(seal_secret(key, ""), "");           // empty means TOTP off: never sealed
}

}  // namespace
}  // namespace letterhead::directory
