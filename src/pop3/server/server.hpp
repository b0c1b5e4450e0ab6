#pragma once
// The POP3 listeners: pop3 (110, STLS) and pop3s (995, implicit TLS, RFC 8314 §3.3)
// on the shared core::tcp_server, each running one pop3 session per connection.

#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"
#include "pop3/server/backend.hpp"

namespace letterhead::core {
class runtime;
class tcp_server;
}  // namespace letterhead::core

namespace letterhead::pop3::server {

[[nodiscard]] core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                                        backend& backend, bool implicit_tls, std::string_view address);

}  // namespace letterhead::pop3::server
