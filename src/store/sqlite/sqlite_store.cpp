#include "store/sqlite/sqlite_store.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "store/blobs/fs_blob_store.hpp"
#include "store/detail/try.hpp"
#include "store/sql/migrate.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"

namespace letterhead::store::sqlite {

core::result<std::unique_ptr<sql::sql_store>> open_store(const sqlite_options& options) {
  const auto& dir = options.data_dir;
  if (dir.empty()) return core::fail(core::errc::invalid, "store: data_dir is not set");
  std::error_code ec;
  // A directory we create holds mail and password hashes: owner only.
  if (std::filesystem::create_directories(dir, ec) && !ec) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    return core::fail(core::errc::io, "store: cannot create data directory " + dir.string() + ": " + ec.message());
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return core::fail(core::errc::io, "store: data directory " + dir.string() + " is not writable: " +
                                          std::system_category().message(errno));
  }

  sql::backend b;
  STORE_TRY_ASSIGN(auto files, fs_blob_store::open(dir / blob_dir));
  b.blobs = std::make_unique<pinning_blob_store>(std::move(files));
  auto path = (dir / database_file).string();
  b.database = path;
  STORE_TRY_ASSIGN(auto writer, connection::open(path, connection_role::writer));
  STORE_TRY(sql::migrate(*writer, migrations()));
  b.writer = std::move(writer);
  b.open_reader = [path]() -> core::result<std::unique_ptr<sql::connection>> {
    STORE_TRY_ASSIGN(auto c, connection::open(path, connection_role::reader));
    return std::unique_ptr<sql::connection>(std::move(c));
  };
  b.max_group = options.max_group;
  b.max_readers = options.max_readers;
  return sql::sql_store::open(std::move(b));
}

}  // namespace letterhead::store::sqlite
