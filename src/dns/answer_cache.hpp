#pragma once
// The answers every inbound message asks for again (the sender's SPF and DMARC TXT
// records, blocklist A records), kept for their TTL, at most five minutes, in front
// of libunbound's own cache: a hit there still costs two thread hand-offs and a
// pipe round trip. Only answers are kept (ok, nxdomain, nodata), never failures.
//
// Outsiders choose the names (every sender domain, every link host), so the size is
// bounded by two generations: when the young one fills, it becomes the old one and
// the old one is dropped; a hit in the old one moves the entry back to the young one.
// A flood of new names thus pushes out only what nobody asked for lately, and the
// answers of regular correspondents stay. Thread-safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/resolver.hpp"

namespace letterhead::dns {

class answer_cache {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr int max_ttl = 300;

  explicit answer_cache(std::size_t generation_size = 5000) : generation_size_(generation_size) {}

  [[nodiscard]] std::optional<answer<std::string>> get(int type, const std::string& name, clock::time_point now);
  // `ttl` in seconds from the answer; failures and TTL 0 are not kept.
  void put(int type, const std::string& name, const answer<std::string>& a, int ttl, clock::time_point now);

  [[nodiscard]] std::size_t size();

 private:
  struct entry {
    answer<std::string> a;
    clock::time_point expires;
  };
  void insert(const std::string& k, entry e);

  std::size_t generation_size_;  // at most twice this in all
  std::mutex m_;
  std::unordered_map<std::string, entry> young_;
  std::unordered_map<std::string, entry> old_;
};

}  // namespace letterhead::dns
