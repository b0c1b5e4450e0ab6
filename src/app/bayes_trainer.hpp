#pragma once
// Trains the Bayesian classifier (filter/bayes.hpp) from users' Junk moves
// (imap/server/junk_feedback.hpp), off the IMAP response path: the hook only
// queues the blob hashes; one job at a time on the blocking pool drains the queue,
// reading each message, tokenising it (bounded by bayes_options) and recording it
// for the user and the company in one store transaction. The queue is bounded:
// past max_queue messages, or a tenth of that from one account (so that one user
// moving a whole mailbox in and out of Junk cannot crowd out everyone else's
// training), more feedback is dropped with a warning.

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/config.hpp"
#include "filter/bayes.hpp"
#include "imap/server/junk_feedback.hpp"
#include "store/store.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace letterhead::app {

// [spam] bayes_* settings as the classifier's options.
[[nodiscard]] filter::bayes_options bayes_options_from(const core::config& cfg);
// [spam] bayes_company_share and _floor: how much of the company's tables one user's
// moves may make up; none when the share is 1.
[[nodiscard]] std::optional<store::bayes_company_limit> bayes_company_limit_from(const core::config& cfg);

class bayes_trainer : public std::enable_shared_from_this<bayes_trainer> {
 public:
  bayes_trainer(store::store& st, boost::asio::thread_pool& pool, filter::bayes_options o,
                std::optional<store::bayes_company_limit> limit, std::size_t max_queue = 10000)
      : store_(st), pool_(pool), options_(o), limit_(limit), max_queue_(max_queue) {}

  // Never blocks: queues the messages and starts a drain job when none runs.
  void submit(imap::server::junk_feedback fb);

  // The hook for imap::server::listen; holds the trainer alive.
  [[nodiscard]] imap::server::junk_feedback_hook hook();

 private:
  struct item {
    store::id_t account = 0;
    bool spam = false;
    std::string blob;
  };
  void drain();
  void train(const item& it);

  store::store& store_;
  boost::asio::thread_pool& pool_;
  filter::bayes_options options_;
  std::optional<store::bayes_company_limit> limit_;
  std::size_t max_queue_;
  std::mutex mutex_;
  std::deque<item> queue_;
  std::unordered_map<store::id_t, std::size_t> queued_;  // per account, in queue_
  bool draining_ = false;
};

}  // namespace letterhead::app
