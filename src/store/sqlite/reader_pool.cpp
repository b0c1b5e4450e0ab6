#include "store/sqlite/reader_pool.hpp"

namespace letterhead::store::sqlite {

core::result<reader_pool::lease> reader_pool::acquire() {
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return lease(*this, std::move(c));
    }
    ++open_;
  }
  // Opening reads the schema: done outside the lock so other readers are not held up.
  auto c = connection::open(path_, connection_role::reader);
  if (!c) {
    {
      std::lock_guard lock(mutex_);
      --open_;
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

}  // namespace letterhead::store::sqlite
