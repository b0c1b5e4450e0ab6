#include "delivery/outbound/hooks.hpp"

#include <spdlog/spdlog.h>

namespace letterhead::delivery::outbound {

const char* to_string(report_kind k) noexcept {
  switch (k) {
    case report_kind::failed: return "failed";
    case report_kind::expired: return "expired";
    case report_kind::delayed: return "delayed";
    case report_kind::delivered: return "delivered";
    case report_kind::relayed: return "relayed";
  }
  return "?";
}

core::result<void> logging_bounce_sink::report(const store::queue_entry& entry,
                                               const std::vector<std::size_t>& recipients, report_kind kind) {
  for (const auto i : recipients) {
    const auto& r = entry.recipients.at(i);
    spdlog::info("queue {}: <{}> {} (sender <{}>): {}", entry.id, r.address, to_string(kind), entry.mail_from,
                 r.last_reply);
  }
  return {};
}

}  // namespace letterhead::delivery::outbound
