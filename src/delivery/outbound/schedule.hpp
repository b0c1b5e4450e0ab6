#pragma once
// What an attempt's results mean for a queue entry: the retry schedule with backoff,
// expiry after max_age, the one delay warning, and which recipients to report to the
// sender. Pure functions of the entry, the config and the time: unit-tested.

#include <cstddef>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "delivery/outbound/hooks.hpp"
#include "smtp/client/client.hpp"
#include "store/types.hpp"

namespace letterhead::delivery::outbound {

// Records a recipient's result: delivered and permanent are final; temporary stays
// pending. last_reply keeps the reply (or our reason), remote_mta who gave it.
void record(store::queue_recipient& r, const smtp::client::status& s, const std::string& remote_mta);

struct report {
  report_kind kind;
  std::vector<std::size_t> recipients;
};

struct attempt_outcome {
  std::vector<report> reports;
  // Nothing pending: the entry goes once its reports went out.
  bool finished = false;
};

// After an attempt whose recipient results were record()ed: counts the attempt,
// fails recipients still pending after max_age (expired, RFC 3463 4.4.7), schedules
// the next attempt (intervals[attempts-1], the last repeating, never past the expiry
// time) and lists the reports due: failures not yet reported (dsn_sent false),
// expiries, the delay warning once (after delay_warning, while recipients are
// pending), and `relayed` for recipients in `relayed` that asked NOTIFY=SUCCESS.
[[nodiscard]] attempt_outcome finish_attempt(store::queue_entry& e, const core::queue_config& q,
                                             store::unix_time now, const std::vector<std::size_t>& relayed);

// Marks what a successful report covered: dsn_sent, or delay_warned for `delayed`.
void confirm_report(store::queue_entry& e, const report& r);

}  // namespace letterhead::delivery::outbound
