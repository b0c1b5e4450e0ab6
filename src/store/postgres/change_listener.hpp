#pragma once
// Cross-node change notification (issue 7: a delivery on node A wakes an IMAP IDLE
// client on node B within a second). Writers send `pg_notify('letterhead_changes',
// '<account id>')` in the transaction that logs a change, so PostgreSQL delivers it
// on commit (its manual, NOTIFY: notifications are transactional). Every node listens
// on its own connection and hands each account id to the store's change_notifier.
//
// A notification carries no data: a lost one costs latency only, because sessions
// also re-check on a slow timer. So a dropped connection is simply re-established
// (after a second, then at most every ten) and listening resumes.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace letterhead::store::postgres {

inline constexpr const char* change_channel = "letterhead_changes";

class change_listener {
 public:
  using callback = std::function<void(std::int64_t account)>;

  change_listener(std::string conninfo, callback on_change);
  change_listener(const change_listener&) = delete;
  change_listener& operator=(const change_listener&) = delete;
  ~change_listener();

 private:
  void loop();

  std::string conninfo_;
  callback on_change_;
  int wake_[2] = {-1, -1};  // a pipe: the destructor writes to stop the thread
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace letterhead::store::postgres
