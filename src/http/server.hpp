#pragma once
// The HTTP listeners: http (plain) and https (implicit TLS) on the shared
// core::tcp_server, each running one HTTP/1.1 session per connection that answers
// requests through a router. The router must outlive the listeners.

#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"
#include "http/router.hpp"

namespace letterhead::core {
class runtime;
class tcp_server;
}  // namespace letterhead::core

namespace letterhead::http {

[[nodiscard]] core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                                        const router& routes, bool implicit_tls, std::string_view address);

}  // namespace letterhead::http
