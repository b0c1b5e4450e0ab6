#pragma once
// One PostgreSQL connection (libpq) behind the driver interface of store/sql/, with its
// prepared-statement cache. See store/README.md "One SQL implementation, two drivers".
//
// - `?` parameters are numbered ($1, $2, ...) outside literals, quoted identifiers and
//   comments; each distinct SQL text is prepared once per session (PQprepare), with the
//   parameter types inferred by the server.
// - Integers and text are sent as text parameters, bytes as binary ones; results come
//   back as text (bytea decoded by bytes() and text()).
// - A session lost while no transaction is open is re-established (PQreset) before
//   the next statement, and its statements prepared again; lost inside a transaction,
//   the next statement fails with `unavailable`, since the transaction is gone.
// - A whole result set is held in memory once a SELECT runs, so that another statement
//   can run on the connection while the caller walks the rows (nested queries).

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "store/sql/driver.hpp"

struct pg_conn;    // libpq's PGconn
struct pg_result;  // libpq's PGresult

namespace letterhead::store::postgres {

class connection final : public sql::connection {
 public:
  // conninfo: a libpq connection string or URI. read_only: every transaction of the
  // session is READ ONLY (default_transaction_read_only), so that a bug that writes
  // through a reader connection fails. server_options: more `-c name=value` settings
  // of the session, kept when the session is re-established.
  [[nodiscard]] static core::result<std::unique_ptr<connection>> open(const std::string& conninfo,
                                                                      bool read_only,
                                                                      std::string_view server_options = {});
  ~connection() override;

  [[nodiscard]] core::result<void> exec(std::string_view sql) override;
  [[nodiscard]] core::result<sql::statement> prepare(std::string_view sql) override;
  [[nodiscard]] std::int64_t changes() const override { return changes_; }
  [[nodiscard]] bool in_transaction() const override { return in_transaction_; }
  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] core::result<void> begin_write() override;
  [[nodiscard]] core::result<void> begin_read() override;
  [[nodiscard]] core::result<void> begin_short_write() override;
  [[nodiscard]] std::string_view take_rows_clause() const override { return " FOR UPDATE SKIP LOCKED"; }
  [[nodiscard]] core::result<std::optional<std::int64_t>> server_clock_ms() override;
  // READ COMMITTED, then an advisory lock: each statement after the wait sees what
  // the migration before it committed (a snapshot taken before the wait would not).
  [[nodiscard]] core::result<void> begin_migration() override;
  // Noted, and sent by commit() as one pg_notify per account on
  // store/postgres/change_listener.hpp's channel: a delivery to many mailboxes of one
  // account logs many changes but costs one notification. A request rolled back to its
  // savepoint may leave its accounts noted: a spurious wake-up costs a re-check only.
  [[nodiscard]] core::result<void> announce_change(std::int64_t account) override;
  [[nodiscard]] core::result<void> commit() override;
  // A transaction-scoped advisory lock keyed by the hash's first 64 bits (a collision
  // only makes two blobs wait for each other).
  [[nodiscard]] core::result<void> lock_blob(std::string_view hash, bool exclusive) override;
  [[nodiscard]] bool must_retry() const noexcept override { return must_retry_; }
  // catalog.cpp: information_schema and the identity sequences.
  [[nodiscard]] core::result<std::vector<sql::table_info>> describe_tables() override;
  [[nodiscard]] core::result<std::optional<std::int64_t>> last_id(std::string_view table) override;
  [[nodiscard]] core::result<void> set_last_id(std::string_view table, std::int64_t last) override;

  // For the database blob store (pg_blob_store.hpp), which moves message bytes of up to
  // tens of megabytes: one statement (with $n parameters) outside the statement cache,
  // every parameter and result column in binary, so bytes go from the caller's buffer
  // to libpq's and come back without hex text or a copy of ours. read gets the
  // successful result (valid during the call). A session lost while idle is
  // re-established first, as for every statement.
  [[nodiscard]] core::result<void> exec_binary(const char* sql, std::span<const std::string_view> params,
                                               const std::function<void(const pg_result&)>& read);

 private:
  class cursor;
  // One SQL text: its server-side prepared statement and the cursors that run it (the
  // first one, plus one more for each level of nested use).
  struct prepared {
    std::string statement_name;
    std::string text;          // with $n parameters
    std::string first_line;    // for messages
    int parameters = 0;
    std::uint64_t session = 0;  // the session it was prepared in (0: none yet)
    std::vector<std::unique_ptr<cursor>> cursors;
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  connection(pg_conn* conn, std::string name);  // in the .cpp, where `cursor` is complete

  // Before a statement: re-establishes a session lost while idle; fails when it was
  // lost inside a transaction.
  [[nodiscard]] core::result<void> ensure_session(std::string_view context);
  void read_pending_input();
  [[nodiscard]] core::result<void> ensure_prepared(prepared& p);
  // After a command: the transaction state, the error if any, and must_retry (which a
  // `statement` that succeeds clears; a PQprepare is none).
  [[nodiscard]] core::result<void> check(pg_result* res, std::string_view context, bool statement);
  [[nodiscard]] core::result<void> begin(std::string_view sql);

  pg_conn* conn_;
  std::string name_;
  std::uint64_t session_ = 1;
  std::uint64_t next_statement_ = 1;
  std::int64_t changes_ = 0;
  bool in_transaction_ = false;
  std::set<std::int64_t> announced_;  // accounts to notify at commit()
  bool must_retry_ = false;
  // Node-based: a cursor keeps a reference to its entry while the map grows.
  std::unordered_map<std::string, prepared, string_hash, std::equal_to<>> cache_;
};

}  // namespace letterhead::store::postgres
