#pragma once
// Fetching a domain's MTA-STS policy file over HTTPS (RFC 8461 §3.3): GET
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt, the server's certificate
// verified (PKIX, RFC 6125 name mta-sts.DOMAIN), no redirects followed, only a
// 200 with text/plain taken, the body at most 64 KiB and the whole exchange
// within `timeout`. The host's addresses come from our resolver (never the
// system's). Blocks: call it on the blocking pool.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "dns/resolver.hpp"

namespace letterhead::delivery::outbound {

struct sts_fetch_options {
  std::string ca_file;                // extra CA certificates (PEM); the system's are always used
  std::uint16_t port = 443;           // tests point this at their own server
  std::chrono::seconds timeout{60};   // for the whole fetch
};

[[nodiscard]] core::result<std::string> fetch_sts_policy(dns::resolver& resolver, std::string_view domain,
                                                         const sts_fetch_options& options);

}  // namespace letterhead::delivery::outbound
