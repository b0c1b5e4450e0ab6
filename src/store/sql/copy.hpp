#pragma once
// Copying a whole store from one database to another (SQLite <-> PostgreSQL), table by
// table over the driver interface, for `letterhead store copy` (store/copy.hpp does
// the blobs and the opening). See store/README.md "Copying a store".
//
// - Both databases must be at the same schema version.
// - The target must be empty (as migrated) or a copy from the same source that was
//   interrupted: `begin_copy` writes a marker row in store_counters first, and only a
//   target holding the same marker is resumed. `end_copy` removes it once verified.
// - Tables go in foreign-key order, rows in primary-key order, with their ids, in
//   batches of one target transaction each (`INSERT ... ON CONFLICT DO NOTHING`). Since
//   every batch commits whole and in key order, the target holds a prefix of each
//   table: a rerun starts after the largest key present there, without reading the
//   rows before it again.
// - Id counters (sqlite_sequence, identity sequences) are then set to the source's, or
//   past the largest id copied, whichever is larger, so that no id is handed out twice.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/sql/driver.hpp"

namespace letterhead::store::sql {

struct copy_options {
  std::size_t batch_rows = 500;
  // Identifies the source in the target's marker (any value other than 0).
  std::int64_t source_id = 1;
  // One line of progress (no newline).
  std::function<void(const std::string&)> progress;
};

// Refuses (errc::invalid) different schema versions, a target that holds other data
// or another source's unfinished copy, and a source that is itself an unfinished copy;
// else marks the target.
[[nodiscard]] core::result<void> begin_copy(connection& source, connection& target, const copy_options& options);

// Copies every table's rows, then the id counters. Resumes what a run before left.
[[nodiscard]] core::result<void> copy_tables(connection& source, connection& target, const copy_options& options);

struct table_check {
  std::string table;
  std::int64_t source_rows = 0;
  std::int64_t target_rows = 0;
  std::string source_sha256;  // over the rows in key order, each value as kind + bytes
  std::string target_sha256;
  [[nodiscard]] bool ok() const { return source_rows == target_rows && source_sha256 == target_sha256; }
};

// Counts and hashes every table on both sides (the marker row left out).
[[nodiscard]] core::result<std::vector<table_check>> verify_copy(connection& source, connection& target,
                                                                 const copy_options& options);

// Removes the marker: the target is now an installation of its own.
[[nodiscard]] core::result<void> end_copy(connection& target);

}  // namespace letterhead::store::sql
