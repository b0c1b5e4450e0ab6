#pragma once
// The SMTP listeners: MX (25), submission (587) and submissions (465) on the shared
// core::tcp_server, each running one smtp session per connection.

#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::core {
class runtime;
class tcp_server;
}  // namespace letterhead::core

namespace letterhead::smtp::server {

[[nodiscard]] core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                                        backend& backend, listener_kind kind, std::string_view address);

}  // namespace letterhead::smtp::server
