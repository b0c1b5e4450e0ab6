#pragma once
// What a place that holds blob bytes offers the Store, beyond store::blob_store: the
// blob files under <data_dir>/blobs (fs_blob_store.hpp) or a table of the PostgreSQL
// database (postgres/pg_blob_store.hpp), chosen by [store] blobs. pinning_blob_store
// wraps either one; the SQL store checks sizes through it on its writer thread, and
// the orphan sweep and `store copy` walk and move blobs through it.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/blob_store.hpp"
#include "store/types.hpp"

namespace letterhead::store {

// SHA-256 of the bytes as 64 lower-case hex digits (empty if OpenSSL fails).
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

class raw_blob_store : public blob_store {
 public:
  enum class durability { now, deferred };

  // put() for a caller that has hashed the bytes already (hash must be their SHA-256).
  // `deferred`: as put_deferred(), durable once sync_deferred() returns or, in the
  // database, once a later synchronous commit on that server returns (see there).
  [[nodiscard]] virtual core::result<void> put_hashed(std::string_view hash, std::string_view bytes,
                                                      durability when) = 0;

  // Size in bytes of a stored blob; errc::not_found if absent. Sees every put that
  // has returned (in the database: what is committed when it runs, not a snapshot).
  [[nodiscard]] virtual core::result<std::uint64_t> size(std::string_view hash) const = 0;

  // Calls fn for stored blobs with the time each was stored (seconds on this machine's
  // clock), for the orphan sweep, and on the way drops leftovers of interrupted puts
  // older than stale_age_seconds. A store may leave out blobs that a `blobs` row names
  // when it looks (the database store does); the sweep re-checks every candidate.
  [[nodiscard]] virtual core::result<void> scan(
      const std::function<void(std::string_view hash, unix_time stored)>& fn, std::int64_t stale_age_seconds) = 0;

  // Where a blob lives, for messages: a path, or the table.
  [[nodiscard]] virtual std::string location_of(std::string_view hash) const = 0;

  [[nodiscard]] core::result<std::string> put(std::string_view bytes) final {
    return put_as(bytes, durability::now);
  }
  [[nodiscard]] core::result<std::string> put_deferred(std::string_view bytes) final {
    return put_as(bytes, durability::deferred);
  }

 private:
  [[nodiscard]] core::result<std::string> put_as(std::string_view bytes, durability when) {
    auto hash = sha256_hex(bytes);
    if (auto r = put_hashed(hash, bytes, when); !r) return std::unexpected(r.error());
    return hash;
  }
};

}  // namespace letterhead::store
