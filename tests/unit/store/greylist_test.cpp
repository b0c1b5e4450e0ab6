// Greylisting triplets in the store (migration v7): deferred until the delay has
// passed, then accepted and remembered; started again when the retry comes too
// late or the triplet expired; kept across a reopen.
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using testing::ok;
using std::chrono::seconds;

std::unique_ptr<store> open_at(const std::filesystem::path& dir) {
  store_options o;
  o.backend = "sqlite";
  o.data_dir = dir.string();
  return ok(open(o));
}

TEST(Greylist, DelayThenPassThenRemembered) {
  testing::temp_dir dir;
  auto s = open_at(dir.path());
  const seconds delay{300}, window{3600}, expiry{86400};
  const std::string t = "192.0.2.0/24|a@x.example|b@y.example";
  EXPECT_EQ(ok(s->greylist_check(t, 1000, delay, window, expiry)), 300);
  EXPECT_EQ(ok(s->greylist_check(t, 1100, delay, window, expiry)), 200);  // too early: wait the rest
  EXPECT_EQ(ok(s->greylist_check("other", 1100, delay, window, expiry)), 300);
  EXPECT_EQ(ok(s->greylist_check(t, 1300, delay, window, expiry)), 0);
  EXPECT_EQ(ok(s->greylist_check(t, 1301, delay, window, expiry)), 0);
  s.reset();
  s = open_at(dir.path());  // durable
  EXPECT_EQ(ok(s->greylist_check(t, 50000, delay, window, expiry)), 0);
  // Unseen for longer than expiry: starts again.
  EXPECT_EQ(ok(s->greylist_check(t, 50000 + 86401, delay, window, expiry)), 300);
}

TEST(Greylist, LateRetryStartsAgain) {
  testing::temp_dir dir;
  auto s = open_at(dir.path());
  const seconds delay{60}, window{600}, expiry{86400};
  EXPECT_EQ(ok(s->greylist_check("t", 0, delay, window, expiry)), 60);
  EXPECT_EQ(ok(s->greylist_check("t", 1000, delay, window, expiry)), 60);  // past delay + window
  EXPECT_EQ(ok(s->greylist_check("t", 1060, delay, window, expiry)), 0);
}

}  // namespace
}  // namespace letterhead::store
