#include "app/shared_rate_counter.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <limits>

namespace letterhead::app {
namespace {

class shared_rate_counter final : public core::rate_counter {
 public:
  shared_rate_counter(store::store& st, std::string scope, std::chrono::seconds window)
      : store_(st), scope_(std::move(scope)), window_(window) {}

  std::size_t hit(std::string_view key, clock::time_point now) override { return add(key, now, 1); }
  std::size_t count(std::string_view key, clock::time_point now) override { return add(key, now, 0); }

  // `now` (steady, this machine) is not used: the window is on the store's clock,
  // which all nodes share.
  std::size_t add(std::string_view key, clock::time_point, std::size_t n) override {
    auto t = store_.clock();
    if (!t) return failed(t.error());
    auto events = store_.rate_hit(scope_ + ":" + std::string(key), *t, window_, n);
    if (!events) return failed(events.error());
    return static_cast<std::size_t>(*events);
  }

  bool blocks() const noexcept override { return true; }

 private:
  std::size_t failed(const core::error& e) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto last = last_warning_.load(std::memory_order_relaxed);
    const auto minute = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::minutes(1)).count();
    if (now - last >= minute && last_warning_.compare_exchange_strong(last, now)) {
      spdlog::warn("rate limit {}: the shared counter is unavailable, letting events through: {}", scope_,
                   e.message);
    }
    return 0;
  }

  store::store& store_;
  const std::string scope_;
  const std::chrono::seconds window_;
  std::atomic<std::chrono::steady_clock::rep> last_warning_{std::numeric_limits<std::chrono::steady_clock::rep>::min() / 2};
};

}  // namespace

std::unique_ptr<core::rate_counter> make_shared_rate_counter(store::store& st, std::string scope,
                                                             std::chrono::seconds window) {
  return std::make_unique<shared_rate_counter>(st, std::move(scope), window);
}

std::unique_ptr<core::rate_counter> make_rate_counter(const core::config& cfg, store::store& st, std::string scope,
                                                      std::chrono::seconds window) {
  if (cfg.store.backend == "postgres") return make_shared_rate_counter(st, std::move(scope), window);
  return core::make_memory_rate_counter(window);
}

}  // namespace letterhead::app
