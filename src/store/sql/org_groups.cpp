// Groups (distribution lists): members, allowed senders, owners, and the mail held
// for moderation.

#include <algorithm>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/org_codes.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

constexpr const char* group_select =
    "SELECT id, domain_id, address, name, policy, moderated, created FROM mail_groups";

core::result<group> read_group(connection& db, const statement& st) {
  group g;
  g.id = st.i64(0);
  g.domain_id = st.i64(1);
  g.address = st.text(2);
  g.name = st.text(3);
  g.policy = send_policy_from_name(st.text(4)).value_or(send_policy::anyone);
  g.moderated = st.boolean(5);
  g.created = st.i64(6);
  {
    STORE_TRY_ASSIGN(auto a, db.query("SELECT entry FROM group_allowed WHERE group_id = ? ORDER BY entry", g.id));
    for (;;) {
      STORE_TRY_ASSIGN(bool row, a.step());
      if (!row) break;
      g.allowed.push_back(a.text(0));
    }
  }
  STORE_TRY_ASSIGN(auto o, db.query("SELECT a.address FROM group_owners o JOIN accounts a ON a.id = o.account_id"
                                    " WHERE o.group_id = ? ORDER BY a.address_key",
                                    g.id));
  for (;;) {
    STORE_TRY_ASSIGN(bool row, o.step());
    if (!row) break;
    g.owners.push_back(o.text(0));
  }
  return g;
}

core::result<group> load_group(connection& db, id_t id) {
  STORE_TRY_ASSIGN(auto st, db.query(std::string(group_select) + " WHERE id = ?", id));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::not_found, "group " + std::to_string(id) + " does not exist");
  // read_group runs further queries: copy the row out first by reading it now.
  return read_group(db, st);
}

// Writes allowed entries and owners of g (replacing what was there).
core::result<void> write_group_lists(connection& db, const group& g) {
  STORE_TRY(db.run("DELETE FROM group_allowed WHERE group_id = ?", g.id));
  STORE_TRY(db.run("DELETE FROM group_owners WHERE group_id = ?", g.id));
  for (const auto& e : g.allowed) {
    STORE_TRY(db.run("INSERT INTO group_allowed (group_id, entry) VALUES (?, ?) ON CONFLICT DO NOTHING", g.id,
                     detail::ascii_lower(e)));
  }
  for (const auto& owner : g.owners) {
    STORE_TRY_ASSIGN(auto acc, load_account_by_address(db, owner));
    STORE_TRY(db.run("INSERT INTO group_owners (group_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING", g.id, acc.id));
  }
  return {};
}

// True when `target` is reachable from `from` through nested group memberships.
core::result<bool> group_reaches(connection& db, id_t from, id_t target) {
  std::vector<id_t> todo{from};
  std::vector<id_t> seen;
  while (!todo.empty()) {
    const id_t g = todo.back();
    todo.pop_back();
    if (g == target) return true;
    if (std::ranges::find(seen, g) != seen.end()) continue;
    seen.push_back(g);
    STORE_TRY_ASSIGN(auto st, db.query("SELECT member_group FROM group_members WHERE group_id = ? AND kind = 'group'", g));
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      todo.push_back(st.i64(0));
    }
  }
  return false;
}

held_message read_held(const statement& st) {
  held_message h;
  h.id = st.i64(0);
  h.group_id = st.i64(1);
  h.group_address = st.text(2);
  h.blob = st.text(3);
  h.size = st.u64(4);
  h.mail_from = st.text(5);
  h.auth_account = st.text(6);
  h.created = st.i64(7);
  return h;
}

constexpr const char* held_select =
    "SELECT h.id, h.group_id, g.address, h.blob, h.size, h.mail_from, h.auth_account, h.created"
    " FROM held_messages h JOIN mail_groups g ON g.id = h.group_id";

core::result<std::vector<group>> read_groups(connection& db, statement& st) {
  std::vector<id_t> ids;
  for (;;) {
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) break;
    ids.push_back(st.i64(0));
  }
  st = {};
  std::vector<group> out;
  for (const auto id : ids) {
    STORE_TRY_ASSIGN(auto g, load_group(db, id));
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

core::result<group> sql_store::add_group(const group& g) {
  STORE_TRY_ASSIGN(auto parts, detail::parse_address(g.address));
  return write([&](write_context& ctx) -> core::result<group> {
    STORE_TRY_ASSIGN(auto d, load_domain(ctx.db, parts.domain));
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT 1 FROM mail_groups WHERE address_key = ?", parts.key));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (exists) return core::fail(core::errc::exists, "group " + parts.address + " exists already");
    st = {};
    group out = g;
    out.domain_id = d.id;
    out.address = parts.address;
    out.created = out.created == 0 ? now() : out.created;
    STORE_TRY_ASSIGN(out.id, ctx.db.run_returning("INSERT INTO mail_groups (domain_id, address, address_key, name, policy, moderated, created)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                         d.id, out.address, parts.key, out.name, send_policy_name(out.policy), out.moderated,
                         out.created));
    STORE_TRY(write_group_lists(ctx.db, out));
    return load_group(ctx.db, out.id);
  });
}

core::result<group> sql_store::find_group(std::string_view address) {
  return read([&](connection& db) -> core::result<group> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT id FROM mail_groups WHERE address_key = ?", detail::ascii_lower(address)));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "group " + std::string(address) + " does not exist");
    const id_t id = st.i64(0);
    st = {};
    return load_group(db, id);
  });
}

core::result<group> sql_store::get_group(id_t id) {
  return read([&](connection& db) { return load_group(db, id); });
}

core::result<std::vector<group>> sql_store::list_groups(std::string_view domain_name) {
  return read([&](connection& db) -> core::result<std::vector<group>> {
    id_t domain_id = 0;
    if (!domain_name.empty()) {
      STORE_TRY_ASSIGN(auto d, load_domain(db, domain_name));
      domain_id = d.id;
    }
    STORE_TRY_ASSIGN(auto st, db.query("SELECT id FROM mail_groups WHERE CAST(?1 AS BIGINT) = 0 OR domain_id = ?1 ORDER BY address_key",
                                       domain_id));
    return read_groups(db, st);
  });
}

core::result<void> sql_store::update_group(const group& g) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(load_group(ctx.db, g.id));
    STORE_TRY(ctx.db.run("UPDATE mail_groups SET name = ?, policy = ?, moderated = ? WHERE id = ?", g.name,
                         send_policy_name(g.policy), g.moderated, g.id));
    return write_group_lists(ctx.db, g);
  });
}

core::result<void> sql_store::remove_group(id_t id) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(load_group(ctx.db, id));
    std::vector<std::string> blobs;
    {
      STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT blob FROM held_messages WHERE group_id = ?", id));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        blobs.push_back(st.text(0));
      }
    }
    STORE_TRY(ctx.db.run("DELETE FROM held_messages WHERE group_id = ?", id));
    for (const auto& b : blobs) STORE_TRY(release_blob_refs(ctx, b, 1));
    return ctx.db.run("DELETE FROM mail_groups WHERE id = ?", id);
  });
}

core::result<void> sql_store::add_group_member(id_t group_id, const group_member& m) {
  std::string external;
  if (m.kind == member_kind::external) {
    STORE_TRY_ASSIGN(auto parts, detail::parse_address(m.address));
    external = parts.key;
  }
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto g, load_group(ctx.db, group_id));
    id_t account = 0, dep = 0, nested = 0;
    switch (m.kind) {
      case member_kind::account: {
        STORE_TRY_ASSIGN(auto a, load_account(ctx.db, m.ref));
        account = a.id;
        break;
      }
      case member_kind::department: {
        STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT 1 FROM departments WHERE id = ?", m.ref));
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) return core::fail(core::errc::not_found, "department " + std::to_string(m.ref) + " does not exist");
        dep = m.ref;
        break;
      }
      case member_kind::group: {
        STORE_TRY_ASSIGN(auto other, load_group(ctx.db, m.ref));
        // The new edge g -> other closes a cycle when other already reaches g.
        STORE_TRY_ASSIGN(bool cycle, group_reaches(ctx.db, other.id, g.id));
        if (cycle) {
          return core::fail(core::errc::invalid, "group " + other.address + " contains " + g.address +
                                                     " (directly or through other groups): nesting would loop");
        }
        nested = other.id;
        break;
      }
      case member_kind::external:
      case member_kind::all:
        break;
    }
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT 1 FROM group_members WHERE group_id = ? AND kind = ?"
                                           " AND coalesce(account_id, 0) = ? AND coalesce(department_id, 0) = ?"
                                           " AND coalesce(member_group, 0) = ? AND address = ?",
                                           g.id, member_kind_name(m.kind), account, dep, nested, external));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (exists) return core::fail(core::errc::exists, "already a member of " + g.address);
    st = {};
    return ctx.db.run("INSERT INTO group_members (group_id, kind, account_id, department_id, member_group, address)"
                      " VALUES (?, ?, nullif(CAST(? AS BIGINT), 0), nullif(CAST(? AS BIGINT), 0), nullif(CAST(? AS BIGINT), 0), ?)",
                      g.id, member_kind_name(m.kind), account, dep, nested, external);
  });
}

core::result<void> sql_store::remove_group_member(id_t group_id, const group_member& m) {
  const std::string external = m.kind == member_kind::external ? detail::ascii_lower(m.address) : std::string();
  const id_t ref = (m.kind == member_kind::external || m.kind == member_kind::all) ? 0 : m.ref;
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto g, load_group(ctx.db, group_id));
    STORE_TRY(ctx.db.run("DELETE FROM group_members WHERE group_id = ?1 AND kind = ?2"
                         " AND coalesce(account_id, department_id, member_group, 0) = ?3 AND address = ?4",
                         g.id, member_kind_name(m.kind), ref, external));
    if (ctx.db.changes() == 0) return core::fail(core::errc::not_found, "not a member of " + g.address);
    return {};
  });
}

core::result<std::vector<group_member>> sql_store::list_group_members(id_t group_id) {
  return read([&](connection& db) -> core::result<std::vector<group_member>> {
    STORE_TRY(load_group(db, group_id));
    STORE_TRY_ASSIGN(auto st, db.query(
        "SELECT m.kind, coalesce(m.account_id, m.department_id, m.member_group, 0),"
        " coalesce(a.address, d.name, g.address, m.address)"
        " FROM group_members m LEFT JOIN accounts a ON a.id = m.account_id"
        " LEFT JOIN departments d ON d.id = m.department_id LEFT JOIN mail_groups g ON g.id = m.member_group"
        " WHERE m.group_id = ? ORDER BY m.id",
        group_id));
    std::vector<group_member> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      group_member m;
      m.kind = member_kind_from_name(st.text(0)).value_or(member_kind::account);
      m.ref = st.i64(1);
      m.address = st.text(2);
      out.push_back(std::move(m));
    }
    return out;
  });
}

core::result<std::vector<group>> sql_store::groups_owned_by(id_t account_id) {
  return read([&](connection& db) -> core::result<std::vector<group>> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT g.id FROM group_owners o JOIN mail_groups g ON g.id = o.group_id"
                                       " WHERE o.account_id = ? ORDER BY g.address_key",
                                       account_id));
    return read_groups(db, st);
  });
}

// --- held for moderation ---

core::result<id_t> sql_store::hold_message(const held_message& h) {
  if (!detail::is_blob_hash(h.blob)) return core::fail(core::errc::invalid, "not a blob name: " + h.blob);
  return write([&](write_context& ctx) -> core::result<id_t> {
    // As in deliver(): checked on the writer thread, where removals happen.
    STORE_TRY(ctx.db.lock_blob(h.blob, false));
    auto stored_size = blobs_->files().size(h.blob);
    if (!stored_size) return std::unexpected(stored_size.error());
    STORE_TRY(load_group(ctx.db, h.group_id));
    STORE_TRY_ASSIGN(const id_t id, ctx.db.run_returning("INSERT INTO held_messages (group_id, blob, size, mail_from, auth_account, created)"
                         " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                         h.group_id, h.blob, *stored_size, h.mail_from, h.auth_account,
                         h.created == 0 ? now() : h.created));
    STORE_TRY(add_blob_refs(ctx, h.blob, *stored_size, 1));
    ctx.effects.referenced_blobs.push_back(h.blob);
    return id;
  });
}

core::result<held_message> sql_store::get_held(id_t id) {
  return read([&](connection& db) -> core::result<held_message> {
    STORE_TRY_ASSIGN(auto st, db.query(std::string(held_select) + " WHERE h.id = ?", id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "no held message " + std::to_string(id));
    return read_held(st);
  });
}

core::result<std::vector<held_message>> sql_store::list_held(id_t group_id) {
  return read([&](connection& db) -> core::result<std::vector<held_message>> {
    STORE_TRY_ASSIGN(auto st, db.query(std::string(held_select) + " WHERE CAST(?1 AS BIGINT) = 0 OR h.group_id = ?1 ORDER BY h.id",
                                       group_id));
    std::vector<held_message> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(read_held(st));
    }
    return out;
  });
}

core::result<void> sql_store::remove_held(id_t id) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT blob FROM held_messages WHERE id = ?", id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "no held message " + std::to_string(id));
    const std::string blob = st.text(0);
    st = {};
    STORE_TRY(ctx.db.run("DELETE FROM held_messages WHERE id = ?", id));
    return release_blob_refs(ctx, blob, 1);
  });
}

}  // namespace letterhead::store::sql
