#pragma once
// Blobs in the PostgreSQL database ([store] blobs = "database"): one row per blob in
// `blob_data` (hash, size, bytes, when stored), so that nodes need no shared
// filesystem. Content-addressed by SHA-256 like the blob files; the Store's `blobs`
// table counts references as it does for files, and pinning_blob_store wraps this one
// as it wraps the files.
//
// Connections: libpq on connections of its own, lent one per call from three pools
// opened lazily, so that puts from many threads run side by side: readers (get,
// contains, scan), durable writers (put, and size(), which the writer thread asks
// for every delivery) and deferred writers (put_deferred, remove), whose sessions run
// with synchronous_commit off. Bytes travel as binary parameters
// and results (connection::exec_binary).
//
// Durability. put() commits its row with a synchronous commit: on stable storage when
// it returns. put_deferred() commits with synchronous_commit off: the row is visible
// to every session at once, and its commit record is in the server's write-ahead log,
// but the server may not have flushed it yet. The Store's commit that first refers to
// the blob (deliver, enqueue) is synchronous and comes later in the same log, and
// PostgreSQL flushes the log in order, up to that commit's record: the blob row is
// durable no later than the first row that names it, for no flush of its own. So
// sync_deferred() has nothing to do, and a delivery costs one flush (the group
// commit's) however many blobs the group holds. Writing the bytes inside the commit
// group instead would push every message's bytes through the one writer connection and
// resend them whenever a serialization failure reruns the group. A crash before the
// Store's commit loses the blob row and no reference: nothing was acknowledged.
// (With synchronous replication the group's commit waits for the standby to hold the
// log up to its record, the blob's included.)
//
// Races: removal follows the same rules as for files (sql_store::after_commit): the
// remover holds the blob's advisory lock exclusively and finds the count zero; a node
// recording a reference holds it shared and checks size() on a connection of ours,
// which sees every committed row (READ COMMITTED, not the writer's snapshot). Removals
// commit with synchronous_commit off: one lost to a crash leaves an orphan row that
// the sweep removes. A put of bytes stored already moves the row's `created` forward
// when it is older than refresh_after, so that the orphan sweep of another node (which
// spares rows younger than its minimum age) leaves a blob alone that a node is about to
// reference.

#include <cstddef>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "store/blobs/raw_blob_store.hpp"
#include "store/sql/reader_pool.hpp"

namespace letterhead::store::postgres {

class pg_blob_store final : public raw_blob_store {
 public:
  // A put of bytes stored longer ago than this moves their `created` forward.
  static constexpr std::int64_t refresh_after_seconds = 600;
  // Blobs at least this large are looked up before their bytes are sent: a put of
  // bytes stored already then costs a short round trip instead of the transfer.
  static constexpr std::size_t look_first_bytes = 64 * 1024;

  struct options {
    std::size_t max_readers = 8;
    std::size_t max_writers = 4;           // durable puts
    std::size_t max_deferred_writers = 8;  // put_deferred, remove
    bool read_only = false;                // store copy's source: no writer connections
  };

  // Connects once to check the server and the table (a schema at version 12 or later).
  [[nodiscard]] static core::result<std::unique_ptr<pg_blob_store>> open(const std::string& conninfo,
                                                                         const options& o);
  [[nodiscard]] static core::result<std::unique_ptr<pg_blob_store>> open(const std::string& conninfo) {
    return open(conninfo, options{});
  }

  [[nodiscard]] core::result<void> put_hashed(std::string_view hash, std::string_view bytes,
                                              durability when) override;
  // Nothing to do: see "Durability" above.
  [[nodiscard]] core::result<void> sync_deferred() override { return {}; }
  [[nodiscard]] core::result<std::string> get(std::string_view hash) const override;
  [[nodiscard]] bool contains(std::string_view hash) const override;
  [[nodiscard]] core::result<std::uint64_t> size(std::string_view hash) const override;
  // Removing a blob that is not there succeeds.
  [[nodiscard]] core::result<void> remove(std::string_view hash) override;
  // Rows that no `blobs` row names, with `created` moved to this machine's clock (the
  // server's age of the row, subtracted from now here), in hash order, in pages.
  // Nothing is stale: a put is one statement.
  [[nodiscard]] core::result<void> scan(const std::function<void(std::string_view hash, unix_time stored)>& fn,
                                        std::int64_t stale_age_seconds) override;
  [[nodiscard]] std::string location_of(std::string_view hash) const override;

 private:
  explicit pg_blob_store(const std::string& conninfo, const options& o);

  std::unique_ptr<sql::reader_pool> readers_;
  std::unique_ptr<sql::reader_pool> writers_;
  std::unique_ptr<sql::reader_pool> deferred_writers_;
};

}  // namespace letterhead::store::postgres
