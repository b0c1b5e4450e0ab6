#include "store/sqlite/connection.hpp"

#include <utility>

namespace letterhead::store::sqlite {

core::error make_error(sqlite3* db, int rc, std::string_view context) {
  std::string msg = "sqlite: ";
  msg += context;
  msg += ": ";
  // errmsg describes the most recent failure on this connection, which is this one:
  // each connection is used by one thread at a time.
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  core::errc code = core::errc::internal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      code = core::errc::unavailable;
      break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      code = core::errc::io;
      break;
    case SQLITE_CONSTRAINT:
      code = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? core::errc::exists
                 : core::errc::invalid;
      break;
    case SQLITE_TOOBIG:
      code = core::errc::limit;
      break;
    default:
      break;
  }
  return core::error{code, std::move(msg)};
}

void connection::stmt::release() noexcept {
  if (!cached_) {
    delete this;
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
  in_use = false;
}

void connection::stmt::note_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void connection::stmt::bind_i64(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
}

void connection::stmt::bind_text(int index, std::string_view value) {
  // SQLITE_TRANSIENT copies: the statement may outlive a temporary argument.
  note_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void connection::stmt::bind_bytes(int index, std::string_view value) {
  // A null pointer would bind SQL NULL: empty bytes are a zero-length blob.
  if (value.empty()) {
    note_bind(sqlite3_bind_zeroblob(stmt_, index, 0));
    return;
  }
  note_bind(sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT));
}

void connection::stmt::bind_null(int index) { note_bind(sqlite3_bind_null(stmt_, index)); }

core::result<bool> connection::stmt::step() {
  if (bind_rc_ != SQLITE_OK) return std::unexpected(make_error(db_, bind_rc_, "bind"));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(make_error(db_, rc, sqlite3_sql(stmt_)));
}

std::string connection::stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string connection::stmt::bytes(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

}  // namespace letterhead::store::sqlite
