#include "store/sqlite/connection.hpp"

#include "store/detail/try.hpp"

namespace letterhead::store::sqlite {

namespace {

// How long a connection waits for another process's lock (the CLI and a running
// server share the file) before reporting `unavailable`.
constexpr int busy_timeout_ms = 10'000;

// Bounds the WAL file after a large transaction has grown it (bytes).
constexpr const char* journal_size_limit_pragma = "PRAGMA journal_size_limit = 67108864";

// Reads map the file instead of copying each page through pread into SQLite's small
// page cache: a SEARCH or SORT over a 100,000-message mailbox reads ~150 MB of
// summaries, and the copies were most of its time. Only address space is reserved;
// writes still go through the WAL (SQLite maps read-only unless built otherwise).
constexpr const char* mmap_size_pragma = "PRAGMA mmap_size = 1073741824";

}  // namespace

core::result<std::unique_ptr<connection>> connection::open(const std::string& path,
                                                           connection_role role) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (role == connection_role::writer) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    auto err = make_error(db, rc, "cannot open " + path);
    sqlite3_close_v2(db);
    return std::unexpected(err);
  }
  std::unique_ptr<connection> c(new connection(db, path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // Defensive mode refuses SQL that could corrupt the file (writable_schema and the like).
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);

  if (role == connection_role::writer) {
    // WAL: readers never wait for the writer and one WAL fsync commits a whole group.
    STORE_TRY_ASSIGN(auto st, c->prepare("PRAGMA journal_mode = WAL"));
    STORE_TRY_ASSIGN(bool row, st.step());
    std::string mode = row ? st.text(0) : std::string();
    if (mode != "wal") {
      return core::fail(core::errc::io, "sqlite: cannot switch " + path + " to WAL mode (got \"" +
                                            mode + "\")");
    }
  }
  // FULL: the WAL is fsynced at every commit, so an acknowledged message survives a
  // power loss (NORMAL would only survive a crash of the process).
  STORE_TRY(c->exec("PRAGMA synchronous = FULL"));
  STORE_TRY(c->exec("PRAGMA foreign_keys = ON"));
  STORE_TRY(c->exec("PRAGMA trusted_schema = OFF"));
  STORE_TRY(c->exec(journal_size_limit_pragma));
  STORE_TRY(c->exec(mmap_size_pragma));
  if (role == connection_role::reader) STORE_TRY(c->exec("PRAGMA query_only = ON"));
  return c;
}

connection::~connection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

core::result<void> connection::exec(std::string_view sql) {
  std::string text(sql);
  char* errmsg = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &errmsg);
  sqlite3_free(errmsg);
  if (rc != SQLITE_OK) {
    auto first_line = text.substr(0, text.find('\n'));
    return std::unexpected(make_error(db_, rc, first_line));
  }
  return {};
}

core::result<sql::statement> connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second->in_use) {
    it->second->in_use = true;
    return sql::statement(it->second.get());
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              it == cache_.end() ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(make_error(db_, rc, sql));
  if (it != cache_.end()) return sql::statement(new stmt(db_, raw, false));  // nested use: a private one
  auto [pos, inserted] = cache_.emplace(std::string(sql), std::make_unique<stmt>(db_, raw, true));
  pos->second->in_use = true;
  return sql::statement(pos->second.get());
}

}  // namespace letterhead::store::sqlite
