#include "mime/date.hpp"

#include <gtest/gtest.h>

namespace letterhead::mime {
namespace {

struct date_case {
  const char* raw;
  std::int64_t unix_seconds;
  int zone_minutes;
};

// Expected instants from Python's email.utils.parsedate_tz + mktime_tz, except where
// noted (Python reads "+08:00" as no zone and 3-digit years literally).
TEST(date, parses_rfc5322_and_obsolete_forms) {
  const date_case cases[] = {
      {"Mon, 7 Oct 2024 09:30:00 +0800", 1728264600, 480},
      {"7 Oct 2024 09:30 +0800", 1728264600, 480},  // no day name, no seconds
      {"Tue, 1 Jul 2003 10:52:37 +0200", 1057049557, 120},
      {"Fri, 21 Nov 1997 09:55:06 -0600", 880127706, -360},  // RFC 5322 A.1.1
      {"Thu, 13 Feb 1969 23:32:54 -0330", -27723426, -210},  // before 1970
      {"Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n"
       "               -0330 (Newfoundland Time)",
       -27723480, -210},  // RFC 5322 A.5
      {"21 Nov 97 09:55:06 GMT", 880106106, 0},  // two-digit year, GMT (A.6.2)
      {"1 Jan 00 00:00:00 UT", 946684800, 0},
      {"1 Jan 49 00:00:00 +0000", 2493072000, 0},
      {"1 Jan 149 00:00:00 +0000", 2493072000, 0},  // three digits: +1900 (§4.3)
      {"Wed, 02 Oct 2002 08:00:00 EST", 1033563600, -300},
      {"Wed, 02 Oct 2002 08:00:00 CST", 1033567200, -360},  // US Central, as the RFC says
      {"Sat, 19 Oct 2024 20:15:00 -0700", 1729394100, -420},
      {"Mon, 07 Oct 2024 09:30:00 +0800 (CST)", 1728264600, 480},
      {"Tuesday, 8 October 2024 14:05:33 +0800", 1728367533, 480},
      {"1 Jan 2000 00:00:00 Z", 946684800, 0},
      {"1 Jan 2000 00:00:00 A", 946684800, 0},  // military zone: -0000 (§4.3)
      {"1 Jan 2000 00:00:00 CET", 946684800, 0},  // unknown name: -0000
      {"Sun, 31 Dec 2023 23:59:60 +0000", 1704067200, 0},  // leap second
      {"Mon Jan  2 15:04:05 2006", 1136214245, 0},  // asctime
      {"01-Jul-2003 10:52:37 +0200", 1057049557, 120},
      {"Mon, 7 Oct 2024 09:30:00", 1728293400, 0},  // no zone
      {"Mon, 7 Oct 2024 09:30:00 +08:00", 1728264600, 480},
      {"Sat, 29 Feb 2020 12:00:00 +0000", 1582977600, 0},
      {"mon, 7 OCT 2024 09 : 30 : 00 +0800", 1728264600, 480},
      {"Mon, 7 Oct 2024 09:30:00 +0800 extra junk", 1728264600, 480},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.raw);
    auto d = parse_date(c.raw);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->unix_seconds, c.unix_seconds);
    EXPECT_EQ(d->zone_minutes, c.zone_minutes);
  }
}

TEST(date, rejects_garbage_and_out_of_range) {
  for (const char* raw :
       {"", "garbage", "Mon,", "32 Jan 2024 00:00:00 +0000", "31 Apr 2024 00:00:00 +0000",
        "29 Feb 2023 00:00:00 +0000", "1 Jan 2024 24:00:00 +0000", "1 Jan 2024 12:60 +0000",
        "1 Foo 2024 12:00 +0000", "1 Jan 2024", "1 Jan 2024 12 +0000", "1 Jan 2024 12:00 +0099",
        "1 Jan 2024 12:00 +123456", "1 Marsh 2024 12:00 +0000", "123 Jan 2024 12:00 +0000",
        "1 Jan 0099999 12:00 +0000"}) {
    EXPECT_FALSE(parse_date(raw).has_value()) << raw;
  }
}

}  // namespace
}  // namespace letterhead::mime
