// The department tree, employee profiles and the domains' address formats.

#include <algorithm>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

constexpr const char* department_columns = "id, coalesce(parent_id, 0), name, created";

department read_department(const statement& st) {
  department d;
  d.id = st.i64(0);
  d.parent_id = st.i64(1);
  d.name = st.text(2);
  d.created = st.i64(3);
  return d;
}

core::result<department> load_department(connection& db, id_t id) {
  STORE_TRY_ASSIGN(auto st, db.query(std::string("SELECT ") + department_columns + " FROM departments WHERE id = ?", id));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::not_found, "department " + std::to_string(id) + " does not exist");
  return read_department(st);
}

core::result<bool> sibling_named(connection& db, id_t parent, const std::string& key, id_t except) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM departments WHERE coalesce(parent_id, 0) = ? AND name_key = ?"
                                     " AND id != ?",
                                     parent, key, except));
  return st.step();
}

// True when `candidate` is `id` or lies below it: walks up from candidate.
core::result<bool> in_subtree(connection& db, id_t id, id_t candidate) {
  // A bounded walk: the tree has no cycles (move_department refuses them), but a
  // corrupt row must not hang the writer.
  for (int steps = 0; candidate != 0 && steps < 10000; ++steps) {
    if (candidate == id) return true;
    STORE_TRY_ASSIGN(auto d, load_department(db, candidate));
    candidate = d.parent_id;
  }
  return false;
}

core::result<void> check_department_name(std::string_view name) {
  if (name.empty() || name.size() > 200) {
    return core::fail(core::errc::invalid, "a department name has 1 to 200 bytes");
  }
  for (const unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/') {
      return core::fail(core::errc::invalid, "a department name has no control characters and no '/'");
    }
  }
  return {};
}

profile read_profile(const statement& st) {
  profile p;
  p.account_id = st.i64(0);
  p.address = st.text(1);
  p.display_name = st.text(2);
  p.title = st.text(3);
  p.phone = st.text(4);
  p.employee_id = st.text(5);
  p.department_id = st.i64(6);
  p.manager_id = st.i64(7);
  return p;
}

constexpr const char* profile_select =
    "SELECT a.id, a.address, a.display_name, coalesce(p.title, ''), coalesce(p.phone, ''),"
    " coalesce(p.employee_id, ''), coalesce(p.department_id, 0), coalesce(p.manager_id, 0)"
    " FROM accounts a LEFT JOIN profiles p ON p.account_id = a.id";

}  // namespace

core::result<department> sql_store::add_department(std::string_view name, id_t parent_id) {
  STORE_TRY(check_department_name(name));
  return write([&](write_context& ctx) -> core::result<department> {
    if (parent_id != 0) STORE_TRY(load_department(ctx.db, parent_id));
    const auto key = detail::ascii_lower(name);
    STORE_TRY_ASSIGN(bool taken, sibling_named(ctx.db, parent_id, key, 0));
    if (taken) return core::fail(core::errc::exists, "department '" + std::string(name) + "' exists already there");
    department d;
    d.parent_id = parent_id;
    d.name = std::string(name);
    d.created = now();
    STORE_TRY_ASSIGN(d.id, ctx.db.run_returning("INSERT INTO departments (parent_id, name, name_key, created) VALUES (nullif(CAST(? AS BIGINT), 0), ?, ?, ?) RETURNING id",
                         parent_id, d.name, key, d.created));
    return d;
  });
}

core::result<department> sql_store::get_department(id_t id) {
  return read([&](connection& db) { return load_department(db, id); });
}

core::result<std::vector<department>> sql_store::list_departments() {
  return read([&](connection& db) -> core::result<std::vector<department>> {
    STORE_TRY_ASSIGN(auto st, db.query(std::string("SELECT ") + department_columns +
                                       " FROM departments ORDER BY name_key, id"));
    std::vector<department> all;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      all.push_back(read_department(st));
    }
    // Parents before children: a depth-first walk from the top level.
    std::vector<department> out;
    out.reserve(all.size());
    auto visit = [&](auto&& self, id_t parent, int depth) -> void {
      if (depth > 10000) return;
      for (const auto& d : all) {
        if (d.parent_id != parent) continue;
        out.push_back(d);
        self(self, d.id, depth + 1);
      }
    };
    visit(visit, 0, 0);
    return out;
  });
}

core::result<void> sql_store::move_department(id_t id, id_t new_parent) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto d, load_department(ctx.db, id));
    if (new_parent != 0) {
      STORE_TRY(load_department(ctx.db, new_parent));
      STORE_TRY_ASSIGN(bool cycle, in_subtree(ctx.db, id, new_parent));
      if (cycle) {
        return core::fail(core::errc::invalid, "department '" + d.name +
                                                   "' cannot move under itself or one of its sub-departments");
      }
    }
    STORE_TRY_ASSIGN(bool taken, sibling_named(ctx.db, new_parent, detail::ascii_lower(d.name), id));
    if (taken) return core::fail(core::errc::exists, "a department named '" + d.name + "' exists already there");
    return ctx.db.run("UPDATE departments SET parent_id = nullif(CAST(? AS BIGINT), 0) WHERE id = ?", new_parent, id);
  });
}

core::result<void> sql_store::remove_department(id_t id, std::optional<id_t> reparent_to) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto d, load_department(ctx.db, id));
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT (SELECT count(*) FROM departments WHERE parent_id = ?1),"
                                           " (SELECT count(*) FROM profiles WHERE department_id = ?1),"
                                           " (SELECT count(*) FROM group_members WHERE department_id = ?1)",
                                           id));
    STORE_TRY(st.step());
    const auto children = st.i64(0), employees = st.i64(1), memberships = st.i64(2);
    st = {};
    if (!reparent_to) {
      if (children + employees + memberships > 0) {
        return core::fail(core::errc::denied,
                          "department '" + d.name + "' still has " + std::to_string(children) +
                              " sub-department(s), " + std::to_string(employees) + " employee(s) and " +
                              std::to_string(memberships) + " group membership(s): move them or give a new parent");
      }
      return ctx.db.run("DELETE FROM departments WHERE id = ?", id);
    }
    const id_t target = *reparent_to;
    if (target != 0) {
      STORE_TRY(load_department(ctx.db, target));
      STORE_TRY_ASSIGN(bool below, in_subtree(ctx.db, id, target));
      if (below) return core::fail(core::errc::invalid, "the new parent lies inside the department being removed");
    }
    // Children keep their names; a clash with the new siblings is refused rather than renamed.
    STORE_TRY_ASSIGN(auto clash, ctx.db.query("SELECT c.name FROM departments c JOIN departments s"
                                              " ON coalesce(s.parent_id, 0) = ?2 AND s.name_key = c.name_key"
                                              " WHERE c.parent_id = ?1 LIMIT 1",
                                              id, target));
    STORE_TRY_ASSIGN(bool clashes, clash.step());
    if (clashes) {
      return core::fail(core::errc::exists, "sub-department '" + clash.text(0) + "' would clash with one of the same name");
    }
    clash = {};
    STORE_TRY(ctx.db.run("UPDATE departments SET parent_id = nullif(CAST(? AS BIGINT), 0) WHERE parent_id = ?", target, id));
    STORE_TRY(ctx.db.run("UPDATE profiles SET department_id = nullif(CAST(? AS BIGINT), 0) WHERE department_id = ?", target, id));
    if (target != 0) {
      // A group that listed both keeps one membership: rows that would clash with the
      // target's (the columns of the unique index group_members_unique) stay, and the
      // DELETE below drops them.
      STORE_TRY(ctx.db.run("UPDATE group_members SET department_id = ?1 WHERE department_id = ?2 AND NOT EXISTS"
                           " (SELECT 1 FROM group_members o WHERE o.group_id = group_members.group_id"
                           " AND o.kind = group_members.kind AND o.department_id = ?1"
                           " AND coalesce(o.account_id, 0) = coalesce(group_members.account_id, 0)"
                           " AND coalesce(o.member_group, 0) = coalesce(group_members.member_group, 0)"
                           " AND o.address = group_members.address)",
                           target, id));
    }
    STORE_TRY(ctx.db.run("DELETE FROM group_members WHERE department_id = ?", id));
    return ctx.db.run("DELETE FROM departments WHERE id = ?", id);
  });
}

// --- profiles ---

core::result<profile> sql_store::get_profile(id_t account_id) {
  return read([&](connection& db) -> core::result<profile> {
    STORE_TRY_ASSIGN(auto st, db.query(std::string(profile_select) + " WHERE a.id = ?", account_id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "account " + std::to_string(account_id) + " does not exist");
    return read_profile(st);
  });
}

core::result<void> sql_store::set_profile(const profile& p) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto acc, load_account(ctx.db, p.account_id));
    if (p.department_id != 0) STORE_TRY(load_department(ctx.db, p.department_id));
    if (p.manager_id != 0) {
      STORE_TRY_ASSIGN(auto manager, load_account(ctx.db, p.manager_id));
      // The reporting line must end: walk up from the new manager.
      id_t m = manager.id;
      for (int steps = 0; m != 0; ++steps) {
        if (m == p.account_id || steps > 10000) {
          return core::fail(core::errc::invalid, acc.address + " cannot report to " + manager.address +
                                                     ": the reporting line would loop");
        }
        STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT coalesce(manager_id, 0) FROM profiles WHERE account_id = ?", m));
        STORE_TRY_ASSIGN(bool row, st.step());
        m = row ? st.i64(0) : 0;
      }
    }
    STORE_TRY(ctx.db.run("UPDATE accounts SET display_name = ? WHERE id = ?", p.display_name, p.account_id));
    return ctx.db.run(
        "INSERT INTO profiles (account_id, title, phone, employee_id, department_id, manager_id)"
        " VALUES (?1, ?2, ?3, ?4, nullif(CAST(?5 AS BIGINT), 0), nullif(CAST(?6 AS BIGINT), 0))"
        " ON CONFLICT (account_id) DO UPDATE SET title = ?2, phone = ?3, employee_id = ?4,"
        " department_id = nullif(CAST(?5 AS BIGINT), 0), manager_id = nullif(CAST(?6 AS BIGINT), 0)",
        p.account_id, p.title, p.phone, p.employee_id, p.department_id, p.manager_id);
  });
}

core::result<std::vector<profile>> sql_store::list_profiles(std::string_view domain_name) {
  return read([&](connection& db) -> core::result<std::vector<profile>> {
    id_t domain_id = 0;
    if (!domain_name.empty()) {
      STORE_TRY_ASSIGN(auto d, load_domain(db, domain_name));
      domain_id = d.id;
    }
    STORE_TRY_ASSIGN(auto st, db.query(std::string(profile_select) +
                                           " WHERE CAST(?1 AS BIGINT) = 0 OR a.domain_id = ?1 ORDER BY a.address_key",
                                       domain_id));
    std::vector<profile> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(read_profile(st));
    }
    return out;
  });
}

core::result<std::vector<id_t>> sql_store::accounts_in_departments(const std::vector<id_t>& departments) {
  return read([&](connection& db) -> core::result<std::vector<id_t>> {
    std::vector<id_t> out;
    for (const auto dep : departments) {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT account_id FROM profiles WHERE department_id = ? ORDER BY account_id", dep));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        out.push_back(st.i64(0));
      }
    }
    return out;
  });
}

core::result<bool> sql_store::is_manager(id_t account_id) {
  return read([&](connection& db) -> core::result<bool> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM profiles WHERE manager_id = ? LIMIT 1", account_id));
    return st.step();
  });
}

// --- address formats ---

core::result<std::string> sql_store::address_format(std::string_view domain_name) {
  return read([&](connection& db) -> core::result<std::string> {
    STORE_TRY_ASSIGN(auto d, load_domain(db, domain_name));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT format FROM domain_address_formats WHERE domain_id = ?", d.id));
    STORE_TRY_ASSIGN(bool row, st.step());
    return row ? st.text(0) : std::string();
  });
}

core::result<void> sql_store::set_address_format(std::string_view domain_name, std::string_view format) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto d, load_domain(ctx.db, domain_name));
    if (format.empty()) return ctx.db.run("DELETE FROM domain_address_formats WHERE domain_id = ?", d.id);
    return ctx.db.run("INSERT INTO domain_address_formats (domain_id, format) VALUES (?1, ?2)"
                      " ON CONFLICT (domain_id) DO UPDATE SET format = ?2",
                      d.id, format);
  });
}

}  // namespace letterhead::store::sql
