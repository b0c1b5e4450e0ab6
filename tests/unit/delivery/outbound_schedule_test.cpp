#include "delivery/outbound/schedule.hpp"

#include <gtest/gtest.h>

namespace letterhead::delivery::outbound {
namespace {

using smtp::client::outcome;
using smtp::client::status;
using state = store::queue_recipient::state;

core::queue_config config() {
  core::queue_config q;
  q.retry_intervals = {std::chrono::seconds(60), std::chrono::seconds(600)};
  q.max_age = std::chrono::seconds(3600);
  q.delay_warning = std::chrono::seconds(1800);
  return q;
}

store::queue_entry entry(std::size_t recipients) {
  store::queue_entry e;
  e.id = 7;
  e.created = 1000;
  for (std::size_t i = 0; i < recipients; ++i) {
    store::queue_recipient r;
    r.address = "r" + std::to_string(i) + "@b.test";
    e.recipients.push_back(r);
  }
  return e;
}

const status ok{outcome::delivered, 250, "2.0.0", "ok"};
const status later{outcome::temporary, 451, "4.3.0", "try later"};
const status never{outcome::permanent, 550, "5.1.1", "no such user"};

TEST(OutboundSchedule, BackoffRepeatsTheLastInterval) {
  auto e = entry(1);
  const auto q = config();
  record(e.recipients[0], later, "mx[1.2.3.4]:25");
  EXPECT_EQ(e.recipients[0].last_reply, "451 4.3.0 try later");
  auto out = finish_attempt(e, q, 1000, {});
  EXPECT_FALSE(out.finished);
  EXPECT_TRUE(out.reports.empty());
  EXPECT_EQ(e.attempts, 1u);
  EXPECT_EQ(e.next_attempt, 1060);
  (void)finish_attempt(e, q, 1100, {});
  EXPECT_EQ(e.next_attempt, 1700);
  (void)finish_attempt(e, q, 1800, {});
  EXPECT_EQ(e.next_attempt, 2400);
}

TEST(OutboundSchedule, NeverScheduledPastExpiryThenExpires) {
  auto e = entry(1);
  const auto q = config();
  record(e.recipients[0], later, "");
  (void)finish_attempt(e, q, 4590, {});
  EXPECT_EQ(e.next_attempt, 4600) << "the last attempt is at created + max_age";
  auto out = finish_attempt(e, q, 4600, {});
  EXPECT_TRUE(out.finished);
  EXPECT_EQ(e.recipients[0].status, state::failed);
  EXPECT_TRUE(e.recipients[0].last_reply.starts_with("4.4.7 "));
  ASSERT_EQ(out.reports.size(), 1u);
  EXPECT_EQ(out.reports[0].kind, report_kind::expired);
}

TEST(OutboundSchedule, PartialFailureIsReportedOnceAndDelayWarnedOnce) {
  auto e = entry(3);
  const auto q = config();
  record(e.recipients[0], ok, "mx");
  record(e.recipients[1], never, "mx");
  record(e.recipients[2], later, "mx");
  auto out = finish_attempt(e, q, 3000, {});
  EXPECT_FALSE(out.finished);
  ASSERT_EQ(out.reports.size(), 2u);
  EXPECT_EQ(out.reports[0].kind, report_kind::failed);
  EXPECT_EQ(out.reports[0].recipients, std::vector<std::size_t>{1});
  EXPECT_EQ(out.reports[1].kind, report_kind::delayed);
  EXPECT_EQ(out.reports[1].recipients, std::vector<std::size_t>{2});
  for (const auto& r : out.reports) confirm_report(e, r);
  EXPECT_TRUE(e.recipients[1].dsn_sent);
  EXPECT_TRUE(e.delay_warned);
  // Next attempt: the failure and the warning are not repeated.
  out = finish_attempt(e, q, 3100, {});
  EXPECT_TRUE(out.reports.empty());
  record(e.recipients[2], ok, "mx");
  out = finish_attempt(e, q, 3200, {});
  EXPECT_TRUE(out.finished);
}

TEST(OutboundSchedule, SuccessReportedOnlyWhenRelayedAndAsked) {
  auto e = entry(2);
  e.recipients[0].dsn_notify = "success,failure";
  record(e.recipients[0], ok, "mx");
  record(e.recipients[1], ok, "mx");
  auto out = finish_attempt(e, config(), 1000, {0, 1});
  EXPECT_TRUE(out.finished);
  ASSERT_EQ(out.reports.size(), 1u);
  EXPECT_EQ(out.reports[0].kind, report_kind::relayed);
  EXPECT_EQ(out.reports[0].recipients, std::vector<std::size_t>{0});
}

}  // namespace
}  // namespace letterhead::delivery::outbound
