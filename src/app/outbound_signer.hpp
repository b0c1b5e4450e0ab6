#pragma once
// DKIM signing of mail as it leaves (RFC 6376 §5): the queue worker asks this signer
// before each transaction. The signing domain is the From header's domain, so that
// the signature aligns for DMARC (RFC 7489 §3.1.1); a From domain without active
// keys of ours leaves the message unsigned (mail relayed for a domain we don't sign).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "delivery/outbound/hooks.hpp"
#include "mailauth/dkim_sign.hpp"
#include "store/store.hpp"

namespace letterhead::app {

class outbound_signer final : public delivery::outbound::message_signer {
 public:
  explicit outbound_signer(store::store& st) : store_(st) {}

  core::result<std::string> sign(const store::queue_entry& entry, std::string_view message) override;

 private:
  // Signers by domain, re-read from the store after a minute so that
  // `letterhead dkim rotate` takes effect without a restart.
  struct cached {
    std::shared_ptr<const mailauth::dkim_signer> signer;  // null: the domain has no keys
    std::chrono::steady_clock::time_point loaded;
  };
  std::shared_ptr<const mailauth::dkim_signer> signer_for(const std::string& domain);

  store::store& store_;
  std::mutex mutex_;
  std::map<std::string, cached> cache_;
};

}  // namespace letterhead::app
