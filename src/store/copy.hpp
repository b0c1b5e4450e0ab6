#pragma once
// `letterhead store copy`: a whole installation from one configured store to another
// (SQLite <-> PostgreSQL, or the same kind elsewhere): the rows (sql/copy.hpp), the
// blob files when the data directories differ, and a verification of both. Resumable:
// run it again after an interruption. The source must not be in use meanwhile (stop
// `serve`): the copy reads one snapshot, and mail arriving later would not be in it.

#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/sql/copy.hpp"
#include "store/store.hpp"

namespace letterhead::store {

struct copy_report {
  std::vector<sql::table_check> tables;
  std::int64_t blobs_copied = 0;   // files written
  std::int64_t blobs_present = 0;  // files the target had already, with the right hash
  bool blobs_shared = false;       // both configs use the same blob directory
  std::string source;              // the database names (path, or conninfo without password)
  std::string target;
  [[nodiscard]] bool ok() const;
};

struct copy_settings {
  std::size_t batch_rows = 500;
  std::function<void(const std::string&)> progress;
};

// Opens the source read-only (it is not migrated: its version must be the target's),
// creates or migrates the target, then copies and verifies. An error means nothing
// was verified; a report whose ok() is false names the tables that differ.
[[nodiscard]] core::result<copy_report> copy_store(const store_options& from, const store_options& to,
                                                   const copy_settings& settings);

}  // namespace letterhead::store
