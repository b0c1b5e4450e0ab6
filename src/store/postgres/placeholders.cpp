#include "store/postgres/placeholders.hpp"

#include <algorithm>

namespace letterhead::store::postgres {

namespace {

// PostgreSQL's own limit on the parameters of one statement (the protocol's Int16 count).
constexpr int max_parameter = 65535;

bool identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// The end (one past the closing quote) of a quoted run that starts at `open`. A doubled
// quote is one quote character; with `backslashes`, a backslash escapes the next byte.
std::size_t quoted_end(std::string_view sql, std::size_t open, bool backslashes) {
  char quote = sql[open];
  for (std::size_t i = open + 1; i < sql.size(); ++i) {
    if (backslashes && sql[i] == '\\') {
      ++i;
    } else if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        ++i;
      } else {
        return i + 1;
      }
    }
  }
  return sql.size();  // unterminated: the server reports it
}

std::size_t block_comment_end(std::string_view sql, std::size_t open) {
  int depth = 0;
  std::size_t i = open;
  while (i + 1 < sql.size()) {
    if (sql[i] == '/' && sql[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (sql[i] == '*' && sql[i + 1] == '/') {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

// At a '$' that is not part of an identifier: the end of a $tag$...$tag$ string, or
// `open` itself when this is no such opening (a $1 parameter, for example).
std::size_t dollar_quote_end(std::string_view sql, std::size_t open) {
  std::size_t i = open + 1;
  if (i < sql.size() && sql[i] != '$') {
    char first = sql[i];
    bool starts_tag = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_' ||
                      static_cast<unsigned char>(first) >= 0x80;
    if (!starts_tag) return open;
    while (i < sql.size() && sql[i] != '$' && identifier_char(sql[i])) ++i;
    if (i >= sql.size() || sql[i] != '$') return open;
  }
  if (i >= sql.size()) return open;
  std::string_view tag = sql.substr(open, i + 1 - open);
  auto close = sql.find(tag, i + 1);
  return close == std::string_view::npos ? sql.size() : close + tag.size();
}

}  // namespace

numbered_sql number_placeholders(std::string_view sql) {
  numbered_sql out;
  out.text.reserve(sql.size() + 16);
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    std::size_t end = i;
    if (c == '\'') {
      bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !identifier_char(sql[i - 2]));
      end = quoted_end(sql, i, escapes);
    } else if (c == '"') {
      end = quoted_end(sql, i, false);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      end = std::min(sql.find('\n', i), sql.size());
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      end = block_comment_end(sql, i);
    } else if (c == '$' && (i == 0 || !identifier_char(sql[i - 1]))) {
      end = dollar_quote_end(sql, i);
    } else if (c == '?') {
      // ?NNN names parameter NNN; a bare ? is the one after the largest so far (as in
      // SQLite, https://sqlite.org/lang_expr.html#parameters).
      std::size_t digits = i + 1;
      int number = 0;
      while (digits < sql.size() && sql[digits] >= '0' && sql[digits] <= '9' && number < max_parameter) {
        number = number * 10 + (sql[digits] - '0');
        ++digits;
      }
      if (digits == i + 1) number = out.parameters + 1;
      out.parameters = std::max(out.parameters, number);
      out.text += '$';
      out.text += std::to_string(number);
      i = digits;
      continue;
    }
    if (end > i) {
      out.text.append(sql.substr(i, end - i));
      i = end;
    } else {
      out.text += c;
      ++i;
    }
  }
  return out;
}

}  // namespace letterhead::store::postgres
