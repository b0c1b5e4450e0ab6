// Flag updates (store::update_flags): RFC 9051 §6.4.6 STORE and its CONDSTORE form
// (RFC 7162 §3.1.3 UNCHANGEDSINCE), for a whole set of messages in one write request.
// The new flags are computed from the stored ones inside the write transaction, never
// from a session's copy, so concurrent +FLAGS/-FLAGS on one message all take effect.

#include <algorithm>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

// Requested UIDs this close share one range scan of (mailbox_id, uid); a wider gap
// starts another, so a sparse set reads few rows it did not ask for while "1:*" over
// a mailbox with expunged holes is still one statement.
constexpr std::uint32_t max_scan_gap = 64;

struct row {
  std::uint32_t uid = 0;
  std::uint32_t flags = 0;
  std::string keywords;  // joined, as stored
  std::uint64_t modseq = 0;
};

core::result<std::vector<row>> read_rows(connection& db, id_t mailbox_id, const std::vector<std::uint32_t>& uids) {
  std::vector<row> rows;
  rows.reserve(uids.size());
  for (std::size_t start = 0; start < uids.size();) {
    std::size_t end = start + 1;
    while (end < uids.size() && uids[end] - uids[end - 1] <= max_scan_gap) ++end;
    STORE_TRY_ASSIGN(auto st, db.query("SELECT uid, flags, keywords, modseq FROM messages"
                                       " WHERE mailbox_id = ? AND uid >= ? AND uid <= ? ORDER BY uid",
                                       mailbox_id, uids[start], uids[end - 1]));
    for (;;) {
      STORE_TRY_ASSIGN(bool more, st.step());
      if (!more) break;
      const auto uid = st.u32(0);
      if (!std::binary_search(uids.begin() + static_cast<std::ptrdiff_t>(start),
                              uids.begin() + static_cast<std::ptrdiff_t>(end), uid)) {
        continue;
      }
      rows.push_back(row{uid, st.u32(1), st.text(2), st.u64(3)});
    }
    start = end;
  }
  return rows;
}

// The outcome of `change` on the stored rows, before anything is written.
struct plan {
  id_t account = 0;
  flag_update update;
  std::vector<std::size_t> changing;  // indexes into update.messages
};

core::result<plan> make_plan(connection& db, id_t mailbox_id, const std::vector<std::uint32_t>& uids,
                             const flag_change& change) {
  STORE_TRY_ASSIGN(auto box, load_mailbox(db, mailbox_id));
  plan out;
  out.account = box.account_id;
  if (uids.empty()) return out;
  STORE_TRY_ASSIGN(auto rows, read_rows(db, mailbox_id, uids));
  auto& messages = out.update.messages;
  messages.reserve(rows.size());
  for (const auto& r : rows) {
    if (change.unchanged_since && r.modseq > *change.unchanged_since) {
      out.update.modified.push_back(r.uid);
      continue;
    }
    auto stored = detail::split_keywords(r.keywords);
    auto next = apply_flag_change(change, r.flags, stored);
    const bool changed = !next.same_as(r.flags, stored);
    if (changed) out.changing.push_back(messages.size());
    messages.push_back(flag_state{r.uid, next.flags, changed ? std::move(next.keywords) : std::move(stored), r.modseq,
                                  changed});
  }
  return out;
}

}  // namespace

core::result<flag_update> sql_store::update_flags(id_t mailbox_id, std::span<const std::uint32_t> uids,
                                                    const flag_change& change) {
  STORE_TRY(check_flags(change.flags));
  STORE_TRY(check_flags(change.set_mask));
  if (change.op == flag_op::set && (change.flags & ~change.set_mask) != 0) {
    return core::fail(core::errc::invalid, "update_flags: flags outside the replaced set");
  }
  auto normalized = change;
  STORE_TRY_ASSIGN(normalized.keywords, detail::normalize_keywords(change.keywords));
  std::vector<std::uint32_t> wanted(uids.begin(), uids.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

  // Many STOREs change nothing (a client marks seen what is seen). A read decides that
  // without queueing for the writer: the answer is the stored flags at that snapshot,
  // as if the STORE had run then.
  STORE_TRY_ASSIGN(auto looked, read([&](connection& db) { return make_plan(db, mailbox_id, wanted, normalized); }));
  if (looked.changing.empty()) return std::move(looked.update);

  // Planned again inside the write transaction, from the rows as they are now; runs
  // again from the start when the group commit retries.
  return write([&](write_context& ctx) -> core::result<flag_update> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto p, make_plan(db, mailbox_id, wanted, normalized));
    if (p.changing.empty()) return std::move(p.update);
    // RFC 7162 §3.1.3 leaves it open whether an unchanged message gets a new MODSEQ:
    // it does not here, so that a repeated STORE adds nothing to the change log.
    STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, p.account, p.changing.size()));
    const auto time = now();
    for (const auto i : p.changing) {
      auto& m = p.update.messages[i];
      m.modseq = modseq++;
      STORE_TRY(db.run("UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?",
                       m.flags, detail::join_keywords(m.keywords), m.modseq, mailbox_id, m.uid));
      STORE_TRY(log_change(db, p.account, m.modseq, change_kind::message_flags, mailbox_id, m.uid, time));
    }
    STORE_TRY(db.run("UPDATE mailboxes SET highest_modseq = ? WHERE id = ?", modseq - 1, mailbox_id));
    return std::move(p.update);
  });
}

}  // namespace letterhead::store::sql
