#pragma once
// The DNS records a domain needs, as zone-file lines for the admin to publish.

#include <cstdint>
#include <string>
#include <vector>

#include "store/types.hpp"

namespace letterhead::app {

// MX, SPF, DKIM (a TXT record for each key in `dkim_keys` that should be published
// at `now`: active, or retired recently), DMARC, MTA-STS, TLS-RPT, autoconfig and
// the RFC 6186 SRV records.
// `mta_sts_mode` is [http] mta_sts_mode.
[[nodiscard]] std::string dns_records(const std::string& domain, const std::string& hostname,
                                      const std::vector<store::dkim_key>& dkim_keys, std::int64_t now,
                                      const std::string& mta_sts_mode = "testing");

// RFC 8461 §3.2: the MTA-STS policy file the HTTP listener serves for our domains
// (mx = our hostname) and whose id `dns_records` publishes.
[[nodiscard]] std::string our_mta_sts_policy(const std::string& hostname, const std::string& mode);

}  // namespace letterhead::app
