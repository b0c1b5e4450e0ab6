#pragma once
// In-process change notification per account: writers call notify(account) after a
// successful commit; sessions (IMAP IDLE, later JMAP push) subscribe and then read
// what changed from the change log. A notification carries no data, so a missed or
// merged one costs nothing but latency; sessions also re-check on a slow timer to
// see changes made by other processes (the CLI) or, with PostgreSQL, other nodes.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "store/types.hpp"

namespace letterhead::store {

class change_notifier {
 public:
  using callback = std::function<void()>;

  // The callback runs on the notifying thread: it must only post work elsewhere.
  [[nodiscard]] std::uint64_t subscribe(id_t account, callback cb) {
    std::lock_guard lock(mutex_);
    const auto token = ++next_;
    subscribers_.emplace(token, entry{account, std::move(cb)});
    return token;
  }

  void unsubscribe(std::uint64_t token) {
    std::lock_guard lock(mutex_);
    subscribers_.erase(token);
  }

  void notify(id_t account) {
    std::lock_guard lock(mutex_);
    for (auto& [token, e] : subscribers_) {
      if (e.account == account) e.cb();
    }
  }

 private:
  struct entry {
    id_t account;
    callback cb;
  };
  std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, entry> subscribers_;
};

}  // namespace letterhead::store
