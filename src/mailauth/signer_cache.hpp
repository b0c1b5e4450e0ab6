#pragma once
// Each domain's DKIM signer, kept so that signing a message does not read and parse
// its private keys again: the outbound queue (DKIM, RFC 6376 §5) and forwarding (ARC
// seals, RFC 8617 §5.1) sign every message. Re-read from the store after `reload`, so
// that `letterhead dkim rotate` takes effect without a restart. Thread-safe.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.hpp"
#include "mailauth/dkim_sign.hpp"
#include "store/store.hpp"

namespace letterhead::mailauth {

class signer_cache {
 public:
  explicit signer_cache(store::store& st, std::chrono::seconds reload = std::chrono::seconds(60))
      : store_(st), reload_(reload) {}

  // The signer of `domain` (lower-case), or null when it has no active keys; a store
  // failure is returned and not remembered.
  [[nodiscard]] core::result<std::shared_ptr<const dkim_signer>> get(const std::string& domain);

 private:
  struct cached {
    std::shared_ptr<const dkim_signer> signer;  // null: no keys
    std::chrono::steady_clock::time_point loaded;
  };

  store::store& store_;
  std::chrono::seconds reload_;
  std::mutex mutex_;
  std::map<std::string, cached, std::less<>> cache_;
};

}  // namespace letterhead::mailauth
