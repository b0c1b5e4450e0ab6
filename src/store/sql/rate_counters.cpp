// Rate counters shared by every node (migration v11) and the store's clock.
#include <chrono>
#include <ctime>

#include "store/detail/try.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

core::result<std::uint64_t> sql_store::rate_hit(std::string_view key, unix_time now, std::chrono::seconds window,
                                                std::uint64_t add) {
  if (key.empty()) return core::fail(core::errc::invalid, "rate_hit: empty key");
  if (window.count() < 1) return core::fail(core::errc::invalid, "rate_hit: the window is under one second");
  const std::int64_t length = window.count();
  // Floor division: the window that holds `now`, for times before 1970 too.
  const std::int64_t start = now >= 0 ? now / length * length : -((-now + length - 1) / length) * length;
  const auto events = static_cast<std::int64_t>(std::min<std::uint64_t>(add, INT64_MAX));
  // A short write: on PostgreSQL the upsert adds atomically under READ COMMITTED, so
  // nodes counting one key at once neither lose events nor fail each other's groups.
  return write_short([&](connection& db) -> core::result<std::uint64_t> {
    STORE_TRY(db.run("DELETE FROM rate_counters WHERE expires <= ?", now));
    std::int64_t current = 0;
    if (events > 0) {
      STORE_TRY_ASSIGN(current, db.run_returning("INSERT INTO rate_counters (key, window_start, events, expires)"
                                                 " VALUES (?, ?, ?, ?) ON CONFLICT (key, window_start) DO UPDATE"
                                                 " SET events = rate_counters.events + excluded.events"
                                                 " RETURNING events",
                                                 key, start, events, start + 2 * length));
    }
    std::int64_t previous = 0;
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT window_start, events FROM rate_counters WHERE key = ?"
                                         " AND window_start IN (?, ?)",
                                         key, start, start - length));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        if (st.i64(0) == start) {
          current = st.i64(1);
        } else {
          previous = st.i64(1);
        }
      }
    }
    // The previous window still covers (length - elapsed) of the sliding one.
    const std::int64_t elapsed = now - start;
    const auto weighted = static_cast<std::int64_t>(static_cast<double>(previous) *
                                                    static_cast<double>(length - elapsed) / static_cast<double>(length));
    return static_cast<std::uint64_t>(current + weighted);
  });
}

core::result<unix_time> sql_store::clock() {
  using namespace std::chrono;
  const auto local_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  // Floor division: whole seconds since the epoch, as time() gives them.
  auto seconds_of = [](std::int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); };
  if (clock_local_.load(std::memory_order_relaxed)) return seconds_of(local_ms);
  const auto steady = duration_cast<seconds>(steady_clock::now().time_since_epoch()).count();
  const auto checked = clock_checked_.load(std::memory_order_relaxed);
  if (checked != INT64_MIN && steady - checked < clock_recheck_seconds) {
    return seconds_of(local_ms + clock_offset_ms_.load(std::memory_order_relaxed));
  }
  // In milliseconds: an offset in whole seconds would be up to a second off, and two
  // nodes could then disagree by two about a lease.
  auto server = read([](connection& db) { return db.server_clock_ms(); });
  if (!server) return std::unexpected(server.error());
  if (!*server) {
    clock_local_.store(true, std::memory_order_relaxed);
    return seconds_of(local_ms);
  }
  clock_offset_ms_.store(**server - local_ms, std::memory_order_relaxed);
  clock_checked_.store(steady, std::memory_order_relaxed);
  return seconds_of(**server);
}

}  // namespace letterhead::store::sql
