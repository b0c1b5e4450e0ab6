// Access control lists (RFC 4314) and quota usage (RFC 9208).

#include <string>

#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

core::result<void> sql_store::set_acl(id_t mailbox_id, id_t grantee, std::string_view rights) {
  STORE_TRY_ASSIGN(auto canonical, canonical_rights(rights));
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto box, load_mailbox(db, mailbox_id));
    STORE_TRY(load_account(db, grantee));
    // The owner's rights are implicit (RFC 4314 §2: the owner always has l, a, ...).
    if (grantee == box.account_id) {
      return core::fail(core::errc::invalid, "an ACL entry cannot name the mailbox's owner");
    }
    if (canonical.empty()) {
      return db.run("DELETE FROM mailbox_acl WHERE mailbox_id = ? AND grantee = ?", mailbox_id, grantee);
    }
    return db.run("INSERT INTO mailbox_acl (account_id, mailbox_id, grantee, rights) VALUES (?, ?, ?, ?)"
                  " ON CONFLICT (mailbox_id, grantee) DO UPDATE SET rights = excluded.rights",
                  box.account_id, mailbox_id, grantee, canonical);
  });
}

core::result<std::vector<acl_entry>> sql_store::list_acl(id_t mailbox_id) {
  return read([&](connection& db) -> core::result<std::vector<acl_entry>> {
    STORE_TRY(load_mailbox(db, mailbox_id));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT acl.grantee, a.address, acl.rights FROM mailbox_acl acl"
                                       " JOIN accounts a ON a.id = acl.grantee"
                                       " WHERE acl.mailbox_id = ? ORDER BY a.address_key",
                                       mailbox_id));
    std::vector<acl_entry> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(acl_entry{mailbox_id, st.i64(0), st.text(1), st.text(2)});
    }
    return out;
  });
}

core::result<std::vector<shared_mailbox>> sql_store::list_shared_with(id_t grantee) {
  return read([&](connection& db) -> core::result<std::vector<shared_mailbox>> {
    STORE_TRY(load_account(db, grantee));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT m.id, m.account_id, m.name, m.role, m.uidvalidity, m.uidnext,"
                                       " m.highest_modseq, m.messages, m.size, m.subscribed, o.address, acl.rights"
                                       " FROM mailbox_acl acl JOIN mailboxes m ON m.id = acl.mailbox_id"
                                       " JOIN accounts o ON o.id = m.account_id"
                                       " WHERE acl.grantee = ? ORDER BY o.address_key, m.name",
                                       grantee));
    std::vector<shared_mailbox> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(shared_mailbox{read_mailbox(st), st.text(10), st.text(11)});
    }
    return out;
  });
}

core::result<usage> sql_store::account_usage(id_t account_id) {
  return read([&](connection& db) -> core::result<usage> {
    STORE_TRY(load_account(db, account_id));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT CAST(coalesce(sum(size), 0) AS BIGINT), CAST(coalesce(sum(messages), 0) AS BIGINT) FROM mailboxes"
                                       " WHERE account_id = ?",
                                       account_id));
    STORE_TRY(st.step());
    return usage{st.u64(0), st.u64(1)};
  });
}

core::result<void> sql_store::set_quota(id_t account_id, std::uint64_t bytes) {
  if (bytes > static_cast<std::uint64_t>(INT64_MAX)) return core::fail(core::errc::invalid, "quota too large");
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("UPDATE accounts SET quota_bytes = ? WHERE id = ?", bytes, account_id));
    if (ctx.db.changes() == 0) {
      return core::fail(core::errc::not_found, "account " + std::to_string(account_id) + " does not exist");
    }
    return {};
  });
}

}  // namespace letterhead::store::sql
