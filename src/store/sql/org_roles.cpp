// Roles held by accounts, and mail rules per account or per role.

#include <sstream>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

core::result<void> check_role_name(std::string_view role) {
  if (role.empty() || role.size() > 64) return core::fail(core::errc::invalid, "a role name has 1 to 64 characters");
  for (const char c : role) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) {
      return core::fail(core::errc::invalid, "role '" + std::string(role) +
                                                 "': use lower-case letters, digits, '-', '_' and '.'");
    }
  }
  return {};
}

// Scope columns of a grant: (domain id, department id), each 0 when not scoped.
core::result<std::pair<id_t, id_t>> grant_scope(connection& db, const role_grant& r) {
  id_t domain_id = 0;
  if (!r.domain.empty()) {
    STORE_TRY_ASSIGN(auto d, load_domain(db, r.domain));
    domain_id = d.id;
  }
  if (r.department_id != 0) {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM departments WHERE id = ?", r.department_id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "department " + std::to_string(r.department_id) + " does not exist");
  }
  return std::pair{domain_id, r.department_id};
}

std::string join_domains(const std::vector<std::string>& domains) {
  std::string out;
  for (const auto& d : domains) {
    if (!out.empty()) out += ' ';
    out += detail::ascii_lower(d);
  }
  return out;
}

std::vector<std::string> split_domains(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string d; in >> d;) out.push_back(d);
  return out;
}

}  // namespace

core::result<void> sql_store::grant_role(const role_grant& r) {
  STORE_TRY(check_role_name(r.role));
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(load_account(ctx.db, r.account_id));
    STORE_TRY_ASSIGN(auto scope, grant_scope(ctx.db, r));
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT 1 FROM account_roles WHERE account_id = ? AND role = ?"
                                           " AND coalesce(domain_id, 0) = ? AND coalesce(department_id, 0) = ?",
                                           r.account_id, r.role, scope.first, scope.second));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (exists) return core::fail(core::errc::exists, "the account holds this role already");
    st = {};
    return ctx.db.run("INSERT INTO account_roles (account_id, role, domain_id, department_id)"
                      " VALUES (?, ?, nullif(CAST(? AS BIGINT), 0), nullif(CAST(? AS BIGINT), 0))",
                      r.account_id, r.role, scope.first, scope.second);
  });
}

core::result<void> sql_store::revoke_role(const role_grant& r) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto scope, grant_scope(ctx.db, r));
    STORE_TRY(ctx.db.run("DELETE FROM account_roles WHERE account_id = ? AND role = ?"
                         " AND coalesce(domain_id, 0) = ? AND coalesce(department_id, 0) = ?",
                         r.account_id, r.role, scope.first, scope.second));
    if (ctx.db.changes() == 0) return core::fail(core::errc::not_found, "the account does not hold this role");
    return {};
  });
}

core::result<std::vector<role_grant>> sql_store::list_roles(id_t account_id) {
  return read([&](connection& db) -> core::result<std::vector<role_grant>> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT r.account_id, a.address, r.role, coalesce(d.name, ''),"
                                       " coalesce(r.department_id, 0)"
                                       " FROM account_roles r JOIN accounts a ON a.id = r.account_id"
                                       " LEFT JOIN domains d ON d.id = r.domain_id"
                                       " WHERE CAST(?1 AS BIGINT) = 0 OR r.account_id = ?1 ORDER BY a.address_key, r.role",
                                       account_id));
    std::vector<role_grant> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      role_grant g;
      g.account_id = st.i64(0);
      g.address = st.text(1);
      g.role = st.text(2);
      g.domain = st.text(3);
      g.department_id = st.i64(4);
      out.push_back(std::move(g));
    }
    return out;
  });
}

// --- mail rules ---

core::result<void> sql_store::set_mail_rule(const mail_rule& r) {
  if ((r.account_id == 0) == r.role.empty()) {
    return core::fail(core::errc::invalid, "a mail rule is for one account or one role");
  }
  if (!r.role.empty()) STORE_TRY(check_role_name(r.role));
  // -1 stands for "unset" in the bound values (nullif turns it into NULL).
  const std::int64_t internal = r.internal_only ? (*r.internal_only ? 1 : 0) : -1;
  const std::int64_t max_rcpt = r.max_recipients ? static_cast<std::int64_t>(*r.max_recipients) : -1;
  const std::int64_t max_size = r.max_message_size ? static_cast<std::int64_t>(*r.max_message_size) : -1;
  const std::optional<std::string> domains =
      r.allowed_domains ? std::optional<std::string>(join_domains(*r.allowed_domains)) : std::nullopt;
  return write([&](write_context& ctx) -> core::result<void> {
    if (r.account_id != 0) {
      STORE_TRY(load_account(ctx.db, r.account_id));
      STORE_TRY(ctx.db.run("DELETE FROM mail_rules WHERE account_id = ?", r.account_id));
    } else {
      STORE_TRY(ctx.db.run("DELETE FROM mail_rules WHERE role = ?", r.role));
    }
    const std::optional<std::string> role = r.role.empty() ? std::nullopt : std::optional<std::string>(r.role);
    return ctx.db.run("INSERT INTO mail_rules (account_id, role, internal_only, allowed_domains, max_recipients,"
                      " max_message_size) VALUES (nullif(CAST(? AS BIGINT), 0), ?, nullif(CAST(? AS BIGINT), -1), ?, nullif(CAST(? AS BIGINT), -1), nullif(CAST(? AS BIGINT), -1))",
                      r.account_id, role, internal, domains, max_rcpt, max_size);
  });
}

core::result<void> sql_store::remove_mail_rule(id_t account_id, std::string_view role) {
  return write([&](write_context& ctx) -> core::result<void> {
    if (account_id != 0) {
      STORE_TRY(ctx.db.run("DELETE FROM mail_rules WHERE account_id = ?", account_id));
    } else {
      STORE_TRY(ctx.db.run("DELETE FROM mail_rules WHERE role = ?", role));
    }
    if (ctx.db.changes() == 0) return core::fail(core::errc::not_found, "no such mail rule");
    return {};
  });
}

core::result<std::vector<mail_rule>> sql_store::list_mail_rules() {
  return read([&](connection& db) -> core::result<std::vector<mail_rule>> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT coalesce(r.account_id, 0), coalesce(a.address, ''), coalesce(r.role, ''),"
                                       " r.internal_only, r.allowed_domains, r.max_recipients, r.max_message_size"
                                       " FROM mail_rules r LEFT JOIN accounts a ON a.id = r.account_id"
                                       " ORDER BY r.role IS NULL, r.role, a.address_key"));
    std::vector<mail_rule> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      mail_rule r;
      r.account_id = st.i64(0);
      r.address = st.text(1);
      r.role = st.text(2);
      if (!st.is_null(3)) r.internal_only = st.boolean(3);
      if (!st.is_null(4)) r.allowed_domains = split_domains(st.text(4));
      if (!st.is_null(5)) r.max_recipients = st.u32(5);
      if (!st.is_null(6)) r.max_message_size = st.u64(6);
      out.push_back(std::move(r));
    }
    return out;
  });
}

}  // namespace letterhead::store::sql
