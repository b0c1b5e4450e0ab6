#include "store/sql/migrate.hpp"

#include <ctime>
#include <string>

#include "store/detail/try.hpp"

namespace letterhead::store::sql {

core::result<int> migrate(connection& db, std::span<const std::string_view> scripts) {
  const int known = static_cast<int>(scripts.size());
  for (;;) {
    // Two processes (or nodes) opening a fresh database at once must not both apply a
    // script: the driver serialises them.
    STORE_TRY(db.begin_migration());
    auto step = [&]() -> core::result<bool> {
      // Inside the transaction and after the lock: two nodes creating it at once would
      // collide on PostgreSQL. BIGINT: seconds outlive 2038 (INTEGER is 32-bit there).
      STORE_TRY(db.exec("CREATE TABLE IF NOT EXISTS schema_version ("
                        " version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)"));
      STORE_TRY_ASSIGN(auto st, db.query("SELECT coalesce(max(version), 0) FROM schema_version"));
      STORE_TRY_ASSIGN(bool row, st.step());
      int current = row ? static_cast<int>(st.i64(0)) : 0;
      st = {};
      if (current > known) {
        return core::fail(core::errc::invalid,
                          "database " + db.name() + " has schema version " + std::to_string(current) +
                              ", newer than this program knows (" + std::to_string(known) +
                              "): run a newer letterhead or restore a backup");
      }
      if (current == known) return false;
      STORE_TRY(db.exec(scripts[static_cast<std::size_t>(current)]));
      STORE_TRY(db.run("INSERT INTO schema_version (version, applied) VALUES (?, ?)", current + 1,
                       static_cast<std::int64_t>(::time(nullptr))));
      return true;
    };
    auto more = step();
    if (!more) {
      (void)db.exec("ROLLBACK");
      return std::unexpected(more.error());
    }
    STORE_TRY(db.exec("COMMIT"));
    if (!*more) return known;
  }
}

}  // namespace letterhead::store::sql
