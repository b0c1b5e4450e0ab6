#include "store/sql/sql_store.hpp"

#include <algorithm>
#include <system_error>

namespace letterhead::store::sql {

core::result<std::unique_ptr<sql_store>> sql_store::open(backend b) {
  std::unique_ptr<sql_store> s(new sql_store());
  s->database_ = std::move(b.database);
  s->blobs_ = std::move(b.blobs);
  s->readers_ = std::make_unique<reader_pool>(std::move(b.open_reader), std::max<std::size_t>(b.max_readers, 1));
  if (b.open_short_writer) {
    s->short_writers_ =
        std::make_unique<reader_pool>(std::move(b.open_short_writer), std::max<std::size_t>(b.max_short_writers, 1));
  }
  auto* self = s.get();
  try {
    s->writer_ = std::make_unique<group_commit>(
        std::move(b.writer), [self](connection& db, const write_effects& e) { self->after_commit(db, e); },
        b.max_group, [self]() { return self->blobs_->sync_deferred(); });
  } catch (const std::system_error& e) {  // std::thread could not start
    return core::fail(core::errc::unavailable, std::string("store: cannot start the writer thread: ") + e.what());
  }
  return s;
}

sql_store::~sql_store() {
  companions_.clear();
  // The writer drains its queue and joins first: its after-commit work uses blobs_.
  writer_.reset();
  short_writers_.reset();
  readers_.reset();
}

void sql_store::after_commit(connection& db, const write_effects& effects) {
  blobs_->unpin(effects.referenced_blobs);
  auto released = effects.released_blobs;
  std::sort(released.begin(), released.end());
  released.erase(std::unique(released.begin(), released.end()), released.end());
  if (released.empty()) return;
  // A failure anywhere here leaves orphan files, which the sweep removes later: never
  // an error for callers whose rows are committed already.
  // A plain BEGIN: SQLite reads without taking the write lock (only this writer changes
  // counts); PostgreSQL reads at READ COMMITTED, so each SELECT below sees what other
  // nodes committed before it got the blob's lock, not a snapshot from before.
  if (!db.exec("BEGIN")) return;
  for (const auto& hash : released) {
    // Another node recording a reference holds the blob's lock until it commits; in
    // sorted order, so two removers cannot deadlock.
    if (!db.lock_blob(hash, true)) break;
    // A later request of the same group, or another node, may have referenced the
    // blob again.
    auto st = db.query("SELECT 1 FROM blobs WHERE hash = ?", hash);
    if (!st) break;
    auto row = st->step();
    if (!row) break;
    if (*row) continue;
    (void)blobs_->remove_unless_pinned(hash);
  }
  if (db.in_transaction()) (void)db.exec("COMMIT");
  if (db.in_transaction()) (void)db.exec("ROLLBACK");
}

core::result<void> sql_store::exec_on_writer(std::string_view sql) {
  return write([&](write_context& ctx) { return ctx.db.exec(sql); });
}

}  // namespace letterhead::store::sql
