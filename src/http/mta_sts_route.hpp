#pragma once
// GET /.well-known/mta-sts.txt (RFC 8461 §3.3): our MTA-STS policy, for requests
// whose Host is mta-sts.DOMAIN with DOMAIN one of ours; anything else is 404, so
// that the server states no policy for domains it does not serve.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/router.hpp"

namespace letterhead::http {

// The policy text for one of our (lower-case) domains, nullopt when the domain is
// not ours. May block: the route runs on the blocking pool.
using sts_policy_source = std::function<core::result<std::optional<std::string>>(std::string_view domain)>;

void add_mta_sts_route(router& r, sts_policy_source policy_for);

}  // namespace letterhead::http
