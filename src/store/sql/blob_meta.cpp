// The parse cache: one opaque record per blob (content-addressed, so shared by every
// copy of a message). Rows go with the blob's `blobs` row (ON DELETE CASCADE), in
// the transaction that drops its count to zero.

#include <algorithm>
#include <string>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

// Hashes per lookup statement. One statement text for every batch (the last one is
// padded by repeating a hash), so it is prepared once and cached; well under
// SQLite's limit of 32766 parameters.
constexpr std::size_t lookup_batch = 256;

const std::string& lookup_sql() {
  static const std::string sql = [] {
    std::string s = "SELECT hash, version, data FROM blob_meta WHERE hash IN (?";
    for (std::size_t i = 1; i < lookup_batch; ++i) s += ", ?";
    s += ")";
    return s;
  }();
  return sql;
}

}  // namespace

core::result<std::vector<blob_meta>> sql_store::get_blob_meta(const std::vector<std::string>& blobs) {
  // Sorted and unique: each entry is returned once, and lookups walk the primary key
  // in order.
  std::vector<std::string_view> hashes(blobs.begin(), blobs.end());
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  std::erase_if(hashes, [](std::string_view h) { return !detail::is_blob_hash(h); });
  if (hashes.empty()) return std::vector<blob_meta>{};
  return read([&](connection& db) -> core::result<std::vector<blob_meta>> {
    std::vector<blob_meta> out;
    for (std::size_t first = 0; first < hashes.size(); first += lookup_batch) {
      STORE_TRY_ASSIGN(auto st, db.prepare(lookup_sql()));
      for (std::size_t i = 0; i < lookup_batch; ++i) {
        st.bind(static_cast<int>(i + 1), hashes[std::min(first + i, hashes.size() - 1)]);
      }
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        out.push_back(blob_meta{st.text(0), static_cast<std::int32_t>(st.i64(1)), st.bytes(2)});
      }
    }
    return out;
  });
}

// Goes through the writer like every write, and so waits for its group's commit. A
// cache entry whose blob went meanwhile (expunged by another session) is dropped.
core::result<void> sql_store::put_blob_meta(const std::vector<blob_meta>& metas) {
  for (const auto& m : metas) {
    if (!detail::is_blob_hash(m.blob)) {
      return core::fail(core::errc::invalid, "blob meta: \"" + m.blob + "\" is not a blob hash");
    }
  }
  if (metas.empty()) return {};
  return write([&](write_context& ctx) -> core::result<void> {
    for (const auto& m : metas) {
      STORE_TRY(ctx.db.run("INSERT INTO blob_meta (hash, version, data)"
                           " SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM blobs WHERE hash = ?1)"
                           " ON CONFLICT (hash) DO UPDATE SET version = excluded.version, data = excluded.data",
                           m.blob, m.version, bytes_view{m.data}));
    }
    return {};
  });
}

}  // namespace letterhead::store::sql
