#include "app/bayes_trainer.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

namespace letterhead::app {

filter::bayes_options bayes_options_from(const core::config& cfg) {
  filter::bayes_options o;
  o.min_spam = cfg.spam.bayes_min_spam;
  o.min_ham = cfg.spam.bayes_min_ham;
  return o;
}

std::optional<store::bayes_company_limit> bayes_company_limit_from(const core::config& cfg) {
  if (cfg.spam.bayes_company_share >= 1.0) return std::nullopt;
  return store::bayes_company_limit{cfg.spam.bayes_company_share, cfg.spam.bayes_company_floor};
}

void bayes_trainer::submit(imap::server::junk_feedback fb) {
  bool start = false;
  {
    std::scoped_lock lock(mutex_);
    std::size_t dropped = 0;
    auto& mine = queued_[fb.account];
    const std::size_t per_account = std::max<std::size_t>(max_queue_ / 10, 1);
    for (auto& b : fb.blobs) {
      if (queue_.size() >= max_queue_ || mine >= per_account) {
        ++dropped;
        continue;
      }
      queue_.push_back(item{fb.account, fb.spam, std::move(b)});
      ++mine;
    }
    if (mine == 0) queued_.erase(fb.account);
    if (dropped != 0) spdlog::warn("bayes: training queue full, {} message(s) not learnt", dropped);
    if (!draining_ && !queue_.empty()) start = draining_ = true;
  }
  if (start) boost::asio::post(pool_, [self = shared_from_this()] { self->drain(); });
}

imap::server::junk_feedback_hook bayes_trainer::hook() {
  return [self = shared_from_this()](imap::server::junk_feedback fb) { self->submit(std::move(fb)); };
}

void bayes_trainer::drain() {
  for (;;) {
    item it;
    {
      std::scoped_lock lock(mutex_);
      if (queue_.empty()) {
        draining_ = false;
        return;
      }
      it = std::move(queue_.front());
      queue_.pop_front();
      if (auto q = queued_.find(it.account); q != queued_.end() && --q->second == 0) queued_.erase(q);
    }
    train(it);
  }
}

void bayes_trainer::train(const item& it) {
  const char* cls = it.spam ? "spam" : "ham";
  auto account = store_.get_account(it.account);
  if (!account) {
    spdlog::warn("bayes: account {} for training: {}", it.account, account.error().message);
    return;
  }
  auto bytes = store_.blobs().get(it.blob);
  if (!bytes) {
    spdlog::warn("bayes: message {} for training: {}", it.blob, bytes.error().message);
    return;
  }
  auto done = filter::bayes_train(store_, *account, it.blob, *bytes,
                                  it.spam ? store::bayes_class::spam : store::bayes_class::ham, options_, limit_);
  if (!done) {
    spdlog::warn("bayes: training {} as {} for {}: {}", it.blob, cls, account->address, done.error().message);
    return;
  }
  const char* what = done->outcome == store::bayes_training::trained ? "trained"
                     : done->outcome == store::bayes_training::moved ? "retrained"
                                                                     : "already trained";
  // The company's share (store::bayes_company_limit) reached: worth an admin's look
  // when it keeps happening, as one account is teaching far more than its colleagues.
  spdlog::info("bayes: {} {} as {} for {}{}", what, it.blob, cls, account->address,
               done->company ? "" : " (not for the company: this user's share of its tables is full)");
}

}  // namespace letterhead::app
