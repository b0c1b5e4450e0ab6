#include "dns/answer_cache.hpp"

#include <gtest/gtest.h>

namespace letterhead::dns {
namespace {

answer<std::string> txt(std::string text) { return {status::ok, false, {std::move(text)}, ""}; }

TEST(answer_cache, keeps_answers_for_their_ttl_at_most_five_minutes) {
  answer_cache c;
  const auto t0 = answer_cache::clock::now();
  c.put(16, "example.com", txt("v=spf1 -all"), 60, t0);
  auto hit = c.get(16, "example.com", t0 + std::chrono::seconds(59));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->records.at(0), "v=spf1 -all");
  EXPECT_FALSE(c.get(1, "example.com", t0));  // another type
  EXPECT_FALSE(c.get(16, "example.com", t0 + std::chrono::seconds(60)));
  c.put(16, "long.example", txt("x"), 86400, t0);
  EXPECT_TRUE(c.get(16, "long.example", t0 + std::chrono::seconds(299)));
  EXPECT_FALSE(c.get(16, "long.example", t0 + std::chrono::seconds(300)));
}

TEST(answer_cache, failures_and_zero_ttl_are_not_kept) {
  answer_cache c;
  const auto t0 = answer_cache::clock::now();
  c.put(16, "a.example", {status::temporary, false, {}, "timeout"}, 60, t0);
  c.put(16, "b.example", {status::bogus, false, {}, "bad signature"}, 60, t0);
  c.put(16, "c.example", txt("x"), 0, t0);
  c.put(16, "d.example", {status::nxdomain, false, {}, ""}, 60, t0);
  EXPECT_FALSE(c.get(16, "a.example", t0));
  EXPECT_FALSE(c.get(16, "b.example", t0));
  EXPECT_FALSE(c.get(16, "c.example", t0));
  EXPECT_TRUE(c.get(16, "d.example", t0));  // a denial is an answer
}

TEST(answer_cache, a_flood_of_new_names_keeps_what_is_in_use_and_stays_bounded) {
  answer_cache c(100);
  const auto t0 = answer_cache::clock::now();
  c.put(16, "regular.example", txt("v=spf1 mx -all"), 300, t0);
  for (int i = 0; i < 10000; ++i) {
    c.put(1, "flood" + std::to_string(i) + ".example", txt("127.0.0.2"), 300, t0);
    if (i % 50 == 0) {
      ASSERT_TRUE(c.get(16, "regular.example", t0)) << i;  // asked for now and then: stays
    }
    ASSERT_LE(c.size(), 200u);
  }
  EXPECT_FALSE(c.get(1, "flood0.example", t0));  // nobody asked again: gone
  EXPECT_TRUE(c.get(1, "flood9999.example", t0));
}

}  // namespace
}  // namespace letterhead::dns
