// Account security and offboarding records (issue 6 part B): password policies, SCRAM
// credentials, password history, TOTP, app passwords, login throttles, login history
// and networks, offboarding and the auto-reply log. The rules live in directory/.

#include <algorithm>
#include <sstream>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Makes sure the account has a row in account_security (the defaults).
core::result<void> ensure_security_row(connection& db, id_t account) {
  STORE_TRY(load_account(db, account));
  return db.run("INSERT INTO account_security (account_id) VALUES (?) ON CONFLICT (account_id) DO NOTHING", account);
}

core::result<void> check_updated(connection& db, id_t account) {
  if (db.changes() == 0) {
    return core::fail(core::errc::not_found, "account " + std::to_string(account) + " does not exist");
  }
  return {};
}

}  // namespace

// --- password policy ---

core::result<password_policy> sql_store::get_password_policy(id_t domain_id) {
  return read([&](connection& db) -> core::result<password_policy> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT min_length, min_classes, history, max_age_days, warn_days,"
                                       " change_at_first_login, refuse_common FROM password_policies"
                                       " WHERE domain_id = ?",
                                       domain_id));
    password_policy p;
    p.domain_id = domain_id;
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return p;
    p.min_length = st.u32(0);
    p.min_classes = st.u32(1);
    p.history = st.u32(2);
    p.max_age_days = st.u32(3);
    p.warn_days = st.u32(4);
    p.change_at_first_login = st.boolean(5);
    p.refuse_common = st.boolean(6);
    return p;
  });
}

core::result<void> sql_store::set_password_policy(const password_policy& p) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY_ASSIGN(auto st, ctx.db.query("SELECT 1 FROM domains WHERE id = ?", p.domain_id));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (!exists) return core::fail(core::errc::not_found, "domain " + std::to_string(p.domain_id) + " does not exist");
    st = {};
    return ctx.db.run("INSERT INTO password_policies (domain_id, min_length, min_classes, history, max_age_days,"
                      " warn_days, change_at_first_login, refuse_common) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT (domain_id) DO UPDATE SET min_length = excluded.min_length,"
                      " min_classes = excluded.min_classes, history = excluded.history,"
                      " max_age_days = excluded.max_age_days, warn_days = excluded.warn_days,"
                      " change_at_first_login = excluded.change_at_first_login,"
                      " refuse_common = excluded.refuse_common",
                      p.domain_id, p.min_length, p.min_classes, p.history, p.max_age_days, p.warn_days,
                      p.change_at_first_login, p.refuse_common);
  });
}

// --- credentials ---

core::result<account_security> sql_store::get_account_security(id_t account) {
  return read([&](connection& db) -> core::result<account_security> {
    STORE_TRY(load_account(db, account));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT scram_salt, scram_iterations, scram_stored_key, scram_server_key,"
                                       " password_changed, must_change_password, expiry_warned, totp_secret,"
                                       " totp_last_step FROM account_security WHERE account_id = ?",
                                       account));
    account_security s;
    s.account_id = account;
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return s;
    if (!st.is_null(0)) {
      s.scram_sha256 = scram_credentials{st.bytes(0), st.u32(1), st.bytes(2), st.bytes(3)};
    }
    s.password_changed = st.i64(4);
    s.must_change_password = st.boolean(5);
    s.expiry_warned = st.i64(6);
    s.totp_secret = st.bytes(7);
    s.totp_last_step = st.i64(8);
    return s;
  });
}

core::result<void> sql_store::set_password(id_t account, std::string_view hash,
                                              const std::optional<scram_credentials>& scram, bool must_change,
                                              unix_time when, std::size_t keep_history) {
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto acc, load_account(db, account));
    if (!acc.password_hash.empty() && keep_history > 0) {
      STORE_TRY(db.run("INSERT INTO password_history (account_id, hash, replaced) VALUES (?, ?, ?)", account,
                       acc.password_hash, when));
    }
    // Keep only the newest keep_history entries (none when history is off).
    STORE_TRY(db.run("DELETE FROM password_history WHERE account_id = ?1 AND id NOT IN"
                     " (SELECT id FROM password_history WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2)",
                     account, static_cast<std::int64_t>(keep_history)));
    STORE_TRY(db.run("UPDATE accounts SET password_hash = ? WHERE id = ?", hash, account));
    STORE_TRY(ensure_security_row(db, account));
    if (scram) {
      STORE_TRY(db.run("UPDATE account_security SET scram_salt = ?, scram_iterations = ?, scram_stored_key = ?,"
                       " scram_server_key = ? WHERE account_id = ?",
                       bytes_view{scram->salt}, scram->iterations, bytes_view{scram->stored_key},
                       bytes_view{scram->server_key}, account));
    } else {
      STORE_TRY(db.run("UPDATE account_security SET scram_salt = NULL, scram_iterations = 0,"
                       " scram_stored_key = NULL, scram_server_key = NULL WHERE account_id = ?",
                       account));
    }
    return db.run("UPDATE account_security SET password_changed = ?, must_change_password = ?, expiry_warned = 0"
                  " WHERE account_id = ?",
                  when, must_change, account);
  });
}

core::result<std::vector<std::string>> sql_store::password_history(id_t account) {
  return read([&](connection& db) -> core::result<std::vector<std::string>> {
    STORE_TRY(load_account(db, account));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT hash FROM password_history WHERE account_id = ? ORDER BY id DESC",
                                       account));
    std::vector<std::string> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(st.text(0));
    }
    return out;
  });
}

core::result<void> sql_store::set_must_change_password(id_t account, bool must) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ensure_security_row(ctx.db, account));
    return ctx.db.run("UPDATE account_security SET must_change_password = ? WHERE account_id = ?", must, account);
  });
}

core::result<void> sql_store::set_expiry_warned(id_t account, unix_time when) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ensure_security_row(ctx.db, account));
    return ctx.db.run("UPDATE account_security SET expiry_warned = ? WHERE account_id = ?", when, account);
  });
}

core::result<void> sql_store::set_totp_secret(id_t account, std::string_view secret) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ensure_security_row(ctx.db, account));
    return ctx.db.run("UPDATE account_security SET totp_secret = ?, totp_last_step = 0 WHERE account_id = ?",
                      bytes_view{secret}, account);
  });
}

core::result<bool> sql_store::use_totp_step(id_t account, std::int64_t step) {
  return write([&](write_context& ctx) -> core::result<bool> {
    STORE_TRY(ensure_security_row(ctx.db, account));
    // One statement on the single writer: two logins racing with one code cannot both win.
    STORE_TRY(ctx.db.run("UPDATE account_security SET totp_last_step = ?1"
                         " WHERE account_id = ?2 AND totp_last_step < ?1",
                         step, account));
    return ctx.db.changes() > 0;
  });
}

core::result<void> sql_store::set_account_disabled(id_t account, bool disabled) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("UPDATE accounts SET disabled = ? WHERE id = ?", disabled, account));
    return check_updated(ctx.db, account);
  });
}

// --- app passwords ---

core::result<app_password> sql_store::add_app_password(const app_password& p) {
  if (p.name.empty()) return core::fail(core::errc::invalid, "an app password needs a name");
  if (p.protocols.empty()) return core::fail(core::errc::invalid, "an app password needs at least one protocol");
  auto protocols = p.protocols;
  std::ranges::sort(protocols);
  protocols.erase(std::unique(protocols.begin(), protocols.end()), protocols.end());
  return write([&](write_context& ctx) -> core::result<app_password> {
    auto& db = ctx.db;
    STORE_TRY(load_account(db, p.account_id));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM app_passwords WHERE account_id = ? AND name = ?",
                                       p.account_id, p.name));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (exists) return core::fail(core::errc::exists, "an app password named '" + p.name + "' exists already");
    st = {};
    app_password out = p;
    out.protocols = protocols;
    if (out.created == 0) out.created = now();
    STORE_TRY_ASSIGN(out.id, db.run_returning("INSERT INTO app_passwords (account_id, name, hash, protocols, created, last_used)"
                     " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                     out.account_id, out.name, out.hash, join_words(out.protocols), out.created, out.last_used));
    return out;
  });
}

core::result<std::vector<app_password>> sql_store::list_app_passwords(id_t account) {
  return read([&](connection& db) -> core::result<std::vector<app_password>> {
    STORE_TRY(load_account(db, account));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT id, name, hash, protocols, created, last_used FROM app_passwords"
                                       " WHERE account_id = ? ORDER BY name",
                                       account));
    std::vector<app_password> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(app_password{st.i64(0), account, st.text(1), st.text(2), split_words(st.text(3)), st.i64(4),
                                 st.i64(5)});
    }
    return out;
  });
}

core::result<void> sql_store::remove_app_password(id_t account, std::string_view name) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("DELETE FROM app_passwords WHERE account_id = ? AND name = ?", account, name));
    if (ctx.db.changes() == 0) {
      return core::fail(core::errc::not_found, "no app password named '" + std::string(name) + "'");
    }
    return {};
  });
}

core::result<std::size_t> sql_store::remove_app_passwords(id_t account) {
  return write([&](write_context& ctx) -> core::result<std::size_t> {
    STORE_TRY(ctx.db.run("DELETE FROM app_passwords WHERE account_id = ?", account));
    return static_cast<std::size_t>(ctx.db.changes());
  });
}

core::result<void> sql_store::touch_app_password(id_t id, unix_time when) {
  return write([&](write_context& ctx) -> core::result<void> {
    return ctx.db.run("UPDATE app_passwords SET last_used = ? WHERE id = ?", when, id);
  });
}

// --- login throttling ---

core::result<std::vector<login_throttle>> sql_store::get_login_throttles(const std::vector<std::string>& keys) {
  return read([&](connection& db) -> core::result<std::vector<login_throttle>> {
    std::vector<login_throttle> out;
    for (const auto& key : keys) {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT failures, window_start, blocked_until FROM login_throttles"
                                         " WHERE key = ?",
                                         key));
      STORE_TRY_ASSIGN(bool row, st.step());
      if (row) out.push_back(login_throttle{key, st.u32(0), st.i64(1), st.i64(2)});
    }
    return out;
  });
}

core::result<login_throttle> sql_store::record_login_failure(std::string_view key, unix_time when,
                                                                std::chrono::seconds window,
                                                                std::uint32_t threshold,
                                                                std::chrono::seconds block) {
  return write([&](write_context& ctx) -> core::result<login_throttle> {
    auto& db = ctx.db;
    login_throttle t{std::string(key), 0, when, 0};
    STORE_TRY_ASSIGN(auto st, db.query("SELECT failures, window_start, blocked_until FROM login_throttles"
                                       " WHERE key = ?",
                                       key));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (row) t = login_throttle{std::string(key), st.u32(0), st.i64(1), st.i64(2)};
    st = {};
    if (t.window_start < when - window.count()) {
      t.failures = 0;
      t.window_start = when;
    }
    ++t.failures;
    if (threshold > 0 && t.failures >= threshold) {
      t.blocked_until = when + block.count();
      t.failures = 0;
      t.window_start = when;
    }
    STORE_TRY(db.run("INSERT INTO login_throttles (key, failures, window_start, blocked_until) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
                     " window_start = excluded.window_start, blocked_until = excluded.blocked_until",
                     t.key, t.failures, t.window_start, t.blocked_until));
    return t;
  });
}

core::result<void> sql_store::clear_login_throttle(std::string_view key) {
  return write([&](write_context& ctx) -> core::result<void> {
    return ctx.db.run("DELETE FROM login_throttles WHERE key = ?", key);
  });
}

core::result<std::vector<login_throttle>> sql_store::list_login_blocks(unix_time when) {
  return read([&](connection& db) -> core::result<std::vector<login_throttle>> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT key, failures, window_start, blocked_until FROM login_throttles"
                                       " WHERE blocked_until > ? ORDER BY key",
                                       when));
    std::vector<login_throttle> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(login_throttle{st.text(0), st.u32(1), st.i64(2), st.i64(3)});
    }
    return out;
  });
}

core::result<std::size_t> sql_store::remove_login_throttles(const std::vector<std::string>& key_prefixes) {
  return write([&](write_context& ctx) -> core::result<std::size_t> {
    std::size_t removed = 0;
    for (const auto& prefix : key_prefixes) {
      if (prefix.empty()) continue;
      // substr rather than LIKE: keys hold '_' and '%'-free text, but IPv6 and ids
      // need no escaping this way at all.
      STORE_TRY(ctx.db.run("DELETE FROM login_throttles WHERE substr(key, 1, length(?1)) = ?1", prefix));
      removed += static_cast<std::size_t>(ctx.db.changes());
    }
    return removed;
  });
}

// --- login history ---

core::result<void> sql_store::add_login_event(const login_event& e, std::size_t keep) {
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(const auto last, db.run_returning("INSERT INTO login_events (account_id, time, ip, protocol, result) VALUES (?, ?, ?, ?, ?) RETURNING id",
                     e.account_id, e.time, e.ip, e.protocol, e.result));
    // Ids increase, so the newest `keep` have the highest ids.
    return db.run("DELETE FROM login_events WHERE account_id = ?1 AND id <= CAST(?2 AS BIGINT) - CAST(?3 AS BIGINT) AND id NOT IN"
                  " (SELECT id FROM login_events WHERE account_id = ?1 ORDER BY id DESC LIMIT ?3)",
                  e.account_id, last, static_cast<std::int64_t>(keep));
  });
}

core::result<std::vector<login_event>> sql_store::list_login_events(id_t account, std::size_t limit) {
  return read([&](connection& db) -> core::result<std::vector<login_event>> {
    STORE_TRY(load_account(db, account));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT time, ip, protocol, result FROM login_events WHERE account_id = ?"
                                       " ORDER BY id DESC LIMIT ?",
                                       account, static_cast<std::int64_t>(limit)));
    std::vector<login_event> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(login_event{account, st.i64(0), st.text(1), st.text(2), st.text(3)});
    }
    return out;
  });
}

core::result<network_seen> sql_store::note_login_network(id_t account, std::string_view network,
                                                           unix_time when) {
  return write([&](write_context& ctx) -> core::result<network_seen> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto st, db.query("SELECT count(*), coalesce(sum(CASE WHEN network = ?2 THEN 1 ELSE 0 END), 0) FROM login_networks"
                                       " WHERE account_id = ?1",
                                       account, network));
    STORE_TRY(st.step());
    const auto count = st.i64(0);
    const bool known = st.i64(1) > 0;
    st = {};
    if (known) return network_seen::known;
    STORE_TRY(db.run("INSERT INTO login_networks (account_id, network, first_seen) VALUES (?, ?, ?)", account,
                     network, when));
    return count == 0 ? network_seen::first : network_seen::new_network;
  });
}

// --- offboarding ---

core::result<void> sql_store::add_offboarding(const offboarding& o) {
  std::vector<std::string> groups;
  for (auto g : o.moved_groups) groups.push_back(std::to_string(g));
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY(load_account(db, o.account_id));
    STORE_TRY(load_account(db, o.successor_id));
    if (o.account_id == o.successor_id) return core::fail(core::errc::invalid, "an account cannot succeed itself");
    STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM offboardings WHERE account_id = ?", o.account_id));
    STORE_TRY_ASSIGN(bool exists, st.step());
    if (exists) return core::fail(core::errc::exists, "the account is offboarded already");
    st = {};
    return db.run("INSERT INTO offboardings (account_id, successor_id, forward, auto_reply, transferred,"
                  " was_disabled, moved_groups, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  o.account_id, o.successor_id, o.forward, o.auto_reply, o.transferred, o.was_disabled,
                  join_words(groups), o.created == 0 ? now() : o.created);
  });
}

core::result<offboarding> sql_store::get_offboarding(id_t account) {
  return read([&](connection& db) -> core::result<offboarding> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT o.successor_id, a.address, o.forward, o.auto_reply, o.transferred,"
                                       " o.was_disabled, o.moved_groups, o.created FROM offboardings o"
                                       " JOIN accounts a ON a.id = o.successor_id WHERE o.account_id = ?",
                                       account));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "account " + std::to_string(account) + " is not offboarded");
    offboarding o;
    o.account_id = account;
    o.successor_id = st.i64(0);
    o.successor = st.text(1);
    o.forward = st.boolean(2);
    o.auto_reply = st.text(3);
    o.transferred = st.boolean(4);
    o.was_disabled = st.boolean(5);
    for (const auto& w : split_words(st.text(6))) o.moved_groups.push_back(std::stoll(w));
    o.created = st.i64(7);
    return o;
  });
}

core::result<void> sql_store::remove_offboarding(id_t account) {
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("DELETE FROM offboardings WHERE account_id = ?", account));
    if (ctx.db.changes() == 0) {
      return core::fail(core::errc::not_found, "account " + std::to_string(account) + " is not offboarded");
    }
    return ctx.db.run("DELETE FROM auto_replies WHERE account_id = ?", account);
  });
}

core::result<bool> sql_store::note_auto_reply(id_t account, std::string_view sender, unix_time when,
                                                 std::chrono::seconds interval) {
  const auto key = detail::ascii_lower(sender);
  return write([&](write_context& ctx) -> core::result<bool> {
    auto& db = ctx.db;
    STORE_TRY(load_account(db, account));
    STORE_TRY_ASSIGN(auto st, db.query("SELECT last_sent FROM auto_replies WHERE account_id = ? AND sender_key = ?",
                                       account, key));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (row && st.i64(0) > when - interval.count()) return false;
    st = {};
    STORE_TRY(db.run("INSERT INTO auto_replies (account_id, sender_key, last_sent) VALUES (?, ?, ?)"
                     " ON CONFLICT (account_id, sender_key) DO UPDATE SET last_sent = excluded.last_sent",
                     account, key, when));
    return true;
  });
}

}  // namespace letterhead::store::sql
