#pragma once
// The cluster Store: the SQL store (store/sql/) on PostgreSQL, so that several
// `letterhead serve` nodes share one database. Blobs are content-addressed files under
// <data_dir>/blobs, which every node must see (a shared filesystem), or rows of the
// database itself (pg_blob_store.hpp), as [store] blobs chooses.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::postgres {

struct postgres_options {
  std::string conninfo;  // libpq connection string or postgresql:// URI ([store] url)
  std::filesystem::path data_dir;
  bool blobs_in_database = false;  // [store] blobs = "database"
  std::size_t max_group = 256;
  std::size_t max_readers = 16;
};

[[nodiscard]] core::result<std::unique_ptr<sql::sql_store>> open_store(const postgres_options& options);

}  // namespace letterhead::store::postgres
