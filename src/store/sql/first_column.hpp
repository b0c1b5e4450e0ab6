#pragma once
// The first column of every row of a query, as text: the drivers' catalog queries
// (sqlite/catalog.cpp, postgres/catalog.cpp).

#include <string>
#include <string_view>
#include <vector>

#include "store/detail/try.hpp"
#include "store/sql/driver.hpp"

namespace letterhead::store::sql {

// `parameter`, when not empty, is bound as the query's one parameter.
[[nodiscard]] inline core::result<std::vector<std::string>> first_column(connection& db, std::string_view sql,
                                                                         std::string_view parameter = {}) {
  std::vector<std::string> out;
  STORE_TRY_ASSIGN(auto st, db.prepare(sql));
  if (!parameter.empty()) st.bind(1, parameter);
  for (;;) {
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) break;
    out.push_back(st.text(0));
  }
  return out;
}

}  // namespace letterhead::store::sql
