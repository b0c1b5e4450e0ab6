#pragma once
// The IMAP listeners: 143 (STARTTLS) and 993 (implicit TLS, RFC 8314) on the
// shared core::tcp_server.

#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"
#include "directory/directory.hpp"
#include "imap/server/junk_feedback.hpp"
#include "store/store.hpp"

namespace letterhead::core {
class runtime;
class tcp_server;
}  // namespace letterhead::core

namespace letterhead::imap::server {

[[nodiscard]] core::result<void> listen(core::tcp_server& tcp, core::runtime& rt, const core::config& config,
                                        store::store& store, directory::directory& dir, bool implicit_tls,
                                        std::string_view address, junk_feedback_hook junk_feedback = {});

}  // namespace letterhead::imap::server
