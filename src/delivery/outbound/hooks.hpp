#pragma once
// Where the outbound queue hands over what it does not do itself: telling senders
// about failures, delays and (when asked) successes (RFC 3464 DSNs, a follow-up),
// and signing messages before they leave (DKIM, RFC 6376, in mailauth/).
//
// Both are called on the blocking pool: they may use the store and do crypto.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/types.hpp"

namespace letterhead::delivery::outbound {

enum class report_kind {
  failed,     // permanent failure (5xx, or a message the destination cannot take)
  expired,    // still not delivered after [queue] max_age (RFC 3463 4.4.7)
  delayed,    // still trying after [queue] delay_warning (RFC 3464 action "delayed")
  delivered,  // delivered, for recipients that asked NOTIFY=SUCCESS (RFC 3461 §4.1)
  relayed,    // NOTIFY=SUCCESS but the next hop does not do DSN (RFC 3461 §5.2.2)
};

[[nodiscard]] const char* to_string(report_kind k) noexcept;

// Receives reports about recipients of a queue entry. `recipients` are indices into
// entry.recipients, whose status and last_reply say what happened. The queue marks
// them dsn_sent once report() succeeded, and keeps the entry (retrying the report)
// while it fails. A report may come twice after a crash, never not at all.
class bounce_sink {
 public:
  virtual ~bounce_sink() = default;
  [[nodiscard]] virtual core::result<void> report(const store::queue_entry& entry,
                                                  const std::vector<std::size_t>& recipients,
                                                  report_kind kind) = 0;
};

// Signs an outgoing message: returns header fields (each ending in CRLF) to put in
// front of it, or "" to send it as it is. An error sends the message unsigned.
class message_signer {
 public:
  virtual ~message_signer() = default;
  [[nodiscard]] virtual core::result<std::string> sign(const store::queue_entry& entry,
                                                       std::string_view message) = 0;
};

}  // namespace letterhead::delivery::outbound
