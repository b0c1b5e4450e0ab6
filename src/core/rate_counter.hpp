#pragma once
// Counting events per key over a sliding window, for abuse limits: new SMTP
// connections per client IP per minute, messages to outside recipients per
// submitting account per hour (issue 5 §6).
//
// The interface is small on purpose: one node keeps its counts in memory; a cluster
// (issue 7) shares them through the database behind the same calls (app/
// shared_rate_counter.hpp), which then block on the network: see blocks().
// The in-memory counter is bounded: at most max_keys keys, each a few words; when
// full, expired keys are swept and, if that is not enough, live keys go until an
// eighth of the table is free (so a sweep runs at most once per max_keys / 8 new keys).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace letterhead::core {

class rate_counter {
 public:
  using clock = std::chrono::steady_clock;
  virtual ~rate_counter() = default;

  // Records one event for `key` and returns the events of the window including it.
  [[nodiscard]] virtual std::size_t hit(std::string_view key, clock::time_point now) = 0;
  // The events of the window, without recording one.
  [[nodiscard]] virtual std::size_t count(std::string_view key, clock::time_point now) = 0;
  // Records n events at once; returns as hit() does (count() when n is 0).
  [[nodiscard]] virtual std::size_t add(std::string_view key, clock::time_point now, std::size_t n) {
    std::size_t total = count(key, now);
    for (std::size_t i = 0; i < n; ++i) total = hit(key, now);
    return total;
  }
  // true when the calls wait on another machine (the cluster's database): call them
  // from the blocking pool, never from an I/O thread.
  [[nodiscard]] virtual bool blocks() const noexcept { return false; }
};

// Sliding-window counter from two fixed buckets (the previous bucket weighted by how
// much of it still lies in the window): exact while a key stays within one bucket,
// never off by more than the previous bucket's share otherwise. Thread-safe.
// The key a per-client limit counts under: an IPv4 address itself, an IPv6 address
// its /64 (one subscriber's usual allocation, so rotating through it evades nothing),
// an IPv4-mapped IPv6 address the IPv4 one.
[[nodiscard]] std::string client_rate_key(std::string_view ip);

[[nodiscard]] std::unique_ptr<rate_counter> make_memory_rate_counter(std::chrono::seconds window,
                                                                     std::size_t max_keys = 100000);

}  // namespace letterhead::core
