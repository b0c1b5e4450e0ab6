#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace letterhead::store {

core::result<std::unique_ptr<store>> open(const store_options& options) {
  if (options.backend == "sqlite" || options.backend.empty()) {
    auto s = sqlite::open_store(sqlite::sqlite_options{.data_dir = options.data_dir});
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<store>(std::move(*s));
  }
  if (options.backend == "postgres" || options.backend == "postgresql") {
    return core::fail(core::errc::invalid,
                      "store backend \"postgres\": the PostgreSQL backend is not built yet; "
                      "use backend = \"sqlite\"");
  }
  return core::fail(core::errc::invalid,
                    "unknown store backend \"" + options.backend + "\" (this build has: sqlite)");
}

}  // namespace letterhead::store
