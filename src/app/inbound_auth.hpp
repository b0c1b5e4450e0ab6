#pragma once
// The authentication step of the MX (issue 5): SPF (RFC 7208), DKIM (RFC 6376) and
// DMARC (RFC 7489) for each message before the end of DATA is answered, an
// Authentication-Results field (RFC 8601) prepended, and forged ones with our
// authserv-id removed (RFC 8601 §5). ARC chains (RFC 8617) are verified and reported
// (arc=) but override nothing yet. Its verdict:
//
// - DMARC fail with p=reject (after pct=): 550 5.7.1; with p=quarantine: Junk.
// - From in one of our own domains, neither SPF nor DKIM aligned with it, from an
//   unauthenticated MX session: 550 5.7.1 (nobody outside may write as us).
// - No From, several From fields, or From addresses in different domains
//   (RFC 7489 §6.6.1): 550 5.7.1.
// - SPF fail alone refuses nothing: DMARC decides (forwarded mail fails SPF).
// - A DNS failure that leaves the verdict open (DMARC temperror, or an SPF temperror
//   where SPF could have decided): 451 4.4.3 with on_temperror = "defer" (the
//   default), otherwise accepted with the temperror noted.
//
// Only the MX listener is judged; submission (authenticated) is skipped, and so are
// loopback clients when trust_loopback is set (local scripts and filters).

#include <functional>
#include <memory>

#include "app/inbound.hpp"
#include "core/config.hpp"
#include "directory/directory.hpp"
#include "dns/resolver.hpp"
#include "mailauth/public_suffix.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::app {

struct inbound_auth_options {
  std::string authserv_id;         // our host name
  bool trust_loopback = true;
  bool defer_on_temperror = true;  // 451 4.4.3, else accept
  std::function<unsigned()> dmarc_percent;  // pct= sampling; tests inject it
};

class inbound_auth {
 public:
  inbound_auth(std::unique_ptr<dns::resolver> resolver, mailauth::public_suffix_list psl,
               directory::directory& dir, inbound_auth_options options);

  // From [auth] and [dns]; nullptr when [auth] enabled = false.
  [[nodiscard]] static core::result<std::shared_ptr<inbound_auth>> create(const core::config& cfg,
                                                                          directory::directory& dir);

  // Judges `message` (CRLF form) of `env`, rewriting its header as described above,
  // and fills `out` for the filters. Errors are the directory's (a 451 upstream).
  [[nodiscard]] core::result<smtp::server::inspection> judge(const smtp::server::envelope& env,
                                                             std::string& message, auth_outcome& out);

 private:
  std::unique_ptr<dns::resolver> resolver_;
  mailauth::public_suffix_list psl_;
  directory::directory& directory_;
  inbound_auth_options options_;
};

}  // namespace letterhead::app
