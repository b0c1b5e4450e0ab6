#pragma once
// The routes every HTTP listener has: "/" (a short page naming the server), /healthz
// (200 "ok" while the process serves) and /metrics (the Prometheus text format from
// core::metrics::global(), gauge callbacks evaluated at the scrape; who may read it is
// [http] metrics: off, loopback or anyone).

#include <string>

#include "http/router.hpp"

namespace letterhead::http {

struct basic_options {
  std::string metrics = "loopback";  // "off", "loopback", "anyone"
};

void add_basic_routes(router& r, const basic_options& options);

// 127.0.0.0/8 or ::1, as the transport reports the peer (IPv4-mapped already mapped).
[[nodiscard]] bool loopback_ip(std::string_view ip) noexcept;

}  // namespace letterhead::http
