#include "store/sql/rows.hpp"

#include <algorithm>
#include <ctime>
#include <limits>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/codes.hpp"

namespace letterhead::store::sql {

unix_time now() { return static_cast<unix_time>(::time(nullptr)); }

domain read_domain(const statement& st) {
  domain d;
  d.id = st.i64(0);
  d.name = st.text(1);
  d.catch_all = st.optional_text(2);
  d.created = st.i64(3);
  return d;
}

account read_account(const statement& st) {
  account a;
  a.id = st.i64(0);
  a.domain_id = st.i64(1);
  a.address = st.text(2);
  a.display_name = st.text(3);
  a.password_hash = st.text(4);
  a.quota_bytes = st.u64(5);
  a.disabled = st.boolean(6);
  a.created = st.i64(7);
  return a;
}

mailbox read_mailbox(const statement& st) {
  mailbox m;
  m.id = st.i64(0);
  m.account_id = st.i64(1);
  m.name = st.text(2);
  auto role = st.optional_text(3);
  m.role = role_from_name(role ? std::optional<std::string_view>(*role) : std::nullopt);
  m.uidvalidity = st.u32(4);
  m.uidnext = st.u32(5);
  m.highest_modseq = st.u64(6);
  m.messages = st.u32(7);
  m.size = st.u64(8);
  m.subscribed = st.boolean(9);
  return m;
}

message read_message(const statement& st) {
  message m;
  m.id = st.i64(0);
  m.account_id = st.i64(1);
  m.mailbox_id = st.i64(2);
  m.uid = st.u32(3);
  m.blob = st.text(4);
  m.size = st.u64(5);
  m.internal_date = st.i64(6);
  m.flags = st.u32(7);
  m.keywords = detail::split_keywords(st.text(8));
  m.modseq = st.u64(9);
  return m;
}

core::result<domain> load_domain(connection& db, std::string_view name) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_DOMAIN_COLUMNS " FROM domains WHERE name = ?",
                                     detail::ascii_lower(name)));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::not_found, "domain " + std::string(name) + " does not exist");
  return read_domain(st);
}

core::result<account> load_account(connection& db, id_t id) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_ACCOUNT_COLUMNS " FROM accounts WHERE id = ?", id));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::not_found, "account " + std::to_string(id) + " does not exist");
  return read_account(st);
}

core::result<account> load_account_by_address(connection& db, std::string_view address) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_ACCOUNT_COLUMNS
                                     " FROM accounts WHERE address_key = ?",
                                     detail::ascii_lower(address)));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::not_found, "account " + std::string(address) + " does not exist");
  return read_account(st);
}

core::result<mailbox> load_mailbox(connection& db, id_t id) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_MAILBOX_COLUMNS " FROM mailboxes WHERE id = ?", id));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::not_found, "mailbox " + std::to_string(id) + " does not exist");
  return read_mailbox(st);
}

core::result<mailbox> load_mailbox_by_name(connection& db, id_t account, std::string_view normalized_name) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_MAILBOX_COLUMNS
                                     " FROM mailboxes WHERE account_id = ? AND name = ?",
                                     account, normalized_name));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) {
    return core::fail(core::errc::not_found, "mailbox \"" + std::string(normalized_name) + "\" does not exist");
  }
  return read_mailbox(st);
}

core::result<std::uint64_t> reserve_modseqs(connection& db, id_t account, std::uint64_t count) {
  STORE_TRY_ASSIGN(auto st, db.query("UPDATE accounts SET modseq = modseq + ? WHERE id = ? RETURNING modseq",
                                     count, account));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::not_found, "account " + std::to_string(account) + " does not exist");
  auto last = st.u64(0);
  STORE_TRY(st.finish());
  return last - count + 1;
}

core::result<void> log_change(connection& db, id_t account, std::uint64_t modseq, change_kind kind,
                              id_t mailbox, std::uint32_t uid, unix_time time) {
  STORE_TRY(db.run(
      "INSERT INTO changes (account_id, modseq, kind, mailbox_id, uid, time) VALUES (?, ?, ?, ?, ?, ?)",
      account, modseq, change_code(kind), mailbox, uid, time));
  return db.announce_change(account);
}

core::result<void> check_flags(std::uint32_t flags) {
  if ((flags & ~all_flags) != 0) {
    return core::fail(core::errc::invalid, "unknown flag bits " + std::to_string(flags & ~all_flags));
  }
  return {};
}

core::result<void> add_blob_refs(write_context& ctx, std::string_view hash, std::uint64_t size,
                                 std::int64_t count) {
  return ctx.db.run(
      "INSERT INTO blobs (hash, size, refcount) VALUES (?, ?, ?)"
      " ON CONFLICT (hash) DO UPDATE SET refcount = blobs.refcount + excluded.refcount",
      hash, size, count);
}

core::result<void> release_blob_refs(write_context& ctx, std::string_view hash, std::int64_t count) {
  STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT refcount FROM blobs WHERE hash = ?", hash));
  STORE_TRY_ASSIGN(bool row, st.step());
  // No row: nothing counts this blob (it would be an orphan for the sweep already).
  if (!row) return {};
  auto refcount = st.i64(0);
  st = {};
  if (refcount > count) {
    return ctx.db.run("UPDATE blobs SET refcount = refcount - ? WHERE hash = ?", count, hash);
  }
  STORE_TRY(ctx.db.run("DELETE FROM blobs WHERE hash = ?", hash));
  // The file goes only after the commit (and only if no later request of the same
  // group took a new reference): removing it now would break a rollback.
  ctx.effects.released_blobs.emplace_back(hash);
  return {};
}

// UIDVALIDITY scheme (RFC 9051 §2.3.1.1: a name's UIDVALIDITY must change whenever its
// UIDs could be reused, e.g. after delete and create). Each mailbox gets
// max(current Unix time, last value handed out + 1), and the last value is kept in
// store_counters, in the same transaction. So values are unique across the whole
// store and strictly increasing, even for several mailboxes created in one second or
// after the clock went back. Time-based rather than a plain counter so that a store
// restored from an old backup (whose counter is behind) still hands out values that
// clients have not seen, as long as the clock has moved on since. 32 bits of seconds
// last until 2106.
core::result<std::uint32_t> next_uidvalidity(connection& db) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT value FROM store_counters WHERE name = 'uidvalidity'"));
  STORE_TRY_ASSIGN(bool row, st.step());
  std::int64_t last = row ? st.i64(0) : 0;
  st = {};
  std::int64_t next = std::max<std::int64_t>(now(), last + 1);
  if (next > std::numeric_limits<std::uint32_t>::max()) {
    return core::fail(core::errc::limit, "UIDVALIDITY values are exhausted");
  }
  STORE_TRY(db.run("INSERT INTO store_counters (name, value) VALUES ('uidvalidity', ?)"
                   " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                   next));
  return static_cast<std::uint32_t>(next);
}

core::result<mailbox> insert_mailbox(connection& db, id_t account, std::string_view name,
                                     mailbox_role role, unix_time time) {
  STORE_TRY_ASSIGN(auto uidvalidity, next_uidvalidity(db));
  STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, account));
  auto role_text = role_name(role);
  std::optional<std::string> role_value;
  if (role_text) role_value = std::string(*role_text);
  // A new mailbox's HIGHESTMODSEQ is that of its creation: RFC 7162 §3.1.2.1 wants a
  // positive value even for an empty mailbox.
  mailbox m;
  STORE_TRY_ASSIGN(m.id, db.run_returning("INSERT INTO mailboxes (account_id, name, role, uidvalidity, highest_modseq)"
                                          " VALUES (?, ?, ?, ?, ?) RETURNING id",
                                          account, name, role_value, uidvalidity, modseq));
  m.account_id = account;
  m.name = std::string(name);
  m.role = role;
  m.uidvalidity = uidvalidity;
  m.highest_modseq = modseq;
  STORE_TRY(log_change(db, account, modseq, change_kind::mailbox_created, m.id, 0, time));
  return m;
}

core::result<std::vector<mailbox>> mailboxes_under(connection& db, id_t account, std::string_view prefix) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_MAILBOX_COLUMNS " FROM mailboxes WHERE account_id = ?1 AND"
                                     " (?2 = '' OR name = ?2 OR substr(name, 1, length(?2) + 1) = ?2 || '/')"
                                     " ORDER BY name",
                                     account, prefix));
  std::vector<mailbox> out;
  for (;;) {
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) break;
    out.push_back(read_mailbox(st));
  }
  return out;
}

core::result<bool> mailbox_exists(connection& db, id_t account, std::string_view name) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM mailboxes WHERE account_id = ? AND name = ?", account, name));
  return st.step();
}

core::result<void> create_superiors(connection& db, id_t account, std::string_view name, unix_time time) {
  for (const auto& superior : detail::superior_names(name)) {
    STORE_TRY_ASSIGN(bool exists, mailbox_exists(db, account, superior));
    if (!exists) STORE_TRY(insert_mailbox(db, account, superior, mailbox_role::none, time));
  }
  return {};
}

core::result<std::size_t> move_all_messages(connection& db, const mailbox& from, mailbox& to, unix_time time) {
  std::vector<std::pair<id_t, std::uint32_t>> moving;  // message id, old uid
  std::int64_t size = 0;
  {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT id, uid, size FROM messages WHERE mailbox_id = ? ORDER BY uid",
                                       from.id));
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      moving.emplace_back(st.i64(0), st.u32(1));
      size += st.i64(2);
    }
  }
  if (moving.empty()) return 0;
  const auto n = static_cast<std::int64_t>(moving.size());
  // UIDs are 32-bit (RFC 9051 §2.3.1.1); the last one cannot be followed by a UIDNEXT.
  if (to.uidnext + moving.size() >= std::numeric_limits<std::uint32_t>::max()) {
    return core::fail(core::errc::limit, "mailbox \"" + to.name + "\" has no UIDs left");
  }
  STORE_TRY_ASSIGN(auto gone, reserve_modseqs(db, from.account_id, moving.size()));
  for (const auto& [id, old_uid] : moving) {
    STORE_TRY(log_change(db, from.account_id, gone++, change_kind::message_expunged, from.id, old_uid, time));
  }
  STORE_TRY_ASSIGN(auto added, reserve_modseqs(db, to.account_id, moving.size()));
  for (const auto& [id, old_uid] : moving) {
    const auto uid = to.uidnext++;
    STORE_TRY(db.run("UPDATE messages SET account_id = ?, mailbox_id = ?, uid = ?, modseq = ? WHERE id = ?",
                     to.account_id, to.id, uid, added, id));
    STORE_TRY(log_change(db, to.account_id, added++, change_kind::message_added, to.id, uid, time));
  }
  STORE_TRY(db.run("UPDATE mailboxes SET messages = messages - ?, size = size - ?, highest_modseq = ? WHERE id = ?",
                   n, size, gone - 1, from.id));
  STORE_TRY(db.run("UPDATE mailboxes SET uidnext = ?, messages = messages + ?, size = size + ?, highest_modseq = ?"
                   " WHERE id = ?",
                   to.uidnext, n, size, added - 1, to.id));
  return moving.size();
}

core::result<std::string> canonical_rights(std::string_view rights) {
  constexpr std::string_view order = "lrswipkxtea";
  for (char c : rights) {
    if (order.find(c) == std::string_view::npos) {
      return core::fail(core::errc::invalid, std::string("unknown ACL right '") + c + "'");
    }
  }
  std::string out;
  for (char c : order) {
    if (rights.find(c) != std::string_view::npos) out += c;
  }
  return out;
}

}  // namespace letterhead::store::sql
