#pragma once
// The runtime (DESIGN.md "Runtime"): a pool of io threads running one io_context,
// where each connection is one coroutine, and a bounded blocking pool for work
// that may block (store calls, fsync, password hashing). Io threads never block.
//
// This header brings Asio: include it only from .cpp files of protocol code.

#include <functional>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace letterhead::core {

namespace asio = boost::asio;

struct runtime_options {
  unsigned io_threads = 0;        // 0 = one per core
  unsigned blocking_threads = 0;  // 0 = max(32, 8 per core)
};

class runtime {
 public:
  explicit runtime(const runtime_options& options);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  [[nodiscard]] asio::io_context& io() noexcept { return io_; }
  [[nodiscard]] asio::thread_pool& blocking() noexcept { return blocking_; }

  // Runs the io threads (the calling thread is one of them) until stop().
  void run();
  void stop();

 private:
  unsigned io_threads_;
  asio::io_context io_;
  asio::thread_pool blocking_;
};

// Runs f() on the blocking pool and resumes the calling coroutine on its own
// executor with f's result (exceptions propagate). f is taken by value so that
// nothing it refers to on the caller's frame is needed after it ran.
template <class F>
asio::awaitable<std::invoke_result_t<F>> run_blocking(asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  // A named coroutine function, not a lambda temporary in the co_await expression
  // (TOOLCHAIN.md: pattern 1).
  auto task = [](F fn) -> asio::awaitable<R> { co_return fn(); };
  co_return co_await asio::co_spawn(pool, task(std::move(f)), asio::use_awaitable);
}

}  // namespace letterhead::core
