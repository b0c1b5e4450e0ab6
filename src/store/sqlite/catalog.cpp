// The SQLite driver's catalog hooks (sql/driver.hpp): tables, columns and keys from
// sqlite_schema and the table-valued pragmas, and the AUTOINCREMENT counters in
// sqlite_sequence.

#include <algorithm>

#include "store/detail/try.hpp"
#include "store/sql/first_column.hpp"
#include "store/sqlite/connection.hpp"

namespace letterhead::store::sqlite {

sql::value_kind connection::stmt::kind(int col) const {
  switch (sqlite3_column_type(stmt_, col)) {
    case SQLITE_NULL:
      return sql::value_kind::null;
    case SQLITE_INTEGER:
      return sql::value_kind::integer;
    case SQLITE_BLOB:
      return sql::value_kind::bytes;
    default:
      // TEXT, and REAL (which no schema version uses) as its text.
      return sql::value_kind::text;
  }
}

core::result<std::vector<sql::table_info>> connection::describe_tables() {
  STORE_TRY_ASSIGN(auto names, sql::first_column(*this, "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                                                        "substr(name, 1, 7) <> 'sqlite_' ORDER BY name"));
  std::vector<sql::table_info> tables(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) tables[i].name = std::move(names[i]);
  for (auto& t : tables) {
    std::vector<std::pair<std::int64_t, std::string>> key;
    STORE_TRY_ASSIGN(auto cols, query("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", t.name));
    for (;;) {
      STORE_TRY_ASSIGN(bool row, cols.step());
      if (!row) break;
      t.columns.push_back(cols.text(0));
      if (cols.i64(1) > 0) key.emplace_back(cols.i64(1), cols.text(0));
    }
    std::sort(key.begin(), key.end());
    for (auto& k : key) t.primary_key.push_back(std::move(k.second));
    STORE_TRY_ASSIGN(t.references,
                     sql::first_column(*this, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?) ORDER BY 1",
                                       t.name));
    STORE_TRY_ASSIGN(t.self_references,
                     sql::first_column(*this,
                                       "SELECT \"from\" FROM pragma_foreign_key_list(?1) WHERE \"table\" = ?1 "
                                       "ORDER BY 1",
                                       t.name));
  }
  return tables;
}

core::result<std::optional<std::int64_t>> connection::last_id(std::string_view table) {
  STORE_TRY_ASSIGN(auto st, query("SELECT seq FROM sqlite_sequence WHERE name = ?", table));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return std::nullopt;
  return st.i64(0);
}

core::result<void> connection::set_last_id(std::string_view table, std::int64_t last) {
  // Only an AUTOINCREMENT table has a counter: a plain rowid takes max(rowid) + 1.
  {
    STORE_TRY_ASSIGN(auto st, query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ? AND "
                                    "upper(sql) <> replace(upper(sql), 'AUTOINCREMENT', '')",
                                    table));
    STORE_TRY_ASSIGN(bool autoincrement, st.step());
    if (!autoincrement) return {};
  }
  STORE_TRY(run("UPDATE sqlite_sequence SET seq = ?1 WHERE name = ?2", last, table));
  if (changes() == 0) STORE_TRY(run("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", table, last));
  return {};
}

}  // namespace letterhead::store::sqlite
