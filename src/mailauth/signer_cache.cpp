#include "mailauth/signer_cache.hpp"

#include "mailauth/dkim_keys.hpp"

namespace letterhead::mailauth {

core::result<std::shared_ptr<const dkim_signer>> signer_cache::get(const std::string& domain) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::scoped_lock lock(mutex_);
    if (auto it = cache_.find(domain); it != cache_.end() && now - it->second.loaded < reload_) {
      return it->second.signer;
    }
  }
  std::shared_ptr<const dkim_signer> signer;
  if (auto made = signer_for_domain(store_, domain)) {
    signer = std::make_shared<const dkim_signer>(std::move(*made));
  } else if (made.error().code != core::errc::not_found) {
    return std::unexpected(made.error());
  }
  std::scoped_lock lock(mutex_);
  cache_.insert_or_assign(domain, cached{signer, now});
  return signer;
}

}  // namespace letterhead::mailauth
