#pragma once
// Group commit: one writer thread owns the only writing connection and commits the
// write requests of many callers together, so that one WAL fsync serves them all.
//
// A caller hands a request to submit() and blocks. The writer takes every request
// queued (up to max_batch), runs them inside one write transaction (begin_write ...
// COMMIT), each in its own SAVEPOINT so that a request that fails rolls back alone,
// then wakes all of them. No artificial delay: while one group is being fsynced the next one queues up,
// so group size grows with load by itself.
//
// Never a false success: a request's success stands only once COMMIT has returned.
// If COMMIT fails, or SQLite abandons the transaction mid-group (it does for some
// I/O and disk-full errors), every request of the group that had succeeded gets the
// error instead. Requests that failed on their own keep their own error.
//
// When the database says the transaction must be run again (PostgreSQL: another node's
// transaction conflicted, a serialization failure or deadlock), the whole group is
// rolled back and run again from its start, a few times: a request's run() must
// therefore leave nothing behind but its rows and its write_effects.
//
// Destruction drains the queue (every submitted request completes) and joins.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "store/sql/driver.hpp"

namespace letterhead::store::sql {

// What a request leaves to do once its rows are committed.
struct write_effects {
  std::vector<std::string> referenced_blobs;  // now referenced by rows: unpin
  std::vector<std::string> released_blobs;    // count fell to zero here: remove if still zero
};

struct write_context {
  connection& db;
  write_effects effects;
};

class write_request {
 public:
  virtual ~write_request() = default;
  // Runs on the writer thread inside the request's savepoint.
  [[nodiscard]] virtual core::result<void> run(write_context& ctx) = 0;
  // The group did not commit: the caller must see this error, whatever run() said.
  virtual void fail(core::error e) = 0;

 private:
  friend class group_commit;
  write_effects effects_;
  bool done_ = false;  // guarded by group_commit::mutex_
};

class group_commit {
 public:
  // Runs on the writer thread after each successful COMMIT, outside any transaction,
  // with the effects of every request of the group that succeeded.
  using after_commit_fn = std::function<void(connection&, const write_effects&)>;
  // Runs on the writer thread after every request of a group ran and before COMMIT;
  // an error fails the whole group. Makes deferred blobs durable (one sync per group).
  using before_commit_fn = std::function<core::result<void>()>;

  struct statistics {
    std::uint64_t groups = 0;
    std::uint64_t requests = 0;
  };

  group_commit(std::unique_ptr<connection> db, after_commit_fn after_commit, std::size_t max_batch,
               before_commit_fn before_commit = {});
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;
  ~group_commit();

  // Blocks until the request has run and its group has committed (or failed).
  void submit(write_request& request);

  [[nodiscard]] statistics stats();

 private:
  void loop();
  enum class outcome { done, retry };
  void run_group(const std::vector<write_request*>& group);
  outcome try_group(const std::vector<write_request*>& group, bool last_try);

  std::unique_ptr<connection> db_;
  after_commit_fn after_commit_;
  before_commit_fn before_commit_;
  std::size_t max_batch_;

  std::mutex mutex_;
  std::condition_variable work_cv_;  // writer waits for requests
  std::condition_variable done_cv_;  // callers wait for their group
  std::deque<write_request*> queue_;
  bool stopping_ = false;
  statistics stats_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace letterhead::store::sql
