#pragma once
// Which MTA-STS policy is in force for a recipient domain (RFC 8461 §5.1): the
// policy cached in the store while it is valid (it survives restarts, and an
// attacker who blocks DNS or HTTPS cannot remove it before max_age runs out),
// fetched again when the _mta-sts TXT record's id differs from the cached one.
// Blocks (DNS, HTTPS, store): call it on the blocking pool.

#include <optional>
#include <string>
#include <string_view>

#include "delivery/outbound/mta_sts.hpp"
#include "delivery/outbound/mta_sts_fetch.hpp"
#include "dns/resolver.hpp"
#include "store/store.hpp"

namespace letterhead::delivery::outbound {

struct domain_sts {
  std::optional<sts_policy> policy;  // mode testing or enforce; none = no MTA-STS
  std::string note;                  // how it was found, or why none: for logs
};

[[nodiscard]] domain_sts sts_for_domain(dns::resolver& resolver, store::store& store, std::string_view domain,
                                        const sts_fetch_options& options, store::unix_time now);

}  // namespace letterhead::delivery::outbound
