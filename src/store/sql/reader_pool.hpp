#pragma once
// Read connections, lent one per call. A reader never waits for the writer (SQLite in
// WAL mode, PostgreSQL's MVCC): it reads the last committed state, so reads go on
// during a group commit.
// Connections are opened lazily up to `max`; a caller beyond that waits for one.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/sql/driver.hpp"

namespace letterhead::store::sql {

class reader_pool {
 public:
  class lease {
   public:
    lease(reader_pool& pool, std::unique_ptr<connection> c) : pool_(&pool), c_(std::move(c)) {}
    lease(lease&& o) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    ~lease() {
      if (c_) pool_->give_back(std::move(c_));
    }
    connection& operator*() const noexcept { return *c_; }
    connection* operator->() const noexcept { return c_.get(); }

   private:
    reader_pool* pool_;
    std::unique_ptr<connection> c_;
  };

  reader_pool(connection_factory open, std::size_t max) : open_(std::move(open)), max_(max) {}

  [[nodiscard]] core::result<lease> acquire();

 private:
  void give_back(std::unique_ptr<connection> c);

  connection_factory open_;
  std::size_t max_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t opened_ = 0;  // idle and lent
};

}  // namespace letterhead::store::sql
