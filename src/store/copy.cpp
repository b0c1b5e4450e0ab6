#include "store/copy.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

#include <fmt/format.h>

#include "store/blobs/fs_blob_store.hpp"
#include "store/detail/try.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/pg_blob_store.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace letterhead::store {

namespace {

bool is_postgres(const store_options& o) { return o.backend == "postgres" || o.backend == "postgresql"; }

// A connection of the store's own driver. The source's is read-only (SQLite
// query_only, PostgreSQL default_transaction_read_only), so the copy cannot change it.
core::result<std::unique_ptr<sql::connection>> connect(const store_options& o, bool read_only) {
  if (is_postgres(o)) {
    STORE_TRY_ASSIGN(auto c, postgres::connection::open(o.url, read_only));
    return std::unique_ptr<sql::connection>(std::move(c));
  }
  auto path = std::filesystem::path(o.data_dir) / sqlite::database_file;
  if (read_only && !std::filesystem::exists(path)) {
    return core::fail(core::errc::not_found, "store copy: no SQLite store at " + path.string());
  }
  STORE_TRY_ASSIGN(auto c, sqlite::connection::open(
                               path.string(), read_only ? sqlite::connection_role::reader
                                                        : sqlite::connection_role::writer));
  return std::unique_ptr<sql::connection>(std::move(c));
}

// The source's 64-bit id in the target's marker: its database's name and blob
// directory, so that only a copy from the same place is resumed.
std::int64_t source_id(const sql::connection& db, const store_options& o) {
  auto hex = sha256_hex(db.name() + '\n' + o.data_dir);
  return static_cast<std::int64_t>(std::stoull(hex.substr(0, 15), nullptr, 16)) + 1;
}

bool same_directory(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  bool same = std::filesystem::equivalent(a, b, ec);
  return !ec && same;
}

bool blobs_in_database(const store_options& o) { return o.blobs == "database"; }

// Where the store's blob bytes live: its blob directory, or its database's blob_data
// table (opened read-only for the source).
core::result<std::unique_ptr<raw_blob_store>> open_blobs(const store_options& o, bool read_only) {
  if (blobs_in_database(o)) {
    if (!is_postgres(o)) {
      return core::fail(core::errc::invalid, "store copy: [store] blobs = \"database\" needs backend \"postgres\"");
    }
    STORE_TRY_ASSIGN(auto rows, postgres::pg_blob_store::open(o.url, {.read_only = read_only}));
    return std::unique_ptr<raw_blob_store>(std::move(rows));
  }
  STORE_TRY_ASSIGN(auto files, fs_blob_store::open(std::filesystem::path(o.data_dir) / sqlite::blob_dir));
  return std::unique_ptr<raw_blob_store>(std::move(files));
}

// Every blob the source's `blobs` table names, read and hashed, written to the target
// unless it holds the right content already.
core::result<void> copy_blobs(sql::connection& source, raw_blob_store& from, raw_blob_store& to,
                              copy_report& report, const copy_settings& settings) {
  STORE_TRY_ASSIGN(std::int64_t total, source.run_returning("SELECT count(*) FROM blobs"));
  std::string after;
  std::int64_t done = 0;
  for (;;) {
    std::vector<std::string> hashes;
    {
      STORE_TRY_ASSIGN(auto st, source.query("SELECT hash FROM blobs WHERE hash > ? ORDER BY hash LIMIT ?", after,
                                             static_cast<std::int64_t>(settings.batch_rows)));
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        hashes.push_back(st.text(0));
      }
    }
    if (hashes.empty()) break;
    for (const auto& hash : hashes) {
      if (to.contains(hash)) {
        auto there = to.get(hash);
        if (there && sha256_hex(*there) == hash) {
          ++report.blobs_present;
          continue;
        }
        STORE_TRY(to.remove(hash));  // damaged: written again below
      }
      STORE_TRY_ASSIGN(auto bytes, from.get(hash));
      if (sha256_hex(bytes) != hash) {
        return core::fail(core::errc::io, "store copy: the source's blob " + from.location_of(hash) +
                                              " does not match its name (damaged)");
      }
      STORE_TRY(to.put_hashed(hash, bytes, raw_blob_store::durability::deferred));
      ++report.blobs_copied;
    }
    // Durable before the rows that name them are committed (in the database: flushed
    // by the synchronous commits of those rows, which come later in its log).
    STORE_TRY(to.sync_deferred());
    done += static_cast<std::int64_t>(hashes.size());
    after = hashes.back();
    if (settings.progress) settings.progress(fmt::format("blobs: {}/{}", done, total));
  }
  return {};
}

// Every blob the target's `blobs` table names is in its blob store, with that size:
// the rows copied never name bytes that are not there.
core::result<void> check_blobs(sql::connection& target, raw_blob_store& blobs) {
  STORE_TRY(target.begin_read());
  auto r = [&]() -> core::result<void> {
    STORE_TRY_ASSIGN(auto st, target.query("SELECT hash, size FROM blobs ORDER BY hash"));
    std::int64_t missing = 0;
    std::string first;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      auto hash = st.text(0);
      auto size = blobs.size(hash);
      if (size && *size == static_cast<std::uint64_t>(st.i64(1))) continue;
      if (missing++ == 0) first = blobs.location_of(hash);
    }
    if (missing == 0) return {};
    return core::fail(core::errc::io, fmt::format("store copy: {} blobs that the target's rows name are missing or "
                                                  "of the wrong size in its blob store (first: {})",
                                                  missing, first));
  }();
  (void)target.exec("ROLLBACK");
  return r;
}

}  // namespace

bool copy_report::ok() const {
  return std::ranges::all_of(tables, [](const sql::table_check& t) { return t.ok(); });
}

core::result<copy_report> copy_store(const store_options& from, const store_options& to,
                                     const copy_settings& settings) {
  if (is_postgres(from) == is_postgres(to) &&
      (is_postgres(from) ? from.url == to.url : same_directory(from.data_dir, to.data_dir))) {
    return core::fail(core::errc::invalid, "store copy: the source and the target are the same store");
  }
  STORE_TRY_ASSIGN(auto source, connect(from, true));
  // Creates the target's schema (or migrates it) as every command does.
  {
    STORE_TRY_ASSIGN(auto created, open(to));
  }
  STORE_TRY_ASSIGN(auto target, connect(to, false));

  copy_report report;
  report.source = source->name();
  report.target = target->name();
  sql::copy_options options;
  options.batch_rows = settings.batch_rows;
  options.source_id = source_id(*source, from);
  options.progress = settings.progress;
  STORE_TRY(sql::begin_copy(*source, *target, options));

  report.blobs_shared = !blobs_in_database(from) && !blobs_in_database(to) &&
                        same_directory(std::filesystem::path(from.data_dir) / sqlite::blob_dir,
                                       std::filesystem::path(to.data_dir) / sqlite::blob_dir);
  if (!report.blobs_shared) {
    STORE_TRY_ASSIGN(auto source_blobs, open_blobs(from, true));
    STORE_TRY_ASSIGN(auto target_blobs, open_blobs(to, false));
    STORE_TRY(source->begin_read());
    auto copied = copy_blobs(*source, *source_blobs, *target_blobs, report, settings);
    (void)source->exec("ROLLBACK");
    STORE_TRY(std::move(copied));
  }

  STORE_TRY(sql::copy_tables(*source, *target, options));
  if (settings.progress) settings.progress("verifying");
  STORE_TRY_ASSIGN(report.tables, sql::verify_copy(*source, *target, options));
  if (!report.blobs_shared) {
    if (settings.progress) settings.progress("checking the target's blobs");
    STORE_TRY_ASSIGN(auto target_blobs, open_blobs(to, false));
    STORE_TRY(check_blobs(*target, *target_blobs));
  }
  if (report.ok()) STORE_TRY(sql::end_copy(*target));
  return report;
}

}  // namespace letterhead::store
