// Search keys per message row (migration v9): read with the mailbox's rows in UID
// order through the (mailbox_id, uid) index and a join on the integer row id.

#include <algorithm>

#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

core::result<std::vector<message_keys>> sql_store::get_message_keys(id_t mailbox_id,
                                                                       std::span<const std::uint32_t> uids) {
  if (uids.empty()) return std::vector<message_keys>{};
  if (!std::is_sorted(uids.begin(), uids.end())) {
    return core::fail(core::errc::invalid, "get_message_keys: UIDs not in ascending order");
  }
  return read([&](connection& db) -> core::result<std::vector<message_keys>> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT m.uid, k.version, k.data FROM messages m"
                                       " JOIN message_keys k ON k.id = m.id"
                                       " WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid",
                                       mailbox_id, uids.front(), uids.back()));
    std::vector<message_keys> out;
    out.reserve(uids.size());
    // A merge of two ascending sequences: rows of UIDs not asked for (sparse SORT
    // hits) are passed over without copying their keys.
    auto want = uids.begin();
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      const auto uid = static_cast<std::uint32_t>(st.i64(0));
      while (want != uids.end() && *want < uid) ++want;
      if (want == uids.end()) break;
      if (*want != uid) continue;
      out.push_back(message_keys{uid, static_cast<std::int32_t>(st.i64(1)), st.bytes(2)});
    }
    return out;
  });
}

// Through the writer like every write; a message expunged meanwhile gets no entry.
core::result<void> sql_store::put_message_keys(id_t mailbox_id, const std::vector<message_keys>& keys) {
  if (keys.empty()) return {};
  return write([&](write_context& ctx) -> core::result<void> {
    for (const auto& k : keys) {
      STORE_TRY(ctx.db.run("INSERT INTO message_keys (id, version, data)"
                           " SELECT id, ?, ? FROM messages WHERE mailbox_id = ? AND uid = ?"
                           " ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data",
                           k.version, bytes_view{k.data}, mailbox_id, k.uid));
    }
    return {};
  });
}

}  // namespace letterhead::store::sql
