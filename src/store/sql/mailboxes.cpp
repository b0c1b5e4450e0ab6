// Mailboxes: create (with superiors), rename (with inferiors; INBOX is special),
// delete, and the lookups.

#include <algorithm>
#include <limits>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/codes.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

// RFC 9051 §6.3.6: renaming INBOX moves its messages into a new mailbox of the given
// name and leaves INBOX empty (same UIDVALIDITY, UIDs not reused). Its inferiors stay.
core::result<void> rename_inbox(connection& db, const mailbox& inbox, std::string_view to, unix_time time) {
  STORE_TRY(create_superiors(db, inbox.account_id, to, time));
  STORE_TRY_ASSIGN(auto target, insert_mailbox(db, inbox.account_id, to, mailbox_role::none, time));
  STORE_TRY(move_all_messages(db, inbox, target, time));
  return {};
}

}  // namespace

core::result<std::vector<mailbox>> sql_store::list_mailboxes(id_t account_id) {
  return read([&](connection& db) -> core::result<std::vector<mailbox>> {
    STORE_TRY(load_account(db, account_id));
    return mailboxes_under(db, account_id, "");
  });
}

core::result<mailbox> sql_store::find_mailbox(id_t account_id, std::string_view name) {
  STORE_TRY_ASSIGN(auto normalized, detail::normalize_mailbox_name(name));
  return read([&](connection& db) { return load_mailbox_by_name(db, account_id, normalized); });
}

core::result<mailbox> sql_store::find_mailbox_by_role(id_t account_id, mailbox_role role) {
  auto role_text = role_name(role);
  if (!role_text) return core::fail(core::errc::invalid, "find_mailbox_by_role: no role given");
  return read([&](connection& db) -> core::result<mailbox> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_MAILBOX_COLUMNS
                                       " FROM mailboxes WHERE account_id = ? AND role = ?",
                                       account_id, *role_text));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) {
      return core::fail(core::errc::not_found, "account " + std::to_string(account_id) + " has no " +
                                                   std::string(*role_text) + " mailbox");
    }
    return read_mailbox(st);
  });
}

core::result<mailbox> sql_store::create_mailbox(id_t account_id, std::string_view name, mailbox_role role) {
  STORE_TRY_ASSIGN(auto normalized, detail::normalize_mailbox_name(name));
  return write([&](write_context& ctx) -> core::result<mailbox> {
    STORE_TRY(load_account(ctx.db, account_id));
    STORE_TRY_ASSIGN(bool exists, mailbox_exists(ctx.db, account_id, normalized));
    if (exists) return core::fail(core::errc::exists, "mailbox \"" + normalized + "\" exists already");
    if (auto role_text = role_name(role)) {
      STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT name FROM mailboxes WHERE account_id = ? AND role = ?",
                                             account_id, *role_text));
      STORE_TRY_ASSIGN(bool taken, st.step());
      if (taken) {
        return core::fail(core::errc::exists, "the " + std::string(*role_text) + " role belongs to mailbox \"" +
                                                  st.text(0) + "\" already");
      }
    }
    auto time = now();
    STORE_TRY(create_superiors(ctx.db, account_id, normalized, time));
    return insert_mailbox(ctx.db, account_id, normalized, role, time);
  });
}

core::result<void> sql_store::rename_mailbox(id_t account_id, std::string_view from, std::string_view to) {
  STORE_TRY_ASSIGN(auto old_name, detail::normalize_mailbox_name(from));
  STORE_TRY_ASSIGN(auto new_name, detail::normalize_mailbox_name(to));
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto source, load_mailbox_by_name(db, account_id, old_name));
    STORE_TRY_ASSIGN(bool exists, mailbox_exists(db, account_id, new_name));
    if (exists) return core::fail(core::errc::exists, "mailbox \"" + new_name + "\" exists already");
    auto time = now();
    if (source.name == "INBOX") return rename_inbox(db, source, new_name, time);
    if (detail::is_same_or_inferior(new_name, old_name)) {
      return core::fail(core::errc::invalid, "cannot rename \"" + old_name + "\" to a name inside itself");
    }

    // The mailbox and its inferiors ("a" takes "a/b" along), by a prefix test that
    // does not treat '%' or '_' in names as LIKE wildcards.
    std::vector<std::pair<id_t, std::string>> renamed;  // id, new name
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT id, name FROM mailboxes WHERE account_id = ?1 AND"
                                         " (name = ?2 OR substr(name, 1, length(?2) + 1) = ?2 || '/')"
                                         " ORDER BY name",
                                         account_id, old_name));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        auto name = st.text(1);
        renamed.emplace_back(st.i64(0), new_name + name.substr(old_name.size()));
      }
    }
    for (const auto& [id, name] : renamed) {
      STORE_TRY_ASSIGN(bool taken, mailbox_exists(db, account_id, name));
      if (taken) return core::fail(core::errc::exists, "mailbox \"" + name + "\" exists already");
    }
    STORE_TRY(create_superiors(db, account_id, new_name, time));
    // Through a temporary name first: a new name may equal an old one of the same set
    // (renaming "x/y" to "x" where "x" did not exist), and UNIQUE is checked per row.
    // Control characters never occur in valid names, so the temporary ones are free.
    for (const auto& [id, name] : renamed) {
      STORE_TRY(db.run("UPDATE mailboxes SET name = ? WHERE id = ?", "\x01" + std::to_string(id), id));
    }
    STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, account_id, renamed.size()));
    for (const auto& [id, name] : renamed) {
      STORE_TRY(db.run("UPDATE mailboxes SET name = ? WHERE id = ?", name, id));
      STORE_TRY(log_change(db, account_id, modseq++, change_kind::mailbox_renamed, id, 0, time));
    }
    return {};
  });
}

core::result<void> sql_store::delete_mailbox(id_t account_id, std::string_view name) {
  STORE_TRY_ASSIGN(auto normalized, detail::normalize_mailbox_name(name));
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto box, load_mailbox_by_name(db, account_id, normalized));
    // RFC 9051 §6.3.5: deleting INBOX is an error. The store also relies on every
    // account having one (deliver).
    if (box.role == mailbox_role::inbox || box.name == "INBOX") {
      return core::fail(core::errc::denied, "INBOX cannot be deleted");
    }
    std::vector<std::uint32_t> uids;
    std::vector<std::pair<std::string, std::int64_t>> refs;
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid", box.id));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        uids.push_back(st.u32(0));
      }
    }
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT blob, count(*) FROM messages WHERE mailbox_id = ? GROUP BY blob",
                                         box.id));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        refs.emplace_back(st.text(0), st.i64(1));
      }
    }
    // One change per message removed, then the mailbox itself: a client that follows
    // the log (JMAP Email/changes) learns of every destroyed message.
    auto time = now();
    STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, account_id, uids.size() + 1));
    for (auto uid : uids) {
      STORE_TRY(log_change(db, account_id, modseq++, change_kind::message_expunged, box.id, uid, time));
    }
    STORE_TRY(log_change(db, account_id, modseq, change_kind::mailbox_deleted, box.id, 0, time));
    STORE_TRY(db.run("DELETE FROM messages WHERE mailbox_id = ?", box.id));
    STORE_TRY(db.run("DELETE FROM mailboxes WHERE id = ?", box.id));
    for (const auto& [hash, count] : refs) STORE_TRY(release_blob_refs(ctx, hash, count));
    return {};
  });
}

core::result<mailbox> sql_store::get_mailbox(id_t mailbox_id) {
  return read([&](connection& db) { return load_mailbox(db, mailbox_id); });
}

core::result<void> sql_store::set_subscribed(id_t account_id, std::string_view name, bool subscribed) {
  STORE_TRY_ASSIGN(auto normalized, detail::normalize_mailbox_name(name));
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto box, load_mailbox_by_name(ctx.db, account_id, normalized));
    STORE_TRY(ctx.db.run("UPDATE mailboxes SET subscribed = ? WHERE id = ?", subscribed ? 1 : 0, box.id));
    return {};
  });
}

}  // namespace letterhead::store::sql
