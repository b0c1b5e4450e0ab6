#pragma once
// Abuse limits at RCPT time (issue 5 §6), beyond the SMTP session's own limits
// (connections per IP per minute, recipients per message: smtp/server/session.hpp):
//
// - Submission: an account may send at most [limits] submission_external_per_hour
//   messages to outside recipients per hour. Beyond, RCPT of an outside recipient
//   is answered 451 4.7.1 (550 5.7.1 with freeze_on_limit, which also freezes the
//   account); the first refusal in a window goes to the audit log and sends one
//   alert (zh + en) to the super admins and the sender domain's postmaster. A
//   compromised account that starts spraying is stopped and the admins know.
// - MX greylisting (RFC 6647, [greylist], off by default): the triplet of client
//   network (/24 for IPv4, /64 for IPv6, §2.2), envelope sender and recipient is
//   kept in the store; a new one is answered 451 4.7.1 until `delay` has passed.
//   Authenticated sessions and trusted loopback clients skip it.
//
// Counters are in memory on one machine and in the database for a cluster
// (app/shared_rate_counter.hpp); greylisting is in the store either way.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/config.hpp"
#include "app/shared_rate_counter.hpp"
#include "core/rate_counter.hpp"
#include "delivery/local_delivery.hpp"
#include "directory/directory.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::app {

// "192.0.2.0/24", "2001:db8:1:2::/64"; the input itself when it is no address.
[[nodiscard]] std::string greylist_network(std::string_view ip);

class abuse_limits {
 public:
  abuse_limits(const core::config& cfg, directory::directory& dir, delivery::local_delivery& delivery);

  // For one more recipient `r` of `env`; nullopt lets it through.
  [[nodiscard]] core::result<std::optional<smtp::server::refusal>> check_recipient(
      const smtp::server::envelope& env, const smtp::server::recipient& r);

  // A message of `env` was accepted: counts it when it was submitted for outside
  // recipients.
  void note_accepted(const smtp::server::envelope& env);

 private:
  [[nodiscard]] core::result<std::optional<smtp::server::refusal>> check_submission(
      const smtp::server::envelope& env);
  [[nodiscard]] core::result<std::optional<smtp::server::refusal>> check_greylist(
      const smtp::server::envelope& env, const smtp::server::recipient& r);
  // The audit record, the alert and the freeze, once per account and window.
  void limit_reached(const smtp::server::identity& who, std::size_t count);

  core::limits limits_;
  core::greylist_config greylist_;
  bool trust_loopback_;
  directory::directory& directory_;
  delivery::local_delivery& delivery_;
  std::unique_ptr<core::rate_counter> external_per_hour_;
  std::mutex alerted_mutex_;
  std::unordered_map<std::int64_t, std::chrono::steady_clock::time_point> alerted_;  // account → when
};

}  // namespace letterhead::app
