#pragma once
// Mail we pass on to outside addresses (aliases and forwards with outside targets,
// offboarding --forward, lists with outside members): what it takes for the next
// hop to still trust it.
//
// - SRS (srs.hpp): an outside envelope sender becomes an SRS address in the
//   forwarding domain (the domain of the address that forwarded, or
//   [forwarding] srs_domain), so that SPF at the next hop checks our IP against our
//   domain (RFC 7208 §2.4 explains why forwarding breaks it otherwise). A null
//   sender stays null; a sender in one of our domains stays as it is. A bounce to a
//   valid SRS address of ours is relayed to the original sender; an invalid or
//   expired one is an unknown recipient (550 5.1.1), and a valid one takes only the
//   null sender (550 5.7.1 otherwise), so SRS addresses never make us a relay.
// - ARC (RFC 8617, mailauth/arc_seal.hpp): mail that came in at the MX is sealed with
//   the forwarding domain's active DKIM key (its RSA key when it has one), carrying
//   our Authentication-Results as ARC-Authentication-Results, so that the next hop
//   can see that DMARC passed here even when forwarding broke SPF alignment.
//
// The SRS MAC is directory::capability_token("srs", ...): a key derived from the
// installation's secret key ([security] secret_key_file), the same on every node.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "delivery/srs.hpp"
#include "directory/directory.hpp"
#include "mailauth/signer_cache.hpp"
#include "store/store.hpp"

namespace letterhead::delivery {

struct forwarding_options {
  bool srs = true;
  std::string srs_domain;  // empty = the forwarding domain
  std::int64_t srs_max_age_days = 21;
  bool arc_seal = true;
  std::string authserv_id;  // whose Authentication-Results the seal copies: ours
};

class forwarding {
 public:
  forwarding(store::store& st, directory::directory& dir, forwarding_options options);

  // The envelope sender for mail from `mail_from` that `forwarding_domain` passes on.
  [[nodiscard]] core::result<std::string> envelope_sender(std::string_view mail_from,
                                                          std::string_view forwarding_domain,
                                                          std::int64_t now) const;

  // What RCPT `address` is as an SRS address of ours: not_srs for any other address
  // (another domain, SRS off), else valid (with the address to relay to), forged or
  // expired.
  [[nodiscard]] core::result<srs_reversed> reverse(std::string_view address, std::int64_t now) const;

  // The ARC set to prepend to MX mail `message` (which carries our
  // Authentication-Results) that `forwarding_domain` passes on; "" when sealing is
  // off, the message has no results of ours, neither domain has DKIM keys, or it has
  // 50 ARC sets already.
  [[nodiscard]] core::result<std::string> seal(std::string_view message, std::string_view forwarding_domain,
                                               std::int64_t now) const;

 private:
  directory::directory& directory_;
  forwarding_options options_;
  srs_codec codec_;
  std::unique_ptr<mailauth::signer_cache> signers_;  // for the const seal()
};

}  // namespace letterhead::delivery
