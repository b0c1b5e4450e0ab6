#include "dns/answer_cache.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace letterhead::dns {

namespace {

std::string key(int type, const std::string& name) { return fmt::format("{}:{}", type, name); }

}  // namespace

std::optional<answer<std::string>> answer_cache::get(int type, const std::string& name, clock::time_point now) {
  const auto k = key(type, name);
  std::scoped_lock lock(m_);
  if (auto it = young_.find(k); it != young_.end()) {
    if (now < it->second.expires) return it->second.a;
    young_.erase(it);
    return std::nullopt;
  }
  const auto it = old_.find(k);
  if (it == old_.end()) return std::nullopt;
  auto e = std::move(it->second);
  old_.erase(it);
  if (now >= e.expires) return std::nullopt;
  auto out = e.a;
  insert(k, std::move(e));
  return out;
}

void answer_cache::put(int type, const std::string& name, const answer<std::string>& a, int ttl,
                       clock::time_point now) {
  if (a.result == status::temporary || a.result == status::bogus) return;
  ttl = std::min(ttl, max_ttl);
  if (ttl <= 0) return;
  const auto k = key(type, name);
  std::scoped_lock lock(m_);
  old_.erase(k);
  insert(k, entry{a, now + std::chrono::seconds(ttl)});
}

std::size_t answer_cache::size() {
  std::scoped_lock lock(m_);
  return young_.size() + old_.size();
}

void answer_cache::insert(const std::string& k, entry e) {
  if (young_.size() >= generation_size_ && !young_.contains(k)) {
    old_ = std::move(young_);
    young_.clear();
  }
  young_.insert_or_assign(k, std::move(e));
}

}  // namespace letterhead::dns
