#include "store/sql/copy.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "store/detail/try.hpp"

namespace letterhead::store::sql {

namespace {

// store_counters names the marker of an unfinished copy; its value is the source's id.
constexpr std::string_view marker_name = "copy_source";
constexpr std::string_view counters_table = "store_counters";
// The migrations' own bookkeeping: compared, not copied.
constexpr std::string_view version_table = "schema_version";
// The bytes of [store] blobs = "database": copied by store/copy.cpp from blob store to
// blob store (whichever each side uses) and checked by hash there, so not a table of
// rows here; on a side with blob files it is empty.
constexpr std::string_view blob_data_table = "blob_data";

struct value {
  value_kind kind = value_kind::null;
  std::int64_t integer = 0;
  std::string bytes;
};
using row = std::vector<value>;

std::string quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty()) out += ", ";
    out += quote(c);
  }
  return out;
}

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

void bind_value(statement& st, int index, const value& v) {
  switch (v.kind) {
    case value_kind::null:
      st.bind(index, std::nullopt);
      break;
    case value_kind::integer:
      st.bind(index, v.integer);
      break;
    case value_kind::text:
      st.bind(index, std::string_view(v.bytes));
      break;
    case value_kind::bytes:
      st.bind(index, bytes_view{v.bytes});
      break;
  }
}

value read_value(const statement& st, int col) {
  value v;
  v.kind = st.kind(col);
  if (v.kind == value_kind::integer) v.integer = st.i64(col);
  if (v.kind == value_kind::text) v.bytes = st.text(col);
  if (v.kind == value_kind::bytes) v.bytes = st.bytes(col);
  return v;
}

// One table as both sides copy it: the source's columns, and the key rows are paged by
// (the primary key, or every column for a table without one).
struct table_plan {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::size_t> key;  // positions in columns
  // Columns whose foreign key names the table itself (departments.parent_id), when
  // the key is one column: a value not below the row's own key names a row not
  // copied yet, so it is written as NULL first and set by fix_forward_references.
  std::vector<std::size_t> self_references;
  bool has_id = false;
};

// The plan's rows in key order after `after` (none: from the start), at most `limit`.
core::result<std::vector<row>> read_page(connection& db, const table_plan& t, const std::optional<row>& after,
                                         std::size_t limit) {
  std::vector<std::string> key_columns;
  for (auto k : t.key) key_columns.push_back(t.columns[k]);
  std::string sql = "SELECT " + column_list(t.columns) + " FROM " + quote(t.name);
  std::vector<std::string> conditions;
  if (t.name == counters_table) conditions.push_back("name <> '" + std::string(marker_name) + "'");
  if (after) {
    if (key_columns.size() == 1) {
      conditions.push_back(quote(key_columns[0]) + " > ?");
    } else {
      conditions.push_back("(" + column_list(key_columns) + ") > (" + placeholders(key_columns.size()) + ")");
    }
  }
  for (std::size_t i = 0; i < conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  sql += " ORDER BY " + column_list(key_columns) + " LIMIT ?";
  STORE_TRY_ASSIGN(auto st, db.prepare(sql));
  int index = 1;
  if (after) {
    for (const auto& v : *after) bind_value(st, index++, v);
  }
  st.bind(index, static_cast<std::int64_t>(limit));
  std::vector<row> rows;
  for (;;) {
    STORE_TRY_ASSIGN(bool more, st.step());
    if (!more) break;
    row r;
    r.reserve(t.columns.size());
    for (std::size_t c = 0; c < t.columns.size(); ++c) r.push_back(read_value(st, static_cast<int>(c)));
    rows.push_back(std::move(r));
  }
  return rows;
}

row key_of(const table_plan& t, const row& r) {
  row k;
  for (auto i : t.key) k.push_back(r[i]);
  return k;
}

core::result<std::int64_t> count_rows(connection& db, const table_plan& t) {
  std::string sql = "SELECT count(*) FROM " + quote(t.name);
  if (t.name == counters_table) sql += " WHERE name <> '" + std::string(marker_name) + "'";
  return db.run_returning(sql);
}

core::result<int> schema_version(connection& db) {
  STORE_TRY_ASSIGN(std::int64_t v, db.run_returning("SELECT coalesce(max(version), 0) FROM schema_version"));
  return static_cast<int>(v);
}

core::result<std::optional<std::int64_t>> marker(connection& db) {
  STORE_TRY_ASSIGN(auto st, db.query("SELECT value FROM store_counters WHERE name = ?", marker_name));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return std::nullopt;
  return st.i64(0);
}

// The source's tables in foreign-key order (a table after those it references), each
// checked against the target's.
core::result<std::vector<table_plan>> plan(connection& source, connection& target) {
  STORE_TRY_ASSIGN(auto from, source.describe_tables());
  STORE_TRY_ASSIGN(auto to, target.describe_tables());
  std::map<std::string, std::set<std::string>> target_columns;
  for (const auto& t : to) target_columns[t.name] = std::set<std::string>(t.columns.begin(), t.columns.end());

  std::map<std::string, table_info> pending;
  for (auto& t : from) {
    if (t.name == version_table || t.name == blob_data_table) continue;
    auto it = target_columns.find(t.name);
    if (it == target_columns.end() || it->second != std::set<std::string>(t.columns.begin(), t.columns.end())) {
      return core::fail(core::errc::invalid, "store copy: table " + t.name +
                                                 " differs between source and target (not the same schema)");
    }
    pending.emplace(t.name, std::move(t));
  }
  std::vector<table_plan> order;
  std::set<std::string> done;
  while (!pending.empty()) {
    bool progressed = false;
    for (auto it = pending.begin(); it != pending.end();) {
      const auto& t = it->second;
      bool ready = std::ranges::all_of(t.references, [&](const std::string& r) {
        return r == t.name || done.contains(r) || !pending.contains(r);
      });
      if (!ready) {
        ++it;
        continue;
      }
      table_plan p;
      p.name = t.name;
      p.columns = t.columns;
      const auto& key = t.primary_key.empty() ? t.columns : t.primary_key;
      for (const auto& k : key) {
        auto pos = std::ranges::find(p.columns, k);
        if (pos == p.columns.end()) return core::fail(core::errc::internal, "store copy: key column " + k);
        p.key.push_back(static_cast<std::size_t>(pos - p.columns.begin()));
      }
      // An id counter goes with an `id` primary key (mta_sts_policies.id is a text column).
      p.has_id = t.primary_key == std::vector<std::string>{"id"};
      for (const auto& c : t.self_references) {
        auto pos = std::ranges::find(p.columns, c);
        if (pos != p.columns.end() && p.key.size() == 1) {
          p.self_references.push_back(static_cast<std::size_t>(pos - p.columns.begin()));
        }
      }
      order.push_back(std::move(p));
      done.insert(it->first);
      it = pending.erase(it);
      progressed = true;
    }
    if (!progressed) {
      return core::fail(core::errc::internal,
                        "store copy: the foreign keys of " + pending.begin()->first + " form a cycle");
    }
  }
  return order;
}

core::result<void> commit_or_rollback(connection& db, core::result<void> r) {
  if (r) r = db.exec("COMMIT");
  if (!r && db.in_transaction()) (void)db.exec("ROLLBACK");
  return r;
}

core::result<void> end_read(connection& db, core::result<void> r) {
  if (db.in_transaction()) (void)db.exec("ROLLBACK");
  return r;
}

class sha256 {
 public:
  sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    std::string out;
    for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
  }

 private:
  struct free_ctx {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, free_ctx> ctx_;
};

// A value's canonical encoding: a kind letter, then 8 big-endian bytes of an integer
// or of a length followed by the bytes. Text and bytes are one kind, because a column
// is TEXT or BLOB/bytea by the backend's choice, not the value's.
void hash_value(sha256& h, const value& v) {
  auto be64 = [&](std::uint64_t n) {
    char b[8];
    for (int i = 7; i >= 0; --i, n >>= 8) b[i] = static_cast<char>(n & 0xff);
    h.update(std::string_view(b, 8));
  };
  switch (v.kind) {
    case value_kind::null:
      h.update("N");
      break;
    case value_kind::integer:
      h.update("I");
      be64(static_cast<std::uint64_t>(v.integer));
      break;
    case value_kind::text:
    case value_kind::bytes:
      h.update("S");
      be64(v.bytes.size());
      h.update(v.bytes);
      break;
  }
}

struct digest {
  std::int64_t rows = 0;
  std::string sha256;
};

core::result<digest> digest_table(connection& db, const table_plan& t, std::size_t batch) {
  sha256 h;
  digest d;
  std::optional<row> after;
  for (;;) {
    STORE_TRY_ASSIGN(auto rows, read_page(db, t, after, batch));
    if (rows.empty()) break;
    for (const auto& r : rows) {
      for (const auto& v : r) hash_value(h, v);
    }
    d.rows += static_cast<std::int64_t>(rows.size());
    after = key_of(t, rows.back());
  }
  d.sha256 = h.hex();
  return d;
}

bool forward_reference(const table_plan& t, const row& r, std::size_t c) {
  if (std::ranges::find(t.self_references, c) == t.self_references.end()) return false;
  const auto& self = r[t.key[0]];
  return r[c].kind == value_kind::integer && self.kind == value_kind::integer && r[c].integer >= self.integer;
}

// Sets the self-references written as NULL, from the source's rows (all of them, so
// that a resumed copy sets those of the batches an interrupted run wrote).
core::result<void> fix_forward_references(connection& source, connection& target, const table_plan& t) {
  const auto& key = quote(t.columns[t.key[0]]);
  for (auto c : t.self_references) {
    const auto& column = quote(t.columns[c]);
    std::vector<std::pair<std::int64_t, std::int64_t>> updates;
    {
      STORE_TRY_ASSIGN(auto st, source.prepare("SELECT " + key + ", " + column + " FROM " + quote(t.name) +
                                               " WHERE " + column + " >= " + key));
      for (;;) {
        STORE_TRY_ASSIGN(bool more, st.step());
        if (!more) break;
        updates.emplace_back(st.i64(0), st.i64(1));
      }
    }
    if (updates.empty()) continue;
    STORE_TRY(target.begin_write());
    auto r = [&]() -> core::result<void> {
      for (const auto& [id, ref] : updates) {
        STORE_TRY(target.run("UPDATE " + quote(t.name) + " SET " + column + " = ? WHERE " + key + " = ?", ref, id));
      }
      return {};
    }();
    STORE_TRY(commit_or_rollback(target, std::move(r)));
  }
  return {};
}

core::result<void> copy_table(connection& source, connection& target, const table_plan& t,
                              const copy_options& options) {
  // The largest key already there: every batch before it committed whole.
  std::optional<row> after;
  bool counters = t.name == counters_table;
  if (!counters) {
    std::vector<std::string> key_columns;
    for (auto k : t.key) key_columns.push_back(t.columns[k]);
    std::string desc;
    for (const auto& k : key_columns) desc += (desc.empty() ? "" : ", ") + quote(k) + " DESC";
    STORE_TRY_ASSIGN(auto st, target.prepare("SELECT " + column_list(key_columns) + " FROM " + quote(t.name) +
                                             " ORDER BY " + desc + " LIMIT 1"));
    STORE_TRY_ASSIGN(bool present, st.step());
    if (present) {
      row k;
      for (std::size_t i = 0; i < key_columns.size(); ++i) k.push_back(read_value(st, static_cast<int>(i)));
      after = std::move(k);
    }
  }
  STORE_TRY_ASSIGN(std::int64_t total, count_rows(source, t));
  STORE_TRY_ASSIGN(std::int64_t copied, count_rows(target, t));
  if (counters) copied = 0;

  // store_counters holds the target's own 'uidvalidity' row from its migration: the
  // source's value replaces it.
  std::string insert = "INSERT INTO " + quote(t.name) + " (" + column_list(t.columns) + ") VALUES (" +
                       placeholders(t.columns.size()) + ") ON CONFLICT ";
  if (counters) {
    insert += "(" + quote(t.columns[t.key[0]]) + ") DO UPDATE SET ";
    bool first = true;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (c == t.key[0]) continue;
      insert += (first ? "" : ", ") + quote(t.columns[c]) + " = excluded." + quote(t.columns[c]);
      first = false;
    }
  } else {
    insert += "DO NOTHING";
  }

  if (options.progress && after) {
    options.progress(fmt::format("{}: resuming after {} of {} rows", t.name, copied, total));
  }
  for (;;) {
    STORE_TRY_ASSIGN(auto rows, read_page(source, t, after, options.batch_rows));
    if (rows.empty()) break;
    STORE_TRY(target.begin_write());
    auto written = [&]() -> core::result<void> {
      for (const auto& r : rows) {
        STORE_TRY_ASSIGN(auto st, target.prepare(insert));
        for (std::size_t c = 0; c < r.size(); ++c) {
          bind_value(st, static_cast<int>(c + 1), forward_reference(t, r, c) ? value{} : r[c]);
        }
        STORE_TRY(st.finish());
      }
      return {};
    }();
    STORE_TRY(commit_or_rollback(target, std::move(written)));
    copied += static_cast<std::int64_t>(rows.size());
    after = key_of(t, rows.back());
    if (options.progress) options.progress(fmt::format("{}: {}/{} rows", t.name, copied, total));
  }
  return fix_forward_references(source, target, t);
}

core::result<void> copy_counters(connection& source, connection& target, const std::vector<table_plan>& tables) {
  STORE_TRY(target.begin_write());
  auto r = [&]() -> core::result<void> {
    for (const auto& t : tables) {
      if (!t.has_id) continue;
      STORE_TRY_ASSIGN(auto from, source.last_id(t.name));
      STORE_TRY_ASSIGN(std::int64_t top, target.run_returning("SELECT coalesce(max(id), 0) FROM " + quote(t.name)));
      STORE_TRY(target.set_last_id(t.name, std::max(from.value_or(0), top)));
    }
    return {};
  }();
  return commit_or_rollback(target, std::move(r));
}

}  // namespace

core::result<void> begin_copy(connection& source, connection& target, const copy_options& options) {
  STORE_TRY_ASSIGN(int from, schema_version(source));
  STORE_TRY_ASSIGN(int to, schema_version(target));
  if (from != to) {
    return core::fail(core::errc::invalid,
                      fmt::format("store copy: the source is at schema version {} and the target at {}; run any "
                                  "letterhead command with the source's config to bring it to {}",
                                  from, to, to));
  }
  STORE_TRY_ASSIGN(auto source_marker, marker(source));
  if (source_marker) {
    return core::fail(core::errc::invalid,
                      "store copy: the source is itself an unfinished copy (store_counters holds copy_source)");
  }
  STORE_TRY_ASSIGN(auto target_marker, marker(target));
  if (target_marker) {
    if (*target_marker == options.source_id) return {};
    return core::fail(core::errc::invalid,
                      "store copy: the target holds an unfinished copy from another source; empty it first");
  }
  STORE_TRY_ASSIGN(auto tables, target.describe_tables());
  for (const auto& t : tables) {
    if (t.name == version_table) continue;
    std::string sql = "SELECT count(*) FROM " + quote(t.name);
    if (t.name == counters_table) sql += " WHERE name <> 'uidvalidity'";
    STORE_TRY_ASSIGN(std::int64_t n, target.run_returning(sql));
    if (n != 0) {
      return core::fail(core::errc::invalid, fmt::format("store copy: the target is not empty ({} holds {} rows); "
                                                         "copy only into a new installation",
                                                         t.name, n));
    }
  }
  STORE_TRY(target.begin_write());
  return commit_or_rollback(
      target, target.run("INSERT INTO store_counters (name, value) VALUES (?, ?)", marker_name, options.source_id));
}

core::result<void> copy_tables(connection& source, connection& target, const copy_options& options) {
  STORE_TRY_ASSIGN(auto tables, plan(source, target));
  // One snapshot of the source for the whole copy.
  STORE_TRY(source.begin_read());
  auto r = [&]() -> core::result<void> {
    for (const auto& t : tables) STORE_TRY(copy_table(source, target, t, options));
    return copy_counters(source, target, tables);
  }();
  return end_read(source, std::move(r));
}

core::result<std::vector<table_check>> verify_copy(connection& source, connection& target,
                                                   const copy_options& options) {
  STORE_TRY_ASSIGN(auto tables, plan(source, target));
  std::vector<table_check> checks;
  STORE_TRY(source.begin_read());
  auto r = target.begin_read();
  if (!r) {
    (void)end_read(source, {});
    return std::unexpected(r.error());
  }
  r = [&]() -> core::result<void> {
    for (const auto& t : tables) {
      STORE_TRY_ASSIGN(auto a, digest_table(source, t, options.batch_rows));
      STORE_TRY_ASSIGN(auto b, digest_table(target, t, options.batch_rows));
      checks.push_back(table_check{.table = t.name,
                                   .source_rows = a.rows,
                                   .target_rows = b.rows,
                                   .source_sha256 = std::move(a.sha256),
                                   .target_sha256 = std::move(b.sha256)});
    }
    return {};
  }();
  r = end_read(target, std::move(r));
  STORE_TRY(end_read(source, std::move(r)));
  return checks;
}

core::result<void> end_copy(connection& target) {
  STORE_TRY(target.begin_write());
  return commit_or_rollback(target, target.run("DELETE FROM store_counters WHERE name = ?", marker_name));
}

}  // namespace letterhead::store::sql
