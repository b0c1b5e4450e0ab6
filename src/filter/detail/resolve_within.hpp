#pragma once
// A host's addresses for the blocking socket clients of filter/ (clamd, rspamd),
// found within the caller's deadline. A literal address needs no lookup. A name is
// looked up by glibc as getaddrinfo would (/etc/hosts, then DNS), but through
// getaddrinfo_a: getaddrinfo itself blocks for as long as the resolver configuration
// says (timeout × attempts × servers: half a minute and more when a server is down),
// holding a blocking-pool thread past the check's own timeout. A lookup still running
// at the deadline is left to finish on glibc's thread.

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace letterhead::filter::detail {

struct socket_address {
  sockaddr_storage sa{};
  socklen_t length = 0;
  int family = 0;
};

// At most 16 addresses, in the resolver's order. errc::unavailable, with "timed out"
// in the message at the deadline, when there are none.
[[nodiscard]] core::result<std::vector<socket_address>> resolve_within(
    const std::string& host, std::uint16_t port, std::chrono::steady_clock::time_point deadline);

}  // namespace letterhead::filter::detail
