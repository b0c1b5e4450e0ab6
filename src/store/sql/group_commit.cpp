#include "store/sql/group_commit.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace letterhead::store::sql {

namespace {

// Runs of one group when the database keeps asking for a retry; then the error stands.
// Between runs a random pause that grows with each run: two nodes whose groups keep
// touching the same rows (one busy account) must stop colliding in lockstep.
constexpr int max_group_runs = 20;

void pause_before_run(int run) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling_ms = 1 << std::min(run, 7);  // 2, 4, ... 128 ms
  std::this_thread::sleep_for(std::chrono::milliseconds(random() % static_cast<unsigned>(ceiling_ms + 1)));
}

core::error group_failed(const core::error& cause) {
  return core::error{cause.code, "the commit group was rolled back: " + cause.message};
}

void append(std::vector<std::string>& to, std::vector<std::string>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

group_commit::group_commit(std::unique_ptr<connection> db, after_commit_fn after_commit,
                           std::size_t max_batch, before_commit_fn before_commit)
    : db_(std::move(db)),
      after_commit_(std::move(after_commit)),
      before_commit_(std::move(before_commit)),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      thread_([this] { loop(); }) {}

group_commit::~group_commit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  thread_.join();
}

void group_commit::submit(write_request& request) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    request.fail(core::error{core::errc::unavailable, "store is closing"});
    return;
  }
  queue_.push_back(&request);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return request.done_; });
}

group_commit::statistics group_commit::stats() {
  std::lock_guard lock(mutex_);
  return stats_;
}

void group_commit::loop() {
  std::vector<write_request*> group;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every submitted request is done
      auto n = std::min(queue_.size(), max_batch_);
      group.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    run_group(group);
    {
      std::lock_guard lock(mutex_);
      ++stats_.groups;
      stats_.requests += group.size();
      // After this unlock a caller may return and destroy its request: no access below.
      for (auto* r : group) r->done_ = true;
    }
    done_cv_.notify_all();
    group.clear();
  }
}

void group_commit::run_group(const std::vector<write_request*>& group) {
  for (int run = 1; run <= max_group_runs; ++run) {
    if (try_group(group, run == max_group_runs) == outcome::done) return;
    if (db_->in_transaction()) (void)db_->exec("ROLLBACK");
    pause_before_run(run);
  }
}

group_commit::outcome group_commit::try_group(const std::vector<write_request*>& group, bool last_try) {
  if (auto begin = db_->begin_write(); !begin) {
    if (!last_try && db_->must_retry()) return outcome::retry;
    for (auto* r : group) r->fail(begin.error());
    return outcome::done;
  }
  std::vector<bool> succeeded(group.size(), false);
  std::optional<core::error> lost;  // the transaction is gone: nothing more can commit
  for (std::size_t i = 0; i < group.size(); ++i) {
    auto* r = group[i];
    if (lost) {
      r->fail(group_failed(*lost));
      continue;
    }
    if (auto sp = db_->exec("SAVEPOINT request"); !sp) {
      lost = sp.error();
      r->fail(*lost);
      continue;
    }
    write_context ctx{*db_, {}};
    auto result = r->run(ctx);
    if (!result && !last_try && db_->must_retry()) return outcome::retry;
    if (!db_->in_transaction()) {
      // SQLite rolled back the whole transaction (some I/O and disk-full errors do).
      lost = result ? core::error{core::errc::internal, "transaction ended inside a request"}
                    : result.error();
      r->fail(*lost);
      continue;
    }
    if (result) {
      if (auto rel = db_->exec("RELEASE request"); !rel) {
        if (!last_try && db_->must_retry()) return outcome::retry;
        lost = rel.error();
        r->fail(*lost);
        continue;
      }
      succeeded[i] = true;
      r->effects_ = std::move(ctx.effects);
    } else {
      // The request keeps its own error; only its own changes are undone.
      auto undo = db_->exec("ROLLBACK TO request");
      if (undo) undo = db_->exec("RELEASE request");
      if (!undo) lost = undo.error();
    }
  }

  auto fail_succeeded = [&](const core::error& e) {
    if (db_->in_transaction()) (void)db_->exec("ROLLBACK");
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (succeeded[i]) group[i]->fail(group_failed(e));
    }
  };
  if (lost) {
    fail_succeeded(*lost);
    return outcome::done;
  }
  if (before_commit_) {
    if (auto ready = before_commit_(); !ready) {
      fail_succeeded(ready.error());
      return outcome::done;
    }
  }
  if (auto commit = db_->commit(); !commit) {
    // PostgreSQL may find a serialization failure only at COMMIT.
    if (!last_try && db_->must_retry()) return outcome::retry;
    fail_succeeded(commit.error());
    return outcome::done;
  }

  write_effects all;
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!succeeded[i]) continue;
    append(all.referenced_blobs, group[i]->effects_.referenced_blobs);
    append(all.released_blobs, group[i]->effects_.released_blobs);
  }
  if (after_commit_ && (!all.referenced_blobs.empty() || !all.released_blobs.empty())) {
    after_commit_(*db_, all);
  }
  return outcome::done;
}

}  // namespace letterhead::store::sql
