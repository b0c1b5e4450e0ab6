#pragma once
// DKIM signing of mail as it leaves (RFC 6376 §5): the queue worker asks this signer
// before each transaction. The signing domain is the From header's domain, so that
// the signature aligns for DMARC (RFC 7489 §3.1.1); a From domain without active
// keys of ours leaves the message unsigned (mail relayed for a domain we don't sign).

#include "delivery/outbound/hooks.hpp"
#include "mailauth/signer_cache.hpp"
#include "store/store.hpp"

namespace letterhead::app {

class outbound_signer final : public delivery::outbound::message_signer {
 public:
  explicit outbound_signer(store::store& st) : signers_(st) {}

  core::result<std::string> sign(const store::queue_entry& entry, std::string_view message) override;

 private:
  mailauth::signer_cache signers_;
};

}  // namespace letterhead::app
