#include "delivery/outbound/schedule.hpp"

#include <algorithm>


namespace letterhead::delivery::outbound {

namespace {

using state = store::queue_recipient::state;

bool asks_success(const store::queue_recipient& r) {
  // RFC 3461 §4.1: NOTIFY is NEVER or a list of SUCCESS, FAILURE, DELAY.
  std::string notify = r.dsn_notify;
  for (auto& c : notify) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return notify.find("SUCCESS") != std::string::npos;
}

std::int64_t first_interval(const core::queue_config& q) {
  return q.retry_intervals.empty() ? 300 : q.retry_intervals.front().count();
}

}  // namespace

void record(store::queue_recipient& r, const smtp::client::status& s, const std::string& remote_mta) {
  using smtp::client::outcome;
  r.last_reply = s.describe();
  r.remote_mta = remote_mta;
  switch (s.result) {
    case outcome::delivered: r.status = state::delivered; break;
    case outcome::permanent: r.status = state::failed; break;
    case outcome::temporary: r.status = state::pending; break;
  }
}

attempt_outcome finish_attempt(store::queue_entry& e, const core::queue_config& q, store::unix_time now,
                               const std::vector<std::size_t>& relayed) {
  attempt_outcome out;
  ++e.attempts;
  e.last_attempt = now;
  const auto max_age = static_cast<store::unix_time>(q.max_age.count());
  const bool expired = now - e.created >= max_age;

  report failed{report_kind::failed, {}};
  report expiries{report_kind::expired, {}};
  report delayed{report_kind::delayed, {}};
  report successes{report_kind::relayed, {}};
  for (std::size_t i = 0; i < e.recipients.size(); ++i) {
    auto& r = e.recipients[i];
    if (r.status == state::pending && expired) {
      r.status = state::failed;
      r.last_reply = "4.4.7 Delivery time expired; last error: " + (r.last_reply.empty() ? "none" : r.last_reply);
      expiries.recipients.push_back(i);
      continue;
    }
    if (r.status == state::failed && !r.dsn_sent) failed.recipients.push_back(i);
    if (r.status == state::pending) delayed.recipients.push_back(i);
  }
  for (const auto i : relayed) {
    if (i < e.recipients.size() && e.recipients[i].status == state::delivered && !e.recipients[i].dsn_sent &&
        asks_success(e.recipients[i])) {
      successes.recipients.push_back(i);
    }
  }
  const bool pending = !delayed.recipients.empty();
  const auto delay_warning = static_cast<store::unix_time>(q.delay_warning.count());
  for (auto* r : {&failed, &expiries, &successes}) {
    if (!r->recipients.empty()) out.reports.push_back(std::move(*r));
  }
  if (pending && !e.delay_warned && now - e.created >= delay_warning) out.reports.push_back(std::move(delayed));

  out.finished = !pending;
  if (pending) {
    const auto& iv = q.retry_intervals;
    const std::size_t k = std::min<std::size_t>(e.attempts - 1, iv.empty() ? 0 : iv.size() - 1);
    const auto wait = iv.empty() ? first_interval(q) : iv[k].count();
    // RFC 5321 §4.5.4.1: retry at intervals, giving up after days; the last
    // attempt is made at the expiry time itself.
    e.next_attempt = std::min(now + static_cast<store::unix_time>(wait), e.created + max_age);
    e.next_attempt = std::max(e.next_attempt, now + 1);
  } else {
    // Not due again: the entry is about to be removed (or its reports retried).
    e.next_attempt = now + static_cast<store::unix_time>(first_interval(q));
  }
  return out;
}

void confirm_report(store::queue_entry& e, const report& r) {
  if (r.kind == report_kind::delayed) {
    e.delay_warned = true;
    return;
  }
  for (const auto i : r.recipients) {
    if (i < e.recipients.size()) e.recipients[i].dsn_sent = true;
  }
}

}  // namespace letterhead::delivery::outbound
