#pragma once
// A prepared sqlite3_stmt with RAII. Usually borrowed from the connection's cache: on
// destruction it is reset and its bindings cleared, so that the cache hands it out
// clean and no read transaction is held open by a half-stepped SELECT. If the cached
// one is still in use (the same SQL nested inside a loop over its own rows), the
// connection prepares a private one, which this class then finalises.

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "core/error.hpp"

namespace letterhead::store::sqlite {

// Bytes bound as an SQL BLOB rather than TEXT: opaque data that need not be UTF-8.
struct bytes_view {
  std::string_view bytes;
};

// Turns an SQLite result code into a core::error, mapping the conditions a caller can
// act on: busy/locked and a full disk are `unavailable` (retry later), I/O errors are
// `io`, a uniqueness violation is `exists`.
[[nodiscard]] core::error make_error(sqlite3* db, int rc, std::string_view context);

class statement {
 public:
  statement() = default;
  // in_use: the cache's flag for this statement, cleared on release; nullptr for a
  // private statement, finalised on release.
  statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use) noexcept
      : db_(db), stmt_(stmt), in_use_(in_use) {}
  statement(statement&& o) noexcept;
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  template <std::integral T>
  void bind(int index, T value) {
    bind_int64(index, static_cast<std::int64_t>(value));
  }
  void bind(int index, std::string_view value);
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, bytes_view value);
  void bind(int index, std::nullopt_t);
  void bind(int index, const std::optional<std::string>& value);

  template <class... A>
  void bind_all(const A&... args) {
    int index = 1;
    (bind(index++, args), ...);
  }

  // true: a row is ready to read; false: done.
  [[nodiscard]] core::result<bool> step();
  // Steps to the end, ignoring rows (for INSERT/UPDATE/DELETE, with or without RETURNING).
  [[nodiscard]] core::result<void> finish();

  [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] std::uint64_t u64(int col) const { return static_cast<std::uint64_t>(i64(col)); }
  [[nodiscard]] std::uint32_t u32(int col) const { return static_cast<std::uint32_t>(i64(col)); }
  [[nodiscard]] bool boolean(int col) const { return i64(col) != 0; }
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] std::optional<std::string> optional_text(int col) const;
  // A BLOB (or TEXT) column's bytes.
  [[nodiscard]] std::string bytes(int col) const;

 private:
  void bind_int64(int index, std::int64_t value);
  void note_bind(int rc);
  void release() noexcept;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool* in_use_ = nullptr;
  int bind_rc_ = SQLITE_OK;  // first bind failure, reported by step()
};

}  // namespace letterhead::store::sqlite
