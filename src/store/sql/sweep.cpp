// The orphan sweep. A crash between blob_store::put (durable first, as DESIGN.md
// requires) and the commit of the rows that reference the blob leaves a file that no
// row counts; so may a removal undone by a power loss. The sweep walks the blob
// directory, or the database's blob_data rows that no `blobs` row names ([store]
// blobs = "database"), and removes every blob without a `blobs` row that is older than
// min_age (younger ones may belong to a delivery whose rows are about to commit), and
// temporary files of interrupted puts older than min_age.
//
// The decision uses the same path as a count falling to zero: candidates are handed
// to the writer as released blobs, and after a commit the writer removes those that
// still have no row and no pin, under the blob's lock against other nodes. So the
// check and the removal are serialised with every write, and a concurrent put() of the
// same bytes is protected by its pin (on another node, in the database, by the row's
// age: such a put moves it forward, pg_blob_store.hpp).

#include <cstdint>

#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {
// Candidates handed to the writer per request, so that a large store does not hold
// up deliveries for long.
constexpr std::size_t sweep_chunk = 512;
}  // namespace

core::result<std::size_t> sql_store::sweep_orphan_blobs(std::chrono::seconds min_age) {
  const auto cutoff = now() - static_cast<unix_time>(min_age.count());
  std::size_t removed = 0;
  std::vector<std::string> chunk;
  std::optional<core::error> failure;

  auto flush = [&] {
    if (chunk.empty() || failure) return;
    auto r = write([&](write_context& ctx) -> core::result<void> {
      ctx.effects.released_blobs = chunk;
      return {};
    });
    if (!r) {
      failure = r.error();
      return;
    }
    for (const auto& hash : chunk) {
      if (!blobs_->contains(hash)) ++removed;
    }
    chunk.clear();
  };

  auto scanned = blobs_->files().scan(
      [&](std::string_view hash, unix_time mtime) {
        if (mtime > cutoff) return;
        chunk.emplace_back(hash);
        if (chunk.size() >= sweep_chunk) flush();
      },
      min_age.count());
  if (!scanned) return std::unexpected(scanned.error());
  flush();
  if (failure) return std::unexpected(*failure);
  return removed;
}

}  // namespace letterhead::store::sql
