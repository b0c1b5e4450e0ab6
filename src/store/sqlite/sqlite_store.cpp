#include "store/sqlite/sqlite_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "store/detail/try.hpp"
#include "store/sqlite/migrations.hpp"

namespace letterhead::store::sqlite {

core::result<std::unique_ptr<sqlite_store>> sqlite_store::open(const sqlite_options& options) {
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

  std::unique_ptr<sqlite_store> s(new sqlite_store());
  s->db_path_ = dir / database_file;
  STORE_TRY_ASSIGN(auto files, fs_blob_store::open(dir / blob_dir));
  s->blobs_ = std::make_unique<pinning_blob_store>(std::move(files));

  STORE_TRY_ASSIGN(auto writer, connection::open(s->db_path_.string(), connection_role::writer));
  STORE_TRY(migrate(*writer));
  s->readers_ = std::make_unique<reader_pool>(s->db_path_.string(), std::max<std::size_t>(options.max_readers, 1));
  auto* self = s.get();
  try {
    s->writer_ = std::make_unique<group_commit>(
        std::move(writer), [self](connection& db, const write_effects& e) { self->after_commit(db, e); },
        options.max_group, [self]() { return self->blobs_->sync_deferred(); });
  } catch (const std::system_error& e) {  // std::thread could not start
    return core::fail(core::errc::unavailable, std::string("store: cannot start the writer thread: ") + e.what());
  }
  return s;
}

sqlite_store::~sqlite_store() {
  // The writer drains its queue and joins first: its after-commit work uses blobs_.
  writer_.reset();
  readers_.reset();
}

void sqlite_store::after_commit(connection& db, const write_effects& effects) {
  blobs_->unpin(effects.referenced_blobs);
  auto released = effects.released_blobs;
  std::sort(released.begin(), released.end());
  released.erase(std::unique(released.begin(), released.end()), released.end());
  for (const auto& hash : released) {
    // A later request of the same group may have referenced the blob again. Only the
    // writer changes counts, so what it reads here cannot change under it.
    auto st = db.query("SELECT 1 FROM blobs WHERE hash = ?", hash);
    if (!st) continue;
    auto row = st->step();
    if (!row || *row) continue;
    // A failure leaves an orphan file, which the sweep removes later: never an error
    // for callers whose rows are committed already.
    (void)blobs_->remove_unless_pinned(hash);
  }
}

core::result<void> sqlite_store::exec_on_writer(std::string_view sql) {
  return write([&](write_context& ctx) { return ctx.db.exec(sql); });
}

}  // namespace letterhead::store::sqlite
