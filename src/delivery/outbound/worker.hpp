#pragma once
// The outbound queue worker that `serve` runs: it claims due entries from the store
// (a lease, so that several processes or nodes can share one queue and a crashed
// one's entries come back when its leases run out), sends each entry's recipients
// grouped by destination domain, one transaction per domain, over the SMTP client,
// and writes the results back: 2xx delivered, 5xx failed (reported to the bounce
// sink), 4xx and connection trouble retried on the [queue] schedule until max_age.
//
// Strategy (kept here, as Postfix keeps its queue manager's):
// - Wakes when local delivery enqueues (wake()), when a delivery ends, and at least
//   every poll_interval; takes at most `concurrency` entries at a time.
// - Per destination (domain, or the smarthost) at most `per_destination`
//   connections at once; others wait their turn. An idle connection is kept for
//   idle_connection seconds and reused (RSET when a transaction was abandoned) for
//   up to messages_per_connection messages.
// - MX hosts by preference, each of their addresses in turn; a host that cannot be
//   reached or refuses us before MAIL makes us try the next one. After MAIL the
//   answers are final for this attempt.
// - All state is in the store: after a crash, an entry is sent again unless its
//   results were written back, which SMTP's own semantics allow (RFC 5321 §6.1).
//
// Runs on one strand of the io_context; store, DNS, signing and bounce calls go to
// the blocking pool. This header keeps Asio's heavy headers out.

#include <memory>
#include <string>

#include "core/config.hpp"
#include "delivery/outbound/hooks.hpp"
#include "dns/resolver.hpp"
#include "store/store.hpp"

namespace boost::asio {
class io_context;
class thread_pool;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace letterhead::delivery::outbound {

struct worker_options {
  std::string hostname;     // our name in EHLO
  std::string lease_owner;  // unique per process: "hostname:pid"
  core::queue_config queue;
  core::relay_config relay;  // host empty = direct MX delivery
};

class queue_worker {
 public:
  // `resolver` may be null in smarthost mode with an IP smarthost; `signer` may be null.
  queue_worker(boost::asio::io_context& io, boost::asio::thread_pool& blocking, store::store& store,
               dns::resolver* resolver, std::shared_ptr<boost::asio::ssl::context> tls,
               worker_options options, bounce_sink& sink, message_signer* signer);
  ~queue_worker();
  queue_worker(const queue_worker&) = delete;
  queue_worker& operator=(const queue_worker&) = delete;

  void start();
  // Look for due entries now. Safe from any thread.
  void wake();
  // Stop taking entries and close idle connections. Safe from any thread.
  void stop();
  // Entries being delivered now. Safe from any thread.
  [[nodiscard]] std::size_t in_flight() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace letterhead::delivery::outbound
