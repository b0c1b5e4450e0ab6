#pragma once
// The SMTP listeners: MX (25), submission (587) and submissions (465) on the shared
// core::tcp_server, each running one smtp session per connection.

#include <memory>
#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::core {
class rate_counter;
class runtime;
class tcp_server;
}  // namespace letterhead::core

namespace letterhead::smtp::server {

// connection_rate counts new connections per client for [limits]
// smtp_connections_per_minute_per_ip (a one-minute window); null: a counter in this
// process's memory.
[[nodiscard]] core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                                        backend& backend, listener_kind kind, std::string_view address,
                                        std::shared_ptr<core::rate_counter> connection_rate = {});

}  // namespace letterhead::smtp::server
