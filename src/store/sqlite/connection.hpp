#pragma once
// One SQLite connection with its prepared-statement cache. A connection is used by one
// thread at a time (the writer thread, or whoever holds a reader lease), so it is
// opened without SQLite's own mutex.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "core/error.hpp"
#include "store/sqlite/statement.hpp"

namespace letterhead::store::sqlite {

enum class connection_role {
  writer,  // creates the file, sets WAL, runs migrations and every write
  reader,  // query_only: a bug that writes through it fails instead of racing the writer
};

class connection {
 public:
  [[nodiscard]] static core::result<std::unique_ptr<connection>> open(const std::string& path,
                                                                      connection_role role);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // Runs SQL text that may hold several statements (migrations, BEGIN, PRAGMA), uncached.
  [[nodiscard]] core::result<void> exec(std::string_view sql);

  // A cached prepared statement for this SQL text.
  [[nodiscard]] core::result<statement> prepare(std::string_view sql);

  template <class... A>
  [[nodiscard]] core::result<statement> query(std::string_view sql, const A&... args) {
    auto st = prepare(sql);
    if (st) st->bind_all(args...);
    return st;
  }

  // A statement that returns no rows (or whose rows nobody reads).
  template <class... A>
  [[nodiscard]] core::result<void> run(std::string_view sql, const A&... args) {
    auto st = query(sql, args...);
    if (!st) return std::unexpected(st.error());
    return st->finish();
  }

  [[nodiscard]] std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  [[nodiscard]] int changes() const { return sqlite3_changes(db_); }
  [[nodiscard]] bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::string path_;
  struct cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;  // lent to a live `statement`
  };
  // Node-based: the address of `in_use` stays valid while the map grows.
  std::unordered_map<std::string, cached, string_hash, std::equal_to<>> cache_;
};

}  // namespace letterhead::store::sqlite
