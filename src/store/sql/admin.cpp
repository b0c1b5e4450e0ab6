// Audit queries and admin API sessions (issue 6: the admin API and `letterhead audit`).

#include <algorithm>
#include <cstdint>
#include <string>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

// A page of audit records is for a person or a script paging through it; far more
// than this at once is a mistake, and an unbounded one a way to exhaust memory.
constexpr std::size_t max_audit_page = 10'000;

admin_session read_session(const statement& st) {
  admin_session s;
  s.token_hash = st.text(0);
  s.account_id = st.i64(1);
  s.csrf_token = st.text(2);
  s.remote_ip = st.text(3);
  s.created = st.i64(4);
  s.last_seen = st.i64(5);
  s.expires = st.i64(6);
  return s;
}

}  // namespace

core::result<std::vector<audit_record>> sql_store::query_audit(const audit_query& q) {
  const auto limit = static_cast<std::int64_t>(std::min(q.limit, max_audit_page));
  return read([&](connection& db) -> core::result<std::vector<audit_record>> {
    // One statement with every filter, each disabled by its empty value, so that the
    // statement cache keeps a single prepared form. A substring test by replace() rather
    // than LIKE: the text is matched literally, whatever '%' or '_' it holds, and the
    // same SQL runs on SQLite and PostgreSQL (neither instr() nor strpos() is in both).
    // The needle is lowered here: PostgreSQL's lower() of a parameter would also fold
    // non-ASCII letters, SQLite's does not (the columns are ASCII-folded on both).
    STORE_TRY_ASSIGN(auto st, db.query("SELECT id, time, actor, action, detail FROM audit_log"
                                       " WHERE (CAST(?1 AS BIGINT) = 0 OR time >= ?1) AND (CAST(?2 AS BIGINT) = 0 OR time < ?2)"
                                       " AND (?3 = '' OR actor = ?3)"
                                       " AND (?4 = '' OR substr(action, 1, length(?4)) = ?4)"
                                       " AND (?5 = '' OR replace(lower(actor), ?5, '') <> lower(actor)"
                                       "      OR replace(lower(detail), ?5, '') <> lower(detail))"
                                       " AND (CAST(?6 AS BIGINT) = 0 OR id < ?6)"
                                       " ORDER BY id DESC LIMIT ?7",
                                       q.since, q.until, q.actor, q.action_prefix, detail::ascii_lower(q.mentions), q.before_id,
                                       limit));
    std::vector<audit_record> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(audit_record{st.i64(0), st.i64(1), st.text(2), st.text(3), st.text(4)});
    }
    return out;
  });
}

core::result<void> sql_store::add_admin_session(const admin_session& s, unix_time idle_before) {
  if (s.token_hash.empty() || s.csrf_token.empty() || s.account_id == 0) {
    return core::fail(core::errc::invalid, "incomplete admin session");
  }
  return write([&](write_context& ctx) -> core::result<void> {
    STORE_TRY(ctx.db.run("DELETE FROM admin_sessions WHERE expires <= ? OR last_seen < ?", s.created, idle_before));
    return ctx.db.run(
        "INSERT INTO admin_sessions (token_hash, account_id, csrf_token, remote_ip, created, last_seen, expires)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        s.token_hash, s.account_id, s.csrf_token, s.remote_ip, s.created, s.last_seen, s.expires);
  });
}

core::result<admin_session> sql_store::get_admin_session(std::string_view token_hash) {
  return read([&](connection& db) -> core::result<admin_session> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT token_hash, account_id, csrf_token, remote_ip, created, last_seen,"
                                       " expires FROM admin_sessions WHERE token_hash = ?",
                                       token_hash));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "no such session");
    return read_session(st);
  });
}

core::result<void> sql_store::touch_admin_session(std::string_view token_hash, unix_time last_seen) {
  return write([&](write_context& ctx) {
    return ctx.db.run("UPDATE admin_sessions SET last_seen = CASE WHEN last_seen > ?1 THEN last_seen ELSE ?1 END"
                      " WHERE token_hash = ?2",
                      last_seen, token_hash);
  });
}

core::result<void> sql_store::remove_admin_session(std::string_view token_hash) {
  return write([&](write_context& ctx) {
    return ctx.db.run("DELETE FROM admin_sessions WHERE token_hash = ?", token_hash);
  });
}

core::result<std::size_t> sql_store::remove_admin_sessions(id_t account) {
  return write([&](write_context& ctx) -> core::result<std::size_t> {
    STORE_TRY(ctx.db.run("DELETE FROM admin_sessions WHERE account_id = ?", account));
    return static_cast<std::size_t>(ctx.db.changes());
  });
}

}  // namespace letterhead::store::sql
