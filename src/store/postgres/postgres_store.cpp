#include "store/postgres/postgres_store.hpp"

#include <system_error>

#include "store/blobs/fs_blob_store.hpp"
#include "store/detail/try.hpp"
#include "store/postgres/change_listener.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_blob_store.hpp"
#include "store/postgres/schema.hpp"
#include "store/sql/migrate.hpp"

namespace letterhead::store::postgres {

core::result<std::unique_ptr<sql::sql_store>> open_store(const postgres_options& options) {
  if (options.conninfo.empty()) {
    return core::fail(core::errc::invalid, "store: backend \"postgres\" needs [store] url");
  }
  if (options.data_dir.empty()) return core::fail(core::errc::invalid, "store: data_dir is not set");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return core::fail(core::errc::io,
                      "store: cannot create data directory " + options.data_dir.string() + ": " + ec.message());
  }

  sql::backend b;
  if (!options.blobs_in_database) {
    STORE_TRY_ASSIGN(auto files, fs_blob_store::open(options.data_dir / "blobs"));
    b.blobs = std::make_unique<pinning_blob_store>(std::move(files));
  }
  STORE_TRY_ASSIGN(auto writer, connection::open(options.conninfo, false));
  b.database = writer->name();
  STORE_TRY(sql::migrate(*writer, migrations()));
  if (options.blobs_in_database) {
    // After the migration, which creates its table.
    STORE_TRY_ASSIGN(auto rows, pg_blob_store::open(options.conninfo));
    b.blobs = std::make_unique<pinning_blob_store>(std::move(rows));
  }
  b.writer = std::move(writer);
  b.open_reader = [conninfo = options.conninfo]() -> core::result<std::unique_ptr<sql::connection>> {
    STORE_TRY_ASSIGN(auto c, connection::open(conninfo, true));
    return std::unique_ptr<sql::connection>(std::move(c));
  };
  b.open_short_writer = [conninfo = options.conninfo]() -> core::result<std::unique_ptr<sql::connection>> {
    STORE_TRY_ASSIGN(auto c, connection::open(conninfo, false));
    return std::unique_ptr<sql::connection>(std::move(c));
  };
  b.max_group = options.max_group;
  b.max_readers = options.max_readers;
  STORE_TRY_ASSIGN(auto s, sql::sql_store::open(std::move(b)));
  try {
    auto* notifier = &s->notifier();
    s->attach(std::make_shared<change_listener>(
        options.conninfo, [notifier](std::int64_t account) { notifier->notify(account); }));
  } catch (const std::system_error& e) {
    return core::fail(core::errc::unavailable, std::string("store: cannot start the change listener: ") + e.what());
  }
  return s;
}

}  // namespace letterhead::store::postgres
