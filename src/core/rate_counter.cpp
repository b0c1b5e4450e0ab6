#include "core/rate_counter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>

namespace letterhead::core {

namespace {

class memory_rate_counter final : public rate_counter {
 public:
  memory_rate_counter(std::chrono::seconds window, std::size_t max_keys)
      : window_(std::chrono::duration_cast<clock::duration>(window)), max_keys_(max_keys == 0 ? 1 : max_keys) {}

  std::size_t hit(std::string_view key, clock::time_point now) override {
    std::scoped_lock lock(mutex_);
    auto it = keys_.find(std::string(key));
    if (it == keys_.end()) {
      if (keys_.size() >= max_keys_) make_room(now);
      it = keys_.emplace(std::string(key), entry{now, 0, 0}).first;
    }
    roll(it->second, now);
    ++it->second.current;
    return estimate(it->second, now);
  }

  std::size_t count(std::string_view key, clock::time_point now) override {
    std::scoped_lock lock(mutex_);
    auto it = keys_.find(std::string(key));
    if (it == keys_.end()) return 0;
    roll(it->second, now);
    return estimate(it->second, now);
  }

 private:
  struct entry {
    clock::time_point start;  // of the current bucket
    std::size_t current;
    std::size_t previous;
  };

  void roll(entry& e, clock::time_point now) const {
    if (now < e.start + window_) return;
    const bool adjacent = now < e.start + 2 * window_;
    e.previous = adjacent ? e.current : 0;
    e.current = 0;
    // Buckets stay aligned to the key's first event so that an idle key restarts clean.
    const auto whole = (now - e.start) / window_;
    e.start += whole * window_;
  }

  std::size_t estimate(const entry& e, clock::time_point now) const {
    if (e.previous == 0) return e.current;
    const double into = std::chrono::duration<double>(now - e.start) / std::chrono::duration<double>(window_);
    const double left = into >= 1.0 ? 0.0 : 1.0 - into;
    return e.current + static_cast<std::size_t>(static_cast<double>(e.previous) * left);
  }

  // Runs under the lock on the accept path, so it must not run often: it leaves an
  // eighth of the table free, and the sweep's cost is spread over that many new keys.
  void make_room(clock::time_point now) {
    std::erase_if(keys_, [&](const auto& kv) { return now >= kv.second.start + 2 * window_; });
    // Still (nearly) full of live keys, a flood from many addresses: forget live keys
    // in hash order, which is as good as random.
    const std::size_t keep = max_keys_ - max_keys_ / 8 - 1;
    for (auto it = keys_.begin(); it != keys_.end() && keys_.size() > keep;) it = keys_.erase(it);
  }

  const clock::duration window_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, entry> keys_;
};

}  // namespace

std::string client_rate_key(std::string_view ip) {
  const std::string text(ip.substr(0, 64));
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return text;
  char buf[INET6_ADDRSTRLEN] = {};
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    return inet_ntop(AF_INET, v6.s6_addr + 12, buf, sizeof buf) != nullptr ? std::string(buf) : text;
  }
  std::fill(v6.s6_addr + 8, v6.s6_addr + 16, 0);
  return inet_ntop(AF_INET6, &v6, buf, sizeof buf) != nullptr ? std::string(buf) + "/64" : text;
}

std::unique_ptr<rate_counter> make_memory_rate_counter(std::chrono::seconds window, std::size_t max_keys) {
  return std::make_unique<memory_rate_counter>(window, max_keys);
}

}  // namespace letterhead::core
