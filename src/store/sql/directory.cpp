// Domains, accounts and aliases: the records the directory/ library builds on.

#include <algorithm>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

struct default_mailbox {
  const char* name;
  mailbox_role role;
};

// Names as most clients expect them; the roles are what they look for (RFC 6154).
constexpr default_mailbox default_mailboxes[] = {
    {"INBOX", mailbox_role::inbox}, {"Sent", mailbox_role::sent},   {"Drafts", mailbox_role::drafts},
    {"Trash", mailbox_role::trash}, {"Junk", mailbox_role::junk},   {"Archive", mailbox_role::archive},
};

std::string plural(std::int64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

// --- domains ---

core::result<domain> sql_store::add_domain(std::string_view name) {
  STORE_TRY_ASSIGN(auto normalized, detail::normalize_domain(name));
  return write([&](write_context& ctx) -> core::result<domain> {
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT 1 FROM domains WHERE name = ?", normalized));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (exists) return core::fail(core::errc::exists, "domain " + normalized + " exists already");
    st = {};
    domain d;
    d.name = normalized;
    d.created = now();
    STORE_TRY_ASSIGN(d.id, ctx.db.run_returning("INSERT INTO domains (name, created) VALUES (?, ?) RETURNING id", d.name, d.created));
    return d;
  });
}

core::result<void> sql_store::remove_domain(std::string_view name) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto d, load_domain(ctx.db, name));
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT (SELECT count(*) FROM accounts WHERE domain_id = ?1),"
                                           " (SELECT count(DISTINCT address_key) FROM aliases WHERE domain_id = ?1)",
                                           d.id));
    STORE_TRY(st.step());
    auto accounts = st.i64(0);
    auto aliases = st.i64(1);
    st = {};
    // Refuse rather than cascade: removing a domain must never silently delete mail.
    if (accounts > 0 || aliases > 0) {
      return core::fail(core::errc::denied, "domain " + d.name + " still has " + plural(accounts, "account") +
                                                " and " + plural(aliases, "alias") + ": remove them first");
    }
    const auto company_scope = static_cast<int>(bayes_scope_kind::domain);
    STORE_TRY(ctx.db.run("DELETE FROM bayes_tokens WHERE scope_kind = ? AND scope_id = ?", company_scope, d.id));
    STORE_TRY(ctx.db.run("DELETE FROM bayes_totals WHERE scope_kind = ? AND scope_id = ?", company_scope, d.id));
    return ctx.db.run("DELETE FROM domains WHERE id = ?", d.id);
  });
}

core::result<std::vector<domain>> sql_store::list_domains() {
  return read([&](connection& db) -> core::result<std::vector<domain>> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_DOMAIN_COLUMNS " FROM domains ORDER BY name"));
    std::vector<domain> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(read_domain(st));
    }
    return out;
  });
}

core::result<domain> sql_store::find_domain(std::string_view name) {
  return read([&](connection& db) { return load_domain(db, name); });
}

core::result<void> sql_store::set_catch_all(std::string_view domain_name, std::string_view address) {
  std::optional<std::string> value;
  if (!address.empty()) {
    STORE_TRY_ASSIGN(auto parts, detail::parse_address(address));
    value = parts.address;
  }
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto d, load_domain(ctx.db, domain_name));
    return ctx.db.run("UPDATE domains SET catch_all = ? WHERE id = ?", value, d.id);
  });
}

// --- accounts ---

core::result<account> sql_store::add_account(const account& a) {
  STORE_TRY_ASSIGN(auto parts, detail::parse_address(a.address));
  return write([&](write_context& ctx) -> core::result<account> {
    STORE_TRY_ASSIGN(auto d, load_domain(ctx.db, parts.domain));
    if (a.domain_id != 0 && a.domain_id != d.id) {
      return core::fail(core::errc::invalid, "account " + parts.address + ": domain id " +
                                                 std::to_string(a.domain_id) + " is not that of " + d.name);
    }
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT 1 FROM accounts WHERE address_key = ?", parts.key));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (exists) return core::fail(core::errc::exists, "account " + parts.address + " exists already");
    st = {};

    account out = a;
    out.domain_id = d.id;
    out.address = parts.address;
    if (out.created == 0) out.created = now();
    STORE_TRY_ASSIGN(out.id, ctx.db.run_returning("INSERT INTO accounts (domain_id, address, address_key, display_name, password_hash,"
                         " quota_bytes, disabled, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                         out.domain_id, out.address, parts.key, out.display_name, out.password_hash,
                         out.quota_bytes, out.disabled, out.created));
    for (const auto& m : default_mailboxes) {
      STORE_TRY(insert_mailbox(ctx.db, out.id, m.name, m.role, out.created));
    }
    return out;
  });
}

core::result<account> sql_store::find_account(std::string_view address) {
  return read([&](connection& db) { return load_account_by_address(db, address); });
}

core::result<account> sql_store::get_account(id_t id) {
  return read([&](connection& db) { return load_account(db, id); });
}

core::result<std::vector<account>> sql_store::list_accounts(std::string_view domain_name) {
  return read([&](connection& db) -> core::result<std::vector<account>> {
    id_t domain_id = 0;
    if (!domain_name.empty()) {
      STORE_TRY_ASSIGN(auto d, load_domain(db, domain_name));
      domain_id = d.id;
    }
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_ACCOUNT_COLUMNS " FROM accounts"
                                       " WHERE CAST(?1 AS BIGINT) = 0 OR domain_id = ?1 ORDER BY address_key",
                                       domain_id));
    std::vector<account> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(read_account(st));
    }
    return out;
  });
}

core::result<void> sql_store::set_password_hash(std::string_view address, std::string_view hash) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("UPDATE accounts SET password_hash = ? WHERE address_key = ?", hash,
                         detail::ascii_lower(address)));
    if (ctx.db.changes() == 0) {
      return core::fail(core::errc::not_found, "account " + std::string(address) + " does not exist");
    }
    return {};
  });
}

core::result<void> sql_store::remove_account(std::string_view address) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto a, load_account_by_address(ctx.db, address));
    std::vector<std::pair<std::string, std::int64_t>> refs;
    {
      STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT blob, count(*) FROM messages WHERE account_id = ? GROUP BY blob",
                                             a.id));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        refs.emplace_back(st.text(0), st.i64(1));
      }
    }
    STORE_TRY(ctx.db.run("DELETE FROM messages WHERE account_id = ?", a.id));
    STORE_TRY(ctx.db.run("DELETE FROM changes WHERE account_id = ?", a.id));
    STORE_TRY(ctx.db.run("DELETE FROM mailboxes WHERE account_id = ?", a.id));
    STORE_TRY(ctx.db.run("DELETE FROM accounts WHERE id = ?", a.id));
    // The account's own Bayes statistics go with it (bayes_trained by its foreign key);
    // what it taught the company stays.
    const auto user_scope = static_cast<int>(bayes_scope_kind::account);
    STORE_TRY(ctx.db.run("DELETE FROM bayes_tokens WHERE scope_kind = ? AND scope_id = ?", user_scope, a.id));
    STORE_TRY(ctx.db.run("DELETE FROM bayes_totals WHERE scope_kind = ? AND scope_id = ?", user_scope, a.id));
    for (const auto& [hash, count] : refs) STORE_TRY(release_blob_refs(ctx, hash, count));
    return {};
  });
}

// --- aliases ---

core::result<void> sql_store::set_alias(const alias& a) {
  STORE_TRY_ASSIGN(auto parts, detail::parse_address(a.address));
  if (a.targets.empty()) {
    return core::fail(core::errc::invalid, "alias " + parts.address + " has no targets");
  }
  std::vector<std::string> targets;
  std::vector<std::string> keys;
  for (const auto& t : a.targets) {
    STORE_TRY_ASSIGN(auto tp, detail::parse_address(t));
    if (std::find(keys.begin(), keys.end(), tp.key) != keys.end()) continue;
    keys.push_back(tp.key);
    targets.push_back(tp.address);
  }
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto d, load_domain(ctx.db, parts.domain));
    STORE_TRY(ctx.db.run("DELETE FROM aliases WHERE address_key = ?", parts.key));
    for (std::size_t i = 0; i < targets.size(); ++i) {
      STORE_TRY(ctx.db.run("INSERT INTO aliases (address_key, position, domain_id, address, target)"
                           " VALUES (?, ?, ?, ?, ?)",
                           parts.key, i, d.id, parts.address, targets[i]));
    }
    return {};
  });
}

core::result<alias> sql_store::find_alias(std::string_view address) {
  return read([&](connection& db) -> core::result<alias> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT address, target FROM aliases WHERE address_key = ? ORDER BY position",
                                       detail::ascii_lower(address)));
    alias out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.address = st.text(0);
      out.targets.push_back(st.text(1));
    }
    if (out.targets.empty()) {
      return core::fail(core::errc::not_found, "alias " + std::string(address) + " does not exist");
    }
    return out;
  });
}

core::result<std::vector<alias>> sql_store::list_aliases(std::string_view domain_name) {
  return read([&](connection& db) -> core::result<std::vector<alias>> {
    id_t domain_id = 0;
    if (!domain_name.empty()) {
      STORE_TRY_ASSIGN(auto d, load_domain(db, domain_name));
      domain_id = d.id;
    }
    STORE_TRY_ASSIGN(auto st, db.query("SELECT address_key, address, target FROM aliases"
                                       " WHERE CAST(?1 AS BIGINT) = 0 OR domain_id = ?1 ORDER BY address_key, position",
                                       domain_id));
    std::vector<alias> out;
    std::string last_key;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      auto key = st.text(0);
      if (out.empty() || key != last_key) {
        out.push_back(alias{st.text(1), {}});
        last_key = key;
      }
      out.back().targets.push_back(st.text(2));
    }
    return out;
  });
}

core::result<void> sql_store::remove_alias(std::string_view address) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("DELETE FROM aliases WHERE address_key = ?", detail::ascii_lower(address)));
    if (ctx.db.changes() == 0) {
      return core::fail(core::errc::not_found, "alias " + std::string(address) + " does not exist");
    }
    return {};
  });
}

}  // namespace letterhead::store::sql
