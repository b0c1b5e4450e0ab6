#pragma once
// The store's SQL writes parameters as `?` or `?NNN` (SQLite's syntax, which the
// dialect shared with PostgreSQL keeps); PostgreSQL's protocol numbers them ($1, $2,
// ...). A `?` inside a string literal, a quoted identifier or a comment is text and
// stays as it is.

#include <string>
#include <string_view>

namespace letterhead::store::postgres {

struct numbered_sql {
  std::string text;
  int parameters = 0;  // the largest parameter number
};

// Scans with PostgreSQL's lexical rules (its manual §4.1.2, §4.1.5): '...' with ''
// inside, E'...' with backslash escapes, "..." identifiers, $tag$...$tag$ strings,
// -- line comments and nested /* */ comments. Assumes standard_conforming_strings
// (the default since PostgreSQL 9.1).
[[nodiscard]] numbered_sql number_placeholders(std::string_view sql);

}  // namespace letterhead::store::postgres
