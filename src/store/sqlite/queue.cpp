// The outbound queue (durable; the delivery library sends from it) and the audit log.

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sqlite/codes.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store.hpp"

#define STORE_SQL_QUEUE_COLUMNS \
  "id, blob, size, mail_from, dsn_ret, dsn_envid, auth_account, created, next_attempt, attempts, held"
#define STORE_SQL_RECIPIENT_COLUMNS "queue_id, address, dsn_notify, dsn_orcpt, status, last_reply"

namespace letterhead::store::sqlite {

namespace {

queue_entry read_queue_entry(const statement& st) {
  queue_entry e;
  e.id = st.i64(0);
  e.blob = st.text(1);
  e.size = st.u64(2);
  e.mail_from = st.text(3);
  e.dsn_ret = st.text(4);
  e.dsn_envid = st.text(5);
  e.auth_account = st.text(6);
  e.created = st.i64(7);
  e.next_attempt = st.i64(8);
  e.attempts = st.u32(9);
  e.held = st.boolean(10);
  return e;
}

queue_recipient read_recipient(const statement& st) {
  queue_recipient r;
  r.address = st.text(1);
  r.dsn_notify = st.text(2);
  r.dsn_orcpt = st.text(3);
  r.status = recipient_status_from_name(st.text(4));
  r.last_reply = st.text(5);
  return r;
}

}  // namespace

core::result<id_t> sqlite_store::enqueue(const queue_entry& e) {
  if (!detail::is_blob_hash(e.blob)) {
    return core::fail(core::errc::invalid, "enqueue: \"" + e.blob + "\" is not a blob hash");
  }
  if (e.recipients.empty()) return core::fail(core::errc::invalid, "enqueue: no recipients");
  for (const auto& r : e.recipients) {
    if (r.address.empty()) return core::fail(core::errc::invalid, "enqueue: empty recipient address");
  }
  return write([&](write_context& ctx) -> core::result<id_t> {
    auto& db = ctx.db;
    // As in deliver(): never a reference to a blob that is not on disk.
    auto stored_size = blobs_->files().size(e.blob);
    if (!stored_size) {
      if (stored_size.error().code == core::errc::not_found) {
        return core::fail(core::errc::not_found, "enqueue: blob " + e.blob + " is not in the blob store");
      }
      return std::unexpected(stored_size.error());
    }
    if (e.size != 0 && e.size != *stored_size) {
      return core::fail(core::errc::invalid, "enqueue: size " + std::to_string(e.size) + " is not that of blob " +
                                                 e.blob + " (" + std::to_string(*stored_size) + " bytes)");
    }
    auto size = *stored_size;
    auto created = e.created != 0 ? e.created : now();
    auto next_attempt = e.next_attempt != 0 ? e.next_attempt : created;
    STORE_TRY(db.run("INSERT INTO queue (blob, size, mail_from, dsn_ret, dsn_envid, auth_account, created,"
                     " next_attempt, attempts, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     e.blob, size, e.mail_from, e.dsn_ret, e.dsn_envid, e.auth_account, created, next_attempt,
                     e.attempts, e.held));
    auto id = db.last_insert_rowid();
    for (std::size_t i = 0; i < e.recipients.size(); ++i) {
      const auto& r = e.recipients[i];
      STORE_TRY(db.run("INSERT INTO queue_recipients (queue_id, position, address, dsn_notify, dsn_orcpt, status,"
                       " last_reply) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       id, i, r.address, r.dsn_notify, r.dsn_orcpt, recipient_status_name(r.status), r.last_reply));
    }
    STORE_TRY(add_blob_refs(ctx, e.blob, size, 1));
    ctx.effects.referenced_blobs.push_back(e.blob);
    return id;
  });
}

core::result<std::vector<queue_entry>> sqlite_store::list_queue() {
  return read([&](connection& db) -> core::result<std::vector<queue_entry>> {
    std::vector<queue_entry> out;
    std::unordered_map<id_t, std::size_t> index;
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_QUEUE_COLUMNS " FROM queue ORDER BY next_attempt, id"));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        index.emplace(st.i64(0), out.size());
        out.push_back(read_queue_entry(st));
      }
    }
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_RECIPIENT_COLUMNS
                                       " FROM queue_recipients ORDER BY queue_id, position"));
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      if (auto it = index.find(st.i64(0)); it != index.end()) out[it->second].recipients.push_back(read_recipient(st));
    }
    return out;
  });
}

core::result<queue_entry> sqlite_store::get_queue_entry(id_t id) {
  return read([&](connection& db) -> core::result<queue_entry> {
    queue_entry e;
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_QUEUE_COLUMNS " FROM queue WHERE id = ?", id));
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) return core::fail(core::errc::not_found, "queue entry " + std::to_string(id) + " does not exist");
      e = read_queue_entry(st);
    }
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_RECIPIENT_COLUMNS
                                       " FROM queue_recipients WHERE queue_id = ? ORDER BY position",
                                       id));
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      e.recipients.push_back(read_recipient(st));
    }
    return e;
  });
}

core::result<void> sqlite_store::remove_queue_entry(id_t id) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT blob FROM queue WHERE id = ?", id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "queue entry " + std::to_string(id) + " does not exist");
    auto blob = st.text(0);
    st = {};
    // Recipients go by ON DELETE CASCADE.
    STORE_TRY(ctx.db.run("DELETE FROM queue WHERE id = ?", id));
    return release_blob_refs(ctx, blob, 1);
  });
}

// --- audit log ---

core::result<void> sqlite_store::audit(std::string_view actor, std::string_view action, std::string_view detail) {
  auto time = now();
  return write([&](write_context& ctx) {
    return ctx.db.run("INSERT INTO audit_log (time, actor, action, detail) VALUES (?, ?, ?, ?)", time, actor, action,
                      detail);
  });
}

core::result<std::vector<audit_record>> sqlite_store::list_audit(std::size_t limit) {
  return read([&](connection& db) -> core::result<std::vector<audit_record>> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT id, time, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?",
                                       static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))));
    std::vector<audit_record> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(audit_record{st.i64(0), st.i64(1), st.text(2), st.text(3), st.text(4)});
    }
    return out;
  });
}

}  // namespace letterhead::store::sqlite
