// The outbound queue (durable; the delivery library sends from it) and the audit log.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/codes.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

#define STORE_SQL_QUEUE_COLUMNS                                                                         \
  "id, blob, size, mail_from, dsn_ret, dsn_envid, auth_account, created, next_attempt, attempts, held," \
  " body_type, smtputf8, requiretls, delay_warned, last_attempt, lease_owner, lease_until"
#define STORE_SQL_RECIPIENT_COLUMNS \
  "queue_id, address, dsn_notify, dsn_orcpt, status, last_reply, remote_mta, dsn_sent"

namespace letterhead::store::sql {

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
  e.body_type = st.text(11);
  e.smtputf8 = st.boolean(12);
  e.requiretls = st.boolean(13);
  e.delay_warned = st.boolean(14);
  e.last_attempt = st.i64(15);
  e.lease_owner = st.text(16);
  e.lease_until = st.i64(17);
  return e;
}

queue_recipient read_recipient(const statement& st) {
  queue_recipient r;
  r.address = st.text(1);
  r.dsn_notify = st.text(2);
  r.dsn_orcpt = st.text(3);
  r.status = recipient_status_from_name(st.text(4));
  r.last_reply = st.text(5);
  r.remote_mta = st.text(6);
  r.dsn_sent = st.boolean(7);
  return r;
}

// RFC 6152 / RFC 3030 BODY values, upper-cased (ESMTP values are case-insensitive,
// RFC 5321 §2.4); nullopt for anything else.
std::optional<std::string> body_type_value(std::string_view t) {
  std::string upper(t);
  for (auto& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper.empty() || upper == "7BIT" || upper == "8BITMIME" || upper == "BINARYMIME") return upper;
  return std::nullopt;
}

core::error no_entry(id_t id) {
  return core::error{core::errc::not_found, "queue entry " + std::to_string(id) + " does not exist"};
}

// Entries by id with their recipients, in the order of `ids`; ids without a row are
// left out.
core::result<std::vector<queue_entry>> load_entries(connection& db, const std::vector<id_t>& ids) {
  std::vector<queue_entry> out;
  out.reserve(ids.size());
  for (auto id : ids) {
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_QUEUE_COLUMNS " FROM queue WHERE id = ?", id));
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) continue;
      out.push_back(read_queue_entry(st));
    }
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_RECIPIENT_COLUMNS
                                       " FROM queue_recipients WHERE queue_id = ? ORDER BY position",
                                       id));
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.back().recipients.push_back(read_recipient(st));
    }
  }
  return out;
}

}  // namespace

core::result<id_t> sql_store::enqueue(const queue_entry& e) {
  if (!detail::is_blob_hash(e.blob)) {
    return core::fail(core::errc::invalid, "enqueue: \"" + e.blob + "\" is not a blob hash");
  }
  if (e.recipients.empty()) return core::fail(core::errc::invalid, "enqueue: no recipients");
  for (const auto& r : e.recipients) {
    if (r.address.empty()) return core::fail(core::errc::invalid, "enqueue: empty recipient address");
  }
  auto body_type = body_type_value(e.body_type);
  if (!body_type) return core::fail(core::errc::invalid, "enqueue: unknown body type \"" + e.body_type + "\"");
  return write([&](write_context& ctx) -> core::result<id_t> {
    auto& db = ctx.db;
    // As in deliver(): never a reference to a blob that is not stored.
    STORE_TRY(db.lock_blob(e.blob, false));
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
    STORE_TRY_ASSIGN(auto id, db.run_returning("INSERT INTO queue (blob, size, mail_from, dsn_ret, dsn_envid, auth_account, created,"
                     " next_attempt, attempts, held, body_type, smtputf8, requiretls, delay_warned, last_attempt,"
                     " lease_owner, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     e.blob, size, e.mail_from, e.dsn_ret, e.dsn_envid, e.auth_account, created, next_attempt,
                     e.attempts, e.held, *body_type, e.smtputf8, e.requiretls, e.delay_warned, e.last_attempt,
                     e.lease_owner, e.lease_until));
    for (std::size_t i = 0; i < e.recipients.size(); ++i) {
      const auto& r = e.recipients[i];
      STORE_TRY(db.run("INSERT INTO queue_recipients (queue_id, position, address, dsn_notify, dsn_orcpt, status,"
                       " last_reply, remote_mta, dsn_sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       id, i, r.address, r.dsn_notify, r.dsn_orcpt, recipient_status_name(r.status), r.last_reply,
                       r.remote_mta, r.dsn_sent));
    }
    STORE_TRY(add_blob_refs(ctx, e.blob, size, 1));
    ctx.effects.referenced_blobs.push_back(e.blob);
    return id;
  });
}

core::result<std::vector<queue_entry>> sql_store::list_queue() {
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

core::result<queue_entry> sql_store::get_queue_entry(id_t id) {
  return read([&](connection& db) -> core::result<queue_entry> {
    STORE_TRY_ASSIGN(auto found, load_entries(db, {id}));
    if (found.empty()) return std::unexpected(no_entry(id));
    return std::move(found.front());
  });
}

core::result<void> sql_store::remove_queue_entry(id_t id) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT blob FROM queue WHERE id = ?", id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return std::unexpected(no_entry(id));
    auto blob = st.text(0);
    st = {};
    // Recipients go by ON DELETE CASCADE.
    STORE_TRY(ctx.db.run("DELETE FROM queue WHERE id = ?", id));
    return release_blob_refs(ctx, blob, 1);
  });
}

// Leases are the concurrency control between sending workers (and nodes): the claim
// and the write-back each run in one write transaction, so two workers never hold
// a live lease on one entry, and a worker whose lease expired and was taken over
// learns so (errc::conflict) instead of overwriting the new owner's state.
core::result<std::vector<queue_entry>> sql_store::claim_queue(unix_time now, std::size_t limit,
                                                                 std::string_view owner, unix_time lease_until) {
  if (owner.empty()) return core::fail(core::errc::invalid, "claim_queue: empty lease owner");
  if (lease_until <= now) return core::fail(core::errc::invalid, "claim_queue: the lease ends before it starts");
  if (limit == 0) return std::vector<queue_entry>{};
  auto max = static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
  // A short write: on PostgreSQL, nodes claiming at once skip each other's locked rows
  // instead of failing each other's serializable commit groups. Under READ COMMITTED a
  // row locked after a wait is checked against the WHERE clause again, so an entry
  // another node leased meanwhile is not taken twice.
  return write_short([&](connection& db) -> core::result<std::vector<queue_entry>> {
    std::vector<id_t> ids;
    {
      // `held = 0` as written lets SQLite use the partial index queue_due.
      const std::string sql = std::string("SELECT id FROM queue WHERE held = 0 AND next_attempt <= ?1"
                                          " AND lease_until <= ?1 ORDER BY next_attempt, id LIMIT ?2") +
                              std::string(db.take_rows_clause());
      STORE_TRY_ASSIGN(auto st, db.query(sql, now, max));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        ids.push_back(st.i64(0));
      }
    }
    for (auto id : ids) {
      STORE_TRY(db.run("UPDATE queue SET lease_owner = ?, lease_until = ? WHERE id = ?", owner, lease_until, id));
    }
    return load_entries(db, ids);
  });
}

core::result<void> sql_store::update_queue_entry(const queue_entry& e) {
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    std::int64_t recipients = 0;
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT lease_owner, (SELECT count(*) FROM queue_recipients"
                                         " WHERE queue_id = queue.id) FROM queue WHERE id = ?",
                                         e.id));
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) {
        return core::fail(core::errc::conflict, "queue entry " + std::to_string(e.id) + " is gone");
      }
      if (auto holder = st.text(0); holder != e.lease_owner) {
        return core::fail(core::errc::conflict, "queue entry " + std::to_string(e.id) + " is leased by \"" + holder +
                                                    "\", not \"" + e.lease_owner + "\"");
      }
      recipients = st.i64(1);
    }
    if (static_cast<std::int64_t>(e.recipients.size()) != recipients) {
      return core::fail(core::errc::invalid, "queue entry " + std::to_string(e.id) + " has " +
                                                 std::to_string(recipients) + " recipients, not " +
                                                 std::to_string(e.recipients.size()));
    }
    // The larger held: a hold an admin placed while the attempt ran outlives the write-back.
    STORE_TRY(db.run("UPDATE queue SET attempts = ?1, last_attempt = ?2, next_attempt = ?3, delay_warned = ?4,"
                     " held = CASE WHEN held > ?5 THEN held ELSE ?5 END, lease_owner = '', lease_until = 0"
                     " WHERE id = ?6",
                     e.attempts, e.last_attempt, e.next_attempt, e.delay_warned, e.held ? 1 : 0, e.id));
    for (std::size_t i = 0; i < e.recipients.size(); ++i) {
      const auto& r = e.recipients[i];
      STORE_TRY(db.run("UPDATE queue_recipients SET status = ?, last_reply = ?, remote_mta = ?, dsn_sent = ?"
                       " WHERE queue_id = ? AND position = ?",
                       recipient_status_name(r.status), r.last_reply, r.remote_mta, r.dsn_sent, e.id, i));
    }
    return {};
  });
}

core::result<void> sql_store::set_queue_held(id_t id, bool held) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("UPDATE queue SET held = ? WHERE id = ?", held ? 1 : 0, id));
    if (ctx.db.changes() == 0) return std::unexpected(no_entry(id));
    return {};
  });
}

core::result<void> sql_store::retry_queue_entry(id_t id, unix_time now) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("UPDATE queue SET held = 0, next_attempt = ? WHERE id = ?", now, id));
    if (ctx.db.changes() == 0) return std::unexpected(no_entry(id));
    return {};
  });
}

// --- audit log ---

core::result<void> sql_store::audit(std::string_view actor, std::string_view action, std::string_view detail) {
  auto time = now();
  return write([&](write_context& ctx) {
    return ctx.db.run("INSERT INTO audit_log (time, actor, action, detail) VALUES (?, ?, ?, ?)", time, actor, action,
                      detail);
  });
}

core::result<std::vector<audit_record>> sql_store::list_audit(std::size_t limit) {
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

}  // namespace letterhead::store::sql
