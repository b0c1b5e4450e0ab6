// apply_offboarding: an offboarding or its undoing (store/offboarding_plan.hpp) in
// one write request, so one SQLite transaction: a kill -9 leaves it whole or absent.
// Mail moves by row update (rows.cpp move_all_messages), so a mailbox of several
// thousand messages moves without copying a blob or a reference count.

#include <algorithm>
#include <string>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

core::result<std::size_t> transfer(connection& db, const mail_transfer& t, unix_time time) {
  STORE_TRY(load_account(db, t.from_account));
  STORE_TRY(load_account(db, t.to_account));
  STORE_TRY_ASSIGN(auto sources, mailboxes_under(db, t.from_account, t.from_prefix));
  std::size_t moved = 0;
  for (const auto& from : sources) {
    if (from.messages == 0) continue;
    std::string rest = from.name;
    if (!t.from_prefix.empty()) rest = from.name == t.from_prefix ? "" : from.name.substr(t.from_prefix.size() + 1);
    std::string name = t.to_prefix;
    if (!name.empty() && !rest.empty()) name += '/';
    name += rest;
    if (name.empty()) return core::fail(core::errc::invalid, "transfer: mailbox \"" + from.name + "\" has no target");
    STORE_TRY_ASSIGN(auto normalized, detail::normalize_mailbox_name(name));
    STORE_TRY_ASSIGN(bool exists, mailbox_exists(db, t.to_account, normalized));
    mailbox to;
    if (exists) {
      STORE_TRY_ASSIGN(to, load_mailbox_by_name(db, t.to_account, normalized));
    } else {
      STORE_TRY(create_superiors(db, t.to_account, normalized, time));
      STORE_TRY_ASSIGN(to, insert_mailbox(db, t.to_account, normalized, mailbox_role::none, time));
    }
    if (to.id == from.id) continue;
    STORE_TRY_ASSIGN(auto n, move_all_messages(db, from, to, time));
    moved += n;
  }
  return moved;
}

// Deletes the empty, childless mailboxes the cleanups name, deepest first.
core::result<void> clean_up(connection& db, const std::vector<mailbox_cleanup>& cleanups, unix_time time) {
  std::vector<mailbox> candidates;
  for (const auto& c : cleanups) {
    STORE_TRY_ASSIGN(auto normalized, detail::normalize_mailbox_name(c.name));
    STORE_TRY_ASSIGN(auto boxes, mailboxes_under(db, c.account, normalized));
    for (auto& b : boxes) {
      if (c.inferiors || b.name == normalized) candidates.push_back(std::move(b));
    }
  }
  std::ranges::sort(candidates, [](const auto& a, const auto& b) { return a.name.size() > b.name.size(); });
  for (const auto& box : candidates) {
    // RFC 9051 §6.3.5: INBOX is never deleted; the store relies on every account having one.
    if (box.role == mailbox_role::inbox || box.name == "INBOX") continue;
    STORE_TRY_ASSIGN(auto st, db.query("SELECT (SELECT count(*) FROM messages WHERE mailbox_id = ?1),"
                                       " (SELECT count(*) FROM mailboxes WHERE account_id = ?2"
                                       "  AND substr(name, 1, length(?3) + 1) = ?3 || '/')",
                                       box.id, box.account_id, box.name));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row || st.i64(0) != 0 || st.i64(1) != 0) continue;
    st = {};
    STORE_TRY_ASSIGN(auto modseq, reserve_modseqs(db, box.account_id));
    STORE_TRY(log_change(db, box.account_id, modseq, change_kind::mailbox_deleted, box.id, 0, time));
    STORE_TRY(db.run("DELETE FROM mailboxes WHERE id = ?", box.id));
  }
  return {};
}

core::result<std::size_t> change_acls(connection& db, const acl_change& c) {
  STORE_TRY(load_account(db, c.grantee));
  // The owner's rights are implicit (RFC 4314 §2).
  if (c.grantee == c.owner) return core::fail(core::errc::invalid, "an ACL entry cannot name the mailbox's owner");
  STORE_TRY_ASSIGN(auto rights, canonical_rights(c.rights));
  STORE_TRY_ASSIGN(auto boxes, mailboxes_under(db, c.owner, ""));
  for (const auto& box : boxes) {
    if (rights.empty()) {
      STORE_TRY(db.run("DELETE FROM mailbox_acl WHERE mailbox_id = ? AND grantee = ?", box.id, c.grantee));
    } else {
      STORE_TRY(db.run("INSERT INTO mailbox_acl (account_id, mailbox_id, grantee, rights) VALUES (?, ?, ?, ?)"
                       " ON CONFLICT (mailbox_id, grantee) DO UPDATE SET rights = excluded.rights",
                       c.owner, box.id, c.grantee, rights));
    }
  }
  return boxes.size();
}

// False when the group was removed since the plan was made: nothing left to change.
core::result<bool> change_owner(connection& db, const owner_change& c) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM mail_groups WHERE id = ?", c.group_id));
  STORE_TRY_ASSIGN(bool exists, st.step());
  if (!exists) return false;
  st = {};
  if (c.remove != 0) {
    STORE_TRY(db.run("DELETE FROM group_owners WHERE group_id = ? AND account_id = ?", c.group_id, c.remove));
  }
  if (c.add != 0) {
    STORE_TRY(load_account(db, c.add));
    STORE_TRY(db.run("INSERT INTO group_owners (group_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING", c.group_id, c.add));
  }
  return true;
}

core::result<void> write_record(connection& db, const offboarding_plan& plan, unix_time time) {
  const auto& o = plan.record;
  if (plan.restore) {
    STORE_TRY(db.run("DELETE FROM offboardings WHERE account_id = ?", o.account_id));
    if (db.changes() == 0) {
      return core::fail(core::errc::not_found, "account " + std::to_string(o.account_id) + " is not offboarded");
    }
    return db.run("DELETE FROM auto_replies WHERE account_id = ?", o.account_id);
  }
  std::string groups;
  for (const auto g : o.moved_groups) {
    if (!groups.empty()) groups += ' ';
    groups += std::to_string(g);
  }
  // No look first: the primary key refuses a second record, inside this transaction.
  auto r = db.run("INSERT INTO offboardings (account_id, successor_id, forward, auto_reply, transferred,"
                  " was_disabled, moved_groups, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  o.account_id, o.successor_id, o.forward, o.auto_reply, o.transferred, o.was_disabled, groups,
                  o.created == 0 ? time : o.created);
  if (!r && r.error().code == core::errc::exists) {
    return core::fail(core::errc::exists, "the account is offboarded already");
  }
  return r;
}

}  // namespace

core::result<offboarding_outcome> sql_store::apply_offboarding(const offboarding_plan& plan) {
  const auto& rec = plan.record;
  if (rec.account_id == rec.successor_id) return core::fail(core::errc::invalid, "an account cannot succeed itself");
  return write([&](write_context& ctx) -> core::result<offboarding_outcome> {
    auto& db = ctx.db;
    const auto time = now();
    const auto part_done = [&](std::string_view part) -> core::result<void> {
      if (!plan.fault) return {};
      return plan.fault(part);
    };
    STORE_TRY(load_account(db, rec.account_id));
    STORE_TRY(load_account(db, rec.successor_id));
    offboarding_outcome out;

    if (plan.set_disabled) {
      STORE_TRY(db.run("UPDATE accounts SET disabled = ? WHERE id = ?", *plan.set_disabled, rec.account_id));
    }
    STORE_TRY(part_done("disable"));

    if (plan.revoke_credentials) {
      STORE_TRY(db.run("DELETE FROM app_passwords WHERE account_id = ?", rec.account_id));
      out.app_passwords_revoked = static_cast<std::size_t>(db.changes());
      STORE_TRY(db.run("DELETE FROM admin_sessions WHERE account_id = ?", rec.account_id));
      out.admin_sessions_ended = static_cast<std::size_t>(db.changes());
    }
    STORE_TRY(part_done("app_passwords"));

    for (const auto& t : plan.transfers) {
      STORE_TRY_ASSIGN(auto n, transfer(db, t, time));
      out.messages_moved += n;
    }
    STORE_TRY(clean_up(db, plan.cleanups, time));
    STORE_TRY(part_done("transfer"));

    for (const auto& c : plan.acls) {
      STORE_TRY_ASSIGN(auto n, change_acls(db, c));
      out.mailboxes_shared += n;
    }
    STORE_TRY(part_done("share"));

    for (const auto& c : plan.owners) {
      STORE_TRY_ASSIGN(bool changed, change_owner(db, c));
      if (changed) ++out.groups_changed;
    }
    STORE_TRY(part_done("groups"));

    STORE_TRY(write_record(db, plan, time));
    STORE_TRY(part_done("record"));

    if (plan.audit) {
      for (const auto& a : plan.audit(out)) {
        STORE_TRY(db.run("INSERT INTO audit_log (time, actor, action, detail) VALUES (?, ?, ?, ?)", time,
                         plan.actor, a.action, a.detail));
      }
    }
    return out;
  });
}

}  // namespace letterhead::store::sql
