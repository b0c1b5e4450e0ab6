#include "delivery/outbound/hooks.hpp"

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

}  // namespace letterhead::delivery::outbound
