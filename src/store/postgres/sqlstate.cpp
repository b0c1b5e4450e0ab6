#include "store/postgres/sqlstate.hpp"

namespace letterhead::store::postgres {

bool must_retry_sqlstate(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";  // serialization_failure, deadlock_detected
}

core::errc errc_for_sqlstate(std::string_view sqlstate) {
  using core::errc;
  if (sqlstate.size() != 5) return errc::internal;
  if (sqlstate == "23505") return errc::exists;  // unique_violation
  if (must_retry_sqlstate(sqlstate)) return errc::unavailable;
  std::string_view klass = sqlstate.substr(0, 2);
  if (klass == "23") return errc::invalid;  // other integrity constraints: foreign key, check, not null
  if (klass == "22") return errc::invalid;  // data exception: bad encoding, value out of range
  // Connection exception, insufficient resources (disk full, out of memory, too many
  // connections), the server shutting down or restarting: a later attempt may work.
  if (klass == "08" || klass == "53" || sqlstate.starts_with("57P0")) return errc::unavailable;
  if (sqlstate == "55P03") return errc::unavailable;  // lock_not_available (lock_timeout)
  if (sqlstate == "57014") return errc::unavailable;  // query_canceled (statement_timeout)
  if (klass == "54") return errc::limit;              // program limit exceeded
  if (sqlstate == "58030") return errc::io;           // io_error, as SQLite's SQLITE_IOERR
  return errc::internal;
}

}  // namespace letterhead::store::postgres
