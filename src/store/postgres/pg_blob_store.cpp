#include "store/postgres/pg_blob_store.hpp"

#include <array>
#include <ctime>

#include <libpq-fe.h>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/postgres/connection.hpp"

namespace letterhead::store::postgres {

namespace {

// The server's clock in whole seconds, the time a row is stored: one clock for every
// node, whatever their own clocks say.
#define LH_SERVER_NOW "CAST(floor(EXTRACT(EPOCH FROM statement_timestamp())) AS BIGINT)"

constexpr std::int64_t scan_page = 1000;

core::result<void> check_hash(std::string_view hash) {
  if (detail::is_blob_hash(hash)) return {};
  return core::fail(core::errc::invalid, "blob store: \"" + std::string(hash) + "\" is not a blob hash");
}

// int8 in PostgreSQL's binary format: 8 bytes, most significant first.
std::array<char, 8> int8_binary(std::int64_t value) {
  std::array<char, 8> out{};
  auto v = static_cast<std::uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::int64_t int8_value(const pg_result& res, int row, int col) {
  if (PQgetlength(&res, row, col) != 8) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(&res, row, col));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<std::int64_t>(v);
}

std::string_view bytes_at(const pg_result& res, int row, int col) {
  return {PQgetvalue(&res, row, col), static_cast<std::size_t>(PQgetlength(&res, row, col))};
}

sql::connection_factory factory(const std::string& conninfo, bool read_only, std::string_view server_options) {
  return [conninfo, read_only, settings = std::string(server_options)]()
             -> core::result<std::unique_ptr<sql::connection>> {
    STORE_TRY_ASSIGN(auto c, connection::open(conninfo, read_only, settings));
    return std::unique_ptr<sql::connection>(std::move(c));
  };
}

// Runs one statement on a connection of the pool.
core::result<void> run(sql::reader_pool& pool, const char* sql, std::span<const std::string_view> params,
                       const std::function<void(const pg_result&)>& read) {
  STORE_TRY_ASSIGN(auto lease, pool.acquire());
  return static_cast<connection&>(*lease).exec_binary(sql, params, read);
}

core::result<void> run(sql::reader_pool& pool, const char* sql, std::span<const std::string_view> params) {
  return run(pool, sql, params, [](const pg_result&) {});
}

core::result<void> read_only_fail() {
  return core::fail(core::errc::denied, "blob store: this database blob store was opened read-only");
}

}  // namespace

pg_blob_store::pg_blob_store(const std::string& conninfo, const options& o) {
  readers_ = std::make_unique<sql::reader_pool>(factory(conninfo, true, {}), std::max<std::size_t>(o.max_readers, 1));
  if (o.read_only) return;
  writers_ = std::make_unique<sql::reader_pool>(factory(conninfo, false, {}), std::max<std::size_t>(o.max_writers, 1));
  // See "Durability" in the header: these commits are flushed by the Store's next one.
  deferred_writers_ = std::make_unique<sql::reader_pool>(factory(conninfo, false, "-c synchronous_commit=off"),
                                                         std::max<std::size_t>(o.max_deferred_writers, 1));
}

core::result<std::unique_ptr<pg_blob_store>> pg_blob_store::open(const std::string& conninfo, const options& o) {
  std::unique_ptr<pg_blob_store> s(new pg_blob_store(conninfo, o));
  // A missing table (a schema before version 12) or an unreachable server shows here,
  // at open, rather than at the first delivery.
  STORE_TRY(run(*s->readers_, "SELECT 1 FROM blob_data LIMIT 1", {}));
  return s;
}

core::result<void> pg_blob_store::put_hashed(std::string_view hash, std::string_view bytes, durability when) {
  STORE_TRY(check_hash(hash));
  if (!writers_) return read_only_fail();
  const bool deferred = when == durability::deferred;
  auto& pool = deferred ? *deferred_writers_ : *writers_;
  const std::array<std::string_view, 1> key{hash};
  const auto refresh = int8_binary(refresh_after_seconds);

  if (bytes.size() >= look_first_bytes) {
    if (deferred) {
      // Stored and recent: nothing to send. Stored long ago: only `created` moves.
      bool present = false;
      bool stale = false;
      const std::array<std::string_view, 2> look{hash, std::string_view(refresh.data(), refresh.size())};
      STORE_TRY(run(*readers_, "SELECT created < " LH_SERVER_NOW " - $2 FROM blob_data WHERE hash = $1", look,
                    [&](const pg_result& res) {
                      present = PQntuples(&res) == 1;
                      // bool in binary: one byte, 0 or 1.
                      stale = present && PQgetlength(&res, 0, 0) == 1 && PQgetvalue(&res, 0, 0)[0] != 0;
                    }));
      if (present && !stale) return {};
    }
    // An update is a write: its synchronous commit also flushes the log up to it, so
    // a row that a deferred put committed before is durable too when this returns.
    bool touched = false;
    STORE_TRY(run(pool, "UPDATE blob_data SET created = " LH_SERVER_NOW " WHERE hash = $1 RETURNING 1", key,
                  [&](const pg_result& res) { touched = PQntuples(&res) == 1; }));
    if (touched) return {};
  }

  const auto size = int8_binary(static_cast<std::int64_t>(bytes.size()));
  // A durable put always writes (see above): it refreshes whatever the age. Concurrent
  // puts of the same bytes: the second waits for the first's row, then takes the
  // conflict branch.
  const auto after = deferred ? refresh : int8_binary(-1);
  const std::array<std::string_view, 4> params{hash, std::string_view(size.data(), size.size()), bytes,
                                               std::string_view(after.data(), after.size())};
  return run(pool,
             "INSERT INTO blob_data (hash, size, data, created) VALUES ($1, $2, $3, " LH_SERVER_NOW ")"
             " ON CONFLICT (hash) DO UPDATE SET created = excluded.created"
             " WHERE blob_data.created < excluded.created - $4",
             params);
}

core::result<std::string> pg_blob_store::get(std::string_view hash) const {
  STORE_TRY(check_hash(hash));
  const std::array<std::string_view, 1> key{hash};
  std::optional<std::string> out;
  STORE_TRY(run(*readers_, "SELECT data FROM blob_data WHERE hash = $1", key, [&](const pg_result& res) {
    if (PQntuples(&res) == 1) out.emplace(bytes_at(res, 0, 0));
  }));
  if (!out) return core::fail(core::errc::not_found, "blob " + std::string(hash) + " not found");
  return std::move(*out);
}

bool pg_blob_store::contains(std::string_view hash) const {
  auto n = size(hash);
  return n.has_value();
}

core::result<std::uint64_t> pg_blob_store::size(std::string_view hash) const {
  STORE_TRY(check_hash(hash));
  const std::array<std::string_view, 1> key{hash};
  std::optional<std::int64_t> out;
  // The writer thread asks this for every delivery: on the writers' pool where there
  // is one, so that it never queues behind large reads of IMAP clients.
  auto& pool = writers_ ? *writers_ : *readers_;
  STORE_TRY(run(pool, "SELECT size FROM blob_data WHERE hash = $1", key, [&](const pg_result& res) {
    if (PQntuples(&res) == 1) out = int8_value(res, 0, 0);
  }));
  if (!out) return core::fail(core::errc::not_found, "blob " + std::string(hash) + " not found");
  return static_cast<std::uint64_t>(*out);
}

core::result<void> pg_blob_store::remove(std::string_view hash) {
  STORE_TRY(check_hash(hash));
  if (!writers_) return read_only_fail();
  const std::array<std::string_view, 1> key{hash};
  return run(*deferred_writers_, "DELETE FROM blob_data WHERE hash = $1", key);
}

core::result<void> pg_blob_store::scan(const std::function<void(std::string_view hash, unix_time stored)>& fn,
                                       std::int64_t /*stale_age_seconds*/) {
  std::string after;
  const auto limit = int8_binary(scan_page);
  for (;;) {
    struct entry {
      std::string hash;
      std::int64_t age = 0;
    };
    std::vector<entry> page;
    const std::array<std::string_view, 2> params{after, std::string_view(limit.data(), limit.size())};
    // The page is read and the connection returned before fn runs: fn may hand the
    // hashes to the writer, whose removals need connections of this store.
    STORE_TRY(run(*readers_,
                  "SELECT d.hash, " LH_SERVER_NOW " - d.created FROM blob_data d WHERE d.hash > $1"
                  " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = d.hash) ORDER BY d.hash LIMIT $2",
                  params, [&](const pg_result& res) {
                    for (int row = 0; row < PQntuples(&res); ++row) {
                      page.push_back(entry{std::string(bytes_at(res, row, 0)), int8_value(res, row, 1)});
                    }
                  }));
    if (page.empty()) return {};
    const auto now = static_cast<unix_time>(::time(nullptr));
    for (const auto& e : page) fn(e.hash, now - e.age);
    if (page.size() < static_cast<std::size_t>(scan_page)) return {};
    after = page.back().hash;
  }
}

std::string pg_blob_store::location_of(std::string_view hash) const {
  return "the database's blob_data row " + std::string(hash);
}

}  // namespace letterhead::store::postgres
