#pragma once
// The filters of filter/ applied to a message at the end of DATA, after the
// authentication step (app/inbound_auth.*) has filled an auth_outcome:
//   1. attachment policy (MX and submission): blocked types → 554 5.7.1;
//   2. antivirus through clamd (MX and submission): virus → 554 5.7.0; clamd
//      unreachable → 451 4.7.0 or accepted with "X-Virus-Scanned: no";
//   3. spam scoring (MX only): X-Spam-* headers, Junk, or 550 5.7.1.
// Submission skips spam scoring: our own users are not scored, but a compromised
// account must not send malware out.

#include <memory>
#include <optional>
#include <string>

#include "app/inbound.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "dns/resolver.hpp"
#include "filter/attachments.hpp"
#include "filter/clamav.hpp"
#include "filter/scoring.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::app {

class inbound_filter {
 public:
  // errc::invalid for a bad [spam], [antivirus] or [attachments] setting (an unknown
  // rule name, a bad clamd address). `resolver` is used for the blocklists; null
  // leaves them off.
  [[nodiscard]] static core::result<std::unique_ptr<inbound_filter>> create(const core::config& cfg,
                                                                           std::shared_ptr<dns::resolver> resolver);

  // May add header fields at the top of `message`.
  [[nodiscard]] core::result<smtp::server::inspection> judge(const smtp::server::envelope& env, std::string& message,
                                                             const auth_outcome& auth);

 private:
  inbound_filter() = default;

  core::config cfg_;
  std::shared_ptr<dns::resolver> resolver_;
  std::unique_ptr<filter::engine> engine_;
  filter::attachment_policy attachments_;
  std::optional<filter::clamd_options> clamd_;
};

}  // namespace letterhead::app
