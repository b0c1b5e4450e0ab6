#pragma once
// One SQLite connection with its prepared-statement cache: the SQLite driver of the
// store's SQL (store/sql/driver.hpp). A connection is used by one thread at a time, so
// it is opened without SQLite's own mutex.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "core/error.hpp"
#include "store/sql/driver.hpp"

namespace letterhead::store::sqlite {

enum class connection_role {
  writer,  // creates the file, sets WAL, runs migrations and every write
  reader,  // query_only: a bug that writes through it fails instead of racing the writer
};

// Turns an SQLite result code into a core::error, mapping the conditions a caller can
// act on: busy/locked and a full disk are `unavailable` (retry later), I/O errors are
// `io`, a uniqueness violation is `exists`.
[[nodiscard]] core::error make_error(sqlite3* db, int rc, std::string_view context);

class connection final : public sql::connection {
 public:
  [[nodiscard]] static core::result<std::unique_ptr<connection>> open(const std::string& path,
                                                                      connection_role role);
  ~connection() override;

  [[nodiscard]] core::result<void> exec(std::string_view sql) override;
  [[nodiscard]] core::result<sql::statement> prepare(std::string_view sql) override;
  [[nodiscard]] std::int64_t changes() const override { return sqlite3_changes(db_); }
  [[nodiscard]] bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  [[nodiscard]] const std::string& name() const override { return path_; }
  // IMMEDIATE takes the write lock at once: the CLI and a server share the file.
  [[nodiscard]] core::result<void> begin_write() override { return exec("BEGIN IMMEDIATE"); }
  [[nodiscard]] core::result<void> begin_read() override { return exec("BEGIN"); }
  // catalog.cpp
  [[nodiscard]] core::result<std::vector<sql::table_info>> describe_tables() override;
  [[nodiscard]] core::result<std::optional<std::int64_t>> last_id(std::string_view table) override;
  [[nodiscard]] core::result<void> set_last_id(std::string_view table, std::int64_t last) override;

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

  // A prepared sqlite3_stmt. A cached one is reset and its bindings cleared when
  // released; a private one (the same SQL nested inside a loop over its own rows) is
  // finalised.
  class stmt final : public sql::cursor {
   public:
    stmt(sqlite3* db, sqlite3_stmt* s, bool cached) noexcept : db_(db), stmt_(s), cached_(cached) {}
    stmt(const stmt&) = delete;
    stmt& operator=(const stmt&) = delete;
    ~stmt() { sqlite3_finalize(stmt_); }

    void bind_null(int index) override;
    void bind_i64(int index, std::int64_t value) override;
    void bind_text(int index, std::string_view value) override;
    void bind_bytes(int index, std::string_view value) override;
    [[nodiscard]] core::result<bool> step() override;
    [[nodiscard]] std::int64_t i64(int col) const override { return sqlite3_column_int64(stmt_, col); }
    [[nodiscard]] bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    [[nodiscard]] std::string text(int col) const override;
    [[nodiscard]] std::string bytes(int col) const override;
    [[nodiscard]] int column_count() const override { return sqlite3_column_count(stmt_); }
    [[nodiscard]] sql::value_kind kind(int col) const override;
    void release() noexcept override;

    bool in_use = false;  // lent to a live sql::statement

   private:
    void note_bind(int rc);

    sqlite3* db_;
    sqlite3_stmt* stmt_;
    bool cached_;
    int bind_rc_ = SQLITE_OK;  // first bind failure, reported by step()
  };

 private:
  connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::string path_;
  // Node-based, and cursors are heap objects: addresses stay valid while it grows.
  std::unordered_map<std::string, std::unique_ptr<stmt>, string_hash, std::equal_to<>> cache_;
};

}  // namespace letterhead::store::sqlite
