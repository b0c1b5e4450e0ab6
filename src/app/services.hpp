#pragma once
// What `serve` hands each protocol's wiring: the store and directory, the runtime,
// the shared listeners, and local delivery. Each start_* function (one file per
// protocol: serve_smtp.cpp, serve_pop3.cpp, serve_imap.cpp, serve_http.cpp) starts the listeners
// its [listen] keys ask for and returns how many; objects its sessions use for the
// life of the process go into `keep`, which outlives every session.

#include <cstddef>
#include <memory>
#include <vector>

#include "app/context.hpp"
#include "core/error.hpp"
#include "delivery/local_delivery.hpp"
#include "delivery/outbound/worker.hpp"

namespace letterhead::core {
class runtime;
class tcp_server;
}  // namespace letterhead::core

namespace letterhead::app {

struct services {
  context& ctx;
  core::runtime& rt;
  core::tcp_server& net;
  delivery::local_delivery& delivery;
  std::vector<std::shared_ptr<void>>& keep;
};

[[nodiscard]] core::result<std::size_t> start_smtp(services& s);
[[nodiscard]] core::result<std::size_t> start_pop3(services& s);
[[nodiscard]] core::result<std::size_t> start_imap(services& s);
[[nodiscard]] core::result<std::size_t> start_http(services& s);

// The outbound queue worker (serve_outbound.cpp); serve stops it at shutdown.
[[nodiscard]] core::result<std::shared_ptr<delivery::outbound::queue_worker>> start_outbound(services& s);

}  // namespace letterhead::app
