#pragma once
// The DNS records a domain needs, as zone-file lines for the admin to publish.

#include <string>

namespace letterhead::app {

[[nodiscard]] std::string dns_records(const std::string& domain, const std::string& hostname);

}  // namespace letterhead::app
