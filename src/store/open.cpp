#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace letterhead::store {

core::result<std::unique_ptr<store>> open(const store_options& options) {
  if (!options.blobs.empty() && options.blobs != "directory" && options.blobs != "database") {
    return core::fail(core::errc::invalid,
                      "unknown [store] blobs \"" + options.blobs + "\" (choose \"directory\" or \"database\")");
  }
  const bool blobs_in_database = options.blobs == "database";
  if (options.backend == "sqlite" || options.backend.empty()) {
    if (blobs_in_database) {
      return core::fail(core::errc::invalid, "[store] blobs = \"database\" needs backend \"postgres\"");
    }
    auto s = sqlite::open_store(sqlite::sqlite_options{.data_dir = options.data_dir});
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<store>(std::move(*s));
  }
  if (options.backend == "postgres" || options.backend == "postgresql") {
    auto s = postgres::open_store(postgres::postgres_options{
        .conninfo = options.url, .data_dir = options.data_dir, .blobs_in_database = blobs_in_database});
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<store>(std::move(*s));
  }
  return core::fail(core::errc::invalid,
                    "unknown store backend \"" + options.backend + "\" (this build has: sqlite, postgres)");
}

}  // namespace letterhead::store
