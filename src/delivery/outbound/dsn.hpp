#pragma once
// Delivery status notifications (RFC 3464) for the outbound queue: the report
// message itself (multipart/report, RFC 6522) and the bounce_sink that sends it from
// the null sender to the original envelope sender through local delivery, so that a
// local sender finds it in their INBOX and a remote one gets it through the queue.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/local_delivery.hpp"
#include "delivery/outbound/hooks.hpp"
#include "store/store.hpp"

namespace letterhead::delivery::outbound {

struct dsn_options {
  std::string hostname;  // Reporting-MTA and the Message-ID's domain
  // Above this size only the original header section is returned (RFC 3464 §5.3
  // lets the MTA truncate); RET=HDRS always returns only the header section.
  std::size_t max_returned_size = std::size_t{1} << 20;
  store::unix_time max_age = 5 * 24 * 3600;  // for Will-Retry-Until of delays
};

// Whether a recipient asked for (or, without NOTIFY, gets by default) a report of
// this kind. RFC 3461 §4.1: NEVER suppresses all; without NOTIFY an MTA may act as
// if NOTIFY=FAILURE,DELAY had been given, which we do.
[[nodiscard]] bool wants_report(const store::queue_recipient& r, report_kind kind);

// The RFC 3464 status code for a recipient: the enhanced code of its last reply if
// it has one of the right class, else ours (4.4.7 for expiry).
[[nodiscard]] std::string dsn_status(const store::queue_recipient& r, report_kind kind);

// The complete DSN (RFC 5322 message, CRLF lines, no Return-Path) about
// `recipients` of `entry`; `original` is the queued message.
[[nodiscard]] std::string build_dsn(const store::queue_entry& entry, const std::vector<std::size_t>& recipients,
                                    report_kind kind, std::string_view original, const dsn_options& options,
                                    store::unix_time now);

// Sends DSNs. A report about a message from the null sender (itself a bounce) is
// logged and dropped: no bounce loops (RFC 3461 §6.2, RFC 5321 §4.5.5).
class dsn_bounce_sink final : public bounce_sink {
 public:
  dsn_bounce_sink(store::store& store, local_delivery& delivery, dsn_options options);
  core::result<void> report(const store::queue_entry& entry, const std::vector<std::size_t>& recipients,
                            report_kind kind) override;

 private:
  store::store& store_;
  local_delivery& delivery_;
  dsn_options options_;
};

}  // namespace letterhead::delivery::outbound
