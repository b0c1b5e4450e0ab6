// [queue] and [relay]: the outbound queue's keys, durations with units.
#include <gtest/gtest.h>

#include "core/config.hpp"

namespace letterhead::core {
namespace {

using std::chrono::seconds;

TEST(ConfigQueue, DefaultsFollowRfc5321) {
  auto c = parse_config("", "t.toml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->queue.max_age, seconds(5 * 86400));
  EXPECT_EQ(c->queue.delay_warning, seconds(4 * 3600));
  EXPECT_EQ(c->queue.retry_intervals.front(), seconds(300));
  EXPECT_EQ(c->queue.greeting_timeout, seconds(300));
  EXPECT_EQ(c->queue.data_init_timeout, seconds(120));
  EXPECT_EQ(c->queue.data_end_timeout, seconds(600));
  EXPECT_EQ(c->queue.mx_port, 25);
  EXPECT_EQ(c->relay.tls, "starttls");
  EXPECT_TRUE(c->relay.verify_certificate);
}

TEST(ConfigQueue, DurationsInSecondsOrWithUnits) {
  auto c = parse_config(R"(
[queue]
retry_intervals = ["90s", "5m", 7200, "1d"]
max_age = "3d"
delay_warning = "30m"
data_end_timeout = 20
mx_port = 2525
per_destination = 2
[relay]
host = "smtp.example.net:587"
user = "u"
password = "p"
tls = "tls"
verify_certificate = false
)", "t.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->queue.retry_intervals,
            (std::vector<seconds>{seconds(90), seconds(300), seconds(7200), seconds(86400)}));
  EXPECT_EQ(c->queue.max_age, seconds(3 * 86400));
  EXPECT_EQ(c->queue.delay_warning, seconds(1800));
  EXPECT_EQ(c->queue.data_end_timeout, seconds(20));
  EXPECT_EQ(c->queue.mx_port, 2525);
  EXPECT_EQ(c->queue.per_destination, 2u);
  EXPECT_EQ(c->relay.host, "smtp.example.net:587");
  EXPECT_EQ(c->relay.tls, "tls");
  EXPECT_FALSE(c->relay.verify_certificate);
}

TEST(ConfigQueue, BadValuesNameTheKey) {
  for (const char* text : {"[queue]\nmax_age = \"5 days\"\n", "[queue]\nretry_intervals = []\n",
                           "[queue]\ngreeting_timeout = 0\n", "[queue]\nmx_port = 0\n",
                           "[queue]\nretry_interval = [1]\n", "[relay]\ntls = \"ssl\"\n",
                           "[queue]\nmax_age = \"-1d\"\n"}) {
    auto c = parse_config(text, "t.toml");
    EXPECT_FALSE(c) << text;
    if (!c) EXPECT_NE(c.error().message.find("queue.") == std::string::npos ? c.error().message.find("relay.")
                                                                            : 0,
                      std::string::npos)
        << c.error().message;
  }
}

}  // namespace
}  // namespace letterhead::core
