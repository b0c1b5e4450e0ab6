// Greylisting triplets (RFC 6647 §2.2), in the greylist table of migration v7.
#include "store/detail/try.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

core::result<std::int64_t> sql_store::greylist_check(std::string_view triplet, unix_time now,
                                                        std::chrono::seconds delay, std::chrono::seconds retry_window,
                                                        std::chrono::seconds expiry) {
  return write([&](write_context& ctx) -> core::result<std::int64_t> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto st, db.query("SELECT first_seen, last_seen, passed FROM greylist WHERE triplet = ?", triplet));
    STORE_TRY_ASSIGN(bool row, st.step());
    const std::int64_t first = row ? st.i64(0) : 0;
    const std::int64_t last = row ? st.i64(1) : 0;
    const bool passed = row && st.i64(2) != 0;
    st = {};
    const bool expired = row && last < now - expiry.count();
    const bool too_late = row && !passed && now > first + delay.count() + retry_window.count();
    if (!row || expired || too_late) {
      // Old rows go with the new one: passed triplets after `expiry`, and triplets that
      // never passed once their retry window closed, so a client inventing senders
      // cannot grow the table beyond what one retry window holds.
      STORE_TRY(db.run("DELETE FROM greylist WHERE last_seen < ? OR (passed = 0 AND first_seen < ?)",
                       now - expiry.count(), now - delay.count() - retry_window.count()));
      STORE_TRY(db.run("INSERT INTO greylist (triplet, first_seen, last_seen, passed) VALUES (?, ?, ?, 0)"
                       " ON CONFLICT (triplet) DO UPDATE SET first_seen = excluded.first_seen,"
                       " last_seen = excluded.last_seen, passed = 0",
                       triplet, now, now));
      return delay.count();
    }
    if (!passed && now < first + delay.count()) {
      STORE_TRY(db.run("UPDATE greylist SET last_seen = ? WHERE triplet = ?", now, triplet));
      return first + delay.count() - now;
    }
    STORE_TRY(db.run("UPDATE greylist SET last_seen = ?, passed = 1 WHERE triplet = ?", now, triplet));
    return std::int64_t{0};
  });
}

}  // namespace letterhead::store::sql
