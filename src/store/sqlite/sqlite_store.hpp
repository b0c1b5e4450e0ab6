#pragma once
// The embedded Store: the SQL store (store/sql/) on one SQLite file in WAL mode
// (<data_dir>/letterhead.db) with content-addressed blob files (<data_dir>/blobs/).

#include <cstddef>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sqlite {

inline constexpr const char* database_file = "letterhead.db";
inline constexpr const char* blob_dir = "blobs";

struct sqlite_options {
  std::filesystem::path data_dir;
  std::size_t max_group = 256;
  std::size_t max_readers = 16;
};

[[nodiscard]] core::result<std::unique_ptr<sql::sql_store>> open_store(const sqlite_options& options);

}  // namespace letterhead::store::sqlite
