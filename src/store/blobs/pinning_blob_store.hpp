#pragma once
// The blob store a backend hands out from store::blobs(): the blob files or the
// database table (raw_blob_store.hpp) plus "pins" that close the one race of content
// addressing.
//
// The race: caller A puts bytes X, finds them stored already and skips writing;
// meanwhile an expunge drops X's last reference and the backend removes them;
// A's deliver() then names a blob that is gone. Pins prevent it: put() pins the hash
// *before* it looks at the file, and the backend removes a file only if it is not
// pinned, deciding and unlinking under the same lock. The backend unpins a hash once
// the rows that reference it are committed (deliver, enqueue). A pin that is never
// consumed (the caller gave up) expires after pin_lifetime; the blob then is an
// ordinary orphan for the sweep.
//
// Pins are per process. Another process on the same store (the CLI, another node)
// could still remove a blob in that window; deliver() then fails cleanly because the
// backend checks that the blob exists before it records a reference.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/blob_store.hpp"
#include "store/blobs/raw_blob_store.hpp"

namespace letterhead::store {

class pinning_blob_store final : public blob_store {
 public:
  static constexpr std::int64_t pin_lifetime_seconds = 3600;

  explicit pinning_blob_store(std::unique_ptr<raw_blob_store> files) : files_(std::move(files)) {}

  [[nodiscard]] core::result<std::string> put(std::string_view bytes) override;
  [[nodiscard]] core::result<std::string> put_deferred(std::string_view bytes) override;
  [[nodiscard]] core::result<void> sync_deferred() override { return files_->sync_deferred(); }
  [[nodiscard]] core::result<std::string> get(std::string_view hash) const override;
  [[nodiscard]] bool contains(std::string_view hash) const override;
  // As remove_unless_pinned, for the interface.
  [[nodiscard]] core::result<void> remove(std::string_view hash) override;

  // Removes the blob's file unless a put() of it is pending. Returns whether it did.
  [[nodiscard]] core::result<bool> remove_unless_pinned(std::string_view hash);

  // Called after the commit of rows that now reference these hashes.
  void unpin(const std::vector<std::string>& hashes);

  [[nodiscard]] bool pinned(std::string_view hash);

  [[nodiscard]] raw_blob_store& files() noexcept { return *files_; }

 private:
  [[nodiscard]] core::result<std::string> put_with(std::string_view bytes, raw_blob_store::durability when);
  struct pin {
    std::uint32_t count = 0;
    std::int64_t since = 0;
  };
  [[nodiscard]] bool pinned_locked(const std::string& hash, std::int64_t now);
  void prune_locked(std::int64_t now);

  std::unique_ptr<raw_blob_store> files_;
  std::mutex mutex_;
  std::unordered_map<std::string, pin> pins_;
};

}  // namespace letterhead::store
