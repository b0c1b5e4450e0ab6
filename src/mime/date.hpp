#pragma once
// The Date field (RFC 5322 §3.3 date-time, with the obsolete forms of §4.3).

#include <cstdint>
#include <optional>
#include <string_view>

namespace letterhead::mime {

struct date_time {
  std::int64_t unix_seconds = 0;  // the instant, in seconds since 1970-01-01T00:00:00Z
  int zone_minutes = 0;           // the writer's offset from UTC, e.g. +480 for "+0800"
};

// Accepts: an optional day name (abbreviated or full, comma optional); day, month name
// (abbreviated or full, any case) and year, separated by whitespace or "-"; two-digit
// years (< 50 is 20xx, else 19xx) and three-digit years (+1900) per §4.3; hh:mm with
// optional :ss (60 allowed, leap second); zones "+hhmm", "+hh:mm", "UT", "GMT", "UTC",
// "Z", the US names of §4.3 (EST, EDT, CST, CDT, MST, MDT, PST, PDT: "CST" is US Central,
// -0600, as the RFC defines it, even though Chinese mailers mean +0800 by it; they
// usually write "+0800 (CST)", whose comment is ignored) and military letters, which
// §4.3 says to treat as -0000; a missing zone is taken as UTC. Comments are ignored.
// Also reads the asctime() form "Mon Jan  2 15:04:05 2006". nullopt if no date is found
// or a field is out of range (day 31 in April, hour 24, ...).
[[nodiscard]] std::optional<date_time> parse_date(std::string_view raw_value);

}  // namespace letterhead::mime
