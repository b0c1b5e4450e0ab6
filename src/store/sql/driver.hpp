#pragma once
// The database driver interface that the store's SQL code (this folder) runs on, so
// that one implementation of every query serves SQLite (store/sqlite/) and PostgreSQL
// (store/postgres/). See store/README.md "One SQL implementation, two drivers".
//
// The SQL written against it is the dialect both databases share: `?` parameters
// (the PostgreSQL driver numbers them), `INSERT ... RETURNING id` instead of a last
// rowid, `ON CONFLICT ... DO UPDATE/NOTHING`, no LIKE (case rules differ), integers
// for booleans.
//
// A connection is used by one thread at a time (the writer thread, or whoever holds a
// reader lease).

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::store::sql {

// Bytes bound as binary (SQLite BLOB, PostgreSQL bytea) rather than text: opaque data
// that need not be UTF-8.
struct bytes_view {
  std::string_view bytes;
};

// What a column of the current row holds, for code that copies rows it has no model
// of (sql/copy.hpp): an integer, text, bytes (BLOB/bytea) or NULL.
enum class value_kind { null, integer, text, bytes };

// A table as the database's catalog describes it (sql/copy.hpp).
struct table_info {
  std::string name;
  std::vector<std::string> columns;      // in the table's order
  std::vector<std::string> primary_key;  // in the key's order; empty: none
  std::vector<std::string> references;   // tables its foreign keys name
  std::vector<std::string> self_references;  // its columns whose foreign key names itself
};

// One prepared statement of a driver: its bindings and its current row. A driver's
// connection owns its cursors; `release` hands one back (reset, bindings cleared).
class cursor {
 public:
  virtual void bind_null(int index) = 0;
  virtual void bind_i64(int index, std::int64_t value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void bind_bytes(int index, std::string_view value) = 0;

  // true: a row is ready to read; false: done. The first call executes.
  [[nodiscard]] virtual core::result<bool> step() = 0;

  [[nodiscard]] virtual std::int64_t i64(int col) const = 0;
  [[nodiscard]] virtual bool is_null(int col) const = 0;
  [[nodiscard]] virtual std::string text(int col) const = 0;
  // A binary (or text) column's bytes.
  [[nodiscard]] virtual std::string bytes(int col) const = 0;
  // The current result's number of columns, and what one holds in the current row.
  [[nodiscard]] virtual int column_count() const = 0;
  [[nodiscard]] virtual value_kind kind(int col) const = 0;

  virtual void release() noexcept = 0;

 protected:
  ~cursor() = default;
};

// A borrowed cursor with RAII: on destruction it goes back to its connection, so that
// no read transaction is held open by a half-stepped SELECT.
class statement {
 public:
  statement() = default;
  explicit statement(cursor* c) noexcept : c_(c) {}
  statement(statement&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  statement& operator=(statement&& o) noexcept {
    if (this != &o) {
      reset();
      c_ = o.c_;
      o.c_ = nullptr;
    }
    return *this;
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { reset(); }

  template <std::integral T>
  void bind(int index, T value) {
    c_->bind_i64(index, static_cast<std::int64_t>(value));
  }
  void bind(int index, std::string_view value) { c_->bind_text(index, value); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, bytes_view value) { c_->bind_bytes(index, value.bytes); }
  void bind(int index, std::nullopt_t) { c_->bind_null(index); }
  void bind(int index, const std::optional<std::string>& value) {
    if (value) {
      bind(index, std::string_view(*value));
    } else {
      bind(index, std::nullopt);
    }
  }

  template <class... A>
  void bind_all(const A&... args) {
    int index = 1;
    (bind(index++, args), ...);
  }

  [[nodiscard]] core::result<bool> step() { return c_->step(); }
  // Steps to the end, ignoring rows (for INSERT/UPDATE/DELETE, with or without RETURNING).
  [[nodiscard]] core::result<void> finish() {
    for (;;) {
      auto r = step();
      if (!r) return std::unexpected(r.error());
      if (!*r) return {};
    }
  }

  [[nodiscard]] std::int64_t i64(int col) const { return c_->i64(col); }
  [[nodiscard]] std::uint64_t u64(int col) const { return static_cast<std::uint64_t>(i64(col)); }
  [[nodiscard]] std::uint32_t u32(int col) const { return static_cast<std::uint32_t>(i64(col)); }
  [[nodiscard]] bool boolean(int col) const { return i64(col) != 0; }
  [[nodiscard]] bool is_null(int col) const { return c_->is_null(col); }
  [[nodiscard]] std::string text(int col) const { return c_->text(col); }
  [[nodiscard]] std::optional<std::string> optional_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return text(col);
  }
  [[nodiscard]] std::string bytes(int col) const { return c_->bytes(col); }
  [[nodiscard]] int column_count() const { return c_->column_count(); }
  [[nodiscard]] value_kind kind(int col) const { return c_->kind(col); }

 private:
  void reset() noexcept {
    if (c_ != nullptr) c_->release();
    c_ = nullptr;
  }
  cursor* c_ = nullptr;
};

class connection {
 public:
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  virtual ~connection() = default;

  // Runs SQL text that may hold several statements (migrations, SAVEPOINT), uncached.
  [[nodiscard]] virtual core::result<void> exec(std::string_view sql) = 0;

  // A prepared statement for this SQL text, cached by the connection.
  [[nodiscard]] virtual core::result<statement> prepare(std::string_view sql) = 0;

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

  // A statement whose first column of its one row is an integer, such as
  // `INSERT ... RETURNING id`.
  template <class... A>
  [[nodiscard]] core::result<std::int64_t> run_returning(std::string_view sql, const A&... args) {
    auto st = query(sql, args...);
    if (!st) return std::unexpected(st.error());
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::unexpected(core::error{core::errc::internal, "no row returned"});
    auto value = st->i64(0);
    if (auto rest = st->finish(); !rest) return std::unexpected(rest.error());
    return value;
  }

  // Rows changed by the last INSERT, UPDATE or DELETE that ran to its end.
  [[nodiscard]] virtual std::int64_t changes() const = 0;
  [[nodiscard]] virtual bool in_transaction() const = 0;
  // The database, for messages: a file path or a connection string without password.
  [[nodiscard]] virtual const std::string& name() const = 0;

  // Starts the transaction of a commit group. SQLite: BEGIN IMMEDIATE (one writer at a
  // time). PostgreSQL: SERIALIZABLE, because several nodes write at once and the SQL
  // reads counters (UIDNEXT, MODSEQ) before it writes them.
  [[nodiscard]] virtual core::result<void> begin_write() = 0;
  // Commits the write transaction begin_write() started.
  [[nodiscard]] virtual core::result<void> commit() { return exec("COMMIT"); }
  // Starts a read-only transaction that sees one snapshot.
  [[nodiscard]] virtual core::result<void> begin_read() = 0;
  // Starts the transaction of one schema migration step, serialised between processes
  // and nodes, and seeing what the one before it committed. SQLite: begin_write().
  [[nodiscard]] virtual core::result<void> begin_migration() { return begin_write(); }
  // Starts the transaction of one short write outside the commit groups (sql_store's
  // write_short: queue claims, rate counters), on a connection of its own. PostgreSQL:
  // READ COMMITTED, where `FOR UPDATE SKIP LOCKED` and upserts let nodes work side by
  // side without serialization failures. SQLite never gets here (one writer).
  [[nodiscard]] virtual core::result<void> begin_short_write() { return begin_write(); }
  // Appended to a SELECT that picks rows to take for this transaction, such as queue
  // entries to lease: PostgreSQL " FOR UPDATE SKIP LOCKED", so that two nodes claiming
  // at once take different rows instead of waiting on each other; nothing on SQLite.
  [[nodiscard]] virtual std::string_view take_rows_clause() const { return {}; }
  // The database server's clock in milliseconds since the epoch; nullopt when the
  // database is a file on this machine (SQLite) and this machine's clock is the store's.
  [[nodiscard]] virtual core::result<std::optional<std::int64_t>> server_clock_ms() { return std::nullopt; }
  // Inside a write transaction: tells every node, once it commits, that this account's
  // change log grew (PostgreSQL NOTIFY; nothing on SQLite, whose one process notifies
  // its own sessions).
  [[nodiscard]] virtual core::result<void> announce_change([[maybe_unused]] std::int64_t account) { return {}; }
  // Inside a transaction, until it ends: the lock between recording a reference to a
  // blob file (shared) and removing a file whose count reached zero (exclusive), for
  // nodes that share a blob directory. SQLite needs none: its one writer does both.
  [[nodiscard]] virtual core::result<void> lock_blob([[maybe_unused]] std::string_view hash,
                                                     [[maybe_unused]] bool exclusive) {
    return {};
  }
  // The last error means the whole transaction must be run again from its start
  // (PostgreSQL serialization failure or deadlock); the caller rolls back and retries.
  [[nodiscard]] virtual bool must_retry() const noexcept { return false; }

  // The catalog, for copying a whole store (sql/copy.hpp): every table of the schema
  // except the driver's own (sqlite_*), in name order.
  [[nodiscard]] virtual core::result<std::vector<table_info>> describe_tables() = 0;
  // For a table with an `id` column: the last id its counter handed out (SQLite
  // sqlite_sequence, a PostgreSQL identity sequence); nullopt when it has no counter
  // or the counter never handed one out.
  [[nodiscard]] virtual core::result<std::optional<std::int64_t>> last_id(std::string_view table) = 0;
  // Moves that counter to `last` after rows were inserted with explicit ids, so that
  // no id is handed out twice. Nothing for a table without one.
  [[nodiscard]] virtual core::result<void> set_last_id(std::string_view table, std::int64_t last) = 0;
};

using connection_factory = std::function<core::result<std::unique_ptr<connection>>()>;

}  // namespace letterhead::store::sql
