// Messages: deliver, list/get, flags, expunge, copy; and the change log.

#include <algorithm>
#include <limits>
#include <map>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/codes.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

// UIDs are 32-bit (RFC 9051 §2.3.1.1); the last one cannot be followed by a UIDNEXT.
core::result<void> check_uid_room(const mailbox& m, std::uint64_t needed) {
  if (m.uidnext + needed >= std::numeric_limits<std::uint32_t>::max()) {
    return core::fail(core::errc::limit, "mailbox \"" + m.name + "\" has no UIDs left");
  }
  return {};
}

std::string_view role_text(mailbox_role r) {
  auto name = role_name(r);
  return name ? *name : std::string_view("(none)");
}

// Inserts one message row into `box` with the next UID and MODSEQ `modseq`, logs
// message_added. Counters of the mailbox are the caller's (it may add several).
core::result<std::uint32_t> insert_message(connection& db, mailbox& box, std::string_view blob,
                                           std::uint64_t size, unix_time internal_date, std::uint32_t flags,
                                           std::string_view keywords, std::uint64_t modseq, unix_time time) {
  auto uid = box.uidnext++;
  STORE_TRY(db.run("INSERT INTO messages (account_id, mailbox_id, uid, blob, size, internal_date, flags, keywords,"
                   " modseq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   box.account_id, box.id, uid, blob, size, internal_date, flags, keywords, modseq));
  STORE_TRY(log_change(db, box.account_id, modseq, change_kind::message_added, box.id, uid, time));
  return uid;
}

// RFC 9208 §5.1 STORAGE: refuses a delivery that would take an account over its
// quota, counting every copy this delivery gives that account. Runs in the write
// transaction, so concurrent deliveries cannot both slip under the limit.
core::result<void> check_quotas(connection& db, const std::vector<delivery_target>& targets, std::uint64_t size) {
  std::map<id_t, std::uint64_t> copies;
  for (const auto& t : targets) ++copies[t.account_id];
  for (const auto& [account_id, n] : copies) {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT a.address, a.quota_bytes,"
                                       " (SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM mailboxes WHERE account_id = a.id)"
                                       " FROM accounts a WHERE a.id = ?",
                                       account_id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "account " + std::to_string(account_id) + " does not exist");
    auto quota = st.u64(1);
    auto used = st.u64(2);
    if (quota != 0 && used + n * size > quota) {
      return core::fail(core::errc::limit, "quota exceeded: " + st.text(0) + " uses " + std::to_string(used) +
                                               " of " + std::to_string(quota) + " bytes");
    }
  }
  return {};
}

core::result<void> add_to_counters(connection& db, const mailbox& box, std::int64_t messages, std::int64_t size,
                                   std::uint64_t highest_modseq) {
  return db.run("UPDATE mailboxes SET uidnext = ?, messages = messages + ?, size = size + ?, highest_modseq = ?"
                " WHERE id = ?",
                box.uidnext, messages, size, highest_modseq, box.id);
}

}  // namespace

core::result<std::vector<delivered>> sql_store::deliver(const delivery& d) {
  if (d.targets.empty()) return core::fail(core::errc::invalid, "deliver: no targets");
  if (!detail::is_blob_hash(d.blob)) {
    return core::fail(core::errc::invalid, "deliver: \"" + d.blob + "\" is not a blob hash");
  }
  std::vector<std::string> keywords;
  keywords.reserve(d.targets.size());
  for (const auto& t : d.targets) {
    if (t.role == mailbox_role::none && t.mailbox_id == 0) {
      return core::fail(core::errc::invalid, "deliver: a target has neither role nor mailbox");
    }
    STORE_TRY(check_flags(t.flags));
    STORE_TRY_ASSIGN(auto k, detail::normalize_keywords(t.keywords));
    keywords.push_back(detail::join_keywords(k));
  }
  auto time = now();
  auto internal_date = d.internal_date != 0 ? d.internal_date : time;

  return write([&](write_context& ctx) -> core::result<std::vector<delivered>> {
    auto& db = ctx.db;
    // Checked here, on the writer thread, where blob removals also happen (and under
    // the blob's lock against other nodes): a reference is never recorded to a blob
    // that is not stored (a file, or a row of blob_data).
    STORE_TRY(db.lock_blob(d.blob, false));
    auto stored_size = blobs_->files().size(d.blob);
    if (!stored_size) {
      if (stored_size.error().code == core::errc::not_found) {
        return core::fail(core::errc::not_found, "deliver: blob " + d.blob + " is not in the blob store");
      }
      return std::unexpected(stored_size.error());
    }
    // The stored bytes are the truth: a wrong size would reach clients (RFC822.SIZE).
    if (d.size != 0 && d.size != *stored_size) {
      return core::fail(core::errc::invalid, "deliver: size " + std::to_string(d.size) + " is not that of blob " +
                                                 d.blob + " (" + std::to_string(*stored_size) + " bytes)");
    }
    auto size = *stored_size;
    if (d.enforce_quota) STORE_TRY(check_quotas(db, d.targets, size));

    std::vector<delivered> out;
    out.reserve(d.targets.size());
    for (std::size_t i = 0; i < d.targets.size(); ++i) {
      const auto& t = d.targets[i];
      auto query = t.mailbox_id != 0
                       ? db.query("SELECT " STORE_SQL_MAILBOX_COLUMNS " FROM mailboxes WHERE account_id = ? AND id = ?",
                                  t.account_id, t.mailbox_id)
                       : db.query("SELECT " STORE_SQL_MAILBOX_COLUMNS
                                  " FROM mailboxes WHERE account_id = ? AND role = ?",
                                  t.account_id, role_name(t.role).value_or(""));
      STORE_TRY_ASSIGN(auto st, std::move(query));
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row && t.mailbox_id != 0) {
        return core::fail(core::errc::not_found, "deliver: account " + std::to_string(t.account_id) +
                                                     " has no mailbox " + std::to_string(t.mailbox_id));
      }
      if (!row) {
        return core::fail(core::errc::not_found, "deliver: account " + std::to_string(t.account_id) +
                                                     " has no mailbox with role " + std::string(role_text(t.role)));
      }
      auto box = read_mailbox(st);
      st = {};
      STORE_TRY(check_uid_room(box, 1));
      STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, t.account_id));
      STORE_TRY_ASSIGN(auto uid, insert_message(db, box, d.blob, size, internal_date, t.flags, keywords[i],
                                                modseq, time));
      STORE_TRY(add_to_counters(db, box, 1, static_cast<std::int64_t>(size), modseq));
      out.push_back(delivered{t.account_id, box.id, uid, modseq});
    }
    STORE_TRY(add_blob_refs(ctx, d.blob, size, static_cast<std::int64_t>(d.targets.size())));
    ctx.effects.referenced_blobs.push_back(d.blob);
    // The parse cache entry, in the same transaction (blob_meta.cpp): no second commit.
    if (d.meta_version != 0) {
      STORE_TRY(db.run("INSERT INTO blob_meta (hash, version, data) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (hash) DO UPDATE SET version = excluded.version, data = excluded.data",
                       d.blob, d.meta_version, bytes_view{d.meta}));
      if (!d.keys.empty()) {
        for (const auto& m : out) {
          STORE_TRY(db.run("INSERT INTO message_keys (id, version, data)"
                           " SELECT id, ?, ? FROM messages WHERE mailbox_id = ? AND uid = ?",
                           d.meta_version, bytes_view{d.keys}, m.mailbox_id, m.uid));
        }
      }
    }
    return out;
  });
}

core::result<std::vector<message>> sql_store::list_messages(id_t mailbox_id, std::uint32_t first_uid) {
  return read([&](connection& db) -> core::result<std::vector<message>> {
    STORE_TRY(load_mailbox(db, mailbox_id));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_MESSAGE_COLUMNS
                                       " FROM messages WHERE mailbox_id = ? AND uid >= ? ORDER BY uid",
                                       mailbox_id, first_uid));
    std::vector<message> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(read_message(st));
    }
    return out;
  });
}

core::result<message> sql_store::get_message(id_t mailbox_id, std::uint32_t uid) {
  return read([&](connection& db) -> core::result<message> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_MESSAGE_COLUMNS
                                       " FROM messages WHERE mailbox_id = ? AND uid = ?",
                                       mailbox_id, uid));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) {
      return core::fail(core::errc::not_found, "message with UID " + std::to_string(uid) + " not found in mailbox " +
                                                   std::to_string(mailbox_id));
    }
    return read_message(st);
  });
}

core::result<std::uint64_t> sql_store::set_flags(id_t mailbox_id, std::uint32_t uid, std::uint32_t flags,
                                                    const std::vector<std::string>& keywords) {
  STORE_TRY(check_flags(flags));
  STORE_TRY_ASSIGN(auto normalized, detail::normalize_keywords(keywords));
  auto joined = detail::join_keywords(normalized);
  return write([&](write_context& ctx) -> core::result<std::uint64_t> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto box, load_mailbox(db, mailbox_id));
    STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, box.account_id));
    STORE_TRY(db.run("UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?",
                     flags, joined, modseq, mailbox_id, uid));
    if (db.changes() == 0) {
      return core::fail(core::errc::not_found, "message with UID " + std::to_string(uid) + " not found in mailbox \"" +
                                                   box.name + "\"");
    }
    STORE_TRY(db.run("UPDATE mailboxes SET highest_modseq = ? WHERE id = ?", modseq, mailbox_id));
    STORE_TRY(log_change(db, box.account_id, modseq, change_kind::message_flags, mailbox_id, uid, now()));
    return modseq;
  });
}

core::result<void> sql_store::expunge(id_t mailbox_id, const std::vector<std::uint32_t>& uids) {
  auto sorted = uids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto box, load_mailbox(db, mailbox_id));
    struct victim {
      std::uint32_t uid;
      std::string blob;
      std::int64_t size;
    };
    std::vector<victim> victims;
    for (auto uid : sorted) {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT blob, size FROM messages WHERE mailbox_id = ? AND uid = ?",
                                         mailbox_id, uid));
      STORE_TRY_ASSIGN(bool row, st.step());
      // UIDs already gone are not an error (RFC 9051 §6.4.9 UID EXPUNGE of a set).
      if (row) victims.push_back(victim{uid, st.text(0), st.i64(1)});
    }
    if (victims.empty()) return {};

    auto time = now();
    STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, box.account_id, victims.size()));
    std::map<std::string, std::int64_t> refs;
    std::int64_t total_size = 0;
    for (const auto& v : victims) {
      STORE_TRY(db.run("DELETE FROM messages WHERE mailbox_id = ? AND uid = ?", mailbox_id, v.uid));
      STORE_TRY(log_change(db, box.account_id, modseq++, change_kind::message_expunged, mailbox_id, v.uid, time));
      ++refs[v.blob];
      total_size += v.size;
    }
    STORE_TRY(db.run("UPDATE mailboxes SET messages = messages - ?, size = size - ?, highest_modseq = ? WHERE id = ?",
                     victims.size(), total_size, modseq - 1, mailbox_id));
    for (const auto& [hash, count] : refs) STORE_TRY(release_blob_refs(ctx, hash, count));
    return {};
  });
}

core::result<std::vector<std::uint32_t>> sql_store::copy_messages(id_t from_mailbox,
                                                                     const std::vector<std::uint32_t>& uids,
                                                                     id_t to_mailbox) {
  return write([&](write_context& ctx) -> core::result<std::vector<std::uint32_t>> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto source, load_mailbox(db, from_mailbox));
    STORE_TRY_ASSIGN(auto target, load_mailbox(db, to_mailbox));
    if (source.account_id != target.account_id) {
      return core::fail(core::errc::invalid, "copy: mailboxes " + std::to_string(from_mailbox) + " and " +
                                                 std::to_string(to_mailbox) + " belong to different accounts");
    }
    std::vector<message> originals;
    originals.reserve(uids.size());
    for (auto uid : uids) {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_MESSAGE_COLUMNS
                                         " FROM messages WHERE mailbox_id = ? AND uid = ?",
                                         from_mailbox, uid));
      STORE_TRY_ASSIGN(bool row, st.step());
      // All or nothing: the returned UIDs correspond one to one to the UIDs asked for.
      if (!row) {
        return core::fail(core::errc::not_found, "copy: message with UID " + std::to_string(uid) +
                                                     " not found in mailbox \"" + source.name + "\"");
      }
      originals.push_back(read_message(st));
    }
    if (originals.empty()) return std::vector<std::uint32_t>{};
    STORE_TRY(check_uid_room(target, originals.size()));

    auto time = now();
    STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, target.account_id, originals.size()));
    std::vector<std::uint32_t> out;
    std::map<std::string, std::pair<std::uint64_t, std::int64_t>> refs;  // blob -> size, count
    std::int64_t total_size = 0;
    for (const auto& m : originals) {
      // RFC 9051 §6.4.7: the copy keeps flags and internal date.
      STORE_TRY_ASSIGN(auto uid, insert_message(db, target, m.blob, m.size, m.internal_date, m.flags,
                                                detail::join_keywords(m.keywords), modseq++, time));
      // The copy has the original's search keys (message_keys.cpp): same bytes.
      STORE_TRY(db.run("INSERT INTO message_keys (id, version, data)"
                       " SELECT c.id, k.version, k.data FROM messages c, messages o JOIN message_keys k ON k.id = o.id"
                       " WHERE c.mailbox_id = ? AND c.uid = ? AND o.mailbox_id = ? AND o.uid = ?",
                       target.id, uid, from_mailbox, m.uid));
      out.push_back(uid);
      auto& r = refs[m.blob];
      r.first = m.size;
      ++r.second;
      total_size += static_cast<std::int64_t>(m.size);
    }
    STORE_TRY(add_to_counters(db, target, static_cast<std::int64_t>(out.size()), total_size, modseq - 1));
    for (const auto& [hash, r] : refs) STORE_TRY(add_blob_refs(ctx, hash, r.first, r.second));
    return out;
  });
}

core::result<std::uint64_t> sql_store::highest_modseq(id_t account_id) {
  return read([&](connection& db) -> core::result<std::uint64_t> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT modseq FROM accounts WHERE id = ?", account_id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "account " + std::to_string(account_id) + " does not exist");
    return st.u64(0);
  });
}

core::result<std::vector<change>> sql_store::changes_since(id_t account_id, std::uint64_t modseq) {
  return read([&](connection& db) -> core::result<std::vector<change>> {
    STORE_TRY(load_account(db, account_id));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT modseq, kind, mailbox_id, uid, time FROM changes"
                                       " WHERE account_id = ? AND modseq > ? ORDER BY modseq",
                                       account_id, modseq));
    std::vector<change> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(change{st.u64(0), change_from_code(static_cast<int>(st.i64(1))), st.i64(2), st.u32(3),
                           st.i64(4)});
    }
    return out;
  });
}

}  // namespace letterhead::store::sql
