#include "core/runtime.hpp"

#include <algorithm>

namespace letterhead::core {
namespace {

unsigned cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

runtime::runtime(const runtime_options& options)
    : io_threads_(options.io_threads != 0 ? options.io_threads : cores()),
      io_(static_cast<int>(io_threads_)),
      // Most blocking work is waiting (for a group commit's fsync, the disk), not
      // computing: enough threads that many deliveries can share one commit group.
      blocking_(options.blocking_threads != 0 ? options.blocking_threads
                                              : std::max(32u, 8 * cores())) {}

runtime::~runtime() {
  io_.stop();
  blocking_.join();
}

void runtime::run() {
  std::vector<std::thread> threads;
  threads.reserve(io_threads_ - 1);
  for (unsigned i = 1; i < io_threads_; ++i) {
    threads.emplace_back([this] { io_.run(); });
  }
  io_.run();
  for (auto& t : threads) t.join();
}

void runtime::stop() { io_.stop(); }

}  // namespace letterhead::core
