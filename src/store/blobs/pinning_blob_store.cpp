#include "store/blobs/pinning_blob_store.hpp"

#include <ctime>

namespace letterhead::store {

namespace {
std::int64_t now_seconds() { return static_cast<std::int64_t>(::time(nullptr)); }
// Pruning is amortised: only when the table has grown, which happens only when
// callers put blobs and never reference them.
constexpr std::size_t prune_threshold = 4096;
}  // namespace

core::result<std::string> pinning_blob_store::put(std::string_view bytes) {
  return put_with(bytes, raw_blob_store::durability::now);
}

core::result<std::string> pinning_blob_store::put_deferred(std::string_view bytes) {
  return put_with(bytes, raw_blob_store::durability::deferred);
}

core::result<std::string> pinning_blob_store::put_with(std::string_view bytes,
                                                       raw_blob_store::durability when) {
  auto hash = sha256_hex(bytes);
  {
    std::lock_guard lock(mutex_);
    auto& p = pins_[hash];
    ++p.count;
    p.since = now_seconds();
    if (pins_.size() > prune_threshold) prune_locked(p.since);
  }
  if (auto r = files_->put_hashed(hash, bytes, when); !r) {
    unpin({hash});
    return std::unexpected(r.error());
  }
  return hash;
}

core::result<std::string> pinning_blob_store::get(std::string_view hash) const {
  return files_->get(hash);
}

bool pinning_blob_store::contains(std::string_view hash) const { return files_->contains(hash); }

core::result<void> pinning_blob_store::remove(std::string_view hash) {
  auto r = remove_unless_pinned(hash);
  if (!r) return std::unexpected(r.error());
  return {};
}

core::result<bool> pinning_blob_store::remove_unless_pinned(std::string_view hash) {
  std::lock_guard lock(mutex_);
  if (pinned_locked(std::string(hash), now_seconds())) return false;
  // Unlinking under the lock is what makes the pin check meaningful: a put() that
  // pins after this point finds the file gone and writes it again.
  if (auto r = files_->remove(hash); !r) return std::unexpected(r.error());
  return true;
}

void pinning_blob_store::unpin(const std::vector<std::string>& hashes) {
  std::lock_guard lock(mutex_);
  for (const auto& h : hashes) {
    auto it = pins_.find(h);
    if (it == pins_.end()) continue;
    if (--it->second.count == 0) pins_.erase(it);
  }
}

bool pinning_blob_store::pinned(std::string_view hash) {
  std::lock_guard lock(mutex_);
  return pinned_locked(std::string(hash), now_seconds());
}

bool pinning_blob_store::pinned_locked(const std::string& hash, std::int64_t now) {
  auto it = pins_.find(hash);
  if (it == pins_.end()) return false;
  if (now - it->second.since >= pin_lifetime_seconds) {
    pins_.erase(it);
    return false;
  }
  return true;
}

void pinning_blob_store::prune_locked(std::int64_t now) {
  std::erase_if(pins_, [&](const auto& kv) { return now - kv.second.since >= pin_lifetime_seconds; });
}

}  // namespace letterhead::store
