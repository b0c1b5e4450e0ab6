#pragma once
// The filters of filter/ applied to a message at the end of DATA, after the
// authentication step (app/inbound_auth.*) has filled an auth_outcome:
//   1. attachment policy (MX and submission): blocked types → 554 5.7.1;
//   2. antivirus through clamd (MX and submission): virus → 554 5.7.0; clamd
//      unreachable → 451 4.7.0 or accepted with "X-Virus-Scanned: no";
//   3. impersonation defence (MX only, filter/impersonation.hpp): outside mail that
//      imitates a colleague's name or one of our domains is scored and gets an
//      X-Letterhead-Warning field (and, with [impersonation] banner, a banner part);
//   4. spam scoring (MX only): X-Spam-* headers, Junk, or 550 5.7.1.
// Submission skips spam scoring: our own users are not scored, but a compromised
// account must not send malware out.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/inbound.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "directory/directory.hpp"
#include "dns/resolver.hpp"
#include "filter/attachments.hpp"
#include "filter/clamav.hpp"
#include "filter/impersonation.hpp"
#include "filter/scoring.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::app {

class inbound_filter {
 public:
  // errc::invalid for a bad [spam], [antivirus] or [attachments] setting (an unknown
  // rule name, a bad clamd address). `resolver` is used for the blocklists; null
  // leaves them off. `dir` names the employees and domains impersonation defence
  // protects; null leaves it off.
  [[nodiscard]] static core::result<std::unique_ptr<inbound_filter>> create(const core::config& cfg,
                                                                           std::shared_ptr<dns::resolver> resolver,
                                                                           directory::directory* dir = nullptr);

  // May add header fields at the top of `message`.
  [[nodiscard]] core::result<smtp::server::inspection> judge(const smtp::server::envelope& env, std::string& message,
                                                             const auth_outcome& auth);

 private:
  inbound_filter() = default;

  // The employees and domains as of at most [impersonation] refresh ago.
  [[nodiscard]] core::result<std::shared_ptr<const filter::impersonation_guard>> guard();
  [[nodiscard]] core::result<std::vector<filter::impersonation_match>> check_impersonation(
      const smtp::server::envelope& env, std::string_view message, const mime::message& parsed,
      const auth_outcome& auth);

  core::config cfg_;
  std::shared_ptr<dns::resolver> resolver_;
  std::unique_ptr<filter::engine> engine_;
  filter::attachment_policy attachments_;
  std::optional<filter::clamd_options> clamd_;
  // Loaded once: the blocklists and the guard keep pointers to it.
  std::unique_ptr<mailauth::public_suffix_list> psl_;
  directory::directory* directory_ = nullptr;
  std::mutex guard_mutex_;
  std::shared_ptr<const filter::impersonation_guard> guard_;
  std::chrono::steady_clock::time_point guard_loaded_{};
};

}  // namespace letterhead::app
