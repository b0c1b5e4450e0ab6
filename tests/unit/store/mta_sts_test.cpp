// The MTA-STS policy cache in the store (migration v10): not found until put,
// replaced by a later put for the same domain, kept across a reopen.
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using testing::ok;

TEST(MtaStsCache, PutGetReplaceAndReopen) {
  testing::temp_dir dir;
  store_options o;
  o.backend = "sqlite";
  o.data_dir = dir.path().string();
  auto s = ok(open(o));
  auto none = s->get_mta_sts("example.com");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, core::errc::not_found);
  ok(s->put_mta_sts(mta_sts_record{"example.com", "1", "version: STSv1\n", 100, 200}));
  ok(s->put_mta_sts(mta_sts_record{"example.com", "2", "version: STSv1\nmode: enforce\n", 300, 400}));
  ok(s->put_mta_sts(mta_sts_record{"other.example", "9", "x", 1, 2}));
  s.reset();
  s = ok(open(o));
  const auto r = ok(s->get_mta_sts("example.com"));
  EXPECT_EQ(r.id, "2");
  EXPECT_EQ(r.policy, "version: STSv1\nmode: enforce\n");
  EXPECT_EQ(r.fetched, 300);
  EXPECT_EQ(r.expires, 400);
  EXPECT_EQ(ok(s->get_mta_sts("other.example")).id, "9");
}

}  // namespace
}  // namespace letterhead::store
