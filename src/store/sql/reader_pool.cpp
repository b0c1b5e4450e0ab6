#include "store/sql/reader_pool.hpp"

namespace letterhead::store::sql {

core::result<reader_pool::lease> reader_pool::acquire() {
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !idle_.empty() || opened_ < max_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return lease(*this, std::move(c));
    }
    ++opened_;
  }
  // Opening may take a while (schema read, network): outside the lock so that other
  // readers are not held up.
  auto c = open_();
  if (!c) {
    {
      std::lock_guard lock(mutex_);
      --opened_;
    }
    cv_.notify_one();
    return std::unexpected(c.error());
  }
  return lease(*this, std::move(*c));
}

void reader_pool::give_back(std::unique_ptr<connection> c) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

}  // namespace letterhead::store::sql
