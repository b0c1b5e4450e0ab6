#pragma once
// Content-addressed blobs on a local filesystem: <root>/ab/cd/<sha256 hex>.
//
// Durability (DESIGN.md "Storage"): put() writes a temporary file in the blob's own
// directory, fsyncs it, renames it into place and fsyncs the directory, so that a
// blob is either absent or complete after a crash, and present once put() returns.
// New directories are fsynced into their parents once. Readers never see a partial
// blob: the name appears only by rename.
//
// A leftover temporary file (a crash during put) or a blob that no row references
// (a crash between put and the commit of the rows) costs only space; the Store's
// orphan sweep removes both once they are old enough (see store/README.md).

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/error.hpp"
#include "store/blobs/raw_blob_store.hpp"

namespace letterhead::store {

class fs_blob_store final : public raw_blob_store {
 public:
  // Creates root (and its parents) if needed. Errors name the path.
  [[nodiscard]] static core::result<std::unique_ptr<fs_blob_store>> open(
      const std::filesystem::path& root);

  [[nodiscard]] core::result<std::string> get(std::string_view hash) const override;
  [[nodiscard]] bool contains(std::string_view hash) const override;
  // Removing a blob that is not there succeeds: removal is idempotent.
  [[nodiscard]] core::result<void> remove(std::string_view hash) override;

  [[nodiscard]] core::result<void> sync_deferred() override;
  [[nodiscard]] core::result<void> put_hashed(std::string_view hash, std::string_view bytes,
                                              durability when) override;
  [[nodiscard]] core::result<std::uint64_t> size(std::string_view hash) const override;
  // Every blob file with its modification time; temporary files of interrupted puts
  // older than stale_age_seconds are removed.
  [[nodiscard]] core::result<void> scan(const std::function<void(std::string_view hash, unix_time stored)>& fn,
                                        std::int64_t stale_age_seconds) override;
  [[nodiscard]] std::string location_of(std::string_view hash) const override { return path_of(hash).string(); }

  [[nodiscard]] std::filesystem::path path_of(std::string_view hash) const;
  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

 private:
  fs_blob_store(std::filesystem::path root, int root_fd) : root_(std::move(root)), root_fd_(root_fd) {}

 public:
  ~fs_blob_store() override;
  fs_blob_store(const fs_blob_store&) = delete;
  fs_blob_store& operator=(const fs_blob_store&) = delete;

 private:
  [[nodiscard]] core::result<void> ensure_dir(const std::filesystem::path& dir);

  std::filesystem::path root_;
  int root_fd_ = -1;  // for syncfs(2)
  // Deferred puts done and covered by a sync: a sync is needed while done > synced.
  std::atomic<std::uint64_t> deferred_done_{0};
  std::atomic<std::uint64_t> deferred_synced_{0};
  std::mutex sync_mutex_;
  // Directories known to exist durably (fsynced into their parent): each is fsynced
  // once per process rather than once per put.
  std::mutex dirs_mutex_;
  std::unordered_set<std::string> durable_dirs_;
};

}  // namespace letterhead::store
